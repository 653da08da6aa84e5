// Digests CKM_SHA256 (FIPS 180-4, OpenSSL) and CKM_SHA3_256 (FIPS 202, the crypto core's
// Keccak), and CKM_SHA256_HMAC (FIPS 198-1) signing with a secret key.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

#include "crypto/ct.h"
#include "crypto/sha3.h"
#include "mechanisms/mechanism.h"

namespace pqmcp::token {
namespace {

class Sha256Op : public DigestOp {
 public:
  Sha256Op() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
      EVP_MD_CTX_free(ctx_);
      ctx_ = nullptr;
    }
  }
  ~Sha256Op() override { EVP_MD_CTX_free(ctx_); }
  bool ok() const { return ctx_ != nullptr; }
  std::size_t length() const override { return 32; }
  Status update(std::span<const std::uint8_t> d) override {
    return EVP_DigestUpdate(ctx_, d.data(), d.size()) == 1 ? kOk : Status(CKR_FUNCTION_FAILED);
  }
  Status final(std::span<std::uint8_t> out) override {
    unsigned n = 0;
    return EVP_DigestFinal_ex(ctx_, out.data(), &n) == 1 ? kOk : Status(CKR_FUNCTION_FAILED);
  }

 private:
  EVP_MD_CTX* ctx_;
};

class Sha3Op : public DigestOp {
 public:
  std::size_t length() const override { return 32; }
  Status update(std::span<const std::uint8_t> d) override {
    s_.absorb(d);
    return kOk;
  }
  Status final(std::span<std::uint8_t> out) override {
    s_.squeeze(out.subspan(0, 32));
    return kOk;
  }

 private:
  crypto::Sha3_256Sponge s_;
};

class Digest : public Mechanism {
 public:
  explicit Digest(CK_MECHANISM_TYPE t) : t_(t) {}
  CK_MECHANISM_TYPE type() const override { return t_; }
  CK_MECHANISM_INFO info() const override { return {0, 0, CKF_DIGEST}; }
  Result<std::unique_ptr<DigestOp>> digest_init(const CK_MECHANISM& m) const override {
    if (m.pParameter != nullptr || m.ulParameterLen != 0) return Status(CKR_MECHANISM_PARAM_INVALID);
    if (t_ == CKM_SHA3_256) return std::unique_ptr<DigestOp>(std::make_unique<Sha3Op>());
    auto op = std::make_unique<Sha256Op>();
    if (!op->ok()) return Status(CKR_HOST_MEMORY);
    return std::unique_ptr<DigestOp>(std::move(op));
  }

 private:
  CK_MECHANISM_TYPE t_;
};

class HmacOp : public SignOp {
 public:
  explicit HmacOp(const Bytes& key) {
    mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx_ = mac_ ? EVP_MAC_CTX_new(mac_) : nullptr;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_END};
    ok_ = ctx_ && EVP_MAC_init(ctx_, key.data(), key.size(), params) == 1;
  }
  ~HmacOp() override {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }
  bool ok() const { return ok_; }
  std::size_t signature_length() const override { return 32; }
  Status update(std::span<const std::uint8_t> d) override {
    return EVP_MAC_update(ctx_, d.data(), d.size()) == 1 ? kOk : Status(CKR_FUNCTION_FAILED);
  }
  Status sign(std::span<std::uint8_t> out, std::size_t& written) override {
    written = 0;
    return EVP_MAC_final(ctx_, out.data(), &written, out.size()) == 1 ? kOk
                                                                      : Status(CKR_FUNCTION_FAILED);
  }
  Status verify(std::span<const std::uint8_t> sig) override {
    if (sig.size() != 32) return Status(CKR_SIGNATURE_LEN_RANGE);
    std::uint8_t mac[32];
    std::size_t n = 0;
    if (EVP_MAC_final(ctx_, mac, &n, sizeof mac) != 1) return Status(CKR_FUNCTION_FAILED);
    return crypto::ct::equal(mac, sig) ? kOk : Status(CKR_SIGNATURE_INVALID);
  }

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
  bool ok_ = false;
};

class Hmac : public Mechanism {
 public:
  CK_MECHANISM_TYPE type() const override { return CKM_SHA256_HMAC; }
  CK_MECHANISM_INFO info() const override { return {16, 512, CKF_SIGN | CKF_VERIFY}; }
  Result<std::unique_ptr<SignOp>> sign_init(const CK_MECHANISM& m, ObjectPtr key, bool) const override {
    if (m.pParameter != nullptr || m.ulParameterLen != 0) return Status(CKR_MECHANISM_PARAM_INVALID);
    if (key->key_type() != CKK_GENERIC_SECRET && key->key_type() != CKK_AES)
      return Status(CKR_KEY_TYPE_INCONSISTENT);
    PQ_ASSIGN(k, key_material(*key, CKA_VALUE));
    auto op = std::make_unique<HmacOp>(*k);
    if (!op->ok()) return Status(CKR_FUNCTION_FAILED);
    return std::unique_ptr<SignOp>(std::move(op));
  }
};

}  // namespace

void register_digest(Registry& r) {
  r.add(std::make_unique<Digest>(CKM_SHA256));
  r.add(std::make_unique<Digest>(CKM_SHA3_256));
  r.add(std::make_unique<Hmac>());
}

}  // namespace pqmcp::token
