// OSSL_OP_KEYMGMT for pqmcp-provider (provider-keymgmt(7), OpenSSL 3.0).
//
// libssl 3.0 drives a KEM group through this table (hybrid.md §1.1, traced):
//   client: gen_init(KEYPAIR) → gen_set_params(group) → gen → get_params(encoded-pub-key)
//   server: gen_init(DOMAIN_PARAMETERS) → gen → set_params(encoded-pub-key = client share)
// so gen must also produce an empty key for a parameters-only selection, and
// set_params(encoded-pub-key) is where the client's share is validated.
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <strings.h>

#include <new>
#include <vector>

#include "tls/hybrid.h"
#include "tls/provider.h"

namespace pqmcp::tls::prov {
namespace {

struct GenCtx {
  const AlgInfo* alg;
  ProvCtx* prov;
  int selection;
};

Key* new_key(const AlgInfo& alg, void* provctx) noexcept {
  Key* k = new (std::nothrow) Key;
  if (k == nullptr) return nullptr;
  k->alg = &alg;
  k->libctx = static_cast<ProvCtx*>(provctx)->libctx;
  return k;
}

void km_free(void* keydata) noexcept { delete static_cast<Key*>(keydata); }

int km_has(const void* keydata, int selection) noexcept {
  const Key* k = static_cast<const Key*>(keydata);
  if (k == nullptr) return 0;
  int ok = 1;
  if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0) ok = ok && k->has_public();
  if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0) ok = ok && k->has_private;
  return ok;
}

int km_match(const void* a, const void* b, int selection) noexcept {
  const Key* x = static_cast<const Key*>(a);
  const Key* y = static_cast<const Key*>(b);
  if (x->alg != y->alg) return 0;
  if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0) return 1;
  std::vector<std::uint8_t> ex, ey;
  return encoded_public(*x, ex) && encoded_public(*y, ey) && ex == ey;
}

int km_get_params(void* keydata, OSSL_PARAM params[]) noexcept {
  const Key* k = static_cast<const Key*>(keydata);
  const AlgInfo& alg = *k->alg;
  OSSL_PARAM* p;
  // "bits" has no natural meaning for a KEM; use the public key size in bits like other KEM
  // providers, so that EVP_PKEY_get_bits is non-zero and stable.
  if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS)) != nullptr &&
      !OSSL_PARAM_set_int(p, static_cast<int>(8 * alg.encoded_pub_bytes())))
    return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS)) != nullptr &&
      !OSSL_PARAM_set_int(p, static_cast<int>(alg.security_bits)))
    return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE)) != nullptr &&
      !OSSL_PARAM_set_int(p, static_cast<int>(alg.ciphertext_bytes())))
    return 0;
  for (const char* name : {OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, OSSL_PKEY_PARAM_PUB_KEY}) {
    if ((p = OSSL_PARAM_locate(params, name)) == nullptr) continue;
    std::vector<std::uint8_t> enc;
    if (!encoded_public(*k, enc)) return 0;
    // OSSL_PARAM_set_octet_string answers a size query (data == NULL) by setting return_size.
    if (!OSSL_PARAM_set_octet_string(p, enc.data(), enc.size())) return 0;
  }
  return 1;
}

const OSSL_PARAM* km_gettable_params(void*) noexcept {
  static const OSSL_PARAM table[] = {
      OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, nullptr),
      OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, nullptr),
      OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, nullptr),
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0),
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
      OSSL_PARAM_END};
  return table;
}

int km_set_params(void* keydata, const OSSL_PARAM params[]) noexcept {
  Key* k = static_cast<Key*>(keydata);
  const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
  if (p == nullptr) return 1;
  const void* data = nullptr;
  std::size_t len = 0;
  if (!OSSL_PARAM_get_octet_string_ptr(p, &data, &len)) return 0;
  return set_encoded_public(*k, {static_cast<const std::uint8_t*>(data), len}) ? 1 : 0;
}

const OSSL_PARAM* km_settable_params(void*) noexcept {
  static const OSSL_PARAM table[] = {
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0), OSSL_PARAM_END};
  return table;
}

int km_gen_set_params(void* genctx, const OSSL_PARAM params[]) noexcept {
  GenCtx* g = static_cast<GenCtx*>(genctx);
  const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME);
  if (p == nullptr) return 1;
  // libssl passes tls-group-name-internal, which is the algorithm name itself; any other group
  // would be a mix-up, not a request we can honour.
  const char* name = nullptr;
  if (!OSSL_PARAM_get_utf8_string_ptr(p, &name)) return 0;
  return strcasecmp(name, g->alg->name) == 0 ? 1 : 0;
}

const OSSL_PARAM* km_gen_settable_params(void*, void*) noexcept {
  static const OSSL_PARAM table[] = {
      OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, nullptr, 0), OSSL_PARAM_END};
  return table;
}

