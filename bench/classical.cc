#include "classical.h"

#include <openssl/ec.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace pqmcp::bench {
namespace {
EVP_PKEY* gen(int id) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(id, nullptr);
  EVP_PKEY* k = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) != 1) throw std::runtime_error("keygen init");
  if (id == EVP_PKEY_EC && EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) != 1)
    throw std::runtime_error("curve");
  if (EVP_PKEY_keygen(ctx, &k) != 1) throw std::runtime_error("keygen");
  EVP_PKEY_CTX_free(ctx);
  return k;
}
}  // namespace

X25519::X25519() {
  key_ = gen(EVP_PKEY_X25519);
  peer_ = gen(EVP_PKEY_X25519);
}
X25519::~X25519() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key_));
  EVP_PKEY_free(static_cast<EVP_PKEY*>(peer_));
}
void X25519::keygen() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key_));
  key_ = gen(EVP_PKEY_X25519);
}
void X25519::derive() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(static_cast<EVP_PKEY*>(key_), nullptr);
  std::uint8_t out[32];
  std::size_t n = sizeof out;
  if (EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, static_cast<EVP_PKEY*>(peer_)) != 1 ||
      EVP_PKEY_derive(ctx, out, &n) != 1)
    throw std::runtime_error("derive");
  EVP_PKEY_CTX_free(ctx);
}

ClassicalSigner::ClassicalSigner(Kind k) : kind_(k) {
  key_ = gen(k == Kind::kEd25519 ? EVP_PKEY_ED25519 : EVP_PKEY_EC);
}
ClassicalSigner::~ClassicalSigner() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

std::vector<std::uint8_t> ClassicalSigner::sign(std::span<const std::uint8_t> msg) const {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const EVP_MD* h = kind_ == Kind::kEd25519 ? nullptr : EVP_sha256();
  std::vector<std::uint8_t> sig(80);
  std::size_t n = sig.size();
  if (EVP_DigestSignInit(md, nullptr, h, nullptr, static_cast<EVP_PKEY*>(key_)) != 1 ||
      EVP_DigestSign(md, sig.data(), &n, msg.data(), msg.size()) != 1)
    throw std::runtime_error("sign");
  EVP_MD_CTX_free(md);
  sig.resize(n);
  return sig;
}

bool ClassicalSigner::verify(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> sig) const {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const EVP_MD* h = kind_ == Kind::kEd25519 ? nullptr : EVP_sha256();
  const bool ok = EVP_DigestVerifyInit(md, nullptr, h, nullptr, static_cast<EVP_PKEY*>(key_)) == 1 &&
                  EVP_DigestVerify(md, sig.data(), sig.size(), msg.data(), msg.size()) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

std::size_t ClassicalSigner::public_key_size() const {
  return kind_ == Kind::kEd25519 ? 32 : 65;  // raw key; P-256 as an uncompressed point
}

}  // namespace pqmcp::bench
