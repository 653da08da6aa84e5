#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdio>
#include <ctime>

namespace pqmcp::http {

namespace {
std::string ossl_error() {
  unsigned long e = ERR_get_error();
  char buf[256] = {0};
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return e ? buf : "unknown OpenSSL error";
}
std::string b64url(const unsigned char* d, std::size_t n) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string o;
  for (std::size_t i = 0; i < n; i += 3) {
    std::uint32_t v = d[i] << 16 | (i + 1 < n ? d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
    o.push_back(t[v >> 18 & 63]);
    o.push_back(t[v >> 12 & 63]);
    if (i + 1 < n) o.push_back(t[v >> 6 & 63]);
    if (i + 2 < n) o.push_back(t[v & 63]);
  }
  return o;
}
}  // namespace

Result<TlsContext, std::string> make_tls_context(const std::string& cert_file, const std::string& key_file,
                                                 bool require_pq) {
  TlsContext t;
  // Providers before SSL_CTX_new_ex: libssl reads the provider groups when the context is made.
  if (auto s = tls::Providers::load(nullptr, t.providers); s != tls::TlsStatus::kOk)
    return unexpected(std::string("TLS: cannot load the post-quantum provider (") + tls::tls_status_name(s) + ")");
  SSL_CTX* ctx = SSL_CTX_new_ex(nullptr, nullptr, TLS_server_method());
  if (!ctx) return unexpected("TLS: " + ossl_error());
  auto fail = [&](std::string m) {
    SSL_CTX_free(ctx);
    return unexpected(std::move(m));
  };
  if (tls::configure_groups(ctx, require_pq) != tls::TlsStatus::kOk) return fail("TLS: cannot configure the key-exchange groups");
  // TLS 1.3 only: the hybrid groups exist only there, and 1.2 adds nothing for an MCP client.
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  if (cert_file.empty() && key_file.empty()) {
    if (tls::use_self_signed_certificate(ctx, nullptr, "pqmcp serve") != tls::TlsStatus::kOk)
      return fail("TLS: cannot make a self-signed certificate");
  } else {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
      return fail("TLS: cannot read the certificate " + cert_file + ": " + ossl_error());
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      return fail("TLS: cannot read the private key " + key_file + ": " + ossl_error());
    if (SSL_CTX_check_private_key(ctx) != 1) return fail("TLS: the private key does not match the certificate");
  }
  X509* cert = SSL_CTX_get0_certificate(ctx);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (cert && X509_digest(cert, EVP_sha256(), md, &n) == 1) {
    t.fingerprint = "SHA256";
    for (unsigned i = 0; i < n; ++i) {
      char b[4];
      std::snprintf(b, sizeof b, ":%02X", md[i]);
      t.fingerprint += b;
    }
  }
  if (cert && X509_pubkey_digest(cert, EVP_sha256(), md, &n) == 1) {
    // X509_pubkey_digest hashes the key bits only; the SPKI hash (RFC 7469 §2.4) covers the DER.
    unsigned char* der = nullptr;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (len > 0 && EVP_Digest(der, len, md, &n, EVP_sha256(), nullptr) == 1) t.spki_sha256 = b64url(md, n);
    OPENSSL_free(der);
  }
  std::tm tm{};
  if (cert && ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) t.not_after = static_cast<std::int64_t>(timegm(&tm));
  t.ctx = ctx;
  return t;
}

}  // namespace pqmcp::http
