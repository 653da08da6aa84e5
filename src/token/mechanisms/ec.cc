// Classical signatures through OpenSSL 3: ECDSA on P-256 (CKM_EC_KEY_PAIR_GEN, CKM_ECDSA,
// CKM_ECDSA_SHA256; base spec / current mechanisms §2.3) and Ed25519 (CKM_EC_EDWARDS_KEY_PAIR_GEN,
// CKM_EDDSA; §2.3.10, RFC 8032). Key encodings follow the spec: CKA_EC_PARAMS is the DER
// OID (or the printable curve name for Edwards curves), CKA_EC_POINT the DER OCTET STRING
// of the point, CKA_VALUE the private scalar / seed; signatures are r ‖ s, each 32 bytes.
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cstring>

#include "crypto/eddsa.h"
#include "mechanisms/eddsa_prepared.h"
#include "mechanisms/mechanism.h"
#include "mechanisms/prepared_key.h"

namespace pqmcp::token {
namespace {

const std::uint8_t kP256Oid[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
const std::uint8_t kEd25519Oid[] = {0x06, 0x03, 0x2B, 0x65, 0x70};
const std::uint8_t kEd25519Name[] = {0x13, 0x0C, 'e', 'd', 'w', 'a', 'r', 'd', 's',
                                     '2', '5', '5', '1', '9'};

bool equals(const Bytes* b, std::span<const std::uint8_t> v) {
  return b && b->size() == v.size() && std::memcmp(b->data(), v.data(), v.size()) == 0;
}
bool is_p256(const Object& o) { return equals(o.get(CKA_EC_PARAMS), kP256Oid); }
bool is_ed25519(const Object& o) {
  return equals(o.get(CKA_EC_PARAMS), kEd25519Oid) || equals(o.get(CKA_EC_PARAMS), kEd25519Name);
}

// DER OCTET STRING around a short point (< 128 bytes).
Bytes octet_string(std::span<const std::uint8_t> v) {
  Bytes out{0x04, static_cast<std::uint8_t>(v.size())};
  out.insert(out.end(), v.begin(), v.end());
  return out;
}
// The point inside CKA_EC_POINT; also accepts the raw point, as some clients send it.
std::optional<std::span<const std::uint8_t>> point_of(const Bytes& b, std::size_t n) {
  if (b.size() == n + 2 && b[0] == 0x04 && b[1] == n) return std::span(b).subspan(2);
  if (b.size() == n) return std::span<const std::uint8_t>(b);
  return std::nullopt;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using PkeyPtr = std::shared_ptr<EVP_PKEY>;

// Builds (once per key object) the EVP_PKEY of a P-256 private scalar or public point.
Result<PkeyPtr> p256_pkey(const Object& key, bool priv) {
  std::lock_guard<std::mutex> lock(key.native->mu);
  if (key.native->value) return std::static_pointer_cast<EVP_PKEY>(key.native->value);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  BIGNUM* d = nullptr;
  bool ok = bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  if (priv) {
    auto v = key_material(key, CKA_VALUE);
    if (!v.ok()) {
      OSSL_PARAM_BLD_free(bld);
      return v.status();
    }
    d = BN_secure_new();
    ok = ok && d && BN_bin2bn(v.value()->data(), static_cast<int>(v.value()->size()), d) &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d);
  } else {
    const Bytes* pt = key.get(CKA_EC_POINT);
    auto p = pt ? point_of(*pt, 65) : std::nullopt;
    ok = ok && p && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, p->data(), p->size());
  }
  OSSL_PARAM* params = ok ? OSSL_PARAM_BLD_to_param(bld) : nullptr;
  EVP_PKEY_CTX* ctx = params ? EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr) : nullptr;
  EVP_PKEY* pkey = nullptr;
  ok = ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
       EVP_PKEY_fromdata(ctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_clear_free(d);
  if (!ok) {
    EVP_PKEY_free(pkey);
    return Status(CKR_KEY_HANDLE_INVALID);
  }
  PkeyPtr out(pkey, PkeyFree{});
  key.native->value = out;
  return out;
}

class EcdsaOp : public SignOp {
 public:
  EcdsaOp(PkeyPtr pkey, bool hash) : pkey_(std::move(pkey)) {
    if (hash) {
      md_ = EVP_MD_CTX_new();
      if (md_ && EVP_DigestInit_ex(md_, EVP_sha256(), nullptr) != 1) {
        EVP_MD_CTX_free(md_);
        md_ = nullptr;
      }
    }
  }
  ~EcdsaOp() override { EVP_MD_CTX_free(md_); }
  bool ready(bool hash) const { return !hash || md_ != nullptr; }
  std::size_t signature_length() const override { return 64; }
  Status update(std::span<const std::uint8_t> d) override {
    if (md_) return EVP_DigestUpdate(md_, d.data(), d.size()) == 1 ? kOk : Status(CKR_FUNCTION_FAILED);
    data_.insert(data_.end(), d.begin(), d.end());
    return kOk;
  }
  Status sign(std::span<std::uint8_t> out, std::size_t& written) override {
    PQ_TRY(finish_digest());
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr);
    std::uint8_t der[80];
    std::size_t der_len = sizeof der;
    bool ok = ctx && EVP_PKEY_sign_init(ctx) == 1 &&
              EVP_PKEY_sign(ctx, der, &der_len, data_.data(), data_.size()) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) return Status(CKR_FUNCTION_FAILED);
    const std::uint8_t* p = der;
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len));
    ok = sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), out.data(), 32) == 32 &&
         BN_bn2binpad(ECDSA_SIG_get0_s(sig), out.data() + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    written = 64;
    return ok ? kOk : Status(CKR_FUNCTION_FAILED);
  }
  Status verify(std::span<const std::uint8_t> s) override {
    if (s.size() != 64) return Status(CKR_SIGNATURE_LEN_RANGE);
    PQ_TRY(finish_digest());
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(s.data(), 32, nullptr);
    BIGNUM* ss = BN_bin2bn(s.data() + 32, 32, nullptr);
    if (!sig || !r || !ss || ECDSA_SIG_set0(sig, r, ss) != 1) {
      BN_free(r);
      BN_free(ss);
      ECDSA_SIG_free(sig);
      return Status(CKR_HOST_MEMORY);
    }
    std::uint8_t* der = nullptr;
    int der_len = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr);
    int rc = (ctx && der_len > 0 && EVP_PKEY_verify_init(ctx) == 1)
                 ? EVP_PKEY_verify(ctx, der, static_cast<std::size_t>(der_len), data_.data(), data_.size())
                 : -1;
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(der);
    if (rc < 0) return Status(CKR_FUNCTION_FAILED);
    return rc == 1 ? kOk : Status(CKR_SIGNATURE_INVALID);
  }

 private:
  Status finish_digest() {
    if (!md_) return data_.empty() ? Status(CKR_DATA_LEN_RANGE) : kOk;
    data_.resize(32);
    unsigned n = 0;
    return EVP_DigestFinal_ex(md_, data_.data(), &n) == 1 ? kOk : Status(CKR_FUNCTION_FAILED);
  }
  PkeyPtr pkey_;
  EVP_MD_CTX* md_ = nullptr;
  std::vector<std::uint8_t> data_;
};

