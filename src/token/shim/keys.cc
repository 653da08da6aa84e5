// Key management (base spec §5.14, 3.2 §5.18): key and key pair generation, wrapping with
// AES-KWP, the KEM functions C_EncapsulateKey / C_DecapsulateKey, and random numbers.
// Generation runs outside the token lock; the new objects are stored in one transaction.
#include "crypto/random.h"
#include "mechanisms/key_encoding.h"
#include "pkcs11/attributes.h"
#include "shim/common.h"
#include "shim/oplog_hooks.h"

using namespace pqmcp::token;
using shim::guard;

namespace {

// A secret key made by the token from outside material (KEM secret, unwrapped bytes):
// its material has been outside the key object, so ALWAYS_SENSITIVE / NEVER_EXTRACTABLE are
// FALSE; CKA_EXTRACTABLE defaults to TRUE for KEM outputs (3.2 §5.18.1).
Result<Object> derived_secret(std::span<const CK_ATTRIBUTE> t, schema::Origin origin, bool extractable_default) {
  PQ_ASSIGN(o, schema::build(t, origin, CKO_SECRET_KEY));
  if (extractable_default && !pqmcp::pkcs11::find_attribute(t, CKA_EXTRACTABLE)) o.set_bool(CKA_EXTRACTABLE, true);
  return o;
}

// A private key from an unwrap template (base spec §5.14.4): its material was outside the token,
// so CKA_ALWAYS_SENSITIVE / CKA_NEVER_EXTRACTABLE stay FALSE (schema defaults; the template may
// not set them). Sensitive unless the template says otherwise, like any new private key.
Result<Object> private_to_unwrap(std::span<const CK_ATTRIBUTE> t) {
  return schema::build(t, schema::Origin::kUnwrap, CKO_PRIVATE_KEY);
}

Status kem_finish(Session& s, Object key, Bytes secret, CK_OBJECT_HANDLE_PTR phKey) {
  key.attrs[CKA_VALUE] = std::move(secret);
  PQ_TRY(shim::import_key(key));
  PQ_ASSIGN(h, shim::store_one(s, std::move(key)));
  *phKey = h;
  return kOk;
}

}  // namespace

extern "C" {

CK_RV C_GenerateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pTemplate,
                    CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey) {
  return guard([&]() -> Status {
    return shim::logged_making(hSession, {"C_GenerateKey", shim::mech_of(pMechanism), oplog::template_ref({pTemplate, pTemplate ? ulCount : 0}), ""}, {phKey}, [&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    PQ_ASSIGN(t, shim::tmpl(pTemplate, ulCount));
    if (!phKey) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(m, shim::mechanism(pMechanism, CKF_GENERATE));
    PQ_ASSIGN(key, schema::build(t, schema::Origin::kGenerate, CKO_SECRET_KEY, m->key_type()));
    PQ_TRY(shim::may_write(*s, key));
    PQ_TRY(m->generate_key(*pMechanism, key));
    PQ_TRY(shim::import_key(key));
    schema::mark_generated(key, pMechanism->mechanism);
    PQ_ASSIGN(h, shim::store_one(*s, std::move(key)));
    *phKey = h;
    return kOk;
    });
  });
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pPub,
                        CK_ULONG ulPub, CK_ATTRIBUTE_PTR pPriv, CK_ULONG ulPriv, CK_OBJECT_HANDLE_PTR phPub,
                        CK_OBJECT_HANDLE_PTR phPriv) {
  return guard([&]() -> Status {
    return shim::logged_making(hSession, {"C_GenerateKeyPair", shim::mech_of(pMechanism), oplog::template_ref({pPriv, pPriv ? ulPriv : 0}), ""}, {phPub, phPriv}, [&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    PQ_ASSIGN(tp, shim::tmpl(pPub, ulPub));
    PQ_ASSIGN(tk, shim::tmpl(pPriv, ulPriv));
    if (!phPub || !phPriv) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(m, shim::mechanism(pMechanism, CKF_GENERATE_KEY_PAIR));
    PQ_ASSIGN(pub, schema::build(tp, schema::Origin::kGenerate, CKO_PUBLIC_KEY, m->key_type()));
    PQ_ASSIGN(priv, schema::build(tk, schema::Origin::kGenerate, CKO_PRIVATE_KEY, m->key_type()));
    PQ_TRY(shim::may_write(*s, pub));
    PQ_TRY(shim::may_write(*s, priv));
    PQ_TRY(m->generate_key_pair(*pMechanism, pub, priv));
    schema::mark_generated(pub, pMechanism->mechanism);
    schema::mark_generated(priv, pMechanism->mechanism);
    std::vector<Object> objs;
    objs.push_back(std::move(pub));
    objs.push_back(std::move(priv));
    std::lock_guard<std::mutex> lock(s->token->mu);
    PQ_ASSIGN(h, s->token->add(std::move(objs), s->handle));
    *phPub = h[0];
    *phPriv = h[1];
    return kOk;
    });
  });
}

