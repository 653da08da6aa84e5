// ML-DSA (FIPS 204) in PKCS#11 3.2 §6 (ML-DSA): CKM_ML_DSA_KEY_PAIR_GEN, CKM_ML_DSA (pure,
// optional CK_SIGN_ADDITIONAL_CONTEXT), CKM_HASH_ML_DSA (pre-hashed input, mandatory
// CK_HASH_SIGN_ADDITIONAL_CONTEXT) and CKM_HASH_ML_DSA_<hash> (the token hashes: SHA-2, SHA-3,
// and SHAKE128 / SHAKE256 with 256 / 512 output bits as FIPS 204 §5.4 fixes them).
//
// Pure ML-DSA is streamed: μ = SHAKE256(tr ‖ 0 ‖ |ctx| ‖ ctx ‖ M, 64) (FIPS 204 Algorithm 2
// line 10 with Algorithm 7 line 6) is absorbed part by part, then the core signs μ, so
// C_SignUpdate never buffers the message. HashML-DSA builds M' = 1 ‖ |ctx| ‖ ctx ‖ OID ‖ PH(M)
// (Algorithm 4 lines 10-23) and calls the internal algorithms (7/8).
#include <openssl/evp.h>

#include <cstring>

#include "crypto/mldsa.h"
#include "crypto/random.h"
#include "crypto/sha3.h"
#include "mechanisms/mechanism.h"
#include "mechanisms/mldsa_prepared.h"
#include "mechanisms/pq_common.h"
#include "mechanisms/prepared_key.h"

namespace pqmcp::token {
namespace {

namespace mldsa = crypto::mldsa;

std::optional<mldsa::ParamSet> param_set(CK_ULONG p) {
  switch (p) {
    case CKP_ML_DSA_44: return mldsa::ParamSet::kMlDsa44;
    case CKP_ML_DSA_65: return mldsa::ParamSet::kMlDsa65;
    case CKP_ML_DSA_87: return mldsa::ParamSet::kMlDsa87;
    default: return std::nullopt;
  }
}

Result<mldsa::ParamSet> key_param_set(const Object& key) {
  if (key.key_type() != CKK_ML_DSA) return Status(CKR_KEY_TYPE_INCONSISTENT);
  auto p = param_set(key.ulong(CKA_PARAMETER_SET).value_or(0));
  if (!p) return Status(CKR_KEY_TYPE_INCONSISTENT);
  return *p;
}

Status from_crypto(crypto::Status s) {
  switch (s) {
    case crypto::Status::kOk: return kOk;
    case crypto::Status::kVerifyFailed: return Status(CKR_SIGNATURE_INVALID);
    case crypto::Status::kBadLength: return Status(CKR_SIGNATURE_LEN_RANGE);
    case crypto::Status::kBadEncoding: return Status(CKR_SIGNATURE_INVALID);
    case crypto::Status::kBadContext: return Status(CKR_MECHANISM_PARAM_INVALID);
    case crypto::Status::kBadKey: return Status(CKR_KEY_HANDLE_INVALID);
    default: return Status(CKR_FUNCTION_FAILED);
  }
}

// Pre-hash functions with their DER-encoded OIDs (FIPS 204 §5.4.1; NIST CSOR 2.16.840.1.101.3.4.2.x).
struct PreHashInfo {
  CK_MECHANISM_TYPE digest_mech;  // CKM_SHA256 …
  CK_MECHANISM_TYPE sign_mech;    // CKM_HASH_ML_DSA_SHA256 …
  const char* ossl_name;
  std::size_t out_len;
  std::uint8_t oid_last;
  bool xof = false;  // SHAKE: fixed output of out_len bytes
};
constexpr PreHashInfo kPreHashes[] = {
    {CKM_SHA224, CKM_HASH_ML_DSA_SHA224, "SHA224", 28, 0x04},
    {CKM_SHA256, CKM_HASH_ML_DSA_SHA256, "SHA256", 32, 0x01},
    {CKM_SHA384, CKM_HASH_ML_DSA_SHA384, "SHA384", 48, 0x02},
    {CKM_SHA512, CKM_HASH_ML_DSA_SHA512, "SHA512", 64, 0x03},
    {CKM_SHA3_224, CKM_HASH_ML_DSA_SHA3_224, "SHA3-224", 28, 0x07},
    {CKM_SHA3_256, CKM_HASH_ML_DSA_SHA3_256, "SHA3-256", 32, 0x08},
    {CKM_SHA3_384, CKM_HASH_ML_DSA_SHA3_384, "SHA3-384", 48, 0x09},
    {CKM_SHA3_512, CKM_HASH_ML_DSA_SHA3_512, "SHA3-512", 64, 0x0A},
    // 3.2 §6 CKM_HASH_ML_DSA_SHAKE128/256; the 3.2 header has no SHAKE digest mechanism, so
    // these are not selectable as CK_HASH_SIGN_ADDITIONAL_CONTEXT.hash of CKM_HASH_ML_DSA.
    {CK_UNAVAILABLE_INFORMATION, CKM_HASH_ML_DSA_SHAKE128, "SHAKE128", 32, 0x0B, true},
    {CK_UNAVAILABLE_INFORMATION, CKM_HASH_ML_DSA_SHAKE256, "SHAKE256", 64, 0x0C, true},
};

const PreHashInfo* prehash_by_digest(CK_MECHANISM_TYPE m) {
  for (const auto& p : kPreHashes)
    if (!p.xof && p.digest_mech == m) return &p;
  return nullptr;
}

std::vector<std::uint8_t> prehash_message_prime(const PreHashInfo& ph,
                                                std::span<const std::uint8_t> ctx,
                                                std::span<const std::uint8_t> digest) {
  std::vector<std::uint8_t> m{1, static_cast<std::uint8_t>(ctx.size())};
  m.insert(m.end(), ctx.begin(), ctx.end());
  const std::uint8_t oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, ph.oid_last};
  m.insert(m.end(), std::begin(oid), std::end(oid));
  m.insert(m.end(), digest.begin(), digest.end());
  return m;
}

}  // namespace