class Ecdsa : public Mechanism {
 public:
  explicit Ecdsa(CK_MECHANISM_TYPE t) : t_(t) {}
  CK_MECHANISM_TYPE type() const override { return t_; }
  CK_MECHANISM_INFO info() const override {
    return {256, 256, CKF_SIGN | CKF_VERIFY | CKF_EC_F_P | CKF_EC_OID | CKF_EC_UNCOMPRESS};
  }
  Result<std::unique_ptr<SignOp>> sign_init(const CK_MECHANISM& m, ObjectPtr key,
                                            bool verify) const override {
    if (m.pParameter != nullptr || m.ulParameterLen != 0) return Status(CKR_MECHANISM_PARAM_INVALID);
    if (key->key_type() != CKK_EC || !is_p256(*key)) return Status(CKR_KEY_TYPE_INCONSISTENT);
    PQ_ASSIGN(pkey, p256_pkey(*key, !verify));
    auto op = std::make_unique<EcdsaOp>(pkey, t_ == CKM_ECDSA_SHA256);
    if (!op->ready(t_ == CKM_ECDSA_SHA256)) return Status(CKR_HOST_MEMORY);
    return std::unique_ptr<SignOp>(std::move(op));
  }

 private:
  CK_MECHANISM_TYPE t_;
};

