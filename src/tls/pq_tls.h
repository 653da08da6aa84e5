// pqmcp's post-quantum TLS API for the gateway: everything it needs from the provider, and
// nothing about how the provider works.
//
//   auto providers = pqmcp::tls::Providers::load(libctx);      // before SSL_CTX_new_ex!
//   SSL_CTX* ctx = SSL_CTX_new_ex(libctx, nullptr, TLS_server_method());
//   pqmcp::tls::configure_groups(ctx, require_pq);            // X25519MLKEM768 first
//   ... handshake ...
//   log(pqmcp::tls::negotiated_group(ssl));                    // "X25519MLKEM768"
//
// libssl reads the provider groups when an SSL_CTX is created, so Providers::load must run
// before SSL_CTX_new_ex on the same library context.
#pragma once

#include <openssl/ssl.h>

#include <string>
#include <string_view>

namespace pqmcp::tls {

inline constexpr std::string_view kProviderName = "pqmcp";
inline constexpr std::string_view kX25519MlKem768 = "X25519MLKEM768";       // 0x11EC
inline constexpr std::string_view kSecP256r1MlKem768 = "SecP256r1MLKEM768"; // 0x11EB

// Group lists, most preferred first. OpenSSL 3.0 clients send one key share, for the first
// group (hybrid.md §1.1): X25519MLKEM768 must lead or the handshake costs a HelloRetryRequest.
inline constexpr const char* kPreferredGroups = "X25519MLKEM768:SecP256r1MLKEM768:X25519:P-256";
inline constexpr const char* kPqOnlyGroups = "X25519MLKEM768:SecP256r1MLKEM768";

enum class [[nodiscard]] TlsStatus : int {
  kOk = 0,
  kProviderUnavailable,  // OpenSSL could not load the default provider or pqmcp's
  kBadConfiguration,     // libssl refused the group list or the protocol bounds
  kNotPostQuantum,       // require-PQ is set and the connection's group is classical
};

const char* tls_status_name(TlsStatus s) noexcept;

// Holds the default provider (X25519, P-256, hashes, AES) and pqmcp's provider (compiled into
// this binary, registered as a built-in) in one library context. nullptr means OpenSSL's
// default context. If the context already has a provider named "pqmcp" (an openssl.cnf that
// loads pqmcp-provider.so), that one is used. Unloads both when destroyed; keep it alive as
// long as any SSL_CTX made from the context.
class Providers {
 public:
  static TlsStatus load(OSSL_LIB_CTX* libctx, Providers& out) noexcept;
  Providers() noexcept = default;
  ~Providers();
  Providers(Providers&& o) noexcept;
  Providers& operator=(Providers&& o) noexcept;
  Providers(const Providers&) = delete;
  Providers& operator=(const Providers&) = delete;
  bool loaded() const noexcept { return pqmcp_ != nullptr; }

 private:
  void release() noexcept;
  OSSL_PROVIDER* default_ = nullptr;
  OSSL_PROVIDER* pqmcp_ = nullptr;
};

// Offers kPreferredGroups; with require_pq, only kPqOnlyGroups and TLS 1.3 at minimum, so that a
// client offering only classical groups fails the handshake (handshake_failure alert, RFC 8446
// §4.1.1: no overlap in supported_groups) instead of silently getting classical TLS.
TlsStatus configure_groups(SSL_CTX* ctx, bool require_pq) noexcept;

// The negotiated key-exchange group of a finished handshake: "X25519MLKEM768",
// "SecP256r1MLKEM768", "X25519", "P-256", …; "" if there is none (no handshake, TLS 1.2
// with RSA key transport).
std::string negotiated_group(const SSL* ssl);

bool is_pq_group(std::string_view group) noexcept;

// Defence in depth after the handshake: kNotPostQuantum if require_pq and the group is not PQ.
TlsStatus check_pq(const SSL* ssl, bool require_pq);

// A self-signed ECDSA P-256 certificate and key for ctx (made in libctx, the one ctx uses), valid for 127.0.0.1/localhost: for
// tests, benchmarks and `serve --tls-self-signed`. Certificates stay classical on OpenSSL 3.0.
TlsStatus use_self_signed_certificate(SSL_CTX* ctx, OSSL_LIB_CTX* libctx,
                                      std::string_view common_name) noexcept;

}  // namespace pqmcp::tls