void* km_gen(void* genctx, OSSL_CALLBACK*, void*) noexcept {
  GenCtx* g = static_cast<GenCtx*>(genctx);
  Key* k = new_key(*g->alg, g->prov);
  if (k == nullptr) return nullptr;
  if ((g->selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0 && !generate(*k)) {
    delete k;
    return nullptr;
  }
  return k;
}

void km_gen_cleanup(void* genctx) noexcept { delete static_cast<GenCtx*>(genctx); }

// Import/export: the public key in its wire encoding ("pub"), and for plain ML-KEM the expanded
// decapsulation key ("priv", FIPS 203 §7.1 encoding). Hybrid private keys are ephemeral by
// design and never leave the provider.
int km_import(void* keydata, int selection, const OSSL_PARAM params[]) noexcept {
  Key* k = static_cast<Key*>(keydata);
  if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0) {
    const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY);
    const void* data = nullptr;
    std::size_t len = 0;
    if (p != nullptr) {
      if (!OSSL_PARAM_get_octet_string_ptr(p, &data, &len)) return 0;
      return set_mlkem_private(*k, {static_cast<const std::uint8_t*>(data), len}) ? 1 : 0;
    }
  }
  if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0) {
    const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY);
    if (p == nullptr) return 0;
    const void* data = nullptr;
    std::size_t len = 0;
    if (!OSSL_PARAM_get_octet_string_ptr(p, &data, &len)) return 0;
    return set_encoded_public(*k, {static_cast<const std::uint8_t*>(data), len}) ? 1 : 0;
  }
  return 0;
}

int km_export(void* keydata, int selection, OSSL_CALLBACK* cb, void* cbarg) noexcept {
  Key* k = static_cast<Key*>(keydata);
  std::vector<std::uint8_t> pub;
  OSSL_PARAM params[3];
  int n = 0;
  if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0) {
    if (!encoded_public(*k, pub)) return 0;
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size());
  }
  if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0) {
    if (!k->has_private || k->alg->classical != Classical::kNone) return 0;
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, k->dk.data(), k->dk.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  return cb(params, cbarg);
}

const OSSL_PARAM* km_types(int selection) noexcept {
  static const OSSL_PARAM pub_only[] = {
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0), OSSL_PARAM_END};
  static const OSSL_PARAM both[] = {OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0),
                                    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, nullptr, 0),
                                    OSSL_PARAM_END};
  return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 ? both : pub_only;
}

void* km_dup(const void* keydata, int selection) noexcept {
  const Key* src = static_cast<const Key*>(keydata);
  Key* k = new (std::nothrow) Key;
  if (k == nullptr) return nullptr;
  k->alg = src->alg;
  k->libctx = src->libctx;
  try {
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0) k->ek = src->ek;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && src->has_private) {
      k->dk = crypto::SecureBuffer(src->dk.span());
      k->has_private = true;
    }
  } catch (...) {
    delete k;
    return nullptr;
  }
  // The classical half is immutable once made, so sharing it by reference count is safe.
  if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0 && src->ecdh) {
    if (EVP_PKEY_up_ref(src->ecdh.get()) != 1) {
      delete k;
      return nullptr;
    }
    k->ecdh.reset(src->ecdh.get());
  }
  return k;
}

template <const AlgInfo& A>
void* km_new(void* provctx) noexcept {
  return new_key(A, provctx);
}

template <const AlgInfo& A>
void* km_gen_init(void* provctx, int selection, const OSSL_PARAM params[]) noexcept {
  GenCtx* g = new (std::nothrow) GenCtx{&A, static_cast<ProvCtx*>(provctx), selection};
  if (g != nullptr && !km_gen_set_params(g, params)) {
    delete g;
    return nullptr;
  }
  return g;
}

using Fn = void (*)();
template <typename F>
Fn fn(F f) noexcept {
  return reinterpret_cast<Fn>(f);
}

}  // namespace

template <const AlgInfo& A>
const OSSL_DISPATCH* keymgmt_dispatch() noexcept {
  static const OSSL_DISPATCH table[] = {
      {OSSL_FUNC_KEYMGMT_NEW, fn(&km_new<A>)},
      {OSSL_FUNC_KEYMGMT_FREE, fn(&km_free)},
      {OSSL_FUNC_KEYMGMT_DUP, fn(&km_dup)},
      {OSSL_FUNC_KEYMGMT_HAS, fn(&km_has)},
      {OSSL_FUNC_KEYMGMT_MATCH, fn(&km_match)},
      {OSSL_FUNC_KEYMGMT_GET_PARAMS, fn(&km_get_params)},
      {OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, fn(&km_gettable_params)},
      {OSSL_FUNC_KEYMGMT_SET_PARAMS, fn(&km_set_params)},
      {OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, fn(&km_settable_params)},
      {OSSL_FUNC_KEYMGMT_GEN_INIT, fn(&km_gen_init<A>)},
      {OSSL_FUNC_KEYMGMT_GEN_SET_PARAMS, fn(&km_gen_set_params)},
      {OSSL_FUNC_KEYMGMT_GEN_SETTABLE_PARAMS, fn(&km_gen_settable_params)},
      {OSSL_FUNC_KEYMGMT_GEN, fn(&km_gen)},
      {OSSL_FUNC_KEYMGMT_GEN_CLEANUP, fn(&km_gen_cleanup)},
      {OSSL_FUNC_KEYMGMT_IMPORT, fn(&km_import)},
      {OSSL_FUNC_KEYMGMT_IMPORT_TYPES, fn(&km_types)},
      {OSSL_FUNC_KEYMGMT_EXPORT, fn(&km_export)},
      {OSSL_FUNC_KEYMGMT_EXPORT_TYPES, fn(&km_types)},
      {0, nullptr}};
  return table;
}

template const OSSL_DISPATCH* keymgmt_dispatch<kMlKem768>() noexcept;
template const OSSL_DISPATCH* keymgmt_dispatch<kMlKem1024>() noexcept;
template const OSSL_DISPATCH* keymgmt_dispatch<kX25519MlKem768>() noexcept;
template const OSSL_DISPATCH* keymgmt_dispatch<kP256MlKem768>() noexcept;

}  // namespace pqmcp::tls::prov
