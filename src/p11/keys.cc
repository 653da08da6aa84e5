#include "p11/keys.h"

#include <openssl/evp.h>

#include <cstring>

#include "p11/beside.h"
#include "p11/errors.h"
#include "pkcs11/attributes.h"
#include "pkcs11/pqmcp_vendor.h"

namespace pqmcp::p11 {

namespace {

using pkcs11::TemplateBuilder;

// DER OIDs for CKA_EC_PARAMS: id-Ed25519 (RFC 8410) and prime256v1 (RFC 5480).
constexpr std::uint8_t kEd25519Oid[] = {0x06, 0x03, 0x2B, 0x65, 0x70};
// PKCS#11 3.0 §2.3.10 also allows the curve name as a PrintableString; some modules only
// accept that form.
constexpr std::uint8_t kEd25519Name[] = {0x13, 0x0C, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'};
constexpr std::uint8_t kP256Oid[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};

struct Spec {
  CK_KEY_TYPE key_type;
  CK_MECHANISM_TYPE gen, op;
  CK_ULONG param_set;     // CKA_PARAMETER_SET for ML-DSA / ML-KEM, 0 otherwise
  std::size_t pub_bytes;  // raw public key size
  std::size_t out_bytes;  // signature or ciphertext size
};

Spec spec(KeyType k) {
  switch (k) {
    case KeyType::kMlDsa44: return {CKK_ML_DSA, CKM_ML_DSA_KEY_PAIR_GEN, CKM_ML_DSA, CKP_ML_DSA_44, 1312, 2420};
    case KeyType::kMlDsa65: return {CKK_ML_DSA, CKM_ML_DSA_KEY_PAIR_GEN, CKM_ML_DSA, CKP_ML_DSA_65, 1952, 3309};
    case KeyType::kMlDsa87: return {CKK_ML_DSA, CKM_ML_DSA_KEY_PAIR_GEN, CKM_ML_DSA, CKP_ML_DSA_87, 2592, 4627};
    case KeyType::kEd25519: return {CKK_EC_EDWARDS, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, 0, 32, 64};
    case KeyType::kP256: return {CKK_EC, CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, 0, 65, 64};
    case KeyType::kMlKem512: return {CKK_ML_KEM, CKM_ML_KEM_KEY_PAIR_GEN, CKM_ML_KEM, CKP_ML_KEM_512, 800, 768};
    case KeyType::kMlKem768: return {CKK_ML_KEM, CKM_ML_KEM_KEY_PAIR_GEN, CKM_ML_KEM, CKP_ML_KEM_768, 1184, 1088};
    case KeyType::kMlKem1024: return {CKK_ML_KEM, CKM_ML_KEM_KEY_PAIR_GEN, CKM_ML_KEM, CKP_ML_KEM_1024, 1568, 1568};
  }
  return {};
}

bool is_kem(KeyType k) { return k == KeyType::kMlKem512 || k == KeyType::kMlKem768 || k == KeyType::kMlKem1024; }
bool is_pq(KeyType k) { return k != KeyType::kEd25519 && k != KeyType::kP256; }

Error input_error(const Token& t, const std::string& op, const std::string& msg) {
  return make_error(Error::Kind::kInput, op, t.label(), msg);
}

Result<std::vector<CK_OBJECT_HANDLE>> find_all(Session& s, pkcs11::Template tmpl) {
  auto* f = s.f();
  CK_RV rv = f->C_FindObjectsInit(s.handle(), tmpl.data(), tmpl.size());
  if (rv != CKR_OK) return s.token().error(rv, "C_FindObjectsInit");
  std::vector<CK_OBJECT_HANDLE> out;
  CK_OBJECT_HANDLE buf[16];
  for (;;) {
    CK_ULONG n = 0;
    rv = f->C_FindObjects(s.handle(), buf, 16, &n);
    if (rv != CKR_OK) break;
    out.insert(out.end(), buf, buf + n);
    if (n < 16) break;
  }
  f->C_FindObjectsFinal(s.handle());
  if (rv != CKR_OK) return s.token().error(rv, "C_FindObjects");
  return out;
}

Result<Bytes> get_attribute(Session& s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, const char* op) {
  CK_ATTRIBUTE a{type, nullptr, 0};
  CK_RV rv = s.f()->C_GetAttributeValue(s.handle(), h, &a, 1);
  if (rv != CKR_OK) return s.token().error(rv, op);
  if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return s.token().error(CKR_ATTRIBUTE_SENSITIVE, op);
  Bytes v(a.ulValueLen);
  a.pValue = v.data();
  rv = s.f()->C_GetAttributeValue(s.handle(), h, &a, 1);
  if (rv != CKR_OK) return s.token().error(rv, op);
  v.resize(a.ulValueLen);
  return v;
}

// CKA_EC_POINT is a DER OCTET STRING in PKCS#11 ≤ 3.0 and raw bytes in some modules (and for
// Edwards keys in 3.1+): accept both, judged by the expected raw size.
Result<Bytes> ec_point(const Token& t, Bytes v, std::size_t raw) {
  if (v.size() == raw) return v;
  if (v.size() == raw + 2 && v[0] == 0x04 && v[1] == raw) return Bytes(v.begin() + 2, v.end());
  return input_error(t, "read public key", "the module returned a CKA_EC_POINT of unexpected size " + std::to_string(v.size()));
}

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> m) {
  std::array<std::uint8_t, 32> d{};
  unsigned n = 0;
  EVP_Digest(m.data(), m.size(), d.data(), &n, EVP_sha256(), nullptr);
  return d;
}

}  // namespace

const char* key_type_name(KeyType k) {
  switch (k) {
    case KeyType::kMlDsa44: return "ML-DSA-44";
    case KeyType::kMlDsa65: return "ML-DSA-65";
    case KeyType::kMlDsa87: return "ML-DSA-87";
    case KeyType::kEd25519: return "Ed25519";
    case KeyType::kP256: return "P-256";
    case KeyType::kMlKem512: return "ML-KEM-512";
    case KeyType::kMlKem768: return "ML-KEM-768";
    case KeyType::kMlKem1024: return "ML-KEM-1024";
  }
  return "?";
}

bool is_signature(KeyType k) { return !is_kem(k); }

Result<KeyPair> generate_key_pair(Token& t, KeyType k, const GenerateOptions& opt) {
  const Spec sp = spec(k);
  const std::string what = std::string("generate ") + key_type_name(k) + " keys";
  if (auto st = t.module().require(t.info(), sp.gen, CKF_GENERATE_KEY_PAIR, what); !st) return std::move(st).error();
  auto s = t.acquire();
  if (!s) return std::move(s).error();

  auto build = [&](std::span<const std::uint8_t> ec_params, TemplateBuilder& pub, TemplateBuilder& priv) {
    for (TemplateBuilder* b : {&pub, &priv}) {
      b->boolean(CKA_TOKEN, opt.token_object).bytes(CKA_ID, opt.id);
      if (!opt.label.empty()) b->string(CKA_LABEL, opt.label.c_str());
    }
    pub.boolean(CKA_PRIVATE, false);
    priv.boolean(CKA_PRIVATE, true).boolean(CKA_SENSITIVE, true).boolean(CKA_EXTRACTABLE, false);
    if (is_kem(k)) {
      pub.boolean(CKA_ENCAPSULATE, true);
      priv.boolean(CKA_DECAPSULATE, true);
    } else {
      pub.boolean(CKA_VERIFY, true);
      priv.boolean(CKA_SIGN, true);
    }
    if (is_pq(k)) {
      pub.ulong(CKA_KEY_TYPE, sp.key_type).ulong(CKA_PARAMETER_SET, sp.param_set);
      priv.ulong(CKA_KEY_TYPE, sp.key_type);
      if (sp.key_type == CKK_ML_DSA && !opt.owner.empty())
        priv.bytes(CKA_PQMCP_OWNER, std::span<const std::uint8_t>(
                                        reinterpret_cast<const std::uint8_t*>(opt.owner.data()), opt.owner.size()));
      if (!opt.allowed_mechanisms.empty())
        priv.bytes(CKA_ALLOWED_MECHANISMS,
                   std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(opt.allowed_mechanisms.data()),
                                                 opt.allowed_mechanisms.size() * sizeof(CK_MECHANISM_TYPE)));
    } else {
      pub.bytes(CKA_EC_PARAMS, ec_params);
    }
  };

