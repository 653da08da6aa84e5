// Internal interface of pqmcp-provider: the provider context and the dispatch tables that
// provider.cc publishes through OSSL_FUNC_PROVIDER_QUERY_OPERATION.
#pragma once

#include <openssl/core.h>
#include <openssl/core_dispatch.h>

#include "tls/algorithms.h"

namespace pqmcp::tls::prov {

struct ProvCtx {
  const OSSL_CORE_HANDLE* handle = nullptr;
  OSSL_LIB_CTX* libctx = nullptr;  // child of the loading context (see classical.h)
};

// Per-algorithm dispatch tables. The OSSL keymgmt "new" and "gen_init" functions receive only
// the provider context, so each algorithm gets its own table bound to its AlgInfo.
template <const AlgInfo& A>
const OSSL_DISPATCH* keymgmt_dispatch() noexcept;
const OSSL_DISPATCH* kem_dispatch() noexcept;

// The provider's entry point, also used to register the provider as a built-in
// (OSSL_PROVIDER_add_builtin) inside pqmcp's own binaries.
extern "C" int pqmcp_provider_init(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in,
                                   const OSSL_DISPATCH** out, void** provctx);

}  // namespace pqmcp::tls::prov
