// The only symbol pqmcp-provider.so exports (the version script hides everything else): the
// well-known entry point OpenSSL looks up when it loads a provider module (provider(7)).
#include <openssl/core.h>

#include "tls/provider.h"

extern "C" int OSSL_provider_init(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in,
                                  const OSSL_DISPATCH** out, void** provctx) {
  return pqmcp::tls::prov::pqmcp_provider_init(handle, in, out, provctx);
}
