#include "storage/sealing.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>

#include "crypto/random.h"

namespace pqmcp::token::sealing {
namespace {

constexpr std::size_t kNonce = 12, kTag = 16, kSalt = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

std::vector<std::uint8_t> role_aad(std::string_view role) {
  std::string s = "pqhsm/mk/v1/";
  s += role;
  return {s.begin(), s.end()};
}

}  // namespace

Result<Key> random_key() {
  Key k;
  if (!crypto::is_ok(crypto::random_bytes(k.span()))) return Status(CKR_DEVICE_ERROR);
  return k;
}

Result<std::vector<std::uint8_t>> seal(const Key& key, std::span<const std::uint8_t> aad,
                                       std::span<const std::uint8_t> pt) {
  std::vector<std::uint8_t> out(kNonce + pt.size() + kTag);
  if (!crypto::is_ok(crypto::random_bytes({out.data(), kNonce}))) return Status(CKR_DEVICE_ERROR);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), out.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data() + kNonce, &len, pt.data(),
                        static_cast<int>(pt.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + kNonce + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag,
                          out.data() + kNonce + pt.size()) != 1)
    return Status(CKR_FUNCTION_FAILED);
  return out;
}

Result<Bytes> open(const Key& key, std::span<const std::uint8_t> aad,
                   std::span<const std::uint8_t> in) {
  if (in.size() < kNonce + kTag) return Status(CKR_ENCRYPTED_DATA_INVALID);
  std::size_t n = in.size() - kNonce - kTag;
  Bytes out(n);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::uint8_t tag[kTag];
  std::memcpy(tag, in.data() + kNonce + n, kTag);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), in.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, in.data() + kNonce, static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag) != 1)
    return Status(CKR_FUNCTION_FAILED);
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len) != 1) {
    crypto::secure_wipe(out.data(), out.size());
    return Status(CKR_ENCRYPTED_DATA_INVALID);
  }
  return out;
}

std::vector<std::uint8_t> attribute_aad(std::string_view uid, unsigned long type) {
  std::string s = "pqhsm/attr/v1/";
  std::vector<std::uint8_t> out(s.begin(), s.end());
  out.insert(out.end(), uid.begin(), uid.end());
  out.push_back(0);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(type >> (8 * i)));
  return out;
}

static Result<Key> derive_kek(std::span<const std::uint8_t> pin, std::span<const std::uint8_t> salt,
                              std::uint32_t iterations) {
  Key kek;
  if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(pin.data()), static_cast<int>(pin.size()),
                        salt.data(), static_cast<int>(salt.size()), static_cast<int>(iterations),
                        EVP_sha256(), kKeyBytes, kek.data()) != 1)
    return Status(CKR_FUNCTION_FAILED);
  return kek;
}

Result<std::vector<std::uint8_t>> wrap_master_key(const Key& mk, std::span<const std::uint8_t> pin,
                                                  std::uint32_t iterations, std::string_view role) {
  std::vector<std::uint8_t> rec(kSalt + 4);
  if (!crypto::is_ok(crypto::random_bytes({rec.data(), kSalt}))) return Status(CKR_DEVICE_ERROR);
  for (int i = 0; i < 4; ++i) rec[kSalt + i] = static_cast<std::uint8_t>(iterations >> (24 - 8 * i));
  PQ_ASSIGN(kek, derive_kek(pin, {rec.data(), kSalt}, iterations));
  PQ_ASSIGN(sealed, seal(kek, role_aad(role), mk.span()));
  rec.insert(rec.end(), sealed.begin(), sealed.end());
  return rec;
}

Result<Key> unwrap_master_key(std::span<const std::uint8_t> rec, std::span<const std::uint8_t> pin,
                              std::string_view role) {
  if (rec.size() != kSalt + 4 + kNonce + kKeyBytes + kTag) return Status(CKR_GENERAL_ERROR);
  std::uint32_t it = 0;
  for (int i = 0; i < 4; ++i) it = (it << 8) | rec[kSalt + i];
  if (it == 0) return Status(CKR_GENERAL_ERROR);
  PQ_ASSIGN(kek, derive_kek(pin, rec.subspan(0, kSalt), it));
  auto opened = open(kek, role_aad(role), rec.subspan(kSalt + 4));
  if (!opened.ok())
    return Status(opened.rv() == CKR_ENCRYPTED_DATA_INVALID ? CKR_PIN_INCORRECT : opened.rv());
  Key mk(std::span<const std::uint8_t, kKeyBytes>(opened.value().data(), kKeyBytes));
  return mk;
}

}  // namespace pqmcp::token::sealing
