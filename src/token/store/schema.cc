#include "store/schema.h"

#include <algorithm>
#include <cstring>

#include "pkcs11/attributes.h"
#include "pkcs11/pqmcp_vendor.h"

namespace pqmcp::token::schema {
namespace {

enum class Kind { kBool, kUlong, kBytes, kDate, kMechanisms };

enum Flag : unsigned {
  kReadOnly = 1,     // set by the token only (§4.4 footnote 2/4)
  kModifiable = 2,   // may change with C_SetAttributeValue / C_CopyObject
  kSecret = 4,       // key material (footnote 7)
  kMaterial = 8,     // must not be given when the token makes the key (footnote 4)
  kCopyChange = 16,  // may change in C_CopyObject only (§5.7.2: TOKEN, PRIVATE, …)
};

constexpr unsigned D = 1u << CKO_DATA, PU = 1u << CKO_PUBLIC_KEY, PR = 1u << CKO_PRIVATE_KEY,
                   SE = 1u << CKO_SECRET_KEY, KEYS = PU | PR | SE, ALL = D | KEYS;

struct Rule {
  CK_ATTRIBUTE_TYPE type;
  Kind kind;
  unsigned classes;
  unsigned flags;
  CK_KEY_TYPE kt1 = CKK_VENDOR_DEFINED;  // if set, only these key types
  CK_KEY_TYPE kt2 = CKK_VENDOR_DEFINED;
};

// Attributes of the common storage object (§4.4), data objects (§4.5), common key (§4.7),
// public (§4.8), private (§4.9), secret keys (§4.10), and key-type specifics (EC §6.3, AES,
// generic secret, 3.2 ML-DSA / ML-KEM).
constexpr Rule kRules[] = {
    {CKA_CLASS, Kind::kUlong, ALL, 0},
    {CKA_TOKEN, Kind::kBool, ALL, kCopyChange},
    {CKA_PRIVATE, Kind::kBool, ALL, kCopyChange},
    {CKA_MODIFIABLE, Kind::kBool, ALL, kCopyChange},
    {CKA_COPYABLE, Kind::kBool, ALL, kCopyChange},
    {CKA_DESTROYABLE, Kind::kBool, ALL, kCopyChange},
    {CKA_LABEL, Kind::kBytes, ALL, kModifiable},
    {CKA_UNIQUE_ID, Kind::kBytes, ALL, kReadOnly},
    {CKA_APPLICATION, Kind::kBytes, D, kModifiable},
    {CKA_OBJECT_ID, Kind::kBytes, D, kModifiable},
    {CKA_VALUE, Kind::kBytes, D, kModifiable},
    {CKA_KEY_TYPE, Kind::kUlong, KEYS, 0},
    {CKA_ID, Kind::kBytes, KEYS, kModifiable},
    {CKA_START_DATE, Kind::kDate, KEYS, kModifiable},
    {CKA_END_DATE, Kind::kDate, KEYS, kModifiable},
    {CKA_DERIVE, Kind::kBool, KEYS, kModifiable},
    {CKA_LOCAL, Kind::kBool, KEYS, kReadOnly},
    {CKA_KEY_GEN_MECHANISM, Kind::kUlong, KEYS, kReadOnly},
    {CKA_ALLOWED_MECHANISMS, Kind::kMechanisms, KEYS, 0},
    {CKA_SUBJECT, Kind::kBytes, PU | PR, kModifiable},
    {CKA_ENCRYPT, Kind::kBool, PU | SE, kModifiable},
    {CKA_VERIFY, Kind::kBool, PU | SE, kModifiable},
    {CKA_VERIFY_RECOVER, Kind::kBool, PU, kModifiable},
    {CKA_WRAP, Kind::kBool, PU | SE, kModifiable},
    {CKA_TRUSTED, Kind::kBool, PU | SE, 0},
    {CKA_ENCAPSULATE, Kind::kBool, PU, kModifiable},
    {CKA_PUBLIC_KEY_INFO, Kind::kBytes, PU | PR, 0},
    {CKA_DECRYPT, Kind::kBool, PR | SE, kModifiable},
    {CKA_SIGN, Kind::kBool, PR | SE, kModifiable},
    {CKA_SIGN_RECOVER, Kind::kBool, PR, kModifiable},
    {CKA_UNWRAP, Kind::kBool, PR | SE, kModifiable},
    {CKA_DECAPSULATE, Kind::kBool, PR, kModifiable},
    {CKA_SENSITIVE, Kind::kBool, PR | SE, kModifiable},
    {CKA_EXTRACTABLE, Kind::kBool, PR | SE, kModifiable},
    {CKA_ALWAYS_SENSITIVE, Kind::kBool, PR | SE, kReadOnly},
    {CKA_NEVER_EXTRACTABLE, Kind::kBool, PR | SE, kReadOnly},
    {CKA_WRAP_WITH_TRUSTED, Kind::kBool, PR | SE, kModifiable},
    {CKA_ALWAYS_AUTHENTICATE, Kind::kBool, PR, 0},
    // Key-type specific.
    {CKA_PARAMETER_SET, Kind::kUlong, PU | PR, 0, CKK_ML_DSA, CKK_ML_KEM},
    {CKA_VALUE, Kind::kBytes, PU, kMaterial, CKK_ML_DSA, CKK_ML_KEM},
    {CKA_VALUE, Kind::kBytes, PR, kMaterial | kSecret, CKK_ML_DSA, CKK_ML_KEM},
    {CKA_SEED, Kind::kBytes, PR, kMaterial | kSecret, CKK_ML_DSA, CKK_ML_KEM},
    {CKA_EC_PARAMS, Kind::kBytes, PU | PR, 0, CKK_EC, CKK_EC_EDWARDS},
    {CKA_EC_POINT, Kind::kBytes, PU, kMaterial, CKK_EC, CKK_EC_EDWARDS},
    {CKA_VALUE, Kind::kBytes, PR, kMaterial | kSecret, CKK_EC, CKK_EC_EDWARDS},
    {CKA_VALUE, Kind::kBytes, SE, kMaterial | kSecret, CKK_AES, CKK_GENERIC_SECRET},
    {CKA_VALUE_LEN, Kind::kUlong, SE, 0, CKK_AES, CKK_GENERIC_SECRET},
    // pqmcp vendor attributes (docs/token.md "Policy inside the token"): given at creation only.
    {CKA_PQMCP_MCP_POLICY, Kind::kBool, D, 0},
    {CKA_PQMCP_OWNER, Kind::kBytes, PU | PR, 0, CKK_ML_DSA, CKK_ML_DSA},
};

const Rule* rule(CK_ATTRIBUTE_TYPE type, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt) {
  if (cls > CKO_SECRET_KEY) return nullptr;
  for (const Rule& r : kRules) {
    if (r.type != type || !(r.classes & (1u << cls))) continue;
    if (r.kt1 != CKK_VENDOR_DEFINED && kt != r.kt1 && kt != r.kt2) continue;
    return &r;
  }
  return nullptr;
}

bool well_formed(Kind k, const CK_ATTRIBUTE& a) {
  if (a.pValue == nullptr && a.ulValueLen != 0) return false;
  switch (k) {
    case Kind::kBool: return pkcs11::bool_value(a).has_value();
    case Kind::kUlong: return a.ulValueLen == sizeof(CK_ULONG) && a.pValue;
    case Kind::kDate: return a.ulValueLen == 0 || a.ulValueLen == sizeof(CK_DATE);
    case Kind::kMechanisms: return a.ulValueLen % sizeof(CK_MECHANISM_TYPE) == 0;
    case Kind::kBytes: return true;
  }
  return false;
}

bool supported_class(CK_OBJECT_CLASS c) {
  return c == CKO_DATA || c == CKO_PUBLIC_KEY || c == CKO_PRIVATE_KEY || c == CKO_SECRET_KEY;
}

bool supported_key_type(CK_OBJECT_CLASS c, CK_KEY_TYPE k) {
  switch (c) {
    case CKO_PUBLIC_KEY:
    case CKO_PRIVATE_KEY:
      return k == CKK_ML_DSA || k == CKK_ML_KEM || k == CKK_EC || k == CKK_EC_EDWARDS;
    case CKO_SECRET_KEY: return k == CKK_AES || k == CKK_GENERIC_SECRET;
    default: return false;
  }
}

void set_default(Object& o, CK_ATTRIBUTE_TYPE t, bool v) {
  if (!o.has(t)) o.set_bool(t, v);
}

// Defaults for attributes the template left out. Private and secret keys default to
// sensitive and unextractable: a key must be made exportable on purpose.
void fill_defaults(Object& o) {
  CK_OBJECT_CLASS c = o.cls();
  CK_KEY_TYPE kt = o.key_type();
  set_default(o, CKA_TOKEN, false);
  set_default(o, CKA_PRIVATE, c == CKO_PRIVATE_KEY || c == CKO_SECRET_KEY);
  set_default(o, CKA_MODIFIABLE, true);
  set_default(o, CKA_COPYABLE, true);
  set_default(o, CKA_DESTROYABLE, true);
  if (!o.has(CKA_LABEL)) o.attrs[CKA_LABEL] = {};
  if (c == CKO_DATA) {
    for (auto t : {CKA_APPLICATION, CKA_OBJECT_ID, CKA_VALUE})
      if (!o.has(t)) o.attrs[t] = {};
    return;
  }
  if (!o.has(CKA_ID)) o.attrs[CKA_ID] = {};
  if (!o.has(CKA_START_DATE)) o.attrs[CKA_START_DATE] = {};
  if (!o.has(CKA_END_DATE)) o.attrs[CKA_END_DATE] = {};
  set_default(o, CKA_DERIVE, false);
  set_default(o, CKA_LOCAL, false);
  if (!o.has(CKA_KEY_GEN_MECHANISM)) o.set_ulong(CKA_KEY_GEN_MECHANISM, CK_UNAVAILABLE_INFORMATION);
  bool kem = kt == CKK_ML_KEM;
  if (c == CKO_PUBLIC_KEY) {
    if (!o.has(CKA_SUBJECT)) o.attrs[CKA_SUBJECT] = {};
    set_default(o, CKA_ENCRYPT, false);
    set_default(o, CKA_VERIFY, !kem);
    set_default(o, CKA_VERIFY_RECOVER, false);
    set_default(o, CKA_WRAP, false);
    set_default(o, CKA_TRUSTED, false);
    set_default(o, CKA_ENCAPSULATE, kem);
  } else {
    if (c == CKO_PRIVATE_KEY) {
      if (!o.has(CKA_SUBJECT)) o.attrs[CKA_SUBJECT] = {};
      set_default(o, CKA_SIGN_RECOVER, false);
      set_default(o, CKA_ALWAYS_AUTHENTICATE, false);
      set_default(o, CKA_DECAPSULATE, kem);
      set_default(o, CKA_SIGN, !kem);
      set_default(o, CKA_DECRYPT, false);
      set_default(o, CKA_UNWRAP, false);
    } else {
      set_default(o, CKA_SIGN, true);
      set_default(o, CKA_VERIFY, true);
      set_default(o, CKA_ENCRYPT, true);
      set_default(o, CKA_DECRYPT, true);
      set_default(o, CKA_WRAP, false);
      set_default(o, CKA_UNWRAP, false);
      set_default(o, CKA_TRUSTED, false);
    }
    set_default(o, CKA_SENSITIVE, true);
    set_default(o, CKA_EXTRACTABLE, false);
    set_default(o, CKA_WRAP_WITH_TRUSTED, false);
    set_default(o, CKA_ALWAYS_SENSITIVE, false);
    set_default(o, CKA_NEVER_EXTRACTABLE, false);
  }
}

}  // namespace

bool applies(CK_ATTRIBUTE_TYPE type, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt) {
  return rule(type, cls, kt) != nullptr;
}

bool is_secret(CK_ATTRIBUTE_TYPE type, CK_OBJECT_CLASS cls) {
  return (cls == CKO_PRIVATE_KEY && (type == CKA_VALUE || type == CKA_SEED)) ||
         (cls == CKO_SECRET_KEY && type == CKA_VALUE);
}

bool sealed_at_rest(const Object& o, CK_ATTRIBUTE_TYPE type) {
  return is_secret(type, o.cls()) || (o.cls() == CKO_DATA && type == CKA_VALUE && o.is_private());
}

Result<Object> build(std::span<const CK_ATTRIBUTE> tmpl, Origin origin, CK_OBJECT_CLASS fc,
                     CK_KEY_TYPE fk) {
  // Pass 1: class and key type, which decide what the other attributes mean.
  CK_OBJECT_CLASS cls = fc;
  CK_KEY_TYPE kt = fk;
  for (const auto& a : tmpl) {
    if (a.type != CKA_CLASS && a.type != CKA_KEY_TYPE) continue;
    auto v = pkcs11::ulong_value(a);
    if (!v) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
    CK_ULONG& slot = a.type == CKA_CLASS ? cls : kt;
    CK_ULONG forced = a.type == CKA_CLASS ? fc : fk;
    if (forced != CKO_VENDOR_DEFINED && *v != forced) return Status(CKR_TEMPLATE_INCONSISTENT);
    if (slot != CKO_VENDOR_DEFINED && slot != *v) return Status(CKR_TEMPLATE_INCONSISTENT);
    slot = *v;
  }
  if (cls == CKO_VENDOR_DEFINED) return Status(CKR_TEMPLATE_INCOMPLETE);
  if (!supported_class(cls)) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
  bool key = cls != CKO_DATA;
  if (key && kt == CKK_VENDOR_DEFINED) return Status(CKR_TEMPLATE_INCOMPLETE);
  if (key && !supported_key_type(cls, kt)) return Status(CKR_ATTRIBUTE_VALUE_INVALID);

  Object o;
  o.set_ulong(CKA_CLASS, cls);
  if (key) o.set_ulong(CKA_KEY_TYPE, kt);
  for (const auto& a : tmpl) {
    if (a.type == CKA_CLASS || a.type == CKA_KEY_TYPE) continue;
    // The 3.2 errata give the KEM templates the array flag; neither form is supported here.
    const Rule* r = rule(a.type, cls, kt);
    if (!r) return Status(CKR_ATTRIBUTE_TYPE_INVALID);
    if (!well_formed(r->kind, a)) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
    if (r->flags & kReadOnly) return Status(CKR_ATTRIBUTE_READ_ONLY);
    if ((r->flags & kMaterial) && origin != Origin::kCreate)
      return Status(CKR_TEMPLATE_INCONSISTENT);
    auto bytes = pkcs11::bytes_value(a);
    if (auto it = o.attrs.find(a.type); it != o.attrs.end()) {
      if (!std::equal(it->second.begin(), it->second.end(), bytes.begin(), bytes.end()))
        return Status(CKR_TEMPLATE_INCONSISTENT);
      continue;
    }
    o.set_bytes(a.type, bytes);
  }
  if (key && (o.has(CKA_ALWAYS_SENSITIVE) || o.has(CKA_NEVER_EXTRACTABLE)))
    return Status(CKR_ATTRIBUTE_READ_ONLY);
  fill_defaults(o);
  return o;
}

Status modify(Object& obj, std::span<const CK_ATTRIBUTE> tmpl, bool copy) {
  if (!copy && !obj.flag(CKA_MODIFIABLE, true)) return Status(CKR_ACTION_PROHIBITED);
  Object next = obj;
  for (const auto& a : tmpl) {
    const Rule* r = rule(a.type, obj.cls(), obj.key_type());
    if (!r) return Status(CKR_ATTRIBUTE_TYPE_INVALID);
    if (!well_formed(r->kind, a)) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
    auto bytes = pkcs11::bytes_value(a);
    const Bytes* cur = obj.get(a.type);
    bool same = cur && std::equal(cur->begin(), cur->end(), bytes.begin(), bytes.end());
    bool allowed = (r->flags & kModifiable) || (copy && (r->flags & kCopyChange));
    if (!allowed && !same) return Status(CKR_ATTRIBUTE_READ_ONLY);
    // §4.9: SENSITIVE may only become TRUE and EXTRACTABLE only FALSE; MODIFIABLE, COPYABLE
    // and DESTROYABLE only become more restrictive in a copy.
    if (r->kind == Kind::kBool && !same) {
      bool v = *pkcs11::bool_value(a);
      if ((a.type == CKA_SENSITIVE && !v) || (a.type == CKA_EXTRACTABLE && v) ||
          (a.type == CKA_COPYABLE && v) ||
          (copy && (a.type == CKA_MODIFIABLE || a.type == CKA_DESTROYABLE) && v))
        return Status(CKR_ATTRIBUTE_READ_ONLY);
      if (a.type == CKA_SENSITIVE && v) next.set_bool(CKA_ALWAYS_SENSITIVE, next.flag(CKA_ALWAYS_SENSITIVE));
    }
    next.set_bytes(a.type, bytes);
  }
  obj = std::move(next);
  return kOk;
}

void mark_generated(Object& o, CK_MECHANISM_TYPE mech) {
  o.set_bool(CKA_LOCAL, true);
  o.set_ulong(CKA_KEY_GEN_MECHANISM, mech);
  if (o.cls() == CKO_PRIVATE_KEY || o.cls() == CKO_SECRET_KEY) {
    o.set_bool(CKA_ALWAYS_SENSITIVE, o.flag(CKA_SENSITIVE));
    o.set_bool(CKA_NEVER_EXTRACTABLE, !o.flag(CKA_EXTRACTABLE));
  }
}

bool matches(const Object& o, std::span<const CK_ATTRIBUTE> tmpl) {
  for (const auto& a : tmpl) {
    if (a.pValue == nullptr && a.ulValueLen != 0) return false;
    if (is_secret(a.type, o.cls())) return false;
    const Bytes* v = o.get(a.type);
    if (!v) return false;
    auto want = pkcs11::bytes_value(a);
    if (!std::equal(v->begin(), v->end(), want.begin(), want.end())) return false;
  }
  return true;
}

CK_RV read(const Object& o, CK_ATTRIBUTE& a) {
  const Rule* r = rule(a.type, o.cls(), o.key_type());
  const Bytes* v = o.get(a.type);
  if (!r || !v) {
    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
    return CKR_ATTRIBUTE_TYPE_INVALID;
  }
  if ((r->flags & kSecret) && (o.flag(CKA_SENSITIVE, true) || !o.flag(CKA_EXTRACTABLE))) {
    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
    return CKR_ATTRIBUTE_SENSITIVE;
  }
  if (a.pValue == nullptr) {
    a.ulValueLen = v->size();
    return CKR_OK;
  }
  if (a.ulValueLen < v->size()) {
    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
    return CKR_BUFFER_TOO_SMALL;
  }
  if (!v->empty()) std::memcpy(a.pValue, v->data(), v->size());
  a.ulValueLen = v->size();
  return CKR_OK;
}

namespace {
// Calls f on each entry of CKA_ALLOWED_MECHANISMS until it returns true; false if none did.
template <typename F>
bool any_allowed(const Bytes& v, F&& f) {
  for (std::size_t i = 0; i + sizeof(CK_MECHANISM_TYPE) <= v.size(); i += sizeof(CK_MECHANISM_TYPE)) {
    CK_MECHANISM_TYPE m;
    std::memcpy(&m, v.data() + i, sizeof m);
    if (f(m)) return true;
  }
  return false;
}
}  // namespace

bool mechanism_allowed(const Object& key, CK_MECHANISM_TYPE mech) {
  const Bytes* v = key.get(CKA_ALLOWED_MECHANISMS);
  if (!v || v->empty()) return true;
  return any_allowed(*v, [&](CK_MECHANISM_TYPE m) { return m == mech; });
}

bool mechanisms_only(const Object& key, bool (*ok)(CK_MECHANISM_TYPE)) {
  const Bytes* v = key.get(CKA_ALLOWED_MECHANISMS);
  // A stored value of a stray length (templates never get one through) is not trusted either.
  if (!v || v->empty() || v->size() % sizeof(CK_MECHANISM_TYPE) != 0) return false;
  return !any_allowed(*v, [&](CK_MECHANISM_TYPE m) { return !ok(m); });
}

}  // namespace pqmcp::token::schema
