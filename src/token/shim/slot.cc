// Slot and token management (base spec §5.5-5.6): slot and token information, mechanism
// information from the registry, C_InitToken, C_InitPIN, C_SetPIN.
#include "shim/common.h"

using namespace pqmcp::token;
using shim::guard;

namespace {

void pad(CK_UTF8CHAR* dst, std::size_t n, const std::string& s) {
  std::memset(dst, ' ', n);
  std::memcpy(dst, s.data(), std::min(n, s.size()));
}

Status check_pin_len(CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  if (!pin) return Status(CKR_ARGUMENTS_BAD);
  if (len < kMinPin || len > kMaxPin) return Status(CKR_PIN_LEN_RANGE);
  return kOk;
}

}  // namespace

extern "C" {

CK_RV C_GetSlotList(CK_BBOOL, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount) {
  return guard([&]() -> Status {
    PQ_TRY(Module::get().check());
    if (!pulCount) return Status(CKR_ARGUMENTS_BAD);
    // Slot ids are 0..n-1 and never change (SoftHSM issues #225/#382: ids that move after
    // C_InitToken break clients); every slot always holds a token.
    CK_ULONG n = Module::get().slot_count();
    if (!pSlotList) {
      *pulCount = n;
      return kOk;
    }
    if (*pulCount < n) {
      *pulCount = n;
      return Status(CKR_BUFFER_TOO_SMALL);
    }
    for (CK_ULONG i = 0; i < n; ++i) pSlotList[i] = i;
    *pulCount = n;
    return kOk;
  });
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo) {
  return guard([&]() -> Status {
    PQ_ASSIGN(t, Module::get().token(slotID));
    (void)t;
    if (!pInfo) return Status(CKR_ARGUMENTS_BAD);
    std::memset(pInfo, 0, sizeof *pInfo);
    pad(pInfo->slotDescription, 64, "pqhsm slot " + std::to_string(slotID));
    pad(pInfo->manufacturerID, 32, "pqmcp");
    pInfo->flags = CKF_TOKEN_PRESENT;
    pInfo->hardwareVersion = {0, 1};
    pInfo->firmwareVersion = {0, 1};
    return kOk;
  });
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo) {
  return guard([&]() -> Status {
    PQ_ASSIGN(t, Module::get().token(slotID));
    if (!pInfo) return Status(CKR_ARGUMENTS_BAD);
    std::lock_guard<std::mutex> lock(t->mu);
    return t->fill_info(*pInfo);
  });
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pList, CK_ULONG_PTR pulCount) {
  return guard([&]() -> Status {
    PQ_ASSIGN(t, Module::get().token(slotID));
    (void)t;
    if (!pulCount) return Status(CKR_ARGUMENTS_BAD);
    auto all = Registry::get().mechanisms();
    if (!pList) {
      *pulCount = all.size();
      return kOk;
    }
    if (*pulCount < all.size()) {
      *pulCount = all.size();
      return Status(CKR_BUFFER_TOO_SMALL);
    }
    for (std::size_t i = 0; i < all.size(); ++i) pList[i] = all[i];
    *pulCount = all.size();
    return kOk;
  });
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo) {
  return guard([&]() -> Status {
    PQ_ASSIGN(t, Module::get().token(slotID));
    (void)t;
    if (!pInfo) return Status(CKR_ARGUMENTS_BAD);
    const Mechanism* m = Registry::get().mechanism(type);
    if (!m) return Status(CKR_MECHANISM_INVALID);
    *pInfo = m->info();
    return kOk;
  });
}

CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel) {
  return guard([&]() -> Status {
    PQ_ASSIGN(t, Module::get().token(slotID));
    if (!pLabel) return Status(CKR_ARGUMENTS_BAD);
    PQ_TRY(check_pin_len(pPin, ulPinLen));
    if (Module::get().sessions_on(slotID) != 0) return Status(CKR_SESSION_EXISTS);
    std::lock_guard<std::mutex> lock(t->mu);
    return t->init_token({pPin, ulPinLen}, std::span<const std::uint8_t, 32>(pLabel, 32));
  });
}

CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> lock(s->token->mu);
    if (session_state(*s) != CKS_RW_SO_FUNCTIONS)
      return Status(s->rw() ? CKR_USER_NOT_LOGGED_IN : CKR_SESSION_READ_ONLY);
    PQ_TRY(check_pin_len(pPin, ulPinLen));
    return s->token->init_pin({pPin, ulPinLen});
  });
}

CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
               CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    if (!s->rw()) return Status(CKR_SESSION_READ_ONLY);
    if (!pOldPin) return Status(CKR_ARGUMENTS_BAD);
    PQ_TRY(check_pin_len(pNewPin, ulNewLen));
    std::lock_guard<std::mutex> lock(s->token->mu);
    return s->token->set_pin({pOldPin, ulOldLen}, {pNewPin, ulNewLen});
  });
}

CK_RV C_WaitForSlotEvent(CK_FLAGS, CK_SLOT_ID_PTR, CK_VOID_PTR) {
  return guard([&]() -> Status {
    PQ_TRY(Module::get().check());
    return Status(CKR_FUNCTION_NOT_SUPPORTED);  // tokens are never inserted or removed
  });
}

}  // extern "C"
