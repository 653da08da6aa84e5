// Symmetric keys: CKM_AES_KEY_GEN, CKM_GENERIC_SECRET_KEY_GEN, CKM_AES_GCM (NIST SP 800-38D;
// CK_GCM_PARAMS with a caller-supplied IV) and CKM_AES_KEY_WRAP_KWP (NIST SP 800-38F KWP,
// RFC 5649) for wrapping extractable keys: secret keys as their value, private keys as PKCS#8
// (mechanisms/key_encoding.h; the shim encodes before wrap() and decodes after unwrap()).
#include <openssl/evp.h>

#include <cstring>

#include "crypto/random.h"
#include "mechanisms/mechanism.h"

namespace pqmcp::token {
namespace {

const EVP_CIPHER* gcm_cipher(std::size_t n) {
  return n == 16 ? EVP_aes_128_gcm() : n == 24 ? EVP_aes_192_gcm() : n == 32 ? EVP_aes_256_gcm() : nullptr;
}
const EVP_CIPHER* kwp_cipher(std::size_t n) {
  return n == 16 ? EVP_aes_128_wrap_pad()
                 : n == 24 ? EVP_aes_192_wrap_pad() : n == 32 ? EVP_aes_256_wrap_pad() : nullptr;
}

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

Result<Bytes> aes_key(const Object& key) {
  if (key.key_type() != CKK_AES) return Status(CKR_KEY_TYPE_INCONSISTENT);
  PQ_ASSIGN(v, key_material(key, CKA_VALUE));
  if (!gcm_cipher(v->size())) return Status(CKR_KEY_SIZE_RANGE);
  return *v;
}

class GcmOp : public CipherOp {
 public:
  GcmOp(Bytes key, std::vector<std::uint8_t> iv, std::vector<std::uint8_t> aad, std::size_t tag,
        bool enc)
      : key_(std::move(key)), iv_(std::move(iv)), aad_(std::move(aad)), tag_(tag), enc_(enc) {}
  Status update(std::span<const std::uint8_t> in) override {
    in_.insert(in_.end(), in.begin(), in.end());
    return kOk;
  }
  Result<std::size_t> final_length(std::size_t pending) const override {
    std::size_t n = in_.size() + pending;
    if (enc_) return n + tag_;
    if (n < tag_) return Status(CKR_ENCRYPTED_DATA_LEN_RANGE);
    return n - tag_;
  }
  Status final(Bytes& out) override {
    PQ_ASSIGN(n, final_length(0));
    out.assign(n, 0);
    CtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    std::size_t body = enc_ ? in_.size() : in_.size() - tag_;
    bool ok = ctx && EVP_CipherInit_ex(ctx.get(), gcm_cipher(key_.size()), nullptr, nullptr, nullptr, enc_) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv_.size()), nullptr) == 1 &&
              EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key_.data(), iv_.data(), enc_) == 1 &&
              EVP_CipherUpdate(ctx.get(), nullptr, &len, aad_.data(), static_cast<int>(aad_.size())) == 1 &&
              EVP_CipherUpdate(ctx.get(), out.data(), &len, in_.data(), static_cast<int>(body)) == 1;
    if (!ok) return Status(CKR_FUNCTION_FAILED);
    if (enc_) {
      ok = EVP_CipherFinal_ex(ctx.get(), out.data() + len, &len) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_), out.data() + body) == 1;
      return ok ? kOk : Status(CKR_FUNCTION_FAILED);
    }
    std::vector<std::uint8_t> tag(in_.end() - static_cast<long>(tag_), in_.end());
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_), tag.data()) != 1 ||
        EVP_CipherFinal_ex(ctx.get(), out.data() + len, &len) != 1) {
      crypto::secure_wipe(out.data(), out.size());
      out.clear();
      return Status(CKR_ENCRYPTED_DATA_INVALID);
    }
    return kOk;
  }

 private:
  Bytes key_;
  std::vector<std::uint8_t> iv_, aad_;
  std::size_t tag_;
  bool enc_;
  Bytes in_;
};

class AesGcm : public Mechanism {
 public:
  CK_MECHANISM_TYPE type() const override { return CKM_AES_GCM; }
  CK_MECHANISM_INFO info() const override { return {16, 32, CKF_ENCRYPT | CKF_DECRYPT}; }
  Result<std::unique_ptr<CipherOp>> cipher_init(const CK_MECHANISM& m, ObjectPtr key,
                                                bool enc) const override {
    auto* p = mechanism_param<CK_GCM_PARAMS>(m);
    if (!p || !p->pIv || p->ulIvLen == 0 || p->ulIvLen > 256 || (p->ulAADLen && !p->pAAD) ||
        p->ulTagBits % 8 != 0 || p->ulTagBits < 96 || p->ulTagBits > 128)
      return Status(CKR_MECHANISM_PARAM_INVALID);
    PQ_ASSIGN(k, aes_key(*key));
    std::vector<std::uint8_t> iv(p->pIv, p->pIv + p->ulIvLen);
    std::vector<std::uint8_t> aad;
    if (p->ulAADLen) aad.assign(p->pAAD, p->pAAD + p->ulAADLen);
    return std::unique_ptr<CipherOp>(
        std::make_unique<GcmOp>(std::move(k), std::move(iv), std::move(aad), p->ulTagBits / 8, enc));
  }
};

class AesKwp : public Mechanism {
 public:
  CK_MECHANISM_TYPE type() const override { return CKM_AES_KEY_WRAP_KWP; }
  CK_MECHANISM_INFO info() const override { return {16, 32, CKF_WRAP | CKF_UNWRAP}; }

