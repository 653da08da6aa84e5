#include "identity/public_key.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "crypto/composite.h"
#include "crypto/eddsa.h"
#include "crypto/mldsa.h"

namespace pqmcp::identity {

namespace {

namespace cs = crypto::composite;
using Kind = Error::Kind;

struct AlgInfo {
  Alg alg;
  const char* name;
  const char* cli;
  // DER of the AlgorithmIdentifier's contents (OID, plus parameters for P-256).
  Bytes alg_id;
  std::size_t pk_size;
};

Bytes oid(std::initializer_list<std::uint8_t> body) {
  Bytes b;
  b.reserve(2 + body.size());
  b.push_back(0x06);
  b.push_back(static_cast<std::uint8_t>(body.size()));
  for (auto x : body) b.push_back(x);
  return b;
}

// OIDs: NIST CSOR 2.16.840.1.101.3.4.3.17-19 (ML-DSA, RFC 9881) and .4.4.1-3 (ML-KEM),
// RFC 8410 id-Ed25519, RFC 5480 id-ecPublicKey + prime256v1, and the composite draft's
// 1.3.6.1.5.5.7.6.39 / .48 (kept in step with composite::info(a).oid by a unit test).
const std::vector<AlgInfo>& table() {
  static const std::vector<AlgInfo>* t = new std::vector<AlgInfo>{
      {Alg::kMlDsa44, "ML-DSA-44", "mldsa44", oid({0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x11}), 1312},
      {Alg::kMlDsa65, "ML-DSA-65", "mldsa65", oid({0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12}), 1952},
      {Alg::kMlDsa87, "ML-DSA-87", "mldsa87", oid({0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x13}), 2592},
      {Alg::kMlDsa44Ed25519, "ML-DSA-44-Ed25519", "mldsa44-ed25519", oid({0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x06, 0x27}), 1312 + 32},
      {Alg::kMlDsa65Ed25519, "ML-DSA-65-Ed25519", "mldsa65-ed25519", oid({0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x06, 0x30}), 1952 + 32},
      {Alg::kEd25519, "Ed25519", "ed25519", oid({0x2B, 0x65, 0x70}), 32},
      {Alg::kP256, "ES256", "p256",
       [] {
         Bytes b = oid({0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01});
         for (auto x : oid({0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07})) b.push_back(x);
         return b;
       }(),
       65},
      {Alg::kMlKem512, "ML-KEM-512", "mlkem512", oid({0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x01}), 800},
      {Alg::kMlKem768, "ML-KEM-768", "mlkem768", oid({0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02}), 1184},
      {Alg::kMlKem1024, "ML-KEM-1024", "mlkem1024", oid({0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x03}), 1568},
  };
  return *t;
}

const AlgInfo& info(Alg a) {
  for (auto& i : table())
    if (i.alg == a) return i;
  return table().front();
}

Error bad_key(const std::string& why) { return p11::make_error(Kind::kInput, "parse public key", "", why); }

void der_len(Bytes& out, std::size_t n) {
  if (n < 128) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n < 256) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  }
}

