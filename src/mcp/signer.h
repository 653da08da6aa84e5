// Who signs and who vouches for keys: two small interfaces so that the HSM-backed signer
// (src/p11, keys stay in the token) and the trust-bundle resolver (src/identity) plug in later
// without this layer knowing about PKCS#11 or bundle formats.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secure.h"
#include "json/result.h"
#include "mcp/algorithm.h"

namespace pqmcp::mcp {

struct SignError {
  std::string message;  // never contains key material or PINs
};

class Signer {
 public:
  virtual ~Signer() = default;
  virtual Algorithm algorithm() const = 0;
  virtual const std::string& kid() const = 0;
  // Signs the complete signing input (docs/protocol.md §4). Must be safe to call concurrently.
  virtual Result<std::vector<std::uint8_t>, SignError> sign(
      std::span<const std::uint8_t> input) const = 0;
};

// In-process signer over the crypto core, for tests, vectors and benchmarks. The private key
// lives in a SecureBuffer (expanded once at construction).
class LocalSigner final : public Signer {
 public:
  // private_key: the algorithm's private-key encoding (private_key_size(a) bytes): ML-DSA seed
  // ξ; Ed25519 32-byte key; composite ξ ‖ Ed25519 key (the composite draft's encoding).
  // deterministic: ML-DSA with rnd = 0 (FIPS 204 §3.4), for reproducible test vectors only.
  static Result<std::unique_ptr<LocalSigner>, SignError> create(
      Algorithm a, std::string kid, std::span<const std::uint8_t> private_key,
      bool deterministic = false);
  static Result<std::unique_ptr<LocalSigner>, SignError> generate(Algorithm a, std::string kid);
  ~LocalSigner() override;

  Algorithm algorithm() const override { return alg_; }
  const std::string& kid() const override { return kid_; }
  const std::vector<std::uint8_t>& public_key() const { return pk_; }
  Result<std::vector<std::uint8_t>, SignError> sign(
      std::span<const std::uint8_t> input) const override;

 private:
  LocalSigner() = default;
  struct Impl;
  Algorithm alg_ = Algorithm::kMlDsa65Ed25519;
  std::string kid_;
  std::vector<std::uint8_t> pk_;
  bool deterministic_ = false;
  std::unique_ptr<Impl> impl_;
};

// What a trust bundle says about a key id at a point in time.
enum class KeyState : std::uint8_t { kValid, kRevoked, kExpired, kNotYetValid };

struct ResolvedKey {
  Algorithm algorithm;
  std::vector<std::uint8_t> public_key;
  std::string identity;  // the sender identity the key belongs to (rotation keeps it)
  KeyState state = KeyState::kValid;
};

class KeyResolver {
 public:
  virtual ~KeyResolver() = default;
  // Returns false if kid is unknown. at_ms: Unix time in ms at which validity is judged (the
  // verifier passes its own clock, so a backdated issued-at cannot revive a revoked key).
  virtual bool lookup(std::string_view kid, std::int64_t at_ms, ResolvedKey& out) const = 0;
};

// An in-memory resolver: tests, benchmarks, and the shape a trust bundle fills in.
class StaticKeyResolver final : public KeyResolver {
 public:
  void add(std::string kid, Algorithm a, std::vector<std::uint8_t> public_key,
           std::string identity, std::int64_t not_before_ms = INT64_MIN,
           std::int64_t not_after_ms = INT64_MAX);
  // Keys are revoked from revoked_at_ms on; messages issued before stay verifiable only if
  // revoked_at_ms is later than their issued-at (key compromise: pass INT64_MIN).
  void revoke(std::string_view kid, std::int64_t revoked_at_ms = INT64_MIN);
  bool lookup(std::string_view kid, std::int64_t at_ms, ResolvedKey& out) const override;

 private:
  struct Entry {
    ResolvedKey key;
    std::int64_t not_before, not_after, revoked_at = INT64_MAX;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> keys_;
};

}  // namespace pqmcp::mcp
