// PKCS#8 PrivateKeyInfo for wrapped private keys (see key_encoding.h for the formats). The
// post-quantum and Ed25519 forms are fixed-layout DER written and parsed here, in wiping
// buffers; P-256 goes through OpenSSL, which also validates the scalar and any public point
// (RFC 5915 ECPrivateKey with or without parameters / publicKey, as other tokens export it).
#include "mechanisms/key_encoding.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <cstring>
#include <array>
#include <initializer_list>
#include <memory>
#include <optional>

#include "crypto/eddsa.h"
#include "crypto/mldsa.h"
#include "crypto/mlkem.h"
#include "mechanisms/mechanism.h"

namespace pqmcp::token {
namespace {

using Span = std::span<const std::uint8_t>;

// ---- Minimal DER (X.690 §8.1 and §10.1: definite, minimal lengths) -------------------------

void put_len(Bytes& out, std::size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
    return;
  }
  std::uint8_t tmp[sizeof(std::size_t)];
  std::uint8_t k = 0;
  for (; n; n >>= 8) tmp[k++] = static_cast<std::uint8_t>(n);
  out.push_back(static_cast<std::uint8_t>(0x80 | k));
  while (k) out.push_back(tmp[--k]);
}

Bytes tlv(std::uint8_t tag, std::initializer_list<Span> parts) {
  std::size_t n = 0;
  for (auto p : parts) n += p.size();
  Bytes out;
  out.reserve(n + 6);
  out.push_back(tag);
  put_len(out, n);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Reads consecutive TLVs; any malformation yields nullopt (the caller maps it to
// CKR_WRAPPED_KEY_INVALID). Lengths above 2^24 never occur in a private key.
struct Der {
  Span rest;
  bool peek(std::uint8_t tag) const { return !rest.empty() && rest[0] == tag; }
  bool done() const { return rest.empty(); }
  std::optional<Span> next(std::uint8_t tag) {
    if (rest.size() < 2 || rest[0] != tag) return std::nullopt;
    std::size_t n = rest[1], pos = 2;
    if (n & 0x80) {
      std::size_t k = n & 0x7f;
      if (k == 0 || k > 3 || rest.size() < 2 + k || rest[2] == 0) return std::nullopt;
      n = 0;
      for (std::size_t i = 0; i < k; ++i) n = (n << 8) | rest[2 + i];
      if (n < 0x80) return std::nullopt;  // the short form was required
      pos = 2 + k;
    }
    if (rest.size() - pos < n) return std::nullopt;
    Span v = rest.subspan(pos, n);
    rest = rest.subspan(pos + n);
    return v;
  }
};

bool same(Span a, Span b) { return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0; }

const std::uint8_t kVersion0[] = {0x02, 0x01, 0x00};
const std::uint8_t kEd25519Oid[] = {0x06, 0x03, 0x2B, 0x65, 0x70};
const std::uint8_t kEd25519Name[] = {0x13, 0x0C, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'};
const std::uint8_t kEcPublicKeyOid[] = {0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
const std::uint8_t kP256Oid[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};

// ---- ML-DSA / ML-KEM: NIST CSOR OIDs and the RFC 9881 / kyber-certificates CHOICE ----------

struct PqAlg {
  CK_KEY_TYPE kt;
  CK_ULONG ckp;
  std::uint8_t arc;   // 2.16.840.1.101.3.4.<arc>.<last>: 3 = sigAlgs, 4 = kems
  std::uint8_t last;
  std::size_t seed, expanded;
};
namespace mldsa = crypto::mldsa;
namespace mlkem = crypto::mlkem;
const PqAlg kPq[] = {
    {CKK_ML_DSA, CKP_ML_DSA_44, 3, 17, mldsa::kSeedBytes, mldsa::sizes(mldsa::ParamSet::kMlDsa44).private_key},
    {CKK_ML_DSA, CKP_ML_DSA_65, 3, 18, mldsa::kSeedBytes, mldsa::sizes(mldsa::ParamSet::kMlDsa65).private_key},
    {CKK_ML_DSA, CKP_ML_DSA_87, 3, 19, mldsa::kSeedBytes, mldsa::sizes(mldsa::ParamSet::kMlDsa87).private_key},
    {CKK_ML_KEM, CKP_ML_KEM_512, 4, 1, mlkem::kSeedBytes, mlkem::sizes(mlkem::ParamSet::kMlKem512).decaps_key},
    {CKK_ML_KEM, CKP_ML_KEM_768, 4, 2, mlkem::kSeedBytes, mlkem::sizes(mlkem::ParamSet::kMlKem768).decaps_key},
    {CKK_ML_KEM, CKP_ML_KEM_1024, 4, 3, mlkem::kSeedBytes, mlkem::sizes(mlkem::ParamSet::kMlKem1024).decaps_key},
};

std::array<std::uint8_t, 11> pq_oid(const PqAlg& a) {
  return {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, a.arc, a.last};
}

Bytes private_key_info(Span alg_id_content, Span private_key) {
  Bytes alg = tlv(0x30, {alg_id_content});
  Bytes pk = tlv(0x04, {private_key});
  return tlv(0x30, {kVersion0, view(alg), view(pk)});
}

Result<Bytes> encode_pq(const Object& key) {
  auto ckp = key.ulong(CKA_PARAMETER_SET);
  const PqAlg* alg = nullptr;
  for (const auto& a : kPq)
    if (a.kt == key.key_type() && ckp && a.ckp == *ckp) alg = &a;
  if (!alg) return Status(CKR_KEY_NOT_WRAPPABLE);
  PQ_ASSIGN(value, key_material(key, CKA_VALUE));
  const Bytes* seed = key.get(CKA_SEED);
  if (!seed && key.sealed.count(CKA_SEED)) return Status(CKR_USER_NOT_LOGGED_IN);
  if (value->size() != alg->expanded || (seed && seed->size() != alg->seed)) return Status(CKR_KEY_NOT_WRAPPABLE);
  // "both" keeps the seed (the form FIPS 203 §3.3 / FIPS 204 §3.6.3 recommend storing) and lets
  // the receiver check the expanded key against it.
  Bytes inner;
  if (seed) {
    Bytes s = tlv(0x04, {view(*seed)}), v = tlv(0x04, {view(*value)});
    inner = tlv(0x30, {view(s), view(v)});
  } else {
    inner = tlv(0x04, {view(*value)});
  }
  auto oid = pq_oid(*alg);
  return private_key_info(oid, view(inner));  // parameters absent (RFC 9881 §2)
}

Status decode_pq(const PqAlg& alg, Span pk, Object& key) {
  if (key.key_type() != alg.kt) return Status(CKR_TEMPLATE_INCONSISTENT);
  if (auto ckp = key.ulong(CKA_PARAMETER_SET); ckp && *ckp != alg.ckp) return Status(CKR_TEMPLATE_INCONSISTENT);
  Der p{pk};
  std::optional<Span> seed, value;
  if (p.peek(0x80)) {
    seed = p.next(0x80);
  } else if (p.peek(0x04)) {
    value = p.next(0x04);
  } else if (auto both = p.next(0x30)) {
    Der b{*both};
    seed = b.next(0x04);
    value = b.next(0x04);
    if (!seed || !value || !b.done()) return Status(CKR_WRAPPED_KEY_INVALID);
  }
  if ((!seed && !value) || !p.done() || (seed && seed->size() != alg.seed) ||
      (value && value->size() != alg.expanded))
    return Status(CKR_WRAPPED_KEY_INVALID);
  key.set_ulong(CKA_PARAMETER_SET, alg.ckp);
  if (seed) key.set_bytes(CKA_SEED, *seed);
  if (value) key.set_bytes(CKA_VALUE, *value);
  return kOk;
}

// ---- Ed25519 (RFC 8410 §7: privateKey = OCTET STRING { CurvePrivateKey OCTET STRING }) --------

Result<Bytes> encode_ed25519(const Object& key) {
  PQ_ASSIGN(v, key_material(key, CKA_VALUE));
  if (v->size() != 32) return Status(CKR_KEY_NOT_WRAPPABLE);
  Bytes inner = tlv(0x04, {view(*v)});
  return private_key_info(kEd25519Oid, view(inner));
}

Status decode_ed25519(Span pk, std::optional<Span> public_key, Object& key) {
  if (key.key_type() != CKK_EC_EDWARDS) return Status(CKR_TEMPLATE_INCONSISTENT);
  if (const Bytes* ep = key.get(CKA_EC_PARAMS); ep && !same(view(*ep), kEd25519Oid) && !same(view(*ep), kEd25519Name))
    return Status(CKR_TEMPLATE_INCONSISTENT);
  Der p{pk};
  auto v = p.next(0x04);
  if (!v || !p.done() || v->size() != 32) return Status(CKR_WRAPPED_KEY_INVALID);
  // A v2 OneAsymmetricKey may carry the public key: it must be the one the seed gives.
  if (public_key) {
    std::vector<std::uint8_t> derived;
    if (public_key->size() != 33 || (*public_key)[0] != 0 ||
        !crypto::is_ok(crypto::eddsa::public_from_private(crypto::eddsa::Curve::kEd25519, *v, derived)) ||
        !same(derived, public_key->subspan(1)))
      return Status(CKR_WRAPPED_KEY_INVALID);
  }
  if (!key.has(CKA_EC_PARAMS)) key.set_bytes(CKA_EC_PARAMS, kEd25519Oid);
  key.set_bytes(CKA_VALUE, *v);
  return kOk;
}

// ---- P-256 through OpenSSL ---------------------------------------------------------------------

struct Free {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
  void operator()(PKCS8_PRIV_KEY_INFO* p) const noexcept { PKCS8_PRIV_KEY_INFO_free(p); }
  void operator()(BIGNUM* p) const noexcept { BN_clear_free(p); }
  void operator()(EC_GROUP* p) const noexcept { EC_GROUP_free(p); }
  void operator()(EC_POINT* p) const noexcept { EC_POINT_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
template <typename T>
using Own = std::unique_ptr<T, Free>;

Result<Bytes> encode_p256(const Object& key) {
  PQ_ASSIGN(v, key_material(key, CKA_VALUE));
  if (v->size() != 32) return Status(CKR_KEY_NOT_WRAPPABLE);
  // The private key object has no CKA_EC_POINT, so Q = d·G is recomputed for the encoding.
  Own<EC_GROUP> g(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  Own<BIGNUM> d(BN_secure_new());
  Own<EC_POINT> q(g ? EC_POINT_new(g.get()) : nullptr);
  std::uint8_t pub[65];
  bool ok = g && d && q && BN_bin2bn(v->data(), 32, d.get()) &&
            EC_POINT_mul(g.get(), q.get(), d.get(), nullptr, nullptr, nullptr) == 1 &&
            EC_POINT_point2oct(g.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, nullptr) == 65;
  Own<OSSL_PARAM_BLD> bld(ok ? OSSL_PARAM_BLD_new() : nullptr);
  ok = bld && OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
       OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) &&
       OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub);
  Own<OSSL_PARAM> params(ok ? OSSL_PARAM_BLD_to_param(bld.get()) : nullptr);
  Own<EVP_PKEY_CTX> ctx(params ? EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr) : nullptr);
  EVP_PKEY* raw = nullptr;
  ok = ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
       EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) == 1;
  Own<EVP_PKEY> pkey(raw);
  Own<PKCS8_PRIV_KEY_INFO> p8(ok ? EVP_PKEY2PKCS8(pkey.get()) : nullptr);
  int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8.get(), nullptr) : -1;
  if (n <= 0) return Status(CKR_FUNCTION_FAILED);
  Bytes out(static_cast<std::size_t>(n));
  std::uint8_t* w = out.data();
  if (i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &w) != n) return Status(CKR_FUNCTION_FAILED);
  return out;
}

Status decode_p256(Span der, Object& key) {
  if (key.key_type() != CKK_EC) return Status(CKR_TEMPLATE_INCONSISTENT);
  if (const Bytes* ep = key.get(CKA_EC_PARAMS); ep && !same(view(*ep), kP256Oid))
    return Status(CKR_TEMPLATE_INCONSISTENT);
  const std::uint8_t* p = der.data();
  Own<PKCS8_PRIV_KEY_INFO> p8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  if (!p8 || p != der.data() + der.size()) return Status(CKR_WRAPPED_KEY_INVALID);
  Own<EVP_PKEY> pkey(EVP_PKCS82PKEY(p8.get()));
  char group[32] = {};
  std::size_t glen = 0;
  if (!pkey || !EVP_PKEY_is_a(pkey.get(), "EC") ||
      EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1)
    return Status(CKR_WRAPPED_KEY_INVALID);
  if (std::strcmp(group, "prime256v1") != 0) return Status(CKR_TEMPLATE_INCONSISTENT);
  // 0 < d < n and, when the encoding carries a public point, Q = d·G (OpenSSL computes Q when
  // it is absent).
  Own<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_pairwise_check(ctx.get()) != 1) return Status(CKR_WRAPPED_KEY_INVALID);
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) return Status(CKR_WRAPPED_KEY_INVALID);
  Own<BIGNUM> d(raw);
  crypto::SecretArray<32> scalar;
  if (BN_bn2binpad(d.get(), scalar.data(), 32) != 32) return Status(CKR_WRAPPED_KEY_INVALID);
  if (!key.has(CKA_EC_PARAMS)) key.set_bytes(CKA_EC_PARAMS, kP256Oid);
  key.set_bytes(CKA_VALUE, scalar.span());
  return kOk;
}

}  // namespace

