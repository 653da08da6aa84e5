// Composite ML-DSA signatures (IETF LAMPS draft-ietf-lamps-pq-composite-sigs): an ML-DSA
// signature and a classical EdDSA signature over one message representative, both of which must
// verify. A forger has to break ML-DSA and the elliptic curve at once.
//
// Encodings are the draft's raw concatenations (no ASN.1 inside):
//   public key  = ML-DSA pk ‖ EdDSA pk
//   private key = ML-DSA seed ξ (32 bytes) ‖ EdDSA private key
//   signature   = ML-DSA signature ‖ EdDSA signature
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "crypto/eddsa.h"
#include "crypto/mldsa.h"
#include "crypto/secure.h"
#include "crypto/status.h"

namespace pqmcp::crypto::composite {

enum class Algorithm : std::uint8_t {
  kMlDsa44Ed25519,  // id-MLDSA44-Ed25519-SHA512
  kMlDsa65Ed25519,  // id-MLDSA65-Ed25519-SHA512 (pqmcp's default identity)
  kMlDsa87Ed448,    // id-MLDSA87-Ed448-SHAKE256
};

struct Info {
  std::string_view name;   // "id-MLDSA65-Ed25519-SHA512"
  std::string_view oid;    // dotted OID of the draft's current revision
  std::string_view label;  // the domain-separation Label
  mldsa::ParamSet mldsa;
  std::size_t trad_public_key;
  std::size_t trad_private_key;
  std::size_t trad_signature;
  std::size_t public_key;   // mldsa pk + trad pk
  std::size_t private_key;  // 32 + trad sk
  std::size_t signature;    // mldsa sig + trad sig
};

const Info& info(Algorithm a) noexcept;

// The draft's message representative M' = Prefix ‖ Label ‖ len(ctx) ‖ ctx ‖ PH(M).
Status message_representative(Algorithm a, std::span<const std::uint8_t> msg,
                              std::span<const std::uint8_t> ctx,
                              std::vector<std::uint8_t>& mprime) noexcept;
// The same from PH(M) computed by the caller (a token hashing M as it streams in): ph must be
// the algorithm's pre-hash (SHA-512 for the Ed25519 composites, SHAKE256/64 for Ed448), 64 bytes.
Status message_representative_from_prehash(Algorithm a, std::span<const std::uint8_t> ctx,
                                           std::span<const std::uint8_t, 64> ph,
                                           std::vector<std::uint8_t>& mprime) noexcept;

// Fresh key pair: ξ from the OS, the EdDSA key from OpenSSL.
Status keygen(Algorithm a, std::vector<std::uint8_t>& pk, SecureBuffer& sk) noexcept;

// Derives the composite public key from a composite private key (checks its encoding).
Status public_from_private(Algorithm a, std::span<const std::uint8_t> sk,
                           std::vector<std::uint8_t>& pk) noexcept;

// A composite private key prepared once for signing many messages: the ML-DSA half regenerated
// from ξ (KeyGen_internal, as the draft stores the seed) and prepared (decoded, Â expanded;
// mldsa::PreparedPrivateKey), the EdDSA half imported into OpenSSL once. Both live in memory
// that is cleared when the key is destroyed (the ML-DSA half by pqmcp, the EdDSA half by
// OpenSSL). Move-only.
//
// Thread safety: sign() is const and modifies nothing shared: each call allocates its own
// ML-DSA workspace and its own EVP_MD_CTX, and OpenSSL 3 allows one unmodified EVP_PKEY to be
// used by several threads at once (openssl-threads(7)). So one SigningKey may sign from
// several threads concurrently; load() and assignment must not race with sign().
class SigningKey {
 public:
  SigningKey() = default;
  static Status load(Algorithm a, std::span<const std::uint8_t> sk, SigningKey& out) noexcept;

  bool empty() const noexcept { return mldsa_.empty(); }
  Algorithm algorithm() const noexcept { return alg_; }
  const std::vector<std::uint8_t>& public_key() const noexcept { return pk_; }

  // Composite Sign: ML-DSA.Sign(mldsaSK, M', ctx = Label) ‖ EdDSA.Sign(tradSK, M').
  Status sign(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> ctx,
              std::vector<std::uint8_t>& sig,
              mldsa::Randomness r = mldsa::Randomness::kHedged) const noexcept;

 private:
  Algorithm alg_ = Algorithm::kMlDsa65Ed25519;
  mldsa::PreparedPrivateKey mldsa_;
  eddsa::SigningKey trad_;
  std::vector<std::uint8_t> pk_;
};

// A composite public key prepared once for verifying many signatures: the ML-DSA half as an
// mldsa::PreparedPublicKey (Â, t1·2^d, tr), the EdDSA half imported into OpenSSL once.
// Move-only; verify() is const and safe from several threads at once (as for SigningKey).
class VerifyingKey {
 public:
  VerifyingKey() = default;
  // kBadLength for a wrong size, kBadEncoding if the EdDSA half is no curve point.
  // precompute: build the Ed25519 half's per-key table (eddsa::VerifyingKey::load), which pays
  // for itself after a few verifications; false for a key used once.
  static Status load(Algorithm a, std::span<const std::uint8_t> pk, VerifyingKey& out, bool precompute = true) noexcept;

  bool empty() const noexcept { return mldsa_.empty(); }
  Algorithm algorithm() const noexcept { return alg_; }
  const std::vector<std::uint8_t>& public_key() const noexcept { return pk_; }

  // Composite Verify: both component signatures must verify. Context at most 255 bytes.
  Status verify(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> ctx,
                std::span<const std::uint8_t> sig) const noexcept;

 private:
  Algorithm alg_ = Algorithm::kMlDsa65Ed25519;
  mldsa::PreparedPublicKey mldsa_;
  eddsa::VerifyingKey trad_;
  std::vector<std::uint8_t> pk_;
};

// One-shot sign (expands the key each call; use SigningKey for repeated signing).
Status sign(Algorithm a, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> msg,
            std::span<const std::uint8_t> ctx, std::vector<std::uint8_t>& sig,
            mldsa::Randomness r = mldsa::Randomness::kHedged) noexcept;

// One-shot verify (prepares the key each call; use VerifyingKey for repeated verification).
Status verify(Algorithm a, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t> ctx, std::span<const std::uint8_t> sig) noexcept;

}  // namespace pqmcp::crypto::composite