  CK_MECHANISM mech{sp.gen, nullptr, 0};
  KeyPair kp;
  auto attempt = [&](std::span<const std::uint8_t> ec_params) {
    TemplateBuilder pub, priv;
    build(ec_params, pub, priv);
    auto pt = pub.build(), st = priv.build();
    return s->f()->C_GenerateKeyPair(s->handle(), &mech, pt.data(), pt.size(), st.data(), st.size(), &kp.pub, &kp.priv);
  };
  CK_RV rv;
  if (k == KeyType::kEd25519) {
    rv = attempt(kEd25519Oid);
    if (rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_CURVE_NOT_SUPPORTED || rv == CKR_DOMAIN_PARAMS_INVALID)
      rv = attempt(kEd25519Name);
  } else {
    rv = attempt(k == KeyType::kP256 ? std::span<const std::uint8_t>(kP256Oid) : std::span<const std::uint8_t>());
  }
  if (rv != CKR_OK) return t.error(rv, std::string("C_GenerateKeyPair (") + key_type_name(k) + ")");
  s = Result<Session>(Session());  // return the session before read_public_key borrows one
  auto pk = read_public_key(t, k, kp.pub);
  if (!pk) return std::move(pk).error();
  kp.public_key = std::move(pk.value());
  return kp;
}

