// OSSL_OP_KEM for pqmcp-provider (provider-kem(7), OpenSSL 3.0). One table serves all four
// algorithms: the algorithm travels with the key object.
//
// libssl 3.0 calls encapsulate/decapsulate first with NULL outputs to learn the sizes
// (hybrid.md §1.2), then with buffers of exactly those sizes.
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <new>

#include "tls/hybrid.h"
#include "tls/provider.h"

namespace pqmcp::tls::prov {
namespace {

struct KemCtx {
  ProvCtx* prov;
  const Key* key = nullptr;  // owned by the EVP_PKEY that the EVP_PKEY_CTX keeps alive
};

void* kem_newctx(void* provctx) noexcept {
  return new (std::nothrow) KemCtx{static_cast<ProvCtx*>(provctx)};
}

void kem_freectx(void* vctx) noexcept { delete static_cast<KemCtx*>(vctx); }

void* kem_dupctx(void* vctx) noexcept {
  return new (std::nothrow) KemCtx(*static_cast<KemCtx*>(vctx));
}

int kem_encapsulate_init(void* vctx, void* provkey, const OSSL_PARAM*) noexcept {
  KemCtx* ctx = static_cast<KemCtx*>(vctx);
  const Key* key = static_cast<const Key*>(provkey);
  if (ctx == nullptr || key == nullptr || !key->has_public()) return 0;
  ctx->key = key;
  return 1;
}

int kem_decapsulate_init(void* vctx, void* provkey, const OSSL_PARAM*) noexcept {
  KemCtx* ctx = static_cast<KemCtx*>(vctx);
  const Key* key = static_cast<const Key*>(provkey);
  if (ctx == nullptr || key == nullptr || !key->has_private) return 0;
  ctx->key = key;
  return 1;
}

int kem_encapsulate(void* vctx, unsigned char* out, std::size_t* outlen, unsigned char* secret,
                    std::size_t* secretlen) noexcept {
  const KemCtx* ctx = static_cast<const KemCtx*>(vctx);
  if (ctx->key == nullptr) return 0;
  const AlgInfo& alg = *ctx->key->alg;
  if (out == nullptr) {
    if (outlen != nullptr) *outlen = alg.ciphertext_bytes();
    if (secretlen != nullptr) *secretlen = alg.secret_bytes();
    return outlen != nullptr || secretlen != nullptr;
  }
  // A caller's stated capacity below our size would mean a short buffer: refuse, never overrun.
  if (secret == nullptr || outlen == nullptr || secretlen == nullptr ||
      *outlen < alg.ciphertext_bytes() || *secretlen < alg.secret_bytes())
    return 0;
  if (!encapsulate(*ctx->key, {out, alg.ciphertext_bytes()}, {secret, alg.secret_bytes()}))
    return 0;
  *outlen = alg.ciphertext_bytes();
  *secretlen = alg.secret_bytes();
  return 1;
}

int kem_decapsulate(void* vctx, unsigned char* out, std::size_t* outlen, const unsigned char* in,
                    std::size_t inlen) noexcept {
  const KemCtx* ctx = static_cast<const KemCtx*>(vctx);
  if (ctx->key == nullptr || outlen == nullptr) return 0;
  const AlgInfo& alg = *ctx->key->alg;
  if (out == nullptr) {
    *outlen = alg.secret_bytes();
    return 1;
  }
  if (*outlen < alg.secret_bytes() || in == nullptr) return 0;
  if (!decapsulate(*ctx->key, {in, inlen}, {out, alg.secret_bytes()})) return 0;
  *outlen = alg.secret_bytes();
  return 1;
}

// No context parameters: the KEMs have a single operation mode.
int kem_set_ctx_params(void*, const OSSL_PARAM*) noexcept { return 1; }
const OSSL_PARAM* kem_settable_ctx_params(void*, void*) noexcept {
  static const OSSL_PARAM table[] = {OSSL_PARAM_END};
  return table;
}

using Fn = void (*)();
template <typename F>
Fn fn(F f) noexcept {
  return reinterpret_cast<Fn>(f);
}

}  // namespace

const OSSL_DISPATCH* kem_dispatch() noexcept {
  static const OSSL_DISPATCH table[] = {
      {OSSL_FUNC_KEM_NEWCTX, fn(&kem_newctx)},
      {OSSL_FUNC_KEM_FREECTX, fn(&kem_freectx)},
      {OSSL_FUNC_KEM_DUPCTX, fn(&kem_dupctx)},
      {OSSL_FUNC_KEM_ENCAPSULATE_INIT, fn(&kem_encapsulate_init)},
      {OSSL_FUNC_KEM_ENCAPSULATE, fn(&kem_encapsulate)},
      {OSSL_FUNC_KEM_DECAPSULATE_INIT, fn(&kem_decapsulate_init)},
      {OSSL_FUNC_KEM_DECAPSULATE, fn(&kem_decapsulate)},
      {OSSL_FUNC_KEM_SET_CTX_PARAMS, fn(&kem_set_ctx_params)},
      {OSSL_FUNC_KEM_SETTABLE_CTX_PARAMS, fn(&kem_settable_ctx_params)},
      {0, nullptr}};
  return table;
}

}  // namespace pqmcp::tls::prov
