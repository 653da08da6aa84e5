// The server's TLS 1.3 context: pqmcp's providers loaded first, then SSL_CTX_new_ex on the same
// library context, X25519MLKEM768 offered first (src/tls/pq_tls.h), and a classical ECDSA P-256
// certificate (OpenSSL 3.0 has no post-quantum TLS signatures; docs/pq-tls.md).
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <string>

#include "json/result.h"
#include "tls/pq_tls.h"

namespace pqmcp::http {

struct TlsContext {
  tls::Providers providers;  // outlives ctx
  SSL_CTX* ctx = nullptr;    // owned (freed by whoever wraps it, see server.cc)
  std::string fingerprint;   // "SHA256:AB:CD:…" of the certificate
  std::string spki_sha256;   // base64url SHA-256 of the certificate's SubjectPublicKeyInfo
  std::int64_t not_after = 0;  // the certificate's notAfter, Unix seconds (0: unreadable)
};

// cert/key: PEM files; both empty: a fresh self-signed P-256 certificate in memory.
Result<TlsContext, std::string> make_tls_context(const std::string& cert_file, const std::string& key_file,
                                                 bool require_pq);

}  // namespace pqmcp::http
