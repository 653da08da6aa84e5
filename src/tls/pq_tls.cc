#include "tls/pq_tls.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>
#include <strings.h>

#include <memory>
#include <string>

#include "tls/provider.h"

namespace pqmcp::tls {

const char* tls_status_name(TlsStatus s) noexcept {
  switch (s) {
    case TlsStatus::kOk: return "ok";
    case TlsStatus::kProviderUnavailable: return "provider-unavailable";
    case TlsStatus::kBadConfiguration: return "bad-configuration";
    case TlsStatus::kNotPostQuantum: return "not-post-quantum";
  }
  return "unknown";
}

TlsStatus Providers::load(OSSL_LIB_CTX* libctx, Providers& out) noexcept {
  out.release();
  const std::string name(kProviderName);
  // OSSL_PROVIDER_add_builtin fails if the name is already registered in this context (e.g. by
  // an openssl.cnf that loads pqmcp-provider.so); then we take a reference to that one.
  if (OSSL_PROVIDER_available(libctx, name.c_str()) != 1)
    (void)OSSL_PROVIDER_add_builtin(libctx, name.c_str(), &prov::pqmcp_provider_init);
  // Default first: our provider's child context mirrors the parent's providers and needs
  // X25519/EC from it.
  out.default_ = OSSL_PROVIDER_load(libctx, "default");
  out.pqmcp_ = OSSL_PROVIDER_load(libctx, name.c_str());
  if (out.default_ == nullptr || out.pqmcp_ == nullptr) {
    out.release();
    return TlsStatus::kProviderUnavailable;
  }
  return TlsStatus::kOk;
}

Providers::~Providers() { release(); }

Providers::Providers(Providers&& o) noexcept : default_(o.default_), pqmcp_(o.pqmcp_) {
  o.default_ = o.pqmcp_ = nullptr;
}

Providers& Providers::operator=(Providers&& o) noexcept {
  if (this != &o) {
    release();
    default_ = o.default_;
    pqmcp_ = o.pqmcp_;
    o.default_ = o.pqmcp_ = nullptr;
  }
  return *this;
}

void Providers::release() noexcept {
  if (pqmcp_ != nullptr) OSSL_PROVIDER_unload(pqmcp_);
  if (default_ != nullptr) OSSL_PROVIDER_unload(default_);
  pqmcp_ = default_ = nullptr;
}

TlsStatus configure_groups(SSL_CTX* ctx, bool require_pq) noexcept {
  if (ctx == nullptr) return TlsStatus::kBadConfiguration;
  if (require_pq && SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1)
    return TlsStatus::kBadConfiguration;
  // If the provider is not in the context, libssl 3.0 rejects the unknown group names here,
  // so a missing provider is an error at startup, never a silent classical fallback.
  if (SSL_CTX_set1_groups_list(ctx, require_pq ? kPqOnlyGroups : kPreferredGroups) != 1)
    return TlsStatus::kBadConfiguration;
  return TlsStatus::kOk;
}

std::string negotiated_group(const SSL* ssl) {
  if (ssl == nullptr) return {};
  SSL* s = const_cast<SSL*>(ssl);  // the 3.0 getters take a non-const SSL* but do not modify it
  const int nid = SSL_get_negotiated_group(s);
  if (nid == 0 || nid == NID_undef) return {};
  const char* name = SSL_group_to_name(s, nid);
  if (name == nullptr) return {};
  // libssl's names for the built-in groups are the IANA spellings in lower case; report the
  // forms operators know from browsers and `openssl s_client`.
  if (strcasecmp(name, "x25519") == 0) return "X25519";
  if (strcasecmp(name, "secp256r1") == 0 || strcasecmp(name, "prime256v1") == 0) return "P-256";
  if (strcasecmp(name, "secp384r1") == 0) return "P-384";
  if (strcasecmp(name, "x448") == 0) return "X448";
  return name;
}

bool is_pq_group(std::string_view group) noexcept {
  return group == kX25519MlKem768 || group == kSecP256r1MlKem768;
}

TlsStatus check_pq(const SSL* ssl, bool require_pq) {
  if (!require_pq || is_pq_group(negotiated_group(ssl))) return TlsStatus::kOk;
  return TlsStatus::kNotPostQuantum;
}

namespace {
struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
}  // namespace

TlsStatus use_self_signed_certificate(SSL_CTX* ctx, OSSL_LIB_CTX* libctx,
                                      std::string_view common_name) noexcept {
  if (ctx == nullptr) return TlsStatus::kBadConfiguration;
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_Q_keygen(libctx, nullptr, "EC", "P-256"));
  std::unique_ptr<X509, X509Free> cert(X509_new_ex(libctx, nullptr));
  if (!key || !cert) return TlsStatus::kBadConfiguration;
  const std::string cn(common_name);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name,
                                            "IP:127.0.0.1,DNS:localhost");
  const bool ok =
      X509_set_version(cert.get(), 2) == 1 &&
      ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600) != nullptr &&
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) == 1 &&
      X509_set_issuer_name(cert.get(), subject) == 1 && X509_set_pubkey(cert.get(), key.get()) == 1 &&
      san != nullptr && X509_add_ext(cert.get(), san, -1) == 1 &&
      X509_sign(cert.get(), key.get(), EVP_sha256()) > 0 &&
      SSL_CTX_use_certificate(ctx, cert.get()) == 1 && SSL_CTX_use_PrivateKey(ctx, key.get()) == 1 &&
      SSL_CTX_check_private_key(ctx) == 1;
  X509_EXTENSION_free(san);
  return ok ? TlsStatus::kOk : TlsStatus::kBadConfiguration;
}

}  // namespace pqmcp::tls
