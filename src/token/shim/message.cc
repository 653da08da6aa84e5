// 3.0 message-based functions (§5.14-5.17) and 3.2 asynchronous functions (§5.20): present
// in the function lists, answered with CKR_FUNCTION_NOT_SUPPORTED after the usual checks.
#include "shim/common.h"

using namespace pqmcp::token;
using shim::guard;

namespace {
CK_RV unsupported(CK_SESSION_HANDLE hSession) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    return Status(CKR_FUNCTION_NOT_SUPPORTED);
  });
}
}  // namespace

extern "C" {

CK_RV C_MessageEncryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR, CK_OBJECT_HANDLE) { return unsupported(h); }
CK_RV C_EncryptMessage(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG,
                       CK_BYTE_PTR, CK_ULONG_PTR) { return unsupported(h); }
CK_RV C_EncryptMessageBegin(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG) { return unsupported(h); }
CK_RV C_EncryptMessageNext(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR,
                           CK_ULONG_PTR, CK_FLAGS) { return unsupported(h); }
CK_RV C_MessageEncryptFinal(CK_SESSION_HANDLE h) { return unsupported(h); }
CK_RV C_MessageDecryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR, CK_OBJECT_HANDLE) { return unsupported(h); }
CK_RV C_DecryptMessage(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG,
                       CK_BYTE_PTR, CK_ULONG_PTR) { return unsupported(h); }
CK_RV C_DecryptMessageBegin(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG) { return unsupported(h); }
CK_RV C_DecryptMessageNext(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR,
                           CK_ULONG_PTR, CK_FLAGS) { return unsupported(h); }
CK_RV C_MessageDecryptFinal(CK_SESSION_HANDLE h) { return unsupported(h); }
CK_RV C_MessageSignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR, CK_OBJECT_HANDLE) { return unsupported(h); }
CK_RV C_SignMessage(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR) {
  return unsupported(h);
}
CK_RV C_SignMessageBegin(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG) { return unsupported(h); }
CK_RV C_SignMessageNext(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR,
                        CK_ULONG_PTR) { return unsupported(h); }
CK_RV C_MessageSignFinal(CK_SESSION_HANDLE h) { return unsupported(h); }
CK_RV C_MessageVerifyInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR, CK_OBJECT_HANDLE) { return unsupported(h); }
CK_RV C_VerifyMessage(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG) {
  return unsupported(h);
}
CK_RV C_VerifyMessageBegin(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG) { return unsupported(h); }
CK_RV C_VerifyMessageNext(CK_SESSION_HANDLE h, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR,
                          CK_ULONG) { return unsupported(h); }
CK_RV C_MessageVerifyFinal(CK_SESSION_HANDLE h) { return unsupported(h); }
CK_RV C_AsyncComplete(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR, CK_ASYNC_DATA_PTR) { return unsupported(h); }
CK_RV C_AsyncGetID(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR, CK_ULONG_PTR) { return unsupported(h); }
CK_RV C_AsyncJoin(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG) { return unsupported(h); }

}  // extern "C"
