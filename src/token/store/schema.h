// Which attributes each object class and key type has, and how templates are validated
// (base spec §4 tables and the 3.2 ML-DSA / ML-KEM key tables; return codes of §5.7
// C_CreateObject, §5.14 C_GenerateKey/KeyPair, C_GetAttributeValue, C_SetAttributeValue).
#pragma once

#include <span>

#include "core/result.h"
#include "store/object.h"

namespace pqmcp::token::schema {

// How an object comes into existence; decides which attributes a template may carry.
enum class Origin { kCreate, kGenerate, kUnwrap, kDerive, kCopy };

// True if type is an attribute of objects of this class / key type.
bool applies(CK_ATTRIBUTE_TYPE type, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt);

// Key material: never revealed when the key is sensitive or unextractable (3.2 footnote 7),
// and kept encrypted at rest for token objects.
bool is_secret(CK_ATTRIBUTE_TYPE type, CK_OBJECT_CLASS cls);

// True if the attribute value must be sealed when stored (secrets, and the value of a
// private data object).
bool sealed_at_rest(const Object& o, CK_ATTRIBUTE_TYPE type);

// Parses and validates a template into a new object of the given origin. forced_class /
// forced_key_type come from the mechanism (e.g. CKO_PRIVATE_KEY/CKK_ML_DSA for ML-DSA key pair
// generation); a template value that disagrees is CKR_TEMPLATE_INCONSISTENT. Fills the
// defaults of every applicable attribute. Key material is not checked here (key types do it).
Result<Object> build(std::span<const CK_ATTRIBUTE> tmpl, Origin origin,
                     CK_OBJECT_CLASS forced_class = CKO_VENDOR_DEFINED,
                     CK_KEY_TYPE forced_key_type = CKK_VENDOR_DEFINED);

// Validates a C_SetAttributeValue (copy=false) or C_CopyObject (copy=true) template against
// the existing object and applies it to `obj` (a private copy).
Status modify(Object& obj, std::span<const CK_ATTRIBUTE> tmpl, bool copy);

// Sets ALWAYS_SENSITIVE / NEVER_EXTRACTABLE / LOCAL / KEY_GEN_MECHANISM after generation.
void mark_generated(Object& o, CK_MECHANISM_TYPE mech);

// Does the object carry every attribute of the template with the same value? Key material
// never matches (a search must not become an oracle for secret values).
bool matches(const Object& o, std::span<const CK_ATTRIBUTE> tmpl);

// Fills one attribute of a C_GetAttributeValue template (base spec §5.7.5 rules 1-5).
CK_RV read(const Object& o, CK_ATTRIBUTE& a);

// CKA_ALLOWED_MECHANISMS check (base spec §4.8: empty or absent means any mechanism).
bool mechanism_allowed(const Object& key, CK_MECHANISM_TYPE mech);

// True iff the key's CKA_ALLOWED_MECHANISMS is present, non-empty and lists only mechanisms
// `ok` accepts (absent or empty would allow every mechanism).
bool mechanisms_only(const Object& key, bool (*ok)(CK_MECHANISM_TYPE));

}  // namespace pqmcp::token::schema
