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
  KeySigner(SigType t, Bytes pk, crypto::SecureBuffer sk) : t_(t), pk_(std::move(pk)), sk_(std::move(sk)) {}
  SigType type() const override { return t_; }
  const Bytes& public_key() const override { return pk_; }
  Result<Bytes> sign(std::span<const std::uint8_t> msg) override {
    Bytes sig;
    const crypto::Status st = is_mldsa(t_) ? crypto::mldsa::sign(ps(t_), sk_.span(), msg, {}, sig)
                                           : crypto::eddsa::sign(crypto::eddsa::Curve::kEd25519, sk_.span(), msg, sig);
    if (st != crypto::Status::kOk)
      return make_error(Error::Kind::kSigner, std::string("in-process ") + sig_type_name(t_) + " signing failed: " + crypto::status_name(st));
    return sig;
  }

 private:
  SigType t_;
  Bytes pk_;
  crypto::SecureBuffer sk_;
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
  return std::unique_ptr<NoteSigner>(new KeySigner(t, std::move(pk), std::move(sk)));
}

Result<std::unique_ptr<NoteSigner>> generate_signer(SigType t) {
  std::uint8_t seed[32];
  if (crypto::random_bytes(seed) != crypto::Status::kOk) return make_error(Error::Kind::kSigner, "no randomness");
  auto s = signer_from_seed(t, seed);
  crypto::secure_wipe(seed, sizeof seed);
  return s;
}

}  // namespace pqmcp::audit