// Only extractable keys leave the token, and only wrapped (base spec §5.14.3; §4.9-4.10
// CKA_EXTRACTABLE: a CKA_SENSITIVE key may still be wrapped if it is extractable). Secret keys
// are wrapped as their CKA_VALUE, private keys as PKCS#8 PrivateKeyInfo (key_encoding.h).
CK_RV C_WrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hWrappingKey,
                CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen) {
  return guard([&]() -> Status {
    return shim::logged(hSession, {"C_WrapKey", shim::mech_of(pMechanism), shim::key_ref(hSession, hKey), ""}, pWrappedKey == nullptr, [&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    if (!pulWrappedKeyLen) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(m, shim::mechanism(pMechanism, CKF_WRAP));
    PQ_ASSIGN(wk, shim::key_for(*s, hWrappingKey, CKA_WRAP, pMechanism->mechanism,
                                CKR_WRAPPING_KEY_HANDLE_INVALID));
    auto key = shim::object(*s, hKey);
    if (!key.ok()) return Status(CKR_KEY_HANDLE_INVALID);
    const Object& k = *key.value();
    if (!k.is_key()) return Status(CKR_KEY_HANDLE_INVALID);
    if (k.cls() != CKO_SECRET_KEY && k.cls() != CKO_PRIVATE_KEY) return Status(CKR_KEY_NOT_WRAPPABLE);
    if (!k.flag(CKA_EXTRACTABLE)) return Status(CKR_KEY_UNEXTRACTABLE);
    // §4.9/§4.10 CKA_WRAP_WITH_TRUSTED: such a key may only be wrapped by a CKA_TRUSTED key.
    if (k.flag(CKA_WRAP_WITH_TRUSTED) && !wk->flag(CKA_TRUSTED)) return Status(CKR_KEY_NOT_WRAPPABLE);
    Bytes material;
    if (k.cls() == CKO_PRIVATE_KEY) {
      PQ_ASSIGN(der, encode_private_key(k));
      material = std::move(der);
    } else {
      PQ_ASSIGN(value, key_material(k, CKA_VALUE));
      material = *value;
    }
    PQ_ASSIGN(wrapped, m->wrap(*pMechanism, *wk, view(material)));
    return shim::output(pWrappedKey, pulWrappedKeyLen, wrapped);
  }, pWrappedKey, pulWrappedKeyLen);
});
}

CK_RV C_UnwrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hUnwrappingKey,
                CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
                CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey) {
return guard([&]() -> Status {
    return shim::logged_making(hSession, {"C_UnwrapKey", shim::mech_of(pMechanism), oplog::template_ref({pTemplate, pTemplate ? ulAttributeCount : 0}), oplog::sha256_hex(pWrappedKey, ulWrappedKeyLen)}, {phKey}, [&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    PQ_ASSIGN(t, shim::tmpl(pTemplate, ulAttributeCount));
    // The owner binds a key to an agent's on-token policy and is given only when a key is made
    // (generation, import): an unwrapped key never gets one, or a wrapped copy of an agent's key
    // could come back bound to another agent (docs/token.md "Policy inside the token").
    if (pqmcp::pkcs11::find_attribute(t, CKA_PQMCP_OWNER)) return Status(CKR_ATTRIBUTE_READ_ONLY);
    if (!phKey || !pWrappedKey) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(m, shim::mechanism(pMechanism, CKF_UNWRAP));
    PQ_ASSIGN(uk, shim::key_for(*s, hUnwrappingKey, CKA_UNWRAP, pMechanism->mechanism,
                                CKR_UNWRAPPING_KEY_HANDLE_INVALID));
    // The template's CKA_CLASS picks secret (raw CKA_VALUE) or private key (PrivateKeyInfo);
    // without one, the blob is a secret key as before.
    const CK_ATTRIBUTE* ca = pqmcp::pkcs11::find_attribute(t, CKA_CLASS);
    auto cls = ca ? pqmcp::pkcs11::ulong_value(*ca) : std::nullopt;
    if (cls && *cls == CKO_PRIVATE_KEY) {
      PQ_ASSIGN(key, private_to_unwrap(t));
      PQ_TRY(shim::may_write(*s, key));
      PQ_ASSIGN(value, m->unwrap(*pMechanism, *uk, {pWrappedKey, ulWrappedKeyLen}));
      PQ_TRY(decode_private_key(view(value), key));
      // The key type re-derives and cross-checks the material (ML-DSA public_from_private or
      // seed vs expanded key, ML-KEM check_seed_matches / §7.3 checks): material that fails
      // came from the blob, not from the caller's template.
      Status st = shim::import_key(key);
      if (st.rv() == CKR_ATTRIBUTE_VALUE_INVALID || st.rv() == CKR_TEMPLATE_INCONSISTENT)
        return Status(CKR_WRAPPED_KEY_INVALID);
      PQ_TRY(st);
      PQ_ASSIGN(h, shim::store_one(*s, std::move(key)));
      *phKey = h;
      return kOk;
    }
    PQ_ASSIGN(key, derived_secret(t, schema::Origin::kUnwrap, false));
    PQ_TRY(shim::may_write(*s, key));
    PQ_ASSIGN(value, m->unwrap(*pMechanism, *uk, {pWrappedKey, ulWrappedKeyLen}));
    key.attrs[CKA_VALUE] = std::move(value);
    PQ_TRY(shim::import_key(key));
    PQ_ASSIGN(h, shim::store_one(*s, std::move(key)));
    *phKey = h;
    return kOk;
    });
  });
}

CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR, CK_OBJECT_HANDLE, CK_ATTRIBUTE_PTR, CK_ULONG,
                  CK_OBJECT_HANDLE_PTR) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    return Status(CKR_MECHANISM_INVALID);  // no derivation mechanism is registered
  });
}

CK_RV C_EncapsulateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hPublicKey,
                       CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_BYTE_PTR pCiphertext,
                       CK_ULONG_PTR pulCiphertextLen, CK_OBJECT_HANDLE_PTR phKey) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    PQ_ASSIGN(t, shim::tmpl(pTemplate, ulAttributeCount));
    if (!pulCiphertextLen) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(m, shim::mechanism(pMechanism, CKF_ENCAPSULATE));
    PQ_ASSIGN(pub, shim::key_for(*s, hPublicKey, CKA_ENCAPSULATE, pMechanism->mechanism));
    if (pub->cls() != CKO_PUBLIC_KEY) return Status(CKR_KEY_TYPE_INCONSISTENT);
    PQ_ASSIGN(need, m->ciphertext_length(*pub));
    bool go = false;
    PQ_TRY(shim::length_query(pCiphertext, pulCiphertextLen, need, go));
    if (!go) return kOk;  // length query: no key is made
    if (!phKey) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(key, derived_secret(t, schema::Origin::kDerive, true));
    PQ_TRY(shim::may_write(*s, key));
    std::vector<std::uint8_t> ct;
    Bytes secret;
    PQ_TRY(m->encapsulate(*pMechanism, *pub, ct, secret));
    PQ_TRY(kem_finish(*s, std::move(key), std::move(secret), phKey));
    std::memcpy(pCiphertext, ct.data(), ct.size());
    *pulCiphertextLen = ct.size();
    return kOk;
  });
}

CK_RV C_DecapsulateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hPrivateKey,
                       CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_BYTE_PTR pCiphertext,
                       CK_ULONG ulCiphertextLen, CK_OBJECT_HANDLE_PTR phKey) {
  return guard([&]() -> Status {
    return shim::logged_making(hSession, {"C_DecapsulateKey", shim::mech_of(pMechanism), shim::key_ref(hSession, hPrivateKey), oplog::sha256_hex(pCiphertext, ulCiphertextLen)}, {phKey}, [&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    PQ_ASSIGN(t, shim::tmpl(pTemplate, ulAttributeCount));
    if (!phKey || !pCiphertext) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(m, shim::mechanism(pMechanism, CKF_DECAPSULATE));
    PQ_ASSIGN(priv, shim::key_for(*s, hPrivateKey, CKA_DECAPSULATE, pMechanism->mechanism));
    if (priv->cls() != CKO_PRIVATE_KEY) return Status(CKR_KEY_TYPE_INCONSISTENT);
    PQ_ASSIGN(key, derived_secret(t, schema::Origin::kDerive, true));
    PQ_TRY(shim::may_write(*s, key));
    Bytes secret;
    PQ_TRY(m->decapsulate(*pMechanism, *priv, {pCiphertext, ulCiphertextLen}, secret));
    return kem_finish(*s, std::move(key), std::move(secret), phKey);
    });
  });
}

CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR, CK_ULONG) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    return Status(CKR_RANDOM_SEED_NOT_SUPPORTED);  // the OS generator needs no caller seed
  });
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pRandom, CK_ULONG ulLen) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    if (!pRandom && ulLen) return Status(CKR_ARGUMENTS_BAD);
    if (ulLen == 0) return kOk;
    return pqmcp::crypto::is_ok(pqmcp::crypto::random_bytes({pRandom, ulLen})) ? kOk : Status(CKR_DEVICE_ERROR);
  });
}

CK_RV C_WrapKeyAuthenticated(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR, CK_OBJECT_HANDLE, CK_OBJECT_HANDLE,
                             CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    return Status(CKR_FUNCTION_NOT_SUPPORTED);
  });
}

CK_RV C_UnwrapKeyAuthenticated(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR, CK_OBJECT_HANDLE, CK_BYTE_PTR,
                               CK_ULONG, CK_ATTRIBUTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG,
                               CK_OBJECT_HANDLE_PTR) {
  return C_WrapKeyAuthenticated(hSession, nullptr, 0, 0, nullptr, 0, nullptr, nullptr);
}

}  // extern "C"
