// Signature algorithms of the pqmcp envelope (docs/protocol.md §5) and their verification.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "crypto/status.h"

namespace pqmcp::mcp {

enum class Algorithm : std::uint8_t {
  kMlDsa65Ed25519,  // "mldsa65-ed25519": composite, draft-ietf-lamps-pq-composite-sigs (default)
  kMlDsa44,         // "mldsa44": FIPS 204 ML-DSA-44, pure, empty context
  kMlDsa65,         // "mldsa65"
  kMlDsa87,         // "mldsa87"
  kEd25519,         // "ed25519": RFC 8032 pure Ed25519 (classical; allow only for migration)
};

inline constexpr Algorithm kAllAlgorithms[] = {Algorithm::kMlDsa65Ed25519, Algorithm::kMlDsa44,
                                               Algorithm::kMlDsa65, Algorithm::kMlDsa87,
                                               Algorithm::kEd25519};

// The identifier carried in the envelope's "alg" member.
std::string_view algorithm_id(Algorithm a) noexcept;
std::optional<Algorithm> algorithm_from_id(std::string_view id) noexcept;

std::size_t public_key_size(Algorithm a) noexcept;
std::size_t signature_size(Algorithm a) noexcept;
// Size of the private-key encoding LocalSigner accepts (ML-DSA seed ξ; composite ξ ‖ Ed25519).
std::size_t private_key_size(Algorithm a) noexcept;

// Verifies sig over msg under pk. kOk only for a valid signature.
crypto::Status verify_signature(Algorithm a, std::span<const std::uint8_t> pk,
                                std::span<const std::uint8_t> msg,
                                std::span<const std::uint8_t> sig) noexcept;

}  // namespace pqmcp::mcp
