// ML-DSA (FIPS 204): key generation, signing and verification for ML-DSA-44, -65 and -87.
//
// Private keys exist as the 32-byte seed ξ and as the expanded key of FIPS 204 Algorithm 24.
// Signing is hedged by default (fresh rnd from the OS) and deterministic on request (rnd = 0³²).
// Every function returns a Status; on error, signature outputs are left empty and secret
// outputs are zeroed. Verification returns kOk only for a valid signature, kVerifyFailed for a
// well-formed invalid one, and kBadLength / kBadEncoding / kBadContext for malformed input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "crypto/secure.h"
#include "crypto/status.h"

namespace pqmcp::crypto::mldsa {

namespace internal {
struct PreparedSign;
struct PreparedVerify;
}  // namespace internal

enum class ParamSet : std::uint8_t { kMlDsa44, kMlDsa65, kMlDsa87 };

inline constexpr std::size_t kSeedBytes = 32;   // ξ
inline constexpr std::size_t kRndBytes = 32;    // rnd
inline constexpr std::size_t kMuBytes = 64;     // μ
inline constexpr std::size_t kMaxContextBytes = 255;

struct Sizes {
  std::size_t public_key;
  std::size_t private_key;  // expanded form
  std::size_t signature;
};

constexpr Sizes sizes(ParamSet p) noexcept {
  switch (p) {
    case ParamSet::kMlDsa44: return {1312, 2560, 2420};
    case ParamSet::kMlDsa65: return {1952, 4032, 3309};
    case ParamSet::kMlDsa87: return {2592, 4896, 4627};
  }
  return {0, 0, 0};
}

// "ML-DSA-65" etc.
const char* name(ParamSet p) noexcept;

enum class Randomness : std::uint8_t { kHedged, kDeterministic };

// Pre-hash functions of HashML-DSA (FIPS 204 §5.4, Table of OIDs in §5.4.1).
enum class PreHash : std::uint8_t {
  kSha224, kSha256, kSha384, kSha512, kSha512_224, kSha512_256,
  kSha3_224, kSha3_256, kSha3_384, kSha3_512, kShake128, kShake256,
};

using Seed = SecretArray<kSeedBytes>;

// FIPS 204 Algorithm 6 (ML-DSA.KeyGen_internal) from ξ.
Status keygen_from_seed(ParamSet p, std::span<const std::uint8_t, kSeedBytes> xi,
                        std::vector<std::uint8_t>& pk, SecureBuffer& sk) noexcept;

// FIPS 204 Algorithm 1 (ML-DSA.KeyGen): fresh ξ from the OS, returned in seed_out if given.
Status keygen(ParamSet p, std::vector<std::uint8_t>& pk, SecureBuffer& sk,
              Seed* seed_out = nullptr) noexcept;

// A private key decoded once (skDecode, FIPS 204 Algorithm 25) with its matrix Â = ExpandA(ρ)
// (Algorithm 32) expanded once, for signing many messages: each signature then costs only the
// rejection loop of Algorithm 7. Signatures are byte-identical to those of the functions that
// take the encoded key (which prepare a key and use it). Held in memory that is wiped when the
// key is destroyed or replaced. Move-only. Signing does not modify the key, so one prepared key
// may sign from several threads at the same time.
class PreparedPrivateKey {
 public:
  PreparedPrivateKey() noexcept;
  ~PreparedPrivateKey();
  PreparedPrivateKey(PreparedPrivateKey&&) noexcept;
  PreparedPrivateKey& operator=(PreparedPrivateKey&&) noexcept;
  PreparedPrivateKey(const PreparedPrivateKey&) = delete;
  PreparedPrivateKey& operator=(const PreparedPrivateKey&) = delete;

  // Decodes an expanded private key (kBadLength for a wrong size, kBadKey for an s1/s2
  // coefficient outside [-η, η], kInternal if memory runs out). On error `out` is empty.
  static Status load(ParamSet p, std::span<const std::uint8_t> sk, PreparedPrivateKey& out) noexcept;

  bool empty() const noexcept { return impl_ == nullptr; }
  ParamSet param_set() const noexcept { return p_; }
  // tr = H(pk, 64) as stored in the key (public).
  std::span<const std::uint8_t, 64> tr() const noexcept;
  const internal::PreparedSign* impl() const noexcept { return impl_.get(); }

 private:
  ParamSet p_ = ParamSet::kMlDsa65;
  std::unique_ptr<internal::PreparedSign> impl_;
};

// A public key with Â, t1·2^d and tr = H(pk, 64) computed once (FIPS 204 Algorithm 8 lines
// 1, 5, 6 and 9's constant part), for verifying many signatures. Move-only; read-only once
// loaded, so one prepared key may verify from several threads at the same time.
class PreparedPublicKey {
 public:
  PreparedPublicKey() noexcept;
  ~PreparedPublicKey();
  PreparedPublicKey(PreparedPublicKey&&) noexcept;
  PreparedPublicKey& operator=(PreparedPublicKey&&) noexcept;
  PreparedPublicKey(const PreparedPublicKey&) = delete;
  PreparedPublicKey& operator=(const PreparedPublicKey&) = delete;

  // kBadLength for a wrong size, kInternal if memory runs out (every pk of the right length
  // decodes: pkDecode has no invalid input). On error `out` is empty.
  static Status load(ParamSet p, std::span<const std::uint8_t> pk, PreparedPublicKey& out) noexcept;

