// The signed envelope (docs/protocol.md §4): building it, placing it, and the signing input.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mcp/message.h"
#include "mcp/signer.h"

namespace pqmcp::mcp {

inline constexpr int kEnvelopeVersion = 1;
// Domain-separation label at the start of every signing input (§4.2).
inline constexpr std::string_view kSigLabel = "io.pqmcp/sig/v1";
inline constexpr std::size_t kNonceBytes = 16;

struct EnvelopeFields {
  std::string aud;  // identity of the intended recipient
  std::string sid;  // sender's session id: scopes the sequence numbers (1..64 chars)
  std::uint64_t seq = 0;
  std::int64_t iat_ms = 0;  // Unix time in milliseconds
  std::array<std::uint8_t, kNonceBytes> nonce{};
  std::optional<std::array<std::uint8_t, 32>> req;  // responses: request_digest() of the request
};

// label ‖ 0x00 ‖ JCS(header) ‖ 0x00 ‖ JCS(signed view). JCS output never contains a raw 0x00
// (RFC 8785 §3.2.2.2 escapes all controls), so the split is unambiguous.
Result<std::vector<std::uint8_t>, std::string> signing_input(const Value& header,
                                                             const Value& signed_msg) noexcept;
// H of a received envelope: every member but "sig" (copied member by member: copying the ~4.4 KB
// signature only to erase it would cost more than the rest).
Value signed_header(const Value& envelope);

// The value a response's "req" member carries (§4.4): SHA3-256 over "io.pqmcp/req/v2" ‖ 0x00 ‖
// the request's signing input (its envelope header without "sig", and its signed view), or, for
// a request without an envelope object (observe mode relays unsigned ones), ‖ JCS(request).
// The signing input names everything the requester signed, nonce included, without hashing
// the ~4.4 KB signature again.
Result<std::array<std::uint8_t, 32>, std::string> request_digest(const Value& request) noexcept;
// The same from the request's signing input, which a signer or verifier has just built.
std::array<std::uint8_t, 32> request_digest_of_input(std::span<const std::uint8_t> signing_input) noexcept;
// SHA3-256 over "io.pqmcp/req/v2" ‖ 0x00 ‖ JCS(request): the request as received, byte for byte
// (§4.4). A gateway names a request it refused this way, so that a refusal of an altered copy
// (say its signature garbled) never reads as the answer to the request its sender signed.
Result<std::array<std::uint8_t, 32>, std::string> received_request_digest(const Value& request) noexcept;

// Signs msg in place: places the envelope (header + "sig") for msg's kind. Returns the kind.
// For a request, *request_digest (when given) receives its request_digest().
Result<Kind, std::string> sign_message(Value& msg, const Signer& signer, const EnvelopeFields& f,
                                       std::array<std::uint8_t, 32>* request_digest = nullptr) noexcept;

// One sender's outgoing direction: a random session id, a sequence counter and fresh nonces.
class SigningSession {
 public:
  // Fails only if the OS randomness source fails.
  static Result<std::unique_ptr<SigningSession>, std::string> create(const Signer& signer,
                                                                     std::string audience);
  const std::string& session_id() const { return sid_; }
  // Signs msg (request, notification or response). For a response, pass the digest of the
  // request it answers (request_digest() of the request as received). Returns the kind signed.
  // For a request, *request_digest (when given) receives the digest its response must carry,
  // from the signing input at hand (request_digest(msg) afterwards gives the same).
  Result<Kind, std::string> sign(
      Value& msg, std::int64_t now_ms,
      const std::optional<std::array<std::uint8_t, 32>>& answers = std::nullopt,
      std::array<std::uint8_t, 32>* request_digest = nullptr);

 private:
  SigningSession(const Signer& s, std::string aud) : signer_(s), aud_(std::move(aud)) {}
  const Signer& signer_;
  std::string aud_;
  std::string sid_;
  std::atomic<std::uint64_t> next_seq_{0};
};

}  // namespace pqmcp::mcp
