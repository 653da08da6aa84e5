// RFC 8032 Ed25519 / Ed448 through OpenSSL's EVP interface on raw keys.
#include "crypto/eddsa.h"

#include <openssl/evp.h>

#include <memory>

namespace pqmcp::crypto::eddsa {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

int nid(Curve c) { return c == Curve::kEd25519 ? EVP_PKEY_ED25519 : EVP_PKEY_ED448; }

Status export_public(Curve c, EVP_PKEY* key, std::vector<std::uint8_t>& pk) {
  std::size_t n = sizes(c).public_key;
  pk.assign(n, 0);
  if (EVP_PKEY_get_raw_public_key(key, pk.data(), &n) != 1 || n != sizes(c).public_key) {
    pk.clear();
    return Status::kInternal;
  }
  return Status::kOk;
}

}  // namespace

Status keygen(Curve c, std::vector<std::uint8_t>& pk, SecureBuffer& sk) noexcept {
  pk.clear();
  sk.clear();
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_id(nid(c), nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    return Status::kRandomFailure;
  Pkey key(raw);
  sk.resize(sizes(c).private_key);
  std::size_t n = sk.size();
  if (EVP_PKEY_get_raw_private_key(key.get(), sk.data(), &n) != 1 || n != sk.size()) {
    sk.clear();
    return Status::kInternal;
  }
  Status s = export_public(c, key.get(), pk);
  if (s != Status::kOk) sk.clear();
  return s;
}

Status public_from_private(Curve c, std::span<const std::uint8_t> sk,
                           std::vector<std::uint8_t>& pk) noexcept {
  pk.clear();
  if (sk.size() != sizes(c).private_key) return Status::kBadLength;
  Pkey key(EVP_PKEY_new_raw_private_key(nid(c), nullptr, sk.data(), sk.size()));
  if (!key) return Status::kBadKey;
  return export_public(c, key.get(), pk);
}

Status sign(Curve c, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> msg,
            std::vector<std::uint8_t>& sig) noexcept {
  sig.clear();
  if (sk.size() != sizes(c).private_key) return Status::kBadLength;
  Pkey key(EVP_PKEY_new_raw_private_key(nid(c), nullptr, sk.data(), sk.size()));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  if (!key || !md) return Status::kInternal;
  std::size_t n = sizes(c).signature;
  sig.assign(n, 0);
  if (EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(md.get(), sig.data(), &n, msg.data(), msg.size()) != 1 ||
      n != sizes(c).signature) {
    sig.clear();
    return Status::kInternal;
  }
  return Status::kOk;
}

Status verify(Curve c, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t> sig) noexcept {
  if (pk.size() != sizes(c).public_key || sig.size() != sizes(c).signature)
    return Status::kBadLength;
  Pkey key(EVP_PKEY_new_raw_public_key(nid(c), nullptr, pk.data(), pk.size()));
  if (!key) return Status::kBadEncoding;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    return Status::kInternal;
  const int rc = EVP_DigestVerify(md.get(), sig.data(), sig.size(), msg.data(), msg.size());
  return rc == 1 ? Status::kOk : Status::kVerifyFailed;
}

}  // namespace pqmcp::crypto::eddsa