Result<std::shared_ptr<const mldsa::PreparedPrivateKey>> prepared_mldsa_private(const Object& key, mldsa::ParamSet p) {
  return prepared_key<mldsa::PreparedPrivateKey>(key, [&]() -> Result<std::shared_ptr<mldsa::PreparedPrivateKey>> {
    PQ_ASSIGN(sk, key_material(key, CKA_VALUE));
    auto out = std::make_shared<mldsa::PreparedPrivateKey>();
    if (!crypto::is_ok(mldsa::PreparedPrivateKey::load(p, view(*sk), *out))) return Status(CKR_KEY_HANDLE_INVALID);
    return out;
  });
}

Result<std::shared_ptr<const mldsa::PreparedPublicKey>> prepared_mldsa_public(const Object& key, mldsa::ParamSet p) {
  return prepared_key<mldsa::PreparedPublicKey>(key, [&]() -> Result<std::shared_ptr<mldsa::PreparedPublicKey>> {
    PQ_ASSIGN(pk, key_material(key, CKA_VALUE));
    auto out = std::make_shared<mldsa::PreparedPublicKey>();
    if (!crypto::is_ok(mldsa::PreparedPublicKey::load(p, view(*pk), *out))) return Status(CKR_KEY_HANDLE_INVALID);
    return out;
  });
}

namespace {

class MlDsaOp : public SignOp {
 public:
  // prehash == nullptr: pure ML-DSA. external_digest: CKM_HASH_ML_DSA (data is PH(M)).
  MlDsaOp(mldsa::ParamSet p, ObjectPtr key, bool verify, SignParams sp, const PreHashInfo* ph,
          bool external_digest)
      : p_(p), key_(std::move(key)), verify_(verify), sp_(std::move(sp)), ph_(ph),
        external_(external_digest) {}

  Status start() {
    const Bytes* kv = key_->get(CKA_VALUE);
    if (!kv) return Status(key_->sealed.count(CKA_VALUE) ? CKR_USER_NOT_LOGGED_IN : CKR_KEY_HANDLE_INVALID);
    auto sz = mldsa::sizes(p_);
    if (kv->size() != (verify_ ? sz.public_key : sz.private_key)) return Status(CKR_KEY_HANDLE_INVALID);
    if (ph_ == nullptr) {
      std::uint8_t tr[64];
      if (verify_) crypto::shake256(view(*kv), tr);
      else std::memcpy(tr, kv->data() + 64, 64);  // skEncode: ρ ‖ K ‖ tr ‖ … (Algorithm 24)
      mu_.absorb(tr);
      const std::uint8_t hdr[2] = {0, static_cast<std::uint8_t>(sp_.context.size())};
      mu_.absorb(hdr);
      mu_.absorb(sp_.context);
    } else if (!external_) {
      md_.reset(EVP_MD_CTX_new());
      EVP_MD* md = EVP_MD_fetch(nullptr, ph_->ossl_name, nullptr);
      bool ok = md_ && md && EVP_DigestInit_ex(md_.get(), md, nullptr) == 1;
      EVP_MD_free(md);
      if (!ok) return Status(CKR_FUNCTION_FAILED);
    }
    return kOk;
  }

  std::size_t signature_length() const override { return mldsa::sizes(p_).signature; }

