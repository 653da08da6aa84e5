// Session management and login (base spec §5.6): session states, the SO / user login rules
// and their return codes. Login is per token for the whole application (§5.6.7).
#include "pkcs11/pqmcp_vendor.h"
#include "shim/common.h"

using namespace pqmcp::token;
using shim::guard;

extern "C" {

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR, CK_NOTIFY,
                    CK_SESSION_HANDLE_PTR phSession) {
  return guard([&]() -> Status {
    PQ_TRY(Module::get().check());
    if (!phSession) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(h, Module::get().open_session(slotID, flags));
    *phSession = h;
    return kOk;
  });
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession) {
  return guard([&] { return Module::get().close_session(hSession); });
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID) {
  return guard([&] { return Module::get().close_all_sessions(slotID); });
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    if (!pInfo) return Status(CKR_ARGUMENTS_BAD);
    // Why every private-key operation now returns CKR_DEVICE_ERROR, for tools that show it.
    const bool log_failed = s->token->oplog_failed();
    std::lock_guard<std::mutex> lock(s->token->mu);
    pInfo->slotID = s->token->id();
    pInfo->state = session_state(*s);
    pInfo->flags = s->flags;
    pInfo->ulDeviceError = log_failed ? PQMCP_DEVICE_ERROR_KEYOPS_LOG : 0;
    return kOk;
  });
}

CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR, CK_ULONG_PTR) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    return Status(CKR_FUNCTION_NOT_SUPPORTED);
  });
}

CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR, CK_ULONG, CK_OBJECT_HANDLE,
                          CK_OBJECT_HANDLE) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    return Status(CKR_FUNCTION_NOT_SUPPORTED);
  });
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    if (userType != CKU_SO && userType != CKU_USER && userType != CKU_CONTEXT_SPECIFIC)
      return Status(CKR_USER_TYPE_INVALID);
    // No key here has CKA_ALWAYS_AUTHENTICATE, so a context-specific login has no operation.
    if (userType == CKU_CONTEXT_SPECIFIC) return Status(CKR_OPERATION_NOT_INITIALIZED);
    if (!pPin) return Status(CKR_ARGUMENTS_BAD);
    Token& t = *s->token;
    std::lock_guard<std::mutex> lock(t.mu);
    if (t.logged_in() == userType) return Status(CKR_USER_ALREADY_LOGGED_IN);
    if (t.logged_in() != kNobody) return Status(CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
    if (userType == CKU_SO && t.ro_sessions > 0) return Status(CKR_SESSION_READ_ONLY_EXISTS);
    if (ulPinLen < kMinPin || ulPinLen > kMaxPin) return Status(CKR_PIN_INCORRECT);
    return t.login(userType, {pPin, ulPinLen});
  });
}

CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
                  CK_ULONG ulPinLen, CK_UTF8CHAR_PTR, CK_ULONG) {
  // The token has one user; a user name is ignored as §5.6.8 permits for such tokens.
  return C_Login(hSession, userType, pPin, ulPinLen);
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> lock(s->token->mu);
    if (s->token->logged_in() == kNobody) return Status(CKR_USER_NOT_LOGGED_IN);
    s->token->logout();
    return kOk;
  });
}

CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    return Status(CKR_FUNCTION_NOT_SUPPORTED);
  });
}

CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    return Status(CKR_FUNCTION_NOT_PARALLEL);  // legacy: §5.20
  });
}

CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    return Status(CKR_FUNCTION_NOT_PARALLEL);
  });
}

CK_RV C_GetSessionValidationFlags(CK_SESSION_HANDLE hSession, CK_SESSION_VALIDATION_FLAGS_TYPE,
                                  CK_FLAGS_PTR pFlags) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    if (!pFlags) return Status(CKR_ARGUMENTS_BAD);
    *pFlags = 0;  // no validated (e.g. FIPS 140) operations are claimed
    return kOk;
  });
}

}  // extern "C"
