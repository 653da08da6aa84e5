#include "tls/classical.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <memory>

#include "crypto/secure.h"

namespace pqmcp::tls::prov {
namespace {

struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;

}  // namespace

EVP_PKEY* ecdh_generate(OSSL_LIB_CTX* libctx, Classical c) noexcept {
  EVP_PKEY* key = nullptr;
  if (c == Classical::kX25519) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(libctx, "X25519", nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_keygen(ctx.get(), &key) <= 0)
      return nullptr;
    return key;
  }
  if (c == Classical::kP256) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(libctx, "EC", nullptr));
    char group[] = "P-256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_end()};
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_params(ctx.get(), params) <= 0 || EVP_PKEY_keygen(ctx.get(), &key) <= 0)
      return nullptr;
    return key;
  }
  return nullptr;
}

bool ecdh_public(EVP_PKEY* key, Classical c, std::span<std::uint8_t> out) noexcept {
  if (key == nullptr) return false;
  if (c == Classical::kX25519) {
    std::size_t len = out.size();
    return out.size() == kX25519ShareBytes &&
           EVP_PKEY_get_raw_public_key(key, out.data(), &len) == 1 && len == kX25519ShareBytes;
  }
  if (c == Classical::kP256) {
    // The EC key's default point format is uncompressed, which is the only TLS 1.3 form.
    std::size_t len = 0;
    return out.size() == kP256ShareBytes &&
           EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(),
                                           &len) == 1 &&
           len == kP256ShareBytes && out[0] == 0x04;
  }
  return false;
}

EVP_PKEY* ecdh_peer(OSSL_LIB_CTX* libctx, Classical c, std::span<const std::uint8_t> share) noexcept {
  if (c == Classical::kX25519) {
    if (share.size() != kX25519ShareBytes) return nullptr;
    return EVP_PKEY_new_raw_public_key_ex(libctx, "X25519", nullptr, share.data(), share.size());
  }
  if (c == Classical::kP256) {
    if (share.size() != kP256ShareBytes || share[0] != 0x04) return nullptr;
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(libctx, "EC", nullptr));
    char group[] = "P-256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                          const_cast<std::uint8_t*>(share.data()), share.size()),
        OSSL_PARAM_construct_end()};
    EVP_PKEY* key = nullptr;
    // fromdata decodes the point with EC_POINT_oct2point, which rejects points off the curve.
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY,
                          const_cast<OSSL_PARAM*>(params)) <= 0)
      return nullptr;
    // Belt and braces: an explicit public-key check (on curve, not infinity, right order).
    PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(libctx, key, nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) {
      EVP_PKEY_free(key);
      return nullptr;
    }
    return key;
  }
  return nullptr;
}

bool ecdh_derive(OSSL_LIB_CTX* libctx, EVP_PKEY* own, EVP_PKEY* peer,
                 std::span<std::uint8_t, kEcdhSecretBytes> out) noexcept {
  std::size_t len = out.size();
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(libctx, own, nullptr));
  const bool ok = ctx && EVP_PKEY_derive_init(ctx.get()) > 0 &&
                  EVP_PKEY_derive_set_peer(ctx.get(), peer) > 0 &&
                  EVP_PKEY_derive(ctx.get(), out.data(), &len) > 0 && len == out.size();
  if (!ok) crypto::secure_wipe(out.data(), out.size());
  return ok;
}

}  // namespace pqmcp::tls::prov
