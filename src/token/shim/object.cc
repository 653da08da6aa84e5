// Object management (base spec §5.7): C_CreateObject, C_CopyObject, C_DestroyObject,
// C_GetObjectSize, C_GetAttributeValue, C_SetAttributeValue and the C_FindObjects family.
#include "core/mcp_policy.h"
#include "pkcs11/attributes.h"
#include "shim/common.h"
#include "shim/oplog_hooks.h"

using namespace pqmcp::token;
using shim::guard;

extern "C" {

CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                     CK_OBJECT_HANDLE_PTR phObject) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    PQ_ASSIGN(t, shim::tmpl(pTemplate, ulCount));
    if (!phObject) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(o, schema::build(t, schema::Origin::kCreate));
    if (o.is_key()) PQ_TRY(shim::import_key(o));
    PQ_TRY(shim::may_write(*s, o));
    {
      std::lock_guard<std::mutex> lock(s->token->mu);
      PQ_TRY(mcp_policy::check_write(*s, o, "create"));
    }
    PQ_ASSIGN(h, shim::store_one(*s, std::move(o)));
    *phObject = h;
    return kOk;
  });
}

CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                   CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phNewObject) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    PQ_ASSIGN(t, shim::tmpl(pTemplate, ulCount));
    if (!phNewObject) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(src, shim::object(*s, hObject));
    if (!src->flag(CKA_COPYABLE, true)) return Status(CKR_ACTION_PROHIBITED);
    // A copy must carry the key material; while it is still sealed, it cannot be copied.
    for (const auto& [type, blob] : src->sealed)
      if (!src->has(type)) return Status(CKR_USER_NOT_LOGGED_IN);
    Object copy = *src;
    copy.sealed.clear();
    copy.native = std::make_shared<NativeCache>();
    PQ_TRY(schema::modify(copy, t, true));
    PQ_TRY(shim::may_write(*s, copy));
    {
      std::lock_guard<std::mutex> lock(s->token->mu);
      PQ_TRY(mcp_policy::check_write(*s, copy, "copy"));
    }
    PQ_ASSIGN(h, shim::store_one(*s, std::move(copy)));
    *phNewObject = h;
    return kOk;
  });
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject) {
  return guard([&]() -> Status {
    return shim::logged(hSession, {"C_DestroyObject", 0, shim::key_ref(hSession, hObject), ""}, false, [&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> lock(s->token->mu);
    PQ_ASSIGN(o, s->token->object(hObject));
    if (o->is_token() && !s->rw()) return Status(CKR_SESSION_READ_ONLY);
    if (!o->flag(CKA_DESTROYABLE, true)) return Status(CKR_ACTION_PROHIBITED);
    PQ_TRY(mcp_policy::check_write(*s, *o, "destroy"));
    return s->token->destroy(hObject);
    });
  });
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    if (!pulSize) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(o, shim::object(*s, hObject));
    (void)o;
    *pulSize = CK_UNAVAILABLE_INFORMATION;  // §5.7.4 allows it; sizes would leak key details
    return kOk;
  });
}

// §5.7.5: every attribute is processed; the return value reports one of the problems.
CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    if (!pTemplate && ulCount) return Status(CKR_ARGUMENTS_BAD);
    PQ_ASSIGN(o, shim::object(*s, hObject));
    CK_RV worst = CKR_OK;
    for (CK_ULONG i = 0; i < ulCount; ++i) {
      CK_RV rv = schema::read(*o, pTemplate[i]);
      if (rv != CKR_OK && worst == CKR_OK) worst = rv;
    }
    return Status(worst);
  });
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    PQ_ASSIGN(t, shim::tmpl(pTemplate, ulCount));
    std::lock_guard<std::mutex> lock(s->token->mu);
    PQ_ASSIGN(o, s->token->object(hObject));
    if (o->is_token() && !s->rw()) return Status(CKR_SESSION_READ_ONLY);
    for (const auto& [type, blob] : o->sealed)
      if (!o->has(type)) return Status(CKR_USER_NOT_LOGGED_IN);
    Object next = *o;
    // A policy object: the SO check comes before anything else, so that a refused user learns
    // nothing from attribute errors and every attempt is logged.
    if (mcp_policy::is_policy_object(*o) && s->token->logged_in() != CKU_SO)
      return mcp_policy::check_write(*s, *o, "set");
    PQ_TRY(schema::modify(next, t, false));
    PQ_TRY(mcp_policy::check_write(*s, next, "set"));
    return s->token->update(hObject, std::move(next));
  });
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    PQ_ASSIGN(t, shim::tmpl(pTemplate, ulCount));
    std::lock_guard<std::mutex> sl(s->mu);
    if (s->finding) return Status(CKR_OPERATION_ACTIVE);
    std::vector<CK_OBJECT_HANDLE> found;
    {
      std::lock_guard<std::mutex> tl(s->token->mu);
      found = s->token->find(t);
    }
    s->found = std::move(found);
    s->found_pos = 0;
    s->finding = true;
    return kOk;
  });
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
                    CK_ULONG_PTR pulObjectCount) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    if (!phObject || !pulObjectCount) return Status(CKR_ARGUMENTS_BAD);
    std::lock_guard<std::mutex> sl(s->mu);
    if (!s->finding) return Status(CKR_OPERATION_NOT_INITIALIZED);
    CK_ULONG n = 0;
    while (n < ulMaxObjectCount && s->found_pos < s->found.size()) phObject[n++] = s->found[s->found_pos++];
    *pulObjectCount = n;
    return kOk;
  });
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> sl(s->mu);
    if (!s->finding) return Status(CKR_OPERATION_NOT_INITIALIZED);
    s->finding = false;
    s->found.clear();
    return kOk;
  });
}

}  // extern "C"
