// Signing and verification (base spec §5.11-5.12, 3.2 §5.15 C_VerifySignature*). Operations
// live in the session; the session mutex serialises calls within one session only.
#include "core/mcp_policy.h"
#include "pkcs11/pqmcp_vendor.h"
#include "shim/common.h"
#include "shim/oplog_hooks.h"

using namespace pqmcp::token;
using shim::guard;

namespace {

// `found`: the key, looked up by the caller (shim::begin for C_SignInit, which logs it too), and
// `second` the key the mechanism parameter names, when shim::begin looked that one up as well.
Status init(Session* s, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey, const Result<ObjectPtr>& found,
            const std::optional<shim::ParameterKey>& second, bool verify, std::unique_ptr<SignOp> Session::*slot) {
  std::lock_guard<std::mutex> sl(s->mu);
  if ((*s).*slot) return Status(CKR_OPERATION_ACTIVE);
  PQ_ASSIGN(m, shim::mechanism(pMechanism, verify ? CKF_VERIFY : CKF_SIGN));
  auto key = shim::usable_key(found, verify ? CKA_VERIFY : CKA_SIGN, pMechanism->mechanism);
  // A key bound to the MCP mechanisms asked to do anything else is what a puppet attack looks
  // like (docs/token.md): the refusal goes to the decision log.
  if (!key.ok() && key.rv() == CKR_MECHANISM_INVALID) mcp_policy::note_refused_mechanism(*s, hKey, pMechanism->mechanism);
  if (!key.ok()) return Status(key.rv());
  const CK_MECHANISM_TYPE mt = pMechanism->mechanism;
  TokenContext tc;
  if (mt == CKM_PQMCP_MCP_SIGN_MLDSA || mt == CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA) tc = mcp_policy::context_for(*s);
  if (mt == CKM_PQMCP_COMPOSITE_SIGN)
    tc.key = [mt, second](CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage) -> Result<ObjectPtr> {
      // The object the log entry names, and no other: a handle that differs from the logged one
      // (the caller rewrote the parameter meanwhile) is refused rather than looked up again.
      if (!second || second->handle != h) return Status(CKR_MECHANISM_PARAM_INVALID);
      return shim::usable_key(second->object, usage, mt);
    };
  PQ_ASSIGN(op, m->sign_init_with(*pMechanism, key.value(), verify, tc));
  (*s).*slot = std::move(op);
  return kOk;
}

// C_VerifyInit and C_VerifySignatureInit (no log entry): the lookup happens here.
Status init(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey, bool verify,
            std::unique_ptr<SignOp> Session::*slot) {
  PQ_ASSIGN(s, shim::session(hSession));
  return init(s.get(), pMechanism, hKey, shim::object(*s, hKey), std::nullopt, verify, slot);
}

// Runs fn on the active operation; any result other than a length query or a too-small
// buffer ends the operation (§5.2).
template <typename F>
Status with_op(CK_SESSION_HANDLE hSession, std::unique_ptr<SignOp> Session::*slot, F&& fn) {
  PQ_ASSIGN(s, shim::session(hSession));
  std::lock_guard<std::mutex> sl(s->mu);
  auto& op = (*s).*slot;
  if (!op) return Status(CKR_OPERATION_NOT_INITIALIZED);
  bool keep = false;
  Status st = fn(*op, keep);
  if (!keep) op.reset();
  return st;
}

Status finish_sign(SignOp& op, CK_BYTE_PTR out, CK_ULONG_PTR len, bool& keep) {
  bool go = false;
  Status q = shim::length_query(out, len, op.signature_length(), go);
  if (!go) {
    keep = q.ok() || q.rv() == CKR_BUFFER_TOO_SMALL;
    return q;
  }
  std::size_t written = 0;
  PQ_TRY(op.sign({out, *len}, written));
  *len = written;
  return kOk;
}

}  // namespace

extern "C" {

CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return guard([&] {
    return shim::begin(hSession, "C_SignInit", pMechanism, hKey, &Session::sign_log,
                       [&](Session& s, const Result<ObjectPtr>& key, const std::optional<shim::ParameterKey>& second) {
                         return init(&s, pMechanism, hKey, key, second, false, &Session::sign);
                       });
  });
}

CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
             CK_ULONG_PTR pulSignatureLen) {
  return guard([&] {
    return shim::ended(hSession, "C_Sign", &Session::sign, &Session::sign_log, {pData, pData ? ulDataLen : 0}, true, [&] {
    return with_op(hSession, &Session::sign, [&](SignOp& op, bool& keep) -> Status {
      PQ_ASSIGN(data, shim::in_bytes(pData, ulDataLen));
      bool go = false;
      Status q = shim::length_query(pSignature, pulSignatureLen, op.signature_length(), go);
      if (!go) {
        keep = q.ok() || q.rv() == CKR_BUFFER_TOO_SMALL;
        return q;
      }
      PQ_TRY(op.update(data));
      return finish_sign(op, pSignature, pulSignatureLen, keep);
    });
    }, pSignature, pulSignatureLen);
  });
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return guard([&] {
    return shim::ended(hSession, "C_SignUpdate", &Session::sign, &Session::sign_log, {pPart, pPart ? ulPartLen : 0}, false, [&] {
    return with_op(hSession, &Session::sign, [&](SignOp& op, bool& keep) -> Status {
      PQ_ASSIGN(data, shim::in_bytes(pPart, ulPartLen));
      PQ_TRY(op.update(data));
      keep = true;
      return kOk;
    });
    });
  });
}

CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen) {
  return guard([&] {
    return shim::ended(hSession, "C_SignFinal", &Session::sign, &Session::sign_log, {}, true, [&] {
    return with_op(hSession, &Session::sign, [&](SignOp& op, bool& keep) {
      return finish_sign(op, pSignature, pulSignatureLen, keep);
    });
    }, pSignature, pulSignatureLen);
  });
}

CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return guard([&] { return init(hSession, pMechanism, hKey, true, &Session::verify); });
}

CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
               CK_ULONG ulSignatureLen) {
  return guard([&] {
    return with_op(hSession, &Session::verify, [&](SignOp& op, bool&) -> Status {
      PQ_ASSIGN(data, shim::in_bytes(pData, ulDataLen));
      PQ_ASSIGN(sig, shim::in_bytes(pSignature, ulSignatureLen));
      if (!pSignature) return Status(CKR_ARGUMENTS_BAD);
      PQ_TRY(op.update(data));
      return op.verify(sig);
    });
  });
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return guard([&] {
    return with_op(hSession, &Session::verify, [&](SignOp& op, bool& keep) -> Status {
      PQ_ASSIGN(data, shim::in_bytes(pPart, ulPartLen));
      PQ_TRY(op.update(data));
      keep = true;
      return kOk;
    });
  });
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen) {
  return guard([&] {
    return with_op(hSession, &Session::verify, [&](SignOp& op, bool&) -> Status {
      if (!pSignature) return Status(CKR_ARGUMENTS_BAD);
      return op.verify({pSignature, ulSignatureLen});
    });
  });
}

// 3.2: the signature is given first, then the data.
CK_RV C_VerifySignatureInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey,
                            CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen) {
  return guard([&]() -> Status {
    if (!pSignature) return Status(CKR_ARGUMENTS_BAD);
    PQ_TRY(init(hSession, pMechanism, hKey, true, &Session::verify_signature));
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> sl(s->mu);
    s->signature.assign(pSignature, pSignature + ulSignatureLen);
    return kOk;
  });
}

CK_RV C_VerifySignature(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> sl(s->mu);
    auto op = std::move(s->verify_signature);
    if (!op) return Status(CKR_OPERATION_NOT_INITIALIZED);
    PQ_ASSIGN(data, shim::in_bytes(pData, ulDataLen));
    PQ_TRY(op->update(data));
    return op->verify(s->signature);
  });
}

CK_RV C_VerifySignatureUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return guard([&] {
    return with_op(hSession, &Session::verify_signature, [&](SignOp& op, bool& keep) -> Status {
      PQ_ASSIGN(data, shim::in_bytes(pPart, ulPartLen));
      PQ_TRY(op.update(data));
      keep = true;
      return kOk;
    });
  });
}

CK_RV C_VerifySignatureFinal(CK_SESSION_HANDLE hSession) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> sl(s->mu);
    auto op = std::move(s->verify_signature);
    if (!op) return Status(CKR_OPERATION_NOT_INITIALIZED);
    return op->verify(s->signature);
  });
}

CK_RV C_SignRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR, CK_OBJECT_HANDLE) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    return Status(CKR_FUNCTION_NOT_SUPPORTED);
  });
}
CK_RV C_SignRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR) {
  return C_SignRecoverInit(hSession, nullptr, 0);
}
CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR, CK_OBJECT_HANDLE) {
  return C_SignRecoverInit(hSession, nullptr, 0);
}
CK_RV C_VerifyRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR) {
  return C_SignRecoverInit(hSession, nullptr, 0);
}

}  // extern "C"