Result<CK_OBJECT_HANDLE> find_key(Token& t, CK_OBJECT_CLASS cls, KeyType k, std::span<const std::uint8_t> id) {
  auto s = t.acquire();
  if (!s) return std::move(s).error();
  TemplateBuilder b;
  b.ulong(CKA_CLASS, cls).ulong(CKA_KEY_TYPE, spec(k).key_type).bytes(CKA_ID, id);
  auto found = find_all(*s, b.build());
  if (!found) return std::move(found).error();
  if (found->empty())
    return make_error(Error::Kind::kNotFound, "find key", t.label(),
                      std::string("no ") + (cls == CKO_PRIVATE_KEY ? "private " : "public ") + key_type_name(k) +
                          " key with this CKA_ID; was the token re-initialised or the key deleted?");
  return found->front();
}

Result<Bytes> read_public_key(Token& t, KeyType k, CK_OBJECT_HANDLE pub) {
  auto s = t.acquire();
  if (!s) return std::move(s).error();
  const Spec sp = spec(k);
  if (is_pq(k)) {
    auto v = get_attribute(*s, pub, CKA_VALUE, "read public key");
    if (v && v->size() != sp.pub_bytes)
      return input_error(t, "read public key", std::string("the module returned a ") + key_type_name(k) +
                                                   " public key of the wrong size");
    return v;
  }
  auto v = get_attribute(*s, pub, CKA_EC_POINT, "read public key");
  if (!v) return v;
  return ec_point(t, std::move(v.value()), sp.pub_bytes);
}

Status destroy_key_pair(Token& t, KeyType k, std::span<const std::uint8_t> id) {
  auto s = t.acquire();
  if (!s) return std::move(s).error();
  for (CK_OBJECT_CLASS cls : {CKO_PUBLIC_KEY, CKO_PRIVATE_KEY}) {
    TemplateBuilder b;
    b.ulong(CKA_CLASS, cls).ulong(CKA_KEY_TYPE, spec(k).key_type).bytes(CKA_ID, id);
    auto found = find_all(*s, b.build());
    if (!found) return std::move(found).error();
    for (auto h : *found)
      if (CK_RV rv = s->f()->C_DestroyObject(s->handle(), h); rv != CKR_OK) return t.error(rv, "C_DestroyObject");
  }
  return {};
}

