// Shared pieces of the C ABI shim. Every C_* function body runs inside guard(), which turns
// the internal Status into the CK_RV once and catches every exception, so nothing thrown
// (std::bad_alloc from a container, anything else) ever crosses the C ABI.
#pragma once

#include <cstring>
#include <new>
#include <span>

#include "core/call_scope.h"
#include "core/module.h"
#include "mechanisms/mechanism.h"
#include "pkcs11/pqmcp_vendor.h"
#include "store/schema.h"

namespace pqmcp::token::shim {

template <typename F>
CK_RV guard(F&& f) noexcept {
  CallScope call;  // one database staleness check per token per C call (core/call_scope.h)
  try {
    Status s = f();
    return s.rv();
  } catch (const std::bad_alloc&) {
    return CKR_HOST_MEMORY;
  } catch (...) {
    return CKR_GENERAL_ERROR;
  }
}

inline Result<SessionPtr> session(CK_SESSION_HANDLE h) { return Module::get().session(h); }

// A caller's template: NULL with a non-zero count is CKR_ARGUMENTS_BAD.
inline Result<std::span<const CK_ATTRIBUTE>> tmpl(CK_ATTRIBUTE_PTR p, CK_ULONG n) {
  if (p == nullptr && n != 0) return Status(CKR_ARGUMENTS_BAD);
  return std::span<const CK_ATTRIBUTE>(p, p ? n : 0);
}

inline Result<std::span<const std::uint8_t>> in_bytes(const CK_BYTE* p, CK_ULONG n) {
  if (p == nullptr && n != 0) return Status(CKR_ARGUMENTS_BAD);
  return std::span<const std::uint8_t>(p, p ? n : 0);
}

// Base spec §5.2 output convention: NULL buffer → report the length, CKR_OK; buffer too
// small → report the length, CKR_BUFFER_TOO_SMALL; else copy and report the length.
inline Status length_query(CK_BYTE_PTR out, CK_ULONG_PTR len, std::size_t need, bool& proceed) {
  proceed = false;
  if (len == nullptr) return Status(CKR_ARGUMENTS_BAD);
  if (out == nullptr) {
    *len = need;
    return kOk;
  }
  if (*len < need) {
    *len = need;
    return Status(CKR_BUFFER_TOO_SMALL);
  }
  proceed = true;
  return kOk;
}

inline Status output(CK_BYTE_PTR out, CK_ULONG_PTR len, std::span<const std::uint8_t> data) {
  bool go = false;
  PQ_TRY(length_query(out, len, data.size(), go));
  if (go) {
    if (!data.empty()) std::memcpy(out, data.data(), data.size());
    *len = data.size();
  }
  return kOk;
}

// Looks up an object visible to the session's login state.
inline Result<ObjectPtr> object(Session& s, CK_OBJECT_HANDLE h) {
  std::lock_guard<std::mutex> lock(s.token->mu);
  return s.token->object(h);
}

// A key for an operation: wrong handle → `invalid_rv`; usage attribute off →
// CKR_KEY_FUNCTION_NOT_PERMITTED; CKA_ALLOWED_MECHANISMS excludes it → CKR_MECHANISM_INVALID.
// `usable_key` makes the same checks on a key the caller has looked up already (shim::begin
// looks the key of C_SignInit / C_DecryptInit up once, for the log entry and the operation).
// The mechanisms a policy-bound private key (CKA_PQMCP_OWNER) may use: those that check the
// token's MCP policy before they sign.
inline bool policy_checking(CK_MECHANISM_TYPE m) {
  return m == CKM_PQMCP_MCP_SIGN_MLDSA || m == CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA;
}

inline Result<ObjectPtr> usable_key(const Result<ObjectPtr>& o, CK_ATTRIBUTE_TYPE usage, CK_MECHANISM_TYPE mech,
                                    CK_RV invalid_rv = CKR_KEY_HANDLE_INVALID) {
  if (!o.ok()) return Status(o.rv() == CKR_OBJECT_HANDLE_INVALID ? invalid_rv : o.rv());
  const Object& k = *o.value();
  if (!k.is_key()) return Status(invalid_rv);
  if (!k.flag(usage)) return Status(CKR_KEY_FUNCTION_NOT_PERMITTED);
  if (!schema::mechanism_allowed(k, mech)) return Status(CKR_MECHANISM_INVALID);
  // Whatever its CKA_ALLOWED_MECHANISMS says: a bound key made before the token required the
  // restriction (may_write) must not sign raw bytes either.
  if (k.cls() == CKO_PRIVATE_KEY && k.has(CKA_PQMCP_OWNER) && !policy_checking(mech)) return Status(CKR_MECHANISM_INVALID);
  return o;
}

inline Result<ObjectPtr> key_for(Session& s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage,
                                 CK_MECHANISM_TYPE mech, CK_RV invalid_rv = CKR_KEY_HANDLE_INVALID) {
  return usable_key(object(s, h), usage, mech, invalid_rv);
}

inline Result<const Mechanism*> mechanism(CK_MECHANISM_PTR m, CK_FLAGS needed) {
  if (m == nullptr) return Status(CKR_ARGUMENTS_BAD);
  if (m->pParameter == nullptr && m->ulParameterLen != 0) return Status(CKR_MECHANISM_PARAM_INVALID);
  const Mechanism* h = Registry::get().mechanism(m->mechanism);
  if (!h || !(h->info().flags & needed)) return Status(CKR_MECHANISM_INVALID);
  return h;
}

// May this session create or change this object? (base spec §5.6: token objects need a
// read/write session; private objects need the user logged in.)
inline Status may_write(Session& s, const Object& o) {
  if (o.is_token() && !s.rw()) return Status(CKR_SESSION_READ_ONLY);
  std::lock_guard<std::mutex> lock(s.token->mu);
  if (o.is_private() && s.token->logged_in() != CKU_USER) return Status(CKR_USER_NOT_LOGGED_IN);
  // Base spec §4.8 / §4.10 (CKA_TRUSTED footnote): only the SO may make a key trusted, since a
  // trusted key is what CKA_WRAP_WITH_TRUSTED keys may be wrapped with. Checked on every object
  // a template makes (create, generate, unwrap, KEM, copy); SoftHSM returns the same code.
  if (o.flag(CKA_TRUSTED) && s.token->logged_in() != CKU_SO) return Status(CKR_ATTRIBUTE_READ_ONLY);
  // A policy-bound key (CKA_PQMCP_OWNER) never leaves the token, not even wrapped: otherwise a
  // wrapped copy could be unwrapped without its CKA_ALLOWED_MECHANISMS restriction.
  if (o.has(CKA_PQMCP_OWNER) && o.flag(CKA_EXTRACTABLE)) return Status(CKR_TEMPLATE_INCONSISTENT);
  // It signs only through the mechanisms that check the token's policy (usable_key enforces that
  // at use as well): its CKA_ALLOWED_MECHANISMS must say so, since an absent or empty list means
  // every mechanism (base spec §4.8) to whoever reads the key's attributes.
  // CKR_TEMPLATE_INCONSISTENT in every case: C_CopyObject does not list CKR_TEMPLATE_INCOMPLETE.
  if (o.has(CKA_PQMCP_OWNER) && o.cls() == CKO_PRIVATE_KEY && !schema::mechanisms_only(o, policy_checking))
    return Status(CKR_TEMPLATE_INCONSISTENT);
  return kOk;
}

inline Result<CK_OBJECT_HANDLE> store_one(Session& s, Object o) {
  std::lock_guard<std::mutex> lock(s.token->mu);
  std::vector<Object> v;
  v.push_back(std::move(o));
  PQ_ASSIGN(h, s.token->add(std::move(v), s.handle));
  return h[0];
}

// Validates key material of a new key with its key type's handler.
inline Status import_key(Object& o) {
  const KeyType* kt = Registry::get().key_type(o.key_type());
  if (!kt) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
  return kt->import(o);
}

}  // namespace pqmcp::token::shim
