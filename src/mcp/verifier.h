// Verification of signed MCP messages (docs/protocol.md §6): envelope checks, algorithm
// allow-list, key status, audience, freshness, replay and request binding, each failure with
// its own reason. Never throws; safe to call from several threads.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mcp/envelope.h"
#include "mcp/message.h"
#include "mcp/signer.h"

namespace pqmcp::mcp {

enum class Reason : std::uint8_t {
  kTooLarge,           // "too-large": message exceeds the size limit
  kTooDeep,            // "too-deep": nesting exceeds the depth limit
  kMalformedJson,      // "malformed-json": not strict I-JSON (syntax, duplicate key, surrogate)
  kMalformedMessage,   // "malformed-message": not a JSON-RPC 2.0 / MCP message
  kMissingSignature,   // "missing-signature": no io.pqmcp/sig where the kind says it must be
  kMalformedEnvelope,  // "malformed-envelope": wrong member types, unknown members, bad base64url
  kDowngrade,          // "downgrade": algorithm not on the allow-list, or not the key's algorithm
  kUnknownKey,         // "unknown-key": kid not known to the key resolver
  kRevoked,            // "revoked": the key is revoked
  kExpired,            // "expired": the key is outside its validity period
  kStale,              // "stale": issued-at outside the allowed clock skew
  kWrongAudience,      // "wrong-audience": aud is not one of this verifier's identities
  kBadSignature,       // "bad-signature": the signature does not verify
  kReplayedNonce,      // "replayed-nonce": this sender's nonce was already seen in the window
  kReplayedSequence,   // "replayed-sequence": seq not above the session's high-water mark
  kRequestMismatch,    // "request-mismatch": a response not bound to the request it answers
  kPinMismatch,        // "pin-mismatch": a tool definition differs from its pin (pins.h)
};

const char* reason_name(Reason r) noexcept;

struct Failure {
  Reason reason;
  std::string detail;  // for logs; never contains key material
};

struct VerifierConfig {
  std::vector<Algorithm> allowed{Algorithm::kMlDsa65Ed25519};
  std::vector<std::string> audiences;        // identities this verifier accepts as "aud"
  std::int64_t max_skew_ms = 5 * 60 * 1000;  // |now - iat| allowed
  json::Limits limits{};                     // size and depth of incoming text
  // 0: sequence numbers strictly increase per (kid, sid). W in 1..64: a seq up to W-1 below the
  // high-water mark is accepted once (for transports that may reorder, e.g. parallel HTTP POSTs).
  unsigned seq_window = 0;
  std::size_t max_nonces_per_sender = 1 << 16;
  std::size_t max_sessions_per_sender = 1 << 12;
};

struct Verified {
  MessageInfo info;
  Value message;  // strip_envelope(): the message as the application should see it
  std::string kid, identity, sid;
  Algorithm algorithm;
  std::uint64_t seq;
  std::int64_t iat_ms;
  // A request's request_digest() (what its response must name), from the signing input the
  // verification built anyway; empty for other kinds.
  std::optional<std::array<std::uint8_t, 32>> request_digest;
};

class Verifier {
 public:
  Verifier(VerifierConfig cfg, const KeyResolver& keys) : cfg_(std::move(cfg)), keys_(keys) {}
  // What it accepts (its algorithms, audiences, limits), for checks that must hold to the same rules.
  const VerifierConfig& config() const { return cfg_; }

  // Parses text under the configured limits, then verifies. `answers` is required for
  // responses: the request_digest() of the request this verifier's side sent.
  Result<Verified, Failure> verify_text(
      std::string_view text, std::int64_t now_ms,
      const std::optional<std::array<std::uint8_t, 32>>& answers = std::nullopt) noexcept;
  Result<Verified, Failure> verify(
      const Value& msg, std::int64_t now_ms,
      const std::optional<std::array<std::uint8_t, 32>>& answers = std::nullopt) noexcept;
  // The identity the resolver names for kid, whatever the key's state; empty if unknown. Used
  // to address a refusal to the claimed sender of a message that failed verification.
  std::string identity_of(std::string_view kid, std::int64_t now_ms) const noexcept;

 private:
  struct SeqState {
    std::uint64_t highest = 0;
    std::uint64_t seen = 0;  // bit i: highest - i already accepted
  };
  struct Sender {
    std::unordered_map<std::string, std::int64_t> nonces;
    std::multimap<std::int64_t, std::string> by_time;
    std::int64_t floor_ms = INT64_MIN;  // iat at or below this can no longer be checked
    std::map<std::string, SeqState> sessions;
  };
  Result<Verified, Failure> verify_impl(const Value& msg, std::int64_t now_ms,
                                        const std::optional<std::array<std::uint8_t, 32>>& answers);
  std::optional<Failure> check_and_record(const std::string& kid, const std::string& sid,
                                          std::uint64_t seq, const std::string& nonce,
                                          std::int64_t iat_ms, std::int64_t now_ms, bool commit);

  // Public keys prepared once per kid (ML-DSA matrix expanded, EdDSA key imported), so each
  // message costs only the signature check itself. Defined in verifier.cc.
  struct PreparedKey;
  std::shared_ptr<const PreparedKey> prepared_key(const std::string& kid, const ResolvedKey& key);

  VerifierConfig cfg_;
  const KeyResolver& keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Sender> senders_;
  std::mutex prepared_mu_;
  std::unordered_map<std::string, std::shared_ptr<const PreparedKey>> prepared_;  // by kid
};

}  // namespace pqmcp::mcp