namespace {

// The mechanism and the bytes a sign or verify call passes: ML-DSA takes its context through
// CK_SIGN_ADDITIONAL_CONTEXT (PKCS#11 3.2 §6.67.4); CKM_ECDSA signs a hash the caller computed.
// Not copyable: mech points into pq, data may point into digest.
struct SigCall {
  SigCall(KeyType k, std::span<const std::uint8_t> msg, std::span<const std::uint8_t> ctx)
      : pq{CKH_HEDGE_PREFERRED, const_cast<CK_BYTE_PTR>(ctx.data()), static_cast<CK_ULONG>(ctx.size())},
        mech{spec(k).op, nullptr, 0},
        data(msg) {
    if (is_pq(k) && !ctx.empty()) {
      mech.pParameter = &pq;
      mech.ulParameterLen = sizeof pq;
    }
    if (k == KeyType::kP256) {
      digest = sha256(msg);
      data = digest;
    }
  }
  SigCall(const SigCall&) = delete;
  SigCall& operator=(const SigCall&) = delete;
  CK_SIGN_ADDITIONAL_CONTEXT pq;
  CK_MECHANISM mech;
  std::array<std::uint8_t, 32> digest{};
  std::span<const std::uint8_t> data;
};

// C_SignInit + C_Sign into a buffer of the mechanism's fixed signature size. what names the
// operation in errors.
Result<Bytes> sign_with(Token& t, CK_MECHANISM& mech, CK_OBJECT_HANDLE priv, std::span<const std::uint8_t> data,
                        std::size_t out_bytes, const std::string& what) {
  auto s = t.acquire();
  if (!s) return std::move(s).error();
  CK_RV rv = s->f()->C_SignInit(s->handle(), &mech, priv);
  if (rv != CKR_OK) return t.error(rv, "C_SignInit (" + what + ")");
  Bytes sig(out_bytes);
  CK_ULONG n = sig.size();
  rv = s->f()->C_Sign(s->handle(), const_cast<CK_BYTE_PTR>(data.data()), data.size(), sig.data(), &n);
  if (rv != CKR_OK) return t.error(rv, "C_Sign (" + what + ")");
  sig.resize(n);
  return sig;
}

}  // namespace

Result<Bytes> sign(Token& t, KeyType k, CK_OBJECT_HANDLE priv, std::span<const std::uint8_t> msg,
                   std::span<const std::uint8_t> ctx) {
  if (is_kem(k)) return input_error(t, "sign", std::string(key_type_name(k)) + " keys cannot sign");
  if (ctx.size() > 255) return input_error(t, "sign", "a context has at most 255 bytes");
  if (!ctx.empty() && !is_pq(k))
    return input_error(t, "sign", std::string(key_type_name(k)) + " signatures take no context");
  const Spec sp = spec(k);
  if (auto st = t.module().require(t.info(), sp.op, CKF_SIGN, std::string("sign with ") + key_type_name(k) + " keys"); !st)
    return std::move(st).error();
  SigCall c(k, msg, ctx);
  return sign_with(t, c.mech, priv, c.data, sp.out_bytes, key_type_name(k));
}