  Status update(std::span<const std::uint8_t> d) override {
    if (ph_ == nullptr) mu_.absorb(d);
    else if (external_) buf_.insert(buf_.end(), d.begin(), d.end());
    else if (EVP_DigestUpdate(md_.get(), d.data(), d.size()) != 1) return Status(CKR_FUNCTION_FAILED);
    return kOk;
  }

  Status sign(std::span<std::uint8_t> out, std::size_t& written) override {
    std::vector<std::uint8_t> sig;
    // The key decoded and Â expanded once per key object (mechanisms/prepared_key.h).
    PQ_ASSIGN(prepared, prepared_mldsa_private(*key_, p_));
    const mldsa::PreparedPrivateKey& sk = *prepared;
    if (ph_ == nullptr) {
      std::uint8_t mu[mldsa::kMuBytes];
      mu_.squeeze(mu);
      PQ_TRY(from_crypto(mldsa::sign_mu(sk, mu, sig, randomness())));
    } else {
      PQ_ASSIGN(mprime, message_prime());
      std::uint8_t rnd[mldsa::kRndBytes] = {};
      if (randomness() == mldsa::Randomness::kHedged &&
          !crypto::is_ok(crypto::random_bytes(rnd)))
        return Status(CKR_DEVICE_ERROR);
      PQ_TRY(from_crypto(mldsa::sign_internal(sk, mprime, rnd, sig)));
      crypto::secure_wipe(rnd, sizeof rnd);
    }
    if (sig.size() > out.size()) return Status(CKR_FUNCTION_FAILED);
    std::memcpy(out.data(), sig.data(), sig.size());
    written = sig.size();
    return kOk;
  }

  Status verify(std::span<const std::uint8_t> sig) override {
    if (sig.size() != signature_length()) return Status(CKR_SIGNATURE_LEN_RANGE);
    PQ_ASSIGN(prepared, prepared_mldsa_public(*key_, p_));
    const mldsa::PreparedPublicKey& pk = *prepared;
    if (ph_ == nullptr) {
      std::uint8_t mu[mldsa::kMuBytes];
      mu_.squeeze(mu);
      return from_crypto(mldsa::verify_mu(pk, mu, sig));
    }
    PQ_ASSIGN(mprime, message_prime());
    return from_crypto(mldsa::verify_internal(pk, mprime, sig));
  }

 private:
  mldsa::Randomness randomness() const {
    return sp_.hedge == CKH_DETERMINISTIC_REQUIRED ? mldsa::Randomness::kDeterministic
                                                   : mldsa::Randomness::kHedged;
  }
  Result<std::vector<std::uint8_t>> message_prime() {
    std::vector<std::uint8_t> digest;
    if (external_) {
      if (buf_.size() != ph_->out_len) return Status(CKR_DATA_LEN_RANGE);
      digest.assign(buf_.begin(), buf_.end());
    } else {
      digest.resize(ph_->out_len);
      unsigned int n = 0;
      bool ok = ph_->xof ? EVP_DigestFinalXOF(md_.get(), digest.data(), digest.size()) == 1
                         : EVP_DigestFinal_ex(md_.get(), digest.data(), &n) == 1;
      if (!ok) return Status(CKR_FUNCTION_FAILED);
    }
    return prehash_message_prime(*ph_, sp_.context, digest);
  }

  struct MdFree {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
  };
  mldsa::ParamSet p_;
  ObjectPtr key_;
  bool verify_;
  SignParams sp_;
  const PreHashInfo* ph_;
  bool external_;
  crypto::Shake256 mu_;
  std::unique_ptr<EVP_MD_CTX, MdFree> md_;
  std::vector<std::uint8_t> buf_;
};

class MlDsaSign : public Mechanism {
 public:
  // mech: CKM_ML_DSA, CKM_HASH_ML_DSA or CKM_HASH_ML_DSA_<hash> (then ph is that hash).
  MlDsaSign(CK_MECHANISM_TYPE mech, const PreHashInfo* ph) : mech_(mech), ph_(ph) {}
  CK_MECHANISM_TYPE type() const override { return mech_; }
  CK_MECHANISM_INFO info() const override { return {1312, 2592, CKF_SIGN | CKF_VERIFY}; }

  Result<std::unique_ptr<SignOp>> sign_init(const CK_MECHANISM& m, ObjectPtr key,
                                            bool verify) const override {
    PQ_ASSIGN(p, key_param_set(*key));
    const PreHashInfo* ph = ph_;
    SignParams sp;
    if (mech_ == CKM_HASH_ML_DSA) {
      // The parameter is mandatory and names the hash that made the data (3.2 §6 HashML-DSA).
      auto* hp = mechanism_param<CK_HASH_SIGN_ADDITIONAL_CONTEXT>(m);
      if (!hp) return Status(CKR_MECHANISM_PARAM_INVALID);
      ph = prehash_by_digest(hp->hash);
      if (!ph) return Status(CKR_MECHANISM_PARAM_INVALID);
      PQ_ASSIGN(parsed, parse_sign_context(hp->hedgeVariant, hp->pContext, hp->ulContextLen));
      sp = std::move(parsed);
    } else {
      PQ_ASSIGN(parsed, parse_optional_sign_context(m));
      sp = std::move(parsed);
    }
    auto op = std::make_unique<MlDsaOp>(p, std::move(key), verify, std::move(sp), ph,
                                        mech_ == CKM_HASH_ML_DSA);
    PQ_TRY(op->start());
    return std::unique_ptr<SignOp>(std::move(op));
  }