class EcKeyGen : public Mechanism {
 public:
  CK_MECHANISM_TYPE type() const override { return CKM_EC_KEY_PAIR_GEN; }
  CK_MECHANISM_INFO info() const override {
    return {256, 256, CKF_GENERATE_KEY_PAIR | CKF_EC_F_P | CKF_EC_OID | CKF_EC_UNCOMPRESS};
  }
  CK_KEY_TYPE key_type() const override { return CKK_EC; }
  Status generate_key_pair(const CK_MECHANISM&, Object& pub, Object& priv) const override {
    if (!pub.has(CKA_EC_PARAMS)) return Status(CKR_TEMPLATE_INCOMPLETE);
    if (!is_p256(pub)) return Status(CKR_CURVE_NOT_SUPPORTED);
    if (priv.has(CKA_EC_PARAMS) && !is_p256(priv)) return Status(CKR_TEMPLATE_INCONSISTENT);
    EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    if (!pkey) return Status(CKR_FUNCTION_FAILED);
    PkeyPtr holder(pkey, PkeyFree{});
    std::uint8_t point[65];
    std::size_t plen = 0;
    BIGNUM* d = nullptr;
    crypto::SecretArray<32> scalar;
    bool ok = EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &plen) == 1 &&
              plen == 65 && EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 &&
              BN_bn2binpad(d, scalar.data(), 32) == 32;
    BN_clear_free(d);
    if (!ok) return Status(CKR_FUNCTION_FAILED);
    pub.attrs[CKA_EC_POINT] = octet_string(point);
    priv.set_bytes(CKA_EC_PARAMS, kP256Oid);
    priv.set_bytes(CKA_VALUE, scalar.span());
    return kOk;
  }
};

class EddsaOp : public SignOp {
 public:
  explicit EddsaOp(ObjectPtr key) : key_(std::move(key)) {}
  std::size_t signature_length() const override { return 64; }
  Status update(std::span<const std::uint8_t> d) override {
    data_.insert(data_.end(), d.begin(), d.end());
    return kOk;
  }
  Status sign(std::span<std::uint8_t> out, std::size_t& written) override {
    PQ_ASSIGN(key, prepared_ed25519_private(*key_));
    std::vector<std::uint8_t> sig;
    if (!crypto::is_ok(key->sign(data_, sig)) || sig.size() != 64) return Status(CKR_FUNCTION_FAILED);
    std::memcpy(out.data(), sig.data(), 64);
    written = 64;
    return kOk;
  }
  Status verify(std::span<const std::uint8_t> sig) override {
    if (sig.size() != 64) return Status(CKR_SIGNATURE_LEN_RANGE);
    auto key = prepared_key<crypto::eddsa::VerifyingKey>(*key_, [&]() -> Result<std::shared_ptr<crypto::eddsa::VerifyingKey>> {
      const Bytes* pt = key_->get(CKA_EC_POINT);
      auto pk = pt ? point_of(*pt, 32) : std::nullopt;
      auto k = std::make_shared<crypto::eddsa::VerifyingKey>();
      if (!pk || !crypto::is_ok(crypto::eddsa::VerifyingKey::load(crypto::eddsa::Curve::kEd25519, *pk, *k)))
        return Status(CKR_KEY_HANDLE_INVALID);
      return k;
    });
    if (!key.ok()) return key.status();
    return crypto::is_ok(key.value()->verify(data_, sig)) ? kOk : Status(CKR_SIGNATURE_INVALID);
  }

 private:
  ObjectPtr key_;
  std::vector<std::uint8_t> data_;
};

class Eddsa : public Mechanism {
 public:
  CK_MECHANISM_TYPE type() const override { return CKM_EDDSA; }
  CK_MECHANISM_INFO info() const override { return {255, 255, CKF_SIGN | CKF_VERIFY}; }
  Result<std::unique_ptr<SignOp>> sign_init(const CK_MECHANISM& m, ObjectPtr key, bool) const override {
    // Only pure Ed25519: a CK_EDDSA_PARAMS asking for Ed25519ph or Ed25519ctx is refused.
    if (m.pParameter != nullptr || m.ulParameterLen != 0) {
      auto* p = mechanism_param<CK_EDDSA_PARAMS>(m);
      if (!p || p->phFlag != CK_FALSE || p->ulContextDataLen != 0)
        return Status(CKR_MECHANISM_PARAM_INVALID);
    }
    if (key->key_type() != CKK_EC_EDWARDS || !is_ed25519(*key)) return Status(CKR_KEY_TYPE_INCONSISTENT);
    return std::unique_ptr<SignOp>(std::make_unique<EddsaOp>(std::move(key)));
  }
};