namespace {

// C_SignInit + C_Sign with a pqmcp vendor mechanism (checked in the module's list first: other
// modules do not know it). CKR_FUNCTION_REJECTED = the token's policy refused this message.
Result<Bytes> sign_vendor(Token& t, KeyType k, CK_OBJECT_HANDLE priv, CK_MECHANISM_TYPE m, const CK_ULONG* param,
                          std::span<const std::uint8_t> msg) {
  const char* name = m == CKM_PQMCP_MCP_SIGN_MLDSA ? "CKM_PQMCP_MCP_SIGN_MLDSA" : "CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA";
  if (!offers_pqmcp_mechanisms(t))
    return make_error(Error::Kind::kMechanism, "check mechanisms", t.label(),
                      std::string("the token's manufacturer is not pqmcp, so its vendor mechanism numbers are not ours (") + name + ")");
  if (auto st = t.module().require(t.info(), m, CKF_SIGN, std::string("sign MCP messages with a policy-bound key (") + name + ")");
      !st)
    return std::move(st).error();
  CK_ULONG p = param ? *param : 0;
  CK_MECHANISM mech{m, param ? &p : nullptr, param ? static_cast<CK_ULONG>(sizeof p) : 0};
  auto sig = sign_with(t, mech, priv, msg, spec(k).out_bytes, name);
  if (sig || sig.error().rv != CKR_FUNCTION_REJECTED) return sig;
  Error e = std::move(sig).error();
  e.message += " — the token's MCP policy refused to sign this message";
  return e;
}

}  // namespace

Result<Bytes> sign_mcp(Token& t, KeyType k, CK_OBJECT_HANDLE priv, std::span<const std::uint8_t> msg) {
  if (spec(k).key_type != CKK_ML_DSA) return input_error(t, "sign", "only ML-DSA keys can be policy-bound");
  return sign_vendor(t, k, priv, CKM_PQMCP_MCP_SIGN_MLDSA, nullptr, msg);
}

Result<bool> verify(Token& t, KeyType k, CK_OBJECT_HANDLE pub, std::span<const std::uint8_t> msg,
                    std::span<const std::uint8_t> sig, std::span<const std::uint8_t> ctx) {
  if (is_kem(k)) return input_error(t, "verify", std::string(key_type_name(k)) + " keys cannot verify");
  auto s = t.acquire();
  if (!s) return std::move(s).error();
  SigCall c(k, msg, ctx);
  CK_RV rv = s->f()->C_VerifyInit(s->handle(), &c.mech, pub);
  if (rv != CKR_OK) return t.error(rv, "C_VerifyInit");
  rv = s->f()->C_Verify(s->handle(), const_cast<CK_BYTE_PTR>(c.data.data()), c.data.size(),
                        const_cast<CK_BYTE_PTR>(sig.data()), sig.size());
  if (rv == CKR_OK) return true;
  if (rv == CKR_SIGNATURE_INVALID || rv == CKR_SIGNATURE_LEN_RANGE) return false;
  return t.error(rv, "C_Verify");
}

KeyType composite_mldsa_half(crypto::composite::Algorithm a) {
  switch (crypto::composite::info(a).mldsa) {
    case crypto::mldsa::ParamSet::kMlDsa44: return KeyType::kMlDsa44;
    case crypto::mldsa::ParamSet::kMlDsa65: return KeyType::kMlDsa65;
    case crypto::mldsa::ParamSet::kMlDsa87: return KeyType::kMlDsa87;
  }
  return KeyType::kMlDsa65;
}

bool offers_pqmcp_mechanisms(const Token& t) { return t.info().manufacturer == "pqmcp"; }

