// RFC 8032 Ed25519 / Ed448 through OpenSSL's EVP interface on raw keys.
#include "crypto/eddsa.h"

#include <openssl/evp.h>

#include <memory>

namespace pqmcp::crypto::eddsa {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

int nid(Curve c) { return c == Curve::kEd25519 ? EVP_PKEY_ED25519 : EVP_PKEY_ED448; }

bool valid_curve(Curve c) { return c == Curve::kEd25519 || c == Curve::kEd448; }

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

void PkeyFree::operator()(::evp_pkey_st* p) const noexcept { EVP_PKEY_free(p); }

Status SigningKey::load(Curve c, std::span<const std::uint8_t> sk, SigningKey& out) noexcept {
  out.key_.reset();
  if (!valid_curve(c)) return Status::kUnsupported;
  if (sk.size() != sizes(c).private_key) return Status::kBadLength;
  PkeyHandle key(EVP_PKEY_new_raw_private_key(nid(c), nullptr, sk.data(), sk.size()));
  if (!key) return Status::kBadKey;
  out.c_ = c;
  out.key_ = std::move(key);
  return Status::kOk;
}

Status SigningKey::public_key(std::vector<std::uint8_t>& pk) const noexcept {
  pk.clear();
  if (!key_) return Status::kBadKey;
  return export_public(c_, key_.get(), pk);
}

Status SigningKey::sign(std::span<const std::uint8_t> msg, std::vector<std::uint8_t>& sig) const noexcept {
  sig.clear();
  if (!key_) return Status::kBadKey;
  MdCtx md(EVP_MD_CTX_new());
  if (!md) return Status::kInternal;
  std::size_t n = sizes(c_).signature;
  try {
    sig.assign(n, 0);
  } catch (...) {
    return Status::kInternal;
  }
  // Pure EdDSA: no digest (RFC 8032 §5.1.6 / §5.2.6 hash the message themselves).
  if (EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(md.get(), sig.data(), &n, msg.data(), msg.size()) != 1 ||
      n != sizes(c_).signature) {
    sig.clear();
    return Status::kInternal;
  }
  return Status::kOk;
}

Status VerifyingKey::load(Curve c, std::span<const std::uint8_t> pk, VerifyingKey& out) noexcept {
  out.key_.reset();
  if (!valid_curve(c)) return Status::kUnsupported;
  if (pk.size() != sizes(c).public_key) return Status::kBadLength;
  PkeyHandle key(EVP_PKEY_new_raw_public_key(nid(c), nullptr, pk.data(), pk.size()));
  if (!key) return Status::kBadEncoding;
  out.c_ = c;
  out.key_ = std::move(key);
  return Status::kOk;
}

Status VerifyingKey::verify(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> sig) const noexcept {
  if (!key_) return Status::kBadKey;
  if (sig.size() != sizes(c_).signature) return Status::kBadLength;
  MdCtx md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key_.get()) != 1)
    return Status::kInternal;
  const int rc = EVP_DigestVerify(md.get(), sig.data(), sig.size(), msg.data(), msg.size());
  return rc == 1 ? Status::kOk : Status::kVerifyFailed;
}

Status keygen(Curve c, std::vector<std::uint8_t>& pk, SecureBuffer& sk) noexcept {
  pk.clear();
  sk.clear();
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_id(nid(c), nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    return Status::kRandomFailure;
  PkeyHandle key(raw);
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
  SigningKey key;
  if (Status s = SigningKey::load(c, sk, key); s != Status::kOk) return s;
  return key.public_key(pk);
}

Status sign(Curve c, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> msg,
            std::vector<std::uint8_t>& sig) noexcept {
  sig.clear();
  SigningKey key;
  if (Status s = SigningKey::load(c, sk, key); s != Status::kOk)
    return s == Status::kBadKey ? Status::kInternal : s;  // as before: OpenSSL took every raw key
  return key.sign(msg, sig);
}

Status verify(Curve c, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t> sig) noexcept {
  if (pk.size() != sizes(c).public_key || sig.size() != sizes(c).signature)
    return Status::kBadLength;
  VerifyingKey key;
  if (Status s = VerifyingKey::load(c, pk, key); s != Status::kOk) return s;
  return key.verify(msg, sig);
}

}  // namespace pqmcp::crypto::eddsa