 private:
  CK_MECHANISM_TYPE mech_;
  const PreHashInfo* ph_;
};

class MlDsaKeyGen : public Mechanism {
 public:
  CK_MECHANISM_TYPE type() const override { return CKM_ML_DSA_KEY_PAIR_GEN; }
  CK_MECHANISM_INFO info() const override { return {1312, 2592, CKF_GENERATE_KEY_PAIR}; }
  CK_KEY_TYPE key_type() const override { return CKK_ML_DSA; }

  Status generate_key_pair(const CK_MECHANISM& m, Object& pub, Object& priv) const override {
    if (m.pParameter != nullptr || m.ulParameterLen != 0) return Status(CKR_MECHANISM_PARAM_INVALID);
    PQ_ASSIGN(ps, keygen_parameter_set(pub, priv));
    auto p = param_set(ps);
    if (!p) return Status(CKR_PARAMETER_SET_NOT_SUPPORTED);
    std::vector<std::uint8_t> pk;
    crypto::SecureBuffer sk;
    mldsa::Seed seed;
    if (!crypto::is_ok(mldsa::keygen(*p, pk, sk, &seed))) return Status(CKR_FUNCTION_FAILED);
    pub.set_ulong(CKA_PARAMETER_SET, ps);
    priv.set_ulong(CKA_PARAMETER_SET, ps);
    pub.set_bytes(CKA_VALUE, pk);
    priv.set_bytes(CKA_VALUE, sk.span());
    priv.set_bytes(CKA_SEED, seed.span());
    return kOk;
  }
};

class MlDsaKeyType : public KeyType {
 public:
  CK_KEY_TYPE type() const override { return CKK_ML_DSA; }
  Status import(Object& o) const override {
    auto ps = o.ulong(CKA_PARAMETER_SET);
    if (!ps) return Status(CKR_TEMPLATE_INCOMPLETE);
    auto p = param_set(*ps);
    if (!p) return Status(CKR_PARAMETER_SET_NOT_SUPPORTED);
    auto sz = mldsa::sizes(*p);
    const Bytes* value = o.get(CKA_VALUE);
    if (o.cls() == CKO_PUBLIC_KEY) {
      if (!value) return Status(CKR_TEMPLATE_INCOMPLETE);
      return value->size() == sz.public_key ? kOk : Status(CKR_ATTRIBUTE_VALUE_INVALID);
    }
    const Bytes* seed = o.get(CKA_SEED);
    if (!seed && !value) return Status(CKR_TEMPLATE_INCOMPLETE);
    if (value && value->size() != sz.private_key) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
    if (seed) {
      if (seed->size() != mldsa::kSeedBytes) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
      std::vector<std::uint8_t> pk;
      crypto::SecureBuffer sk;
      if (!crypto::is_ok(mldsa::keygen_from_seed(
              *p, std::span<const std::uint8_t, mldsa::kSeedBytes>(seed->data(), mldsa::kSeedBytes),
              pk, sk)))
        return Status(CKR_ATTRIBUTE_VALUE_INVALID);
      // Both forms given: they must be the same key (3.2 ML-DSA key objects).
      if (value && !constant_time_equal(view(*value), sk.span()))
        return Status(CKR_TEMPLATE_INCONSISTENT);
      if (!value) o.set_bytes(CKA_VALUE, sk.span());
      return kOk;
    }
    std::vector<std::uint8_t> pk;
    if (!crypto::is_ok(mldsa::public_from_private(*p, view(*value), pk)))
      return Status(CKR_ATTRIBUTE_VALUE_INVALID);
    return kOk;
  }
};

}  // namespace

void register_mldsa(Registry& r) {
  r.add(std::make_unique<MlDsaKeyGen>());
  r.add(std::make_unique<MlDsaKeyType>());
  r.add(std::make_unique<MlDsaSign>(CKM_ML_DSA, nullptr));
  r.add(std::make_unique<MlDsaSign>(CKM_HASH_ML_DSA, nullptr));
  for (const auto& ph : kPreHashes) r.add(std::make_unique<MlDsaSign>(ph.sign_mech, &ph));
}

}  // namespace pqmcp::token