Result<Bytes> sign_composite(const CompositeKey& key, std::span<const std::uint8_t> msg,
                             std::span<const std::uint8_t> ctx) {
  namespace cs = crypto::composite;
  if (key.alg == cs::Algorithm::kMlDsa87Ed448)
    return make_error(Error::Kind::kMechanism, "composite sign", "",
                      "ML-DSA-87+Ed448 needs Ed448 through CKM_EDDSA parameters, which pqmcp does not drive yet");
  if (!key.mldsa_token || !key.trad_token)
    return make_error(Error::Kind::kInput, "composite sign", "", "both halves of the composite key are needed");
  const cs::Info& in = cs::info(key.alg);
  if (ctx.size() > 255)
    return make_error(Error::Kind::kInput, "composite sign", "", "the context is longer than 255 bytes");
  // One operation where the token can (libpqhsm): it builds M' and signs both halves.
  if (!key.mcp_bound && key.one_operation && key.one_operation->load(std::memory_order_relaxed) &&
      key.mldsa_token == key.trad_token) {
    CK_PQMCP_COMPOSITE_SIGN_PARAMS prm{
        key.alg == cs::Algorithm::kMlDsa44Ed25519 ? CKP_PQMCP_COMPOSITE_MLDSA44_ED25519 : CKP_PQMCP_COMPOSITE_MLDSA65_ED25519,
        key.trad_priv, const_cast<CK_BYTE_PTR>(ctx.data()), static_cast<CK_ULONG>(ctx.size())};
    CK_MECHANISM mech{CKM_PQMCP_COMPOSITE_SIGN, &prm, sizeof prm};
    auto sig = sign_with(*key.mldsa_token, mech, key.mldsa_priv, msg, in.signature, "CKM_PQMCP_COMPOSITE_SIGN");
    if (sig || sig.error().rv != CKR_MECHANISM_INVALID) return sig;
    key.one_operation->store(false, std::memory_order_relaxed);  // not for these keys: two operations from now on
  }
  Bytes mprime;  // the context's length is checked above: a failure here is the digest's
  if (cs::message_representative(key.alg, msg, ctx, mprime) != crypto::Status::kOk)
    return make_error(Error::Kind::kToken, "composite sign", "", "cannot build the message representative M'");
  std::span<const std::uint8_t> label(reinterpret_cast<const std::uint8_t*>(in.label.data()), in.label.size());
  CK_ULONG param = 0;
  if (key.mcp_bound) {
    if (key.alg == cs::Algorithm::kMlDsa44Ed25519) param = CKP_PQMCP_COMPOSITE_MLDSA44_ED25519;
    else if (key.alg == cs::Algorithm::kMlDsa65Ed25519) param = CKP_PQMCP_COMPOSITE_MLDSA65_ED25519;
    if (param == 0 || !ctx.empty())
      return make_error(Error::Kind::kInput, "composite sign", key.mldsa_token->label(),
                        "a policy-bound composite key signs only MCP messages (ML-DSA-44/65+Ed25519, empty context)");
  }
  p11::Result<Bytes> pq = Bytes(), trad = Bytes();
  auto sign_trad = [&] {
    try {  // it may run on the helper thread, where nothing may escape
      trad = sign(*key.trad_token, KeyType::kEd25519, key.trad_priv, mprime);
    } catch (...) {
      trad = make_error(Error::Kind::kToken, "composite sign", key.trad_token->label(), "out of memory");
    }
  };
  if (key.mcp_bound) {
    // The token evaluates its MCP policy on the ML-DSA half: the Ed25519 half is signed only
    // once that half was allowed, so that a refused message leaves no signature of any kind
    // (and no successful Ed25519 operation in the token's log).
    pq = sign_vendor(*key.mldsa_token, composite_mldsa_half(key.alg), key.mldsa_priv, CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA,
                     &param, msg);
    if (!pq) return pq;
    sign_trad();
  } else {
    // Two independent operations on two keys, each in its own pooled session: the Ed25519 one
    // runs beside the ML-DSA one where that is measured to be faster (p11/beside.h).
    static BesideChooser chooser;
    run_adaptive(
        chooser, [&] { pq = sign(*key.mldsa_token, composite_mldsa_half(key.alg), key.mldsa_priv, mprime, label); },
        sign_trad);
    if (!pq) return pq;
  }
  if (!trad) return trad;
  Bytes out = std::move(pq.value());
  out.insert(out.end(), trad->begin(), trad->end());
  return out;
}

