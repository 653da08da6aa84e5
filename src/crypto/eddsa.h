// Ed25519 and Ed448 (RFC 8032, pure variants) on raw key bytes, through OpenSSL 3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/secure.h"
#include "crypto/status.h"

namespace pqmcp::crypto::eddsa {

enum class Curve : std::uint8_t { kEd25519, kEd448 };

struct Sizes {
  std::size_t public_key, private_key, signature;
};
constexpr Sizes sizes(Curve c) noexcept {
  return c == Curve::kEd25519 ? Sizes{32, 32, 64} : Sizes{57, 57, 114};
}

Status keygen(Curve c, std::vector<std::uint8_t>& pk, SecureBuffer& sk) noexcept;
Status public_from_private(Curve c, std::span<const std::uint8_t> sk,
                           std::vector<std::uint8_t>& pk) noexcept;
Status sign(Curve c, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> msg,
            std::vector<std::uint8_t>& sig) noexcept;
Status verify(Curve c, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t> sig) noexcept;

}  // namespace pqmcp::crypto::eddsa
