// The client's TLS: an SSL_CTX with pqmcp's post-quantum groups (X25519MLKEM768 first, see
// docs/pq-tls.md), TLS 1.2 at least (1.3 only under require_pq), and one of three ways to
// authenticate the server: a CA file, a pinned SHA-256 fingerprint of its certificate, or the
// system's trust store. Certificates stay classical on OpenSSL 3.0; authenticity of the MCP
// messages themselves comes from pqmcp's signatures, not from TLS.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "json/result.h"
#include "tls/pq_tls.h"

namespace pqmcp::http {

struct ClientTlsOptions {
  std::string ca_file;      // PEM CA certificates; the server's name/IP must match (RFC 6125)
  std::string fingerprint;  // SHA-256 of the server certificate (DER), hex, colons allowed
  bool require_pq = false;  // offer only hybrid groups; refuse a classical handshake
};

// Parses "AB:CD:…" or "abcd…" (64 hex digits), optionally after "SHA256:". Empty on a malformed value.
std::optional<std::array<std::uint8_t, 32>> parse_fingerprint(const std::string& text);

class ClientTls {
 public:
  static Result<std::shared_ptr<ClientTls>, std::string> create(const ClientTlsOptions& o);
  ~ClientTls();
  ClientTls(const ClientTls&) = delete;
  ClientTls& operator=(const ClientTls&) = delete;

  // Owned by this object; Beast streams borrow it through an asio::ssl::context wrapper.
  SSL_CTX* ctx() const { return ctx_; }
  // Before the handshake: SNI (DNS names only, RFC 6066 §3) and the name or IP to verify.
  bool prepare(SSL* ssl, const std::string& host) const;
  // After the handshake: the negotiated group, or why the connection must not be used.
  Result<std::string, std::string> check(SSL* ssl) const;
  bool require_pq() const { return require_pq_; }

 private:
  ClientTls() = default;
  tls::Providers providers_;
  SSL_CTX* ctx_ = nullptr;
  bool require_pq_ = false;
  bool verify_name_ = true;
  std::optional<std::array<std::uint8_t, 32>> pin_;
};

}  // namespace pqmcp::http