Result<Encapsulation> encapsulate(Token& t, KeyType k, CK_OBJECT_HANDLE pub, bool extractable) {
  if (!is_kem(k)) return input_error(t, "encapsulate", std::string(key_type_name(k)) + " is not a KEM");
  const auto* f32 = t.module().f32();
  if (f32 == nullptr)
    return make_error(Error::Kind::kMechanism, "C_EncapsulateKey", t.label(),
                      "module " + t.module().path() + " has no PKCS#11 3.2 interface, so it cannot encapsulate");
  if (auto st = t.module().require(t.info(), CKM_ML_KEM, CKF_ENCAPSULATE, "encapsulate with ML-KEM"); !st)
    return std::move(st).error();
  auto s = t.acquire();
  if (!s) return std::move(s).error();
  TemplateBuilder b;
  b.ulong(CKA_CLASS, CKO_SECRET_KEY).ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET).boolean(CKA_TOKEN, false)
      .boolean(CKA_EXTRACTABLE, extractable).boolean(CKA_SENSITIVE, !extractable).ulong(CKA_VALUE_LEN, 32);
  auto tmpl = b.build();
  CK_MECHANISM mech{CKM_ML_KEM, nullptr, 0};
  Encapsulation e;
  e.ciphertext.resize(spec(k).out_bytes);
  CK_ULONG n = e.ciphertext.size();
  CK_RV rv = f32->C_EncapsulateKey(s->handle(), &mech, pub, tmpl.data(), tmpl.size(), e.ciphertext.data(), &n, &e.secret);
  if (rv != CKR_OK) return t.error(rv, "C_EncapsulateKey");
  e.ciphertext.resize(n);
  return e;
}

Result<CK_OBJECT_HANDLE> decapsulate(Token& t, KeyType k, CK_OBJECT_HANDLE priv, std::span<const std::uint8_t> ct,
                                     bool extractable) {
  if (!is_kem(k)) return input_error(t, "decapsulate", std::string(key_type_name(k)) + " is not a KEM");
  const auto* f32 = t.module().f32();
  if (f32 == nullptr)
    return make_error(Error::Kind::kMechanism, "C_DecapsulateKey", t.label(),
                      "module " + t.module().path() + " has no PKCS#11 3.2 interface, so it cannot decapsulate");
  auto s = t.acquire();
  if (!s) return std::move(s).error();
  TemplateBuilder b;
  b.ulong(CKA_CLASS, CKO_SECRET_KEY).ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET).boolean(CKA_TOKEN, false)
      .boolean(CKA_EXTRACTABLE, extractable).boolean(CKA_SENSITIVE, !extractable).ulong(CKA_VALUE_LEN, 32);
  auto tmpl = b.build();
  CK_MECHANISM mech{CKM_ML_KEM, nullptr, 0};
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  CK_RV rv = f32->C_DecapsulateKey(s->handle(), &mech, priv, tmpl.data(), tmpl.size(),
                                   const_cast<CK_BYTE_PTR>(ct.data()), ct.size(), &h);
  if (rv != CKR_OK) return t.error(rv, "C_DecapsulateKey");
  return h;
}

Result<Bytes> read_secret_value(Token& t, CK_OBJECT_HANDLE key) {
  auto s = t.acquire();
  if (!s) return std::move(s).error();
  return get_attribute(*s, key, CKA_VALUE, "read secret value");
}

Result<Bytes> wrap_key(Token& t, CK_MECHANISM_TYPE m, CK_OBJECT_HANDLE wrapping_key, CK_OBJECT_HANDLE key) {
  auto s = t.acquire();
  if (!s) return std::move(s).error();
  CK_MECHANISM mech{m, nullptr, 0};
  CK_ULONG n = 0;
  CK_RV rv = s->f()->C_WrapKey(s->handle(), &mech, wrapping_key, key, nullptr, &n);
  if (rv != CKR_OK) return t.error(rv, "C_WrapKey");
  Bytes out(n);
  rv = s->f()->C_WrapKey(s->handle(), &mech, wrapping_key, key, out.data(), &n);
  if (rv != CKR_OK) return t.error(rv, "C_WrapKey");
  out.resize(n);
  return out;
}

}  // namespace pqmcp::p11