Result<Bytes> encode_private_key(const Object& key) {
  if (key.cls() != CKO_PRIVATE_KEY) return Status(CKR_KEY_NOT_WRAPPABLE);
  switch (key.key_type()) {
    case CKK_ML_DSA:
    case CKK_ML_KEM: return encode_pq(key);
    case CKK_EC_EDWARDS: return encode_ed25519(key);
    case CKK_EC: {
      const Bytes* ep = key.get(CKA_EC_PARAMS);
      if (!ep || !same(view(*ep), kP256Oid)) return Status(CKR_KEY_NOT_WRAPPABLE);
      return encode_p256(key);
    }
    default: return Status(CKR_KEY_NOT_WRAPPABLE);
  }
}

Status decode_private_key(Span der, Object& key) {
  // PrivateKeyInfo / OneAsymmetricKey (RFC 5958 §2): version 0 (v1) or 1 (v2), algorithm,
  // privateKey, then optional [0] attributes and (v2 only) [1] publicKey.
  Der top{der};
  auto info = top.next(0x30);
  if (!info || !top.done()) return Status(CKR_WRAPPED_KEY_INVALID);
  Der d{*info};
  auto version = d.next(0x02);
  auto alg = d.next(0x30);
  auto pk = d.next(0x04);
  if (!version || version->size() != 1 || (*version)[0] > 1 || !alg || !pk) return Status(CKR_WRAPPED_KEY_INVALID);
  if (d.peek(0xA0)) (void)d.next(0xA0);
  std::optional<Span> public_key;
  if ((*version)[0] == 1 && d.peek(0x81)) public_key = d.next(0x81);
  if (!d.done()) return Status(CKR_WRAPPED_KEY_INVALID);
  Der a{*alg};
  auto oid = a.next(0x06);
  if (!oid) return Status(CKR_WRAPPED_KEY_INVALID);
  std::uint8_t oid_der[16] = {0x06, static_cast<std::uint8_t>(oid->size())};
  if (oid->size() > sizeof oid_der - 2) return Status(CKR_WRAPPED_KEY_INVALID);
  std::memcpy(oid_der + 2, oid->data(), oid->size());
  Span full(oid_der, oid->size() + 2);
  if (same(full, kEcPublicKeyOid)) return decode_p256(der, key);  // OpenSSL parses it all
  if (!a.done()) return Status(CKR_WRAPPED_KEY_INVALID);          // parameters must be absent
  if (same(full, kEd25519Oid)) return decode_ed25519(*pk, public_key, key);
  for (const auto& pq : kPq)
    if (same(full, pq_oid(pq))) return decode_pq(pq, *pk, key);
  return Status(CKR_WRAPPED_KEY_INVALID);  // an algorithm this token has no key type for
}

}  // namespace pqmcp::token
