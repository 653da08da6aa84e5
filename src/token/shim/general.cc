// General-purpose functions (base spec §5.4): C_Initialize, C_Finalize, C_GetInfo, and the
// interface discovery of 3.0 (C_GetFunctionList, C_GetInterfaceList, C_GetInterface). The
// 3.2 list is the default interface; 3.0 and 2.40 lists serve older clients.
#include "shim/common.h"

using namespace pqmcp::token;
using shim::guard;

namespace {

#define PQ_FN(name, params) &name,
CK_FUNCTION_LIST kList240 = {{2, 40}, PQMCP_P11_FUNCTIONS_2_40(PQ_FN)};
CK_FUNCTION_LIST_3_0 kList30 = {{3, 0}, PQMCP_P11_FUNCTIONS_2_40(PQ_FN) PQMCP_P11_FUNCTIONS_3_0(PQ_FN)};
CK_FUNCTION_LIST_3_2 kList32 = {
    {3, 2}, PQMCP_P11_FUNCTIONS_2_40(PQ_FN) PQMCP_P11_FUNCTIONS_3_0(PQ_FN) PQMCP_P11_FUNCTIONS_3_2(PQ_FN)};
#undef PQ_FN

CK_UTF8CHAR kName[] = "PKCS 11";
CK_INTERFACE kInterfaces[] = {
    {kName, &kList32, 0},
    {kName, &kList30, 0},
    {kName, &kList240, 0},
};
constexpr CK_ULONG kInterfaceCount = sizeof kInterfaces / sizeof kInterfaces[0];

const CK_VERSION& version_of(const CK_INTERFACE& i) {
  return *static_cast<const CK_VERSION*>(i.pFunctionList);
}

void pad(CK_UTF8CHAR* dst, std::size_t n, const char* s) {
  std::memset(dst, ' ', n);
  std::memcpy(dst, s, std::min(n, std::strlen(s)));
}

}  // namespace

extern "C" {

CK_RV C_Initialize(CK_VOID_PTR pInitArgs) {
  return guard([&] { return Module::get().initialize(pInitArgs); });
}

CK_RV C_Finalize(CK_VOID_PTR pReserved) {
  return guard([&] { return Module::get().finalize(pReserved); });
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo) {
  return guard([&]() -> Status {
    PQ_TRY(Module::get().check());
    if (!pInfo) return Status(CKR_ARGUMENTS_BAD);
    std::memset(pInfo, 0, sizeof *pInfo);
    pInfo->cryptokiVersion = {3, 2};
    pad(pInfo->manufacturerID, 32, "pqmcp");
    pad(pInfo->libraryDescription, 32, "pqhsm PKCS#11 3.2 token");
    pInfo->libraryVersion = {0, 1};
    return kOk;
  });
}

// Allowed before C_Initialize (§5.4.3); returns the 2.40 list for pre-3.0 clients.
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList) {
  if (!ppFunctionList) return CKR_ARGUMENTS_BAD;
  *ppFunctionList = &kList240;
  return CKR_OK;
}

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount) {
  if (!pulCount) return CKR_ARGUMENTS_BAD;
  if (!pInterfacesList) {
    *pulCount = kInterfaceCount;
    return CKR_OK;
  }
  if (*pulCount < kInterfaceCount) {
    *pulCount = kInterfaceCount;
    return CKR_BUFFER_TOO_SMALL;
  }
  for (CK_ULONG i = 0; i < kInterfaceCount; ++i) pInterfacesList[i] = kInterfaces[i];
  *pulCount = kInterfaceCount;
  return CKR_OK;
}

// §5.4.5: NULL name and NULL version select the default interface (here 3.2).
CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                     CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags) {
  if (!ppInterface) return CKR_ARGUMENTS_BAD;
  for (auto& i : kInterfaces) {
    if (pInterfaceName && std::strcmp(reinterpret_cast<const char*>(pInterfaceName),
                                      reinterpret_cast<const char*>(i.pInterfaceName)) != 0)
      continue;
    if (pVersion && (pVersion->major != version_of(i).major || pVersion->minor != version_of(i).minor))
      continue;
    if ((i.flags & flags) != flags) continue;
    *ppInterface = &i;
    return CKR_OK;
  }
  return CKR_ARGUMENTS_BAD;
}

}  // extern "C"
