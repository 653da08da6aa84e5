// The shim's hooks into the key-operation log (core/oplog.h). Each wraps the body of one C
// function, so the functions themselves change by one line: the body runs as before, then its
// outcome is appended (durably with keyops_log = on, into the bounded buffer with relaxed) before
// the C function returns. A length query or a too-small buffer is not an operation and is not
// logged. When a successful operation cannot be logged the caller gets CKR_FUNCTION_FAILED (on)
// or CKR_DEVICE_ERROR (relaxed) and its output is wiped. Once a relaxed log has failed, every
// hook refuses before the body runs: no private key is used while nothing records it.
#pragma once

#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>

#include "core/oplog.h"
#include "pkcs11/pqmcp_vendor.h"
#include "shim/common.h"

namespace pqmcp::token::shim {

// The key a handle names, for the entry; a handle the session cannot see is named by number.
inline oplog::KeyRef key_ref(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k) {
  auto s = session(h);
  if (!s.ok()) return {};
  auto o = object(*s.value(), k);
  if (!o.ok()) return {"handle:" + std::to_string(k), "", ""};
  return oplog::key_ref(*o.value());
}

inline CK_MECHANISM_TYPE mech_of(CK_MECHANISM_PTR m) { return m ? m->mechanism : 0; }

// A second key named by handle in a mechanism parameter (CKM_PQMCP_COMPOSITE_SIGN: the Ed25519
// half), as shim::begin looked it up for the log entry. The operation checks this same object
// (TokenContext::key), not a second lookup of the handle: between two lookups a concurrent
// C_SetAttributeValue or C_DestroyObject could make the entry name another key than the one used.
struct ParameterKey {
  CK_OBJECT_HANDLE handle = 0;
  Result<ObjectPtr> object;
};

// The entry of such a mechanism names both keys: "<ML-DSA key>+<Ed25519 key>" in id and label.
inline std::optional<ParameterKey> add_parameter_key(Session& s, CK_MECHANISM_PTR m, oplog::KeyRef& ref) {
  if (!m || m->mechanism != CKM_PQMCP_COMPOSITE_SIGN || !m->pParameter ||
      m->ulParameterLen != sizeof(CK_PQMCP_COMPOSITE_SIGN_PARAMS))
    return std::nullopt;
  const CK_OBJECT_HANDLE h = static_cast<const CK_PQMCP_COMPOSITE_SIGN_PARAMS*>(m->pParameter)->hTraditionalKey;
  ParameterKey k{h, object(s, h)};
  const oplog::KeyRef second =
      k.object.ok() ? oplog::key_ref(*k.object.value()) : oplog::KeyRef{"handle:" + std::to_string(h), "", ""};
  // Both always, even where the halves share CKA_ID and label (pqmcp's identities do): another
  // Ed25519 key given the same CKA_ID must still show as a second key.
  ref.id_hex += "+" + second.id_hex;
  ref.label += "+" + second.label;
  return k;
}

// CKR_OK, or oplog::kLogFailed when the session's token has a failed relaxed log. The hooks look
// the session up once (before the body) and keep it: each lookup takes the module lock.
inline CK_RV gate(const Result<SessionPtr>& s) {
  return s.ok() ? oplog::gate(*s.value()->token) : CKR_OK;  // no session: the body says so
}

// What a one-call operation undoes when it ran but its entry could not be logged, besides
// wiping its byte output: nothing, unless it made objects (logged_making).
struct NothingToUndo {
  void operator()(Token&) const {}
};

// A one-call operation. `length_query`: the caller only asked for the output size.
template <typename F, typename U = NothingToUndo>
Status logged(CK_SESSION_HANDLE h, oplog::Op op, bool length_query, F&& body, CK_BYTE_PTR out = nullptr,
              CK_ULONG_PTR out_len = nullptr, U&& undo = U{}) {
  const auto s = session(h);
  if (CK_RV g = gate(s); g != CKR_OK) return Status(g);
  Status st = body();
  if (st.rv() == CKR_BUFFER_TOO_SMALL || (st.ok() && length_query)) return st;
  if (!s.ok()) return st;  // no session, no token to log into
  CK_RV rv = oplog::finish(*s.value()->token, op, st.rv());
  if (rv != st.rv()) {  // it ran, and nothing records it
    if (out && out_len) std::memset(out, 0, *out_len);
    undo(*s.value()->token);
  }
  return Status(rv);
}

// An operation that makes objects (key generation, unwrapping, decapsulation), `made` naming where
// it puts their handles (cleared first). If the operation ran but its entry cannot be logged, the
// call fails as above and the objects it made are destroyed again, their handles cleared: a call
// that reports failure leaves no key behind that no caller holds and no entry names. An object
// that cannot be destroyed either (the storage failing too) keeps its handle in the output.
template <typename F>
Status logged_making(CK_SESSION_HANDLE h, oplog::Op op, std::initializer_list<CK_OBJECT_HANDLE_PTR> made, F&& body) {
  for (CK_OBJECT_HANDLE_PTR p : made)
    if (p) *p = CK_INVALID_HANDLE;
  return logged(h, std::move(op), false, std::forward<F>(body), nullptr, nullptr, [&](Token& t) {
    std::lock_guard<std::mutex> lock(t.mu);
    for (CK_OBJECT_HANDLE_PTR p : made)
      if (p && *p != CK_INVALID_HANDLE && t.destroy(*p).ok()) *p = CK_INVALID_HANDLE;
  });
}

// *Init of a multi-part operation: a refusal is logged now; on success the session keeps the
// record (key, mechanism, running digest) until the call that ends the operation. The key is
// looked up once, here, and handed to the body (`body(session, key, parameter_key)`, the latter
// for a mechanism that names a second key), which checks it with usable_key: the entry and the
// operation name the same objects, and the call costs one lookup per key.
template <typename F>
Status begin(CK_SESSION_HANDLE h, const char* fn, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key,
             std::unique_ptr<oplog::Pending> Session::*pending, F&& body) {
  PQ_ASSIGN(s, session(h));  // no session: nothing to log into, and the body would say the same
  if (CK_RV g = oplog::gate(*s->token); g != CKR_OK) return Status(g);
  const Result<ObjectPtr> obj = object(*s, key);
  oplog::KeyRef ref = obj.ok() ? oplog::key_ref(*obj.value()) : oplog::KeyRef{"handle:" + std::to_string(key), "", ""};
  const std::optional<ParameterKey> second = add_parameter_key(*s, m, ref);
  Status st = body(*s, obj, second);
  if (!st.ok()) return Status(oplog::finish(*s->token, {fn, mech_of(m), std::move(ref), ""}, st.rv()));
  auto p = std::make_unique<oplog::Pending>();
  p->mech = mech_of(m);
  p->key = std::move(ref);
  std::lock_guard l(s->mu);
  (*s).*pending = std::move(p);
  return st;
}

// A call inside a multi-part operation (`single`: C_Sign / C_Decrypt, whose data counts only
// once the call really runs; otherwise an update or final). Logged when the operation ended.
template <typename OpT, typename F>
Status ended(CK_SESSION_HANDLE h, const char* fn, std::unique_ptr<OpT> Session::*active,
             std::unique_ptr<oplog::Pending> Session::*pending, std::span<const std::uint8_t> data, bool single,
             F&& body, CK_BYTE_PTR out = nullptr, CK_ULONG_PTR out_len = nullptr) {
  const auto sr = session(h);
  if (CK_RV g = gate(sr); g != CKR_OK) {
    // A call that fails (other than CKR_BUFFER_TOO_SMALL) ends the active operation (base spec).
    std::lock_guard l(sr.value()->mu);
    (*sr.value()).*active = nullptr;
    (*sr.value()).*pending = nullptr;
    return Status(g);
  }
  Status st = body();
  if (!sr.ok()) return st;
  Session& s = *sr.value();
  std::unique_ptr<oplog::Pending> p;
  {
    std::lock_guard l(s.mu);
    const bool over = !(s.*active);
    if (s.*pending && (single ? over : (st.ok() || over))) (s.*pending)->digest.update(data);
    if (over) p = std::move(s.*pending);
  }
  if (!p) return st;
  auto consumed = p->digest.take();  // the SHA-256 itself is left to whoever makes the entry
  CK_RV rv = oplog::finish(
      *s.token, {fn, p->mech, p->key, std::move(consumed.hex), std::move(consumed.data), consumed.deferred}, st.rv());
  if (rv != st.rv() && out && out_len) std::memset(out, 0, *out_len);
  return Status(rv);
}

}  // namespace pqmcp::token::shim
