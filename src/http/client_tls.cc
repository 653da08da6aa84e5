#include "http/client_tls.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>

namespace pqmcp::http {

namespace {

std::string ssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

bool digest_cert(X509* cert, std::array<std::uint8_t, 32>& out) {
  unsigned int n = 0;
  return cert && X509_digest(cert, EVP_sha256(), out.data(), &n) == 1 && n == out.size();
}

int pin_index() {
  static const int idx = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return idx;
}

// With a pinned fingerprint the chain is not judged (a self-signed certificate is the usual
// case): only the leaf's digest decides, during the handshake so that a mismatch aborts it.
extern "C" int verify_pinned(int /*preverify*/, X509_STORE_CTX* store) {
  if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (!ssl) return 0;
  auto* pin = static_cast<const std::array<std::uint8_t, 32>*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), pin_index()));
  std::array<std::uint8_t, 32> d{};
  if (!pin || !digest_cert(X509_STORE_CTX_get_current_cert(store), d)) return 0;
  if (CRYPTO_memcmp(d.data(), pin->data(), d.size()) != 0) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

bool is_ip(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::optional<std::array<std::uint8_t, 32>> parse_fingerprint(const std::string& in) {
  // "SHA256:" as `pqmcp serve` and `openssl x509 -fingerprint -sha256` print it.
  std::string_view text = in;
  if (text.size() > 7 && (text.substr(0, 7) == "SHA256:" || text.substr(0, 7) == "sha256:")) text.remove_prefix(7);
  std::array<std::uint8_t, 32> out{};
  std::size_t n = 0;
  int half = -1;
  for (char c : text) {
    if (c == ':') continue;
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0 || n >= out.size()) return std::nullopt;
    if (half < 0) {
      half = v;
    } else {
      out[n++] = static_cast<std::uint8_t>(half << 4 | v);
      half = -1;
    }
  }
  if (n != out.size() || half >= 0) return std::nullopt;
  return out;
}

Result<std::shared_ptr<ClientTls>, std::string> ClientTls::create(const ClientTlsOptions& o) {
  std::shared_ptr<ClientTls> t(new ClientTls());
  if (!o.ca_file.empty() && !o.fingerprint.empty())
    return unexpected<std::string>("give either a CA file or a certificate fingerprint, not both");
  if (tls::Providers::load(nullptr, t->providers_) != tls::TlsStatus::kOk)
    return unexpected<std::string>("cannot load the post-quantum TLS provider");
  t->ctx_ = SSL_CTX_new_ex(nullptr, nullptr, TLS_client_method());
  if (!t->ctx_) return unexpected<std::string>("cannot create a TLS context: " + ssl_error());
  t->require_pq_ = o.require_pq;
  if (SSL_CTX_set_min_proto_version(t->ctx_, TLS1_2_VERSION) != 1 ||
      tls::configure_groups(t->ctx_, o.require_pq) != tls::TlsStatus::kOk)
    return unexpected<std::string>("cannot configure the TLS groups: " + ssl_error());
  SSL_CTX_set_mode(t->ctx_, SSL_MODE_RELEASE_BUFFERS);
  if (!o.fingerprint.empty()) {
    t->pin_ = parse_fingerprint(o.fingerprint);
    if (!t->pin_) return unexpected<std::string>("the certificate fingerprint must be 64 hex digits (SHA-256, colons allowed)");
    t->verify_name_ = false;  // the pin names one certificate; the name in it adds nothing
    SSL_CTX_set_ex_data(t->ctx_, pin_index(), &*t->pin_);
    SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_PEER, verify_pinned);
  } else {
    if (!o.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(t->ctx_, o.ca_file.c_str(), nullptr) != 1)
        return unexpected<std::string>("cannot read the CA file '" + o.ca_file + "': " + ssl_error());
    } else if (SSL_CTX_set_default_verify_paths(t->ctx_) != 1) {
      return unexpected<std::string>("cannot load the system's trusted CAs: " + ssl_error());
    }
    SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_PEER, nullptr);
  }
  return t;
}

ClientTls::~ClientTls() {
  if (ctx_) SSL_CTX_free(ctx_);
}

bool ClientTls::prepare(SSL* ssl, const std::string& host) const {
  const bool ip = is_ip(host);
  if (!ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) return false;
  if (!verify_name_) return true;
  if (ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(ssl, host.c_str()) == 1;
}

Result<std::string, std::string> ClientTls::check(SSL* ssl) const {
  if (SSL_get_verify_result(ssl) != X509_V_OK)
    return unexpected<std::string>(std::string("certificate not accepted: ") +
                                   X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
  if (pin_) {
    // Defence in depth: the callback already compared during the handshake.
    std::array<std::uint8_t, 32> d{};
    X509* cert = SSL_get0_peer_certificate(ssl);
    if (!digest_cert(cert, d) || CRYPTO_memcmp(d.data(), pin_->data(), d.size()) != 0)
      return unexpected<std::string>("the server certificate does not match the pinned fingerprint");
  }
  std::string group = tls::negotiated_group(ssl);
  if (tls::check_pq(ssl, require_pq_) != tls::TlsStatus::kOk)
    return unexpected<std::string>("the server negotiated classical key exchange (" + (group.empty() ? std::string("none") : group) +
                                   ") and post-quantum is required");
  return group;
}

}  // namespace pqmcp::http