  Result<std::vector<std::uint8_t>> wrap(const CK_MECHANISM& m, const Object& wk,
                                         std::span<const std::uint8_t> in) const override {
    PQ_TRY(check_param(m));
    if (wk.key_type() != CKK_AES) return Status(CKR_WRAPPING_KEY_TYPE_INCONSISTENT);
    PQ_ASSIGN(k, key_material(wk, CKA_VALUE));
    std::vector<std::uint8_t> out(in.size() + 16);
    int n = 0;
    PQ_TRY(run(*k, true, in, out.data(), n));
    out.resize(static_cast<std::size_t>(n));
    return out;
  }
  Result<Bytes> unwrap(const CK_MECHANISM& m, const Object& wk,
                       std::span<const std::uint8_t> in) const override {
    PQ_TRY(check_param(m));
    if (wk.key_type() != CKK_AES) return Status(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT);
    if (in.size() < 16 || in.size() % 8 != 0) return Status(CKR_WRAPPED_KEY_LEN_RANGE);
    PQ_ASSIGN(k, key_material(wk, CKA_VALUE));
    Bytes out(in.size());
    int n = 0;
    Status s = run(*k, false, in, out.data(), n);
    if (!s.ok()) return Status(CKR_WRAPPED_KEY_INVALID);
    out.resize(static_cast<std::size_t>(n));
    return out;
  }

 private:
  // RFC 5649 uses its fixed alternative IV; the optional parameter may only restate it.
  static Status check_param(const CK_MECHANISM& m) {
    if (m.pParameter == nullptr && m.ulParameterLen == 0) return kOk;
    static const std::uint8_t kAiv[4] = {0xA6, 0x59, 0x59, 0xA6};
    if (m.pParameter && m.ulParameterLen == 4 && std::memcmp(m.pParameter, kAiv, 4) == 0) return kOk;
    return Status(CKR_MECHANISM_PARAM_INVALID);
  }
  static Status run(const Bytes& key, bool enc, std::span<const std::uint8_t> in, std::uint8_t* out,
                    int& n) {
    const EVP_CIPHER* c = kwp_cipher(key.size());
    if (!c) return Status(CKR_KEY_SIZE_RANGE);
    CtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) return Status(CKR_HOST_MEMORY);
    EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    int fin = 0;
    bool ok = EVP_CipherInit_ex(ctx.get(), c, nullptr, key.data(), nullptr, enc) == 1 &&
              EVP_CipherUpdate(ctx.get(), out, &n, in.data(), static_cast<int>(in.size())) == 1 &&
              EVP_CipherFinal_ex(ctx.get(), out + n, &fin) == 1;
    n += fin;
    return ok ? kOk : Status(CKR_FUNCTION_FAILED);
  }
};

class SecretKeyGen : public Mechanism {
 public:
  SecretKeyGen(CK_MECHANISM_TYPE t, CK_KEY_TYPE kt) : t_(t), kt_(kt) {}
  CK_MECHANISM_TYPE type() const override { return t_; }
  CK_MECHANISM_INFO info() const override {
    return kt_ == CKK_AES ? CK_MECHANISM_INFO{16, 32, CKF_GENERATE} : CK_MECHANISM_INFO{1, 512, CKF_GENERATE};
  }
  CK_KEY_TYPE key_type() const override { return kt_; }
  Status generate_key(const CK_MECHANISM& m, Object& key) const override {
    if (m.pParameter != nullptr || m.ulParameterLen != 0) return Status(CKR_MECHANISM_PARAM_INVALID);
    auto len = key.ulong(CKA_VALUE_LEN);
    if (!len) return Status(CKR_TEMPLATE_INCOMPLETE);
    if (kt_ == CKK_AES ? !gcm_cipher(*len) : (*len == 0 || *len > 512))
      return Status(CKR_ATTRIBUTE_VALUE_INVALID);
    Bytes v(*len);
    if (!crypto::is_ok(crypto::random_bytes(v))) return Status(CKR_DEVICE_ERROR);
    key.attrs[CKA_VALUE] = std::move(v);
    return kOk;
  }

 private:
  CK_MECHANISM_TYPE t_;
  CK_KEY_TYPE kt_;
};

class SecretKeyType : public KeyType {
 public:
  explicit SecretKeyType(CK_KEY_TYPE t) : t_(t) {}
  CK_KEY_TYPE type() const override { return t_; }
  Status import(Object& o) const override {
    const Bytes* v = o.get(CKA_VALUE);
    if (!v) return Status(CKR_TEMPLATE_INCOMPLETE);
    // For unwrapped / decapsulated keys CKA_VALUE_LEN may ask for a prefix of the material.
    if (auto len = o.ulong(CKA_VALUE_LEN); len && *len != v->size()) {
      if (*len == 0 || *len > v->size()) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
      Bytes cut(v->begin(), v->begin() + static_cast<long>(*len));
      o.attrs[CKA_VALUE] = std::move(cut);
      v = o.get(CKA_VALUE);
    }
    if (t_ == CKK_AES && !gcm_cipher(v->size())) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
    if (v->empty()) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
    o.set_ulong(CKA_VALUE_LEN, v->size());
    return kOk;
  }

 private:
  CK_KEY_TYPE t_;
};

}  // namespace

void register_aes(Registry& r) {
  r.add(std::make_unique<SecretKeyGen>(CKM_AES_KEY_GEN, CKK_AES));
  r.add(std::make_unique<SecretKeyGen>(CKM_GENERIC_SECRET_KEY_GEN, CKK_GENERIC_SECRET));
  r.add(std::make_unique<AesGcm>());
  r.add(std::make_unique<AesKwp>());
  r.add(std::make_unique<SecretKeyType>(CKK_AES));
  r.add(std::make_unique<SecretKeyType>(CKK_GENERIC_SECRET));
}

}  // namespace pqmcp::token
