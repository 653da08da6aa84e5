#include "audit/signers.h"

#include "crypto/eddsa.h"
#include "crypto/mldsa.h"
#include "crypto/random.h"

namespace pqmcp::audit {

namespace {

crypto::mldsa::ParamSet ps(SigType t) {
  return t == SigType::kMlDsa44 ? crypto::mldsa::ParamSet::kMlDsa44
         : t == SigType::kMlDsa65 ? crypto::mldsa::ParamSet::kMlDsa65
                                  : crypto::mldsa::ParamSet::kMlDsa87;
}

class KeySigner final : public NoteSigner {
 public:
  // ML-DSA keys come prepared (see signer_from_seed); sk is then kept only for Ed25519.
  KeySigner(SigType t, Bytes pk, crypto::SecureBuffer sk, crypto::mldsa::PreparedPrivateKey prepared)
      : t_(t), pk_(std::move(pk)), sk_(std::move(sk)), prepared_(std::move(prepared)) {}
  SigType type() const override { return t_; }
  const Bytes& public_key() const override { return pk_; }
  Result<Bytes> sign(std::span<const std::uint8_t> msg) override {
    Bytes sig;
    crypto::Status st;
    if (is_mldsa(t_)) {
      st = crypto::mldsa::sign(prepared_, msg, {}, sig);
    } else {
      st = crypto::eddsa::sign(crypto::eddsa::Curve::kEd25519, sk_.span(), msg, sig);
    }
    if (st != crypto::Status::kOk)
      return make_error(Error::Kind::kSigner, std::string("in-process ") + sig_type_name(t_) + " signing failed: " + crypto::status_name(st));
    return sig;
  }

 private:
  SigType t_;
  Bytes pk_;
  crypto::SecureBuffer sk_;
  crypto::mldsa::PreparedPrivateKey prepared_;  // ML-DSA; read-only, so sign() may run concurrently
};

}  // namespace

Result<std::unique_ptr<NoteSigner>> signer_from_seed(SigType t, std::span<const std::uint8_t> seed) {
  if (seed.size() != 32) return make_error(Error::Kind::kInput, "a signer seed is 32 bytes");
  Bytes pk;
  crypto::SecureBuffer sk;
  crypto::Status st;
  if (is_mldsa(t)) {
    st = crypto::mldsa::keygen_from_seed(ps(t), seed.first<32>(), pk, sk);
  } else {
    sk = crypto::SecureBuffer(32);
    std::copy(seed.begin(), seed.end(), sk.data());
    st = crypto::eddsa::public_from_private(crypto::eddsa::Curve::kEd25519, sk.span(), pk);
  }
  if (st != crypto::Status::kOk) return make_error(Error::Kind::kSigner, std::string("key generation failed: ") + crypto::status_name(st));
  // A log signs a checkpoint every few dozen entries for as long as it runs: decode the key and
  // expand Â (FIPS 204 Algorithms 25 and 32) once here, not per checkpoint. Same signatures.
  crypto::mldsa::PreparedPrivateKey prepared;
  if (is_mldsa(t)) {
    st = crypto::mldsa::PreparedPrivateKey::load(ps(t), sk.span(), prepared);
    if (st != crypto::Status::kOk) return make_error(Error::Kind::kSigner, std::string("key preparation failed: ") + crypto::status_name(st));
    sk = crypto::SecureBuffer();  // the prepared key holds (and wipes) what signing needs
  }
  return std::unique_ptr<NoteSigner>(new KeySigner(t, std::move(pk), std::move(sk), std::move(prepared)));
}

Result<std::unique_ptr<NoteSigner>> generate_signer(SigType t) {
  std::uint8_t seed[32];
  if (crypto::random_bytes(seed) != crypto::Status::kOk) return make_error(Error::Kind::kSigner, "no randomness");
  auto s = signer_from_seed(t, seed);
  crypto::secure_wipe(seed, sizeof seed);
  return s;
}

}  // namespace pqmcp::audit