Bytes der(std::uint8_t tag, std::span<const std::uint8_t> body) {
  Bytes out{tag};
  der_len(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// Reads one DER TLV at pos; returns the body and advances pos. Definite lengths up to 2 bytes.
std::optional<std::span<const std::uint8_t>> read_tlv(std::span<const std::uint8_t> in, std::size_t& pos, std::uint8_t tag) {
  if (pos + 2 > in.size() || in[pos] != tag) return std::nullopt;
  std::size_t len = in[pos + 1], hdr = 2;
  if (len == 0x81) {
    if (pos + 3 > in.size()) return std::nullopt;
    len = in[pos + 2];
    hdr = 3;
    if (len < 128) return std::nullopt;
  } else if (len == 0x82) {
    if (pos + 4 > in.size()) return std::nullopt;
    len = (std::size_t{in[pos + 2]} << 8) | in[pos + 3];
    hdr = 4;
    if (len < 256) return std::nullopt;
  } else if (len > 0x7F) {
    return std::nullopt;
  }
  if (pos + hdr + len > in.size()) return std::nullopt;
  auto body = in.subspan(pos + hdr, len);
  pos += hdr + len;
  return body;
}

struct EvpKeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };

Result<bool> verify_es256(const PublicKey& pk, std::span<const std::uint8_t> msg, std::span<const std::uint8_t> sig) {
  if (sig.size() != 64) return false;
  Bytes spki = pk.spki_der();
  const unsigned char* p = spki.data();
  std::unique_ptr<EVP_PKEY, EvpKeyFree> key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  if (!key) return bad_key("OpenSSL rejected the P-256 public key (not a point on the curve)");
  // PKCS#11 and JOSE give r‖s; OpenSSL verifies the DER ECDSA-Sig-Value.
  ECDSA_SIG* es = ECDSA_SIG_new();
  ECDSA_SIG_set0(es, BN_bin2bn(sig.data(), 32, nullptr), BN_bin2bn(sig.data() + 32, 32, nullptr));
  unsigned char* dsig = nullptr;
  int dlen = i2d_ECDSA_SIG(es, &dsig);
  ECDSA_SIG_free(es);
  if (dlen <= 0) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
            EVP_DigestVerify(ctx, dsig, static_cast<std::size_t>(dlen), msg.data(), msg.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(dsig);
  return ok;
}

}  // namespace

const char* alg_name(Alg a) { return info(a).name; }

std::optional<Alg> alg_from_name(std::string_view s) {
  for (auto& i : table())
    if (s == i.name) return i.alg;
  return std::nullopt;
}

std::optional<Alg> alg_from_cli(std::string_view s) {
  for (auto& i : table())
    if (s == i.cli) return i.alg;
  return std::nullopt;
}

bool is_composite(Alg a) { return a == Alg::kMlDsa44Ed25519 || a == Alg::kMlDsa65Ed25519; }
bool can_sign(Alg a) { return a != Alg::kMlKem512 && a != Alg::kMlKem768 && a != Alg::kMlKem1024; }
bool takes_context(Alg a) { return can_sign(a) && a != Alg::kEd25519 && a != Alg::kP256; }
std::size_t public_key_size(Alg a) { return info(a).pk_size; }

Bytes PublicKey::spki_der() const {
  Bytes bits{0x00};  // no unused bits
  bits.insert(bits.end(), raw.begin(), raw.end());
  Bytes body = der(0x30, info(alg).alg_id);
  Bytes bs = der(0x03, bits);
  body.insert(body.end(), bs.begin(), bs.end());
  return der(0x30, body);
}

std::string PublicKey::pem() const {
  std::string b = base64(spki_der()), out = "-----BEGIN PUBLIC KEY-----\n";
  for (std::size_t i = 0; i < b.size(); i += 64) out += b.substr(i, 64) + "\n";
  return out + "-----END PUBLIC KEY-----\n";
}

std::string PublicKey::kid() const {
  Bytes d = spki_der();
  unsigned char h[32];
  unsigned n = 0;
  EVP_Digest(d.data(), d.size(), h, &n, EVP_sha256(), nullptr);
  return base64url(std::span<const std::uint8_t>(h, 16));
}

// JWK forms: Ed25519 as RFC 8037 OKP; P-256 as RFC 7518 EC; ML-DSA as draft-ietf-cose-dilithium
// "AKP" with alg "ML-DSA-65" and "pub"; ML-KEM the same way (alg "ML-KEM-768"). For the composite
// we chose "AKP" with alg "ML-DSA-65-Ed25519" and "pub" = the draft's raw concatenation
// (ML-DSA pk ‖ Ed25519 pk), as the JOSE composite drafts do; no registered name exists yet.
std::string PublicKey::jwk() const {
  nlohmann::ordered_json j;
  if (alg == Alg::kEd25519) {
    j["kty"] = "OKP";
    j["crv"] = "Ed25519";
    j["x"] = base64url(raw);
  } else if (alg == Alg::kP256) {
    j["kty"] = "EC";
    j["crv"] = "P-256";
    j["x"] = base64url(std::span<const std::uint8_t>(raw).subspan(1, 32));
    j["y"] = base64url(std::span<const std::uint8_t>(raw).subspan(33, 32));
  } else {
    j["kty"] = "AKP";
    j["alg"] = alg_name(alg);
    j["pub"] = base64url(raw);
  }
  if (alg == Alg::kEd25519) j["alg"] = "Ed25519";
  if (alg == Alg::kP256) j["alg"] = "ES256";
  j["kid"] = kid();
  return j.dump(2) + "\n";
}

Result<PublicKey> public_key_from_raw(Alg a, std::span<const std::uint8_t> raw) {
  if (raw.size() != public_key_size(a))
    return bad_key(std::string("a ") + alg_name(a) + " public key has " + std::to_string(public_key_size(a)) +
                   " bytes, not " + std::to_string(raw.size()));
  if (a == Alg::kP256 && raw[0] != 0x04) return bad_key("only uncompressed P-256 points are accepted");
  return PublicKey{a, Bytes(raw.begin(), raw.end())};
}

Result<PublicKey> parse_spki(std::span<const std::uint8_t> in) {
  std::size_t pos = 0;
  auto outer = read_tlv(in, pos, 0x30);
  if (!outer || pos != in.size()) return bad_key("not a DER SubjectPublicKeyInfo");
  std::size_t p = 0;
  auto algid = read_tlv(*outer, p, 0x30);
  auto bits = read_tlv(*outer, p, 0x03);
  if (!algid || !bits || p != outer->size() || bits->empty() || (*bits)[0] != 0)
    return bad_key("malformed SubjectPublicKeyInfo");
  for (auto& i : table()) {
    if (algid->size() == i.alg_id.size() && std::equal(algid->begin(), algid->end(), i.alg_id.begin()))
      return public_key_from_raw(i.alg, bits->subspan(1));
  }
  return bad_key("unknown or unsupported algorithm OID in the SubjectPublicKeyInfo");
}

Result<PublicKey> parse_public_key(std::string_view text) {
  std::size_t b = text.find("-----BEGIN PUBLIC KEY-----");
  if (b != std::string_view::npos) {
    std::size_t start = b + 26, e = text.find("-----END PUBLIC KEY-----", start);
    if (e == std::string_view::npos) return bad_key("PEM without an END line");
    auto der = from_base64(text.substr(start, e - start));
    if (!der) return bad_key("PEM body is not base64");
    return parse_spki(*der);
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad_key("neither a PEM public key nor a JWK");
  auto str = [&](const char* k) -> std::string {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string kty = str("kty");
  if (j.contains("d") || j.contains("priv")) return bad_key("this JWK holds a private key; export the public key only");
  if (kty == "OKP" && str("crv") == "Ed25519") {
    auto x = from_base64url(str("x"));
    if (!x) return bad_key("JWK 'x' is not base64url");
    return public_key_from_raw(Alg::kEd25519, *x);
  }
  if (kty == "EC" && str("crv") == "P-256") {
    auto x = from_base64url(str("x")), y = from_base64url(str("y"));
    if (!x || !y || x->size() != 32 || y->size() != 32) return bad_key("JWK 'x'/'y' must be 32 bytes of base64url");
    Bytes pt{0x04};
    pt.insert(pt.end(), x->begin(), x->end());
    pt.insert(pt.end(), y->begin(), y->end());
    return public_key_from_raw(Alg::kP256, pt);
  }
  if (kty == "AKP") {
    auto a = alg_from_name(str("alg"));
    auto pub = from_base64url(str("pub"));
    if (!a) return bad_key("JWK 'alg' '" + str("alg") + "' is not supported");
    if (!pub) return bad_key("JWK 'pub' is not base64url");
    return public_key_from_raw(*a, *pub);
  }
  return bad_key("JWK key type '" + kty + "' is not supported");
}

Result<bool> verify(const PublicKey& pk, std::span<const std::uint8_t> msg, std::span<const std::uint8_t> ctx,
                    std::span<const std::uint8_t> sig) {
  using crypto::Status;
  auto result = [](Status s) -> Result<bool> {
    if (s == Status::kOk) return true;
    if (s == Status::kVerifyFailed || s == Status::kBadLength || s == Status::kBadEncoding) return false;
    return p11::make_error(Kind::kInput, "verify", "", std::string("cannot verify: ") + crypto::status_name(s));
  };
  switch (pk.alg) {
    case Alg::kMlDsa44: return result(crypto::mldsa::verify(crypto::mldsa::ParamSet::kMlDsa44, pk.raw, msg, ctx, sig));
    case Alg::kMlDsa65: return result(crypto::mldsa::verify(crypto::mldsa::ParamSet::kMlDsa65, pk.raw, msg, ctx, sig));
    case Alg::kMlDsa87: return result(crypto::mldsa::verify(crypto::mldsa::ParamSet::kMlDsa87, pk.raw, msg, ctx, sig));
    case Alg::kMlDsa44Ed25519: return result(cs::verify(cs::Algorithm::kMlDsa44Ed25519, pk.raw, msg, ctx, sig));
    case Alg::kMlDsa65Ed25519: return result(cs::verify(cs::Algorithm::kMlDsa65Ed25519, pk.raw, msg, ctx, sig));
    case Alg::kEd25519: return result(crypto::eddsa::verify(crypto::eddsa::Curve::kEd25519, pk.raw, msg, sig));
    case Alg::kP256: return verify_es256(pk, msg, sig);
    default:
      return p11::make_error(Kind::kInput, "verify", "", std::string(alg_name(pk.alg)) + " keys cannot verify signatures");
  }
}

}  // namespace pqmcp::identity