  bool empty() const noexcept { return impl_ == nullptr; }
  ParamSet param_set() const noexcept { return p_; }
  const std::vector<std::uint8_t>& public_key() const noexcept { return pk_; }
  const internal::PreparedVerify* impl() const noexcept { return impl_.get(); }

 private:
  ParamSet p_ = ParamSet::kMlDsa65;
  std::vector<std::uint8_t> pk_;
  std::unique_ptr<internal::PreparedVerify> impl_;
};

// FIPS 204 Algorithm 2 (ML-DSA.Sign), pure, with a context of at most 255 bytes.
Status sign(ParamSet p, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> msg,
            std::span<const std::uint8_t> ctx, std::vector<std::uint8_t>& sig,
            Randomness r = Randomness::kHedged) noexcept;

// FIPS 204 Algorithm 4 (HashML-DSA.Sign).
Status sign_prehash(ParamSet p, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> msg,
                    std::span<const std::uint8_t> ctx, PreHash ph, std::vector<std::uint8_t>& sig,
                    Randomness r = Randomness::kHedged) noexcept;

// External μ: signs a μ computed elsewhere (FIPS 204 Algorithm 7 from line 7 on).
Status sign_mu(ParamSet p, std::span<const std::uint8_t> sk,
               std::span<const std::uint8_t, kMuBytes> mu, std::vector<std::uint8_t>& sig,
               Randomness r = Randomness::kHedged) noexcept;

// FIPS 204 Algorithm 7 (ML-DSA.Sign_internal) on a formatted message M' with explicit rnd.
Status sign_internal(ParamSet p, std::span<const std::uint8_t> sk,
                     std::span<const std::uint8_t> mprime,
                     std::span<const std::uint8_t, kRndBytes> rnd,
                     std::vector<std::uint8_t>& sig) noexcept;

// FIPS 204 Algorithm 3 (ML-DSA.Verify).
Status verify(ParamSet p, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t> ctx, std::span<const std::uint8_t> sig) noexcept;

// FIPS 204 Algorithm 5 (HashML-DSA.Verify).
Status verify_prehash(ParamSet p, std::span<const std::uint8_t> pk,
                      std::span<const std::uint8_t> msg, std::span<const std::uint8_t> ctx,
                      PreHash ph, std::span<const std::uint8_t> sig) noexcept;

// External μ verification.
Status verify_mu(ParamSet p, std::span<const std::uint8_t> pk,
                 std::span<const std::uint8_t, kMuBytes> mu,
                 std::span<const std::uint8_t> sig) noexcept;

// FIPS 204 Algorithm 8 (ML-DSA.Verify_internal) on a formatted message M'.
Status verify_internal(ParamSet p, std::span<const std::uint8_t> pk,
                       std::span<const std::uint8_t> mprime,
                       std::span<const std::uint8_t> sig) noexcept;

// The same operations on prepared keys (kBadKey for an empty one).
Status sign(const PreparedPrivateKey& sk, std::span<const std::uint8_t> msg,
            std::span<const std::uint8_t> ctx, std::vector<std::uint8_t>& sig,
            Randomness r = Randomness::kHedged) noexcept;
Status sign_prehash(const PreparedPrivateKey& sk, std::span<const std::uint8_t> msg,
                    std::span<const std::uint8_t> ctx, PreHash ph, std::vector<std::uint8_t>& sig,
                    Randomness r = Randomness::kHedged) noexcept;
Status sign_mu(const PreparedPrivateKey& sk, std::span<const std::uint8_t, kMuBytes> mu,
               std::vector<std::uint8_t>& sig, Randomness r = Randomness::kHedged) noexcept;
Status sign_internal(const PreparedPrivateKey& sk, std::span<const std::uint8_t> mprime,
                     std::span<const std::uint8_t, kRndBytes> rnd,
                     std::vector<std::uint8_t>& sig) noexcept;
Status verify(const PreparedPublicKey& pk, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t> ctx, std::span<const std::uint8_t> sig) noexcept;
Status verify_prehash(const PreparedPublicKey& pk, std::span<const std::uint8_t> msg,
                      std::span<const std::uint8_t> ctx, PreHash ph,
                      std::span<const std::uint8_t> sig) noexcept;
Status verify_mu(const PreparedPublicKey& pk, std::span<const std::uint8_t, kMuBytes> mu,
                 std::span<const std::uint8_t> sig) noexcept;
Status verify_internal(const PreparedPublicKey& pk, std::span<const std::uint8_t> mprime,
                       std::span<const std::uint8_t> sig) noexcept;

// μ = H(H(pk, 64) ‖ M', 64) with M' = 0 ‖ |ctx| ‖ ctx ‖ msg (FIPS 204 Algorithm 2 + 7 line 6).
Status compute_mu(ParamSet p, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
                  std::span<const std::uint8_t> ctx, std::span<std::uint8_t, kMuBytes> mu) noexcept;

// Recomputes the public key from an expanded private key (FIPS 204 Algorithm 6 lines 5-9 on
// the decoded s1, s2), validating the key's encoding. Used to check imported keys.
Status public_from_private(ParamSet p, std::span<const std::uint8_t> sk,
                           std::vector<std::uint8_t>& pk) noexcept;

}  // namespace pqmcp::crypto::mldsa
