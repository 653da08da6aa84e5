// pqmcp-provider's entry point: the algorithm tables (OSSL_OP_KEYMGMT, OSSL_OP_KEM) and the
// TLS-GROUP capability that makes libssl 3.0 offer the hybrid groups (provider-base(7),
// "TLS-GROUP Capability").
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/prov_ssl.h>

#include <strings.h>

#include <new>

#include "tls/provider.h"

namespace pqmcp::tls::prov {
namespace {

#define PQMCP_PROPS "provider=pqmcp"

const OSSL_ALGORITHM* keymgmt_algorithms() noexcept {
  static const OSSL_ALGORITHM algs[] = {
      {"X25519MLKEM768", PQMCP_PROPS, keymgmt_dispatch<kX25519MlKem768>(), "X25519MLKEM768 TLS group"},
      {"SecP256r1MLKEM768", PQMCP_PROPS, keymgmt_dispatch<kP256MlKem768>(), "SecP256r1MLKEM768 TLS group"},
      {"ML-KEM-768:MLKEM768", PQMCP_PROPS, keymgmt_dispatch<kMlKem768>(), "FIPS 203 ML-KEM-768"},
      {"ML-KEM-1024:MLKEM1024", PQMCP_PROPS, keymgmt_dispatch<kMlKem1024>(), "FIPS 203 ML-KEM-1024"},
      {nullptr, nullptr, nullptr, nullptr}};
  return algs;
}

const OSSL_ALGORITHM* kem_algorithms() noexcept {
  static const OSSL_ALGORITHM algs[] = {
      {"X25519MLKEM768", PQMCP_PROPS, kem_dispatch(), "X25519MLKEM768 TLS group"},
      {"SecP256r1MLKEM768", PQMCP_PROPS, kem_dispatch(), "SecP256r1MLKEM768 TLS group"},
      {"ML-KEM-768:MLKEM768", PQMCP_PROPS, kem_dispatch(), "FIPS 203 ML-KEM-768"},
      {"ML-KEM-1024:MLKEM1024", PQMCP_PROPS, kem_dispatch(), "FIPS 203 ML-KEM-1024"},
      {nullptr, nullptr, nullptr, nullptr}};
  return algs;
}

const OSSL_ALGORITHM* query_operation(void*, int operation_id, int* no_cache) noexcept {
  *no_cache = 0;
  switch (operation_id) {
    case OSSL_OP_KEYMGMT: return keymgmt_algorithms();
    case OSSL_OP_KEM: return kem_algorithms();
    default: return nullptr;
  }
}

// One TLS-GROUP record per hybrid group. Every field except is-kem is mandatory on 3.0.
// min-tls is TLS 1.3 (the groups are TLS 1.3 key shares, RFC 8446 §4.2.8); DTLS is marked
// unusable (-1) because OpenSSL 3.0 has no DTLS 1.3.
struct GroupRecord {
  const AlgInfo* alg;
  unsigned id;
  unsigned secbits;
  int min_tls, max_tls, min_dtls, max_dtls;
  unsigned is_kem;
};
GroupRecord kGroups[] = {
    {&kX25519MlKem768, kX25519MlKem768.tls_group_id, kX25519MlKem768.security_bits, TLS1_3_VERSION, 0, -1, -1, 1},
    {&kP256MlKem768, kP256MlKem768.tls_group_id, kP256MlKem768.security_bits, TLS1_3_VERSION, 0, -1, -1, 1},
};

int get_capabilities(void*, const char* capability, OSSL_CALLBACK* cb, void* arg) noexcept {
  if (strcasecmp(capability, "TLS-GROUP") != 0) return 0;
  for (GroupRecord& g : kGroups) {
    char* name = const_cast<char*>(g.alg->name);
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME, name, 0),
        OSSL_PARAM_construct_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME_INTERNAL, name, 0),
        OSSL_PARAM_construct_utf8_string(OSSL_CAPABILITY_TLS_GROUP_ALG, name, 0),
        OSSL_PARAM_construct_uint(OSSL_CAPABILITY_TLS_GROUP_ID, &g.id),
        OSSL_PARAM_construct_uint(OSSL_CAPABILITY_TLS_GROUP_SECURITY_BITS, &g.secbits),
        OSSL_PARAM_construct_int(OSSL_CAPABILITY_TLS_GROUP_MIN_TLS, &g.min_tls),
        OSSL_PARAM_construct_int(OSSL_CAPABILITY_TLS_GROUP_MAX_TLS, &g.max_tls),
        OSSL_PARAM_construct_int(OSSL_CAPABILITY_TLS_GROUP_MIN_DTLS, &g.min_dtls),
        OSSL_PARAM_construct_int(OSSL_CAPABILITY_TLS_GROUP_MAX_DTLS, &g.max_dtls),
        OSSL_PARAM_construct_uint(OSSL_CAPABILITY_TLS_GROUP_IS_KEM, &g.is_kem),
        OSSL_PARAM_construct_end()};
    if (!cb(params, arg)) return 0;
  }
  return 1;
}

const OSSL_PARAM* gettable_params(void*) noexcept {
  static const OSSL_PARAM table[] = {
      OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, nullptr, 0),
      OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_VERSION, nullptr, 0),
      OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, nullptr, 0),
      OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, nullptr), OSSL_PARAM_END};
  return table;
}

int get_params(void*, OSSL_PARAM params[]) noexcept {
  OSSL_PARAM* p;
  if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME)) != nullptr &&
      !OSSL_PARAM_set_utf8_ptr(p, "pqmcp post-quantum TLS provider"))
    return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION)) != nullptr &&
      !OSSL_PARAM_set_utf8_ptr(p, "0.1.0"))
    return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO)) != nullptr &&
      !OSSL_PARAM_set_utf8_ptr(p, "pqmcp ML-KEM (FIPS 203), draft-ietf-tls-ecdhe-mlkem groups"))
    return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS)) != nullptr && !OSSL_PARAM_set_int(p, 1))
    return 0;
  return 1;
}

void teardown(void* provctx) noexcept {
  ProvCtx* ctx = static_cast<ProvCtx*>(provctx);
  OSSL_LIB_CTX_free(ctx->libctx);
  delete ctx;
}

using Fn = void (*)();
template <typename F>
Fn fn(F f) noexcept {
  return reinterpret_cast<Fn>(f);
}

const OSSL_DISPATCH kProviderDispatch[] = {
    {OSSL_FUNC_PROVIDER_TEARDOWN, fn(&teardown)},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, fn(&gettable_params)},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, fn(&get_params)},
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, fn(&query_operation)},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, fn(&get_capabilities)},
    {0, nullptr}};

}  // namespace

extern "C" int pqmcp_provider_init(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in,
                                   const OSSL_DISPATCH** out, void** provctx) {
  ProvCtx* ctx = new (std::nothrow) ProvCtx;
  if (ctx == nullptr) return 0;
  ctx->handle = handle;
  ctx->libctx = OSSL_LIB_CTX_new_child(handle, in);
  if (ctx->libctx == nullptr) {
    delete ctx;
    return 0;
  }
  *out = kProviderDispatch;
  *provctx = ctx;
  return 1;
}

}  // namespace pqmcp::tls::prov