class EdKeyGen : public Mechanism {
 public:
  CK_MECHANISM_TYPE type() const override { return CKM_EC_EDWARDS_KEY_PAIR_GEN; }
  CK_MECHANISM_INFO info() const override { return {255, 255, CKF_GENERATE_KEY_PAIR}; }
  CK_KEY_TYPE key_type() const override { return CKK_EC_EDWARDS; }
  Status generate_key_pair(const CK_MECHANISM&, Object& pub, Object& priv) const override {
    if (!pub.has(CKA_EC_PARAMS)) pub.set_bytes(CKA_EC_PARAMS, kEd25519Oid);
    if (!is_ed25519(pub)) return Status(CKR_CURVE_NOT_SUPPORTED);
    std::vector<std::uint8_t> pk;
    crypto::SecureBuffer sk;
    if (!crypto::is_ok(crypto::eddsa::keygen(crypto::eddsa::Curve::kEd25519, pk, sk)))
      return Status(CKR_FUNCTION_FAILED);
    pub.attrs[CKA_EC_POINT] = octet_string(pk);
    priv.attrs[CKA_EC_PARAMS] = *pub.get(CKA_EC_PARAMS);
    priv.set_bytes(CKA_VALUE, sk.span());
    return kOk;
  }
};

class EcKeyType : public KeyType {
 public:
  explicit EcKeyType(CK_KEY_TYPE t) : t_(t) {}
  CK_KEY_TYPE type() const override { return t_; }
  Status import(Object& o) const override {
    if (!o.has(CKA_EC_PARAMS)) return Status(CKR_TEMPLATE_INCOMPLETE);
    bool ed = t_ == CKK_EC_EDWARDS;
    if (ed ? !is_ed25519(o) : !is_p256(o)) return Status(CKR_CURVE_NOT_SUPPORTED);
    std::size_t n = ed ? 32 : 65;
    if (o.cls() == CKO_PUBLIC_KEY) {
      const Bytes* pt = o.get(CKA_EC_POINT);
      if (!pt) return Status(CKR_TEMPLATE_INCOMPLETE);
      auto p = point_of(*pt, n);
      if (!p || (!ed && (*p)[0] != 0x04)) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
      o.attrs[CKA_EC_POINT] = octet_string(*p);
      return kOk;
    }
    const Bytes* v = o.get(CKA_VALUE);
    if (!v) return Status(CKR_TEMPLATE_INCOMPLETE);
    return v->size() == 32 ? kOk : Status(CKR_ATTRIBUTE_VALUE_INVALID);
  }

 private:
  CK_KEY_TYPE t_;
};

}  // namespace

void register_ec(Registry& r) {
  r.add(std::make_unique<EcKeyGen>());
  r.add(std::make_unique<Ecdsa>(CKM_ECDSA));
  r.add(std::make_unique<Ecdsa>(CKM_ECDSA_SHA256));
  r.add(std::make_unique<EdKeyGen>());
  r.add(std::make_unique<Eddsa>());
  r.add(std::make_unique<EcKeyType>(CKK_EC));
  r.add(std::make_unique<EcKeyType>(CKK_EC_EDWARDS));
}

bool is_ed25519_key(const Object& o) { return is_ed25519(o); }

Result<std::shared_ptr<const crypto::eddsa::SigningKey>> prepared_ed25519_private(const Object& key) {
  // The seed is expanded once per key object (mechanisms/prepared_key.h).
  return prepared_key<crypto::eddsa::SigningKey>(key, [&]() -> Result<std::shared_ptr<crypto::eddsa::SigningKey>> {
    PQ_ASSIGN(sk, key_material(key, CKA_VALUE));
    auto k = std::make_shared<crypto::eddsa::SigningKey>();
    if (!crypto::is_ok(crypto::eddsa::SigningKey::load(crypto::eddsa::Curve::kEd25519, view(*sk), *k)))
      return Status(CKR_KEY_HANDLE_INVALID);
    return k;
  });
}

}  // namespace pqmcp::token
