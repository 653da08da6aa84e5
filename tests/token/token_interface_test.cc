// Interfaces, initialisation and argument checking of libpqhsm (PKCS#11 3.2 §5.4).
#include "p11_fixture.h"

namespace pqmcp::token::test {
namespace {

TEST(TokenInterface, ListsOffer32Then30Then240) {
  auto list = reinterpret_cast<CK_C_GetInterfaceList>(dlsym(module_handle(), "C_GetInterfaceList"));
  ASSERT_NE(list, nullptr);
  CK_ULONG n = 0;
  EXPECT_RV(CKR_ARGUMENTS_BAD, list(nullptr, nullptr));
  ASSERT_RV(CKR_OK, list(nullptr, &n));
  ASSERT_EQ(n, 3u);
  std::vector<CK_INTERFACE> v(n);
  CK_ULONG small = 1;
  EXPECT_RV(CKR_BUFFER_TOO_SMALL, list(v.data(), &small));
  EXPECT_EQ(small, 3u);
  ASSERT_RV(CKR_OK, list(v.data(), &n));
  const int expect[3][2] = {{3, 2}, {3, 0}, {2, 40}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_STREQ(reinterpret_cast<char*>(v[i].pInterfaceName), "PKCS 11");
    auto* ver = static_cast<CK_VERSION*>(v[i].pFunctionList);
    EXPECT_EQ(ver->major, expect[i][0]);
    EXPECT_EQ(ver->minor, expect[i][1]);
  }
}

TEST(TokenInterface, DefaultInterfaceIs32WithKem) {
  auto get = reinterpret_cast<CK_C_GetInterface>(dlsym(module_handle(), "C_GetInterface"));
  ASSERT_NE(get, nullptr);
  CK_INTERFACE* i = nullptr;
  ASSERT_RV(CKR_OK, get(nullptr, nullptr, &i, 0));
  auto* f = static_cast<CK_FUNCTION_LIST_3_2*>(i->pFunctionList);
  EXPECT_EQ(f->version.major, 3);
  EXPECT_EQ(f->version.minor, 2);
  EXPECT_EQ(reinterpret_cast<void*>(f->C_EncapsulateKey), dlsym(module_handle(), "C_EncapsulateKey"));
  EXPECT_EQ(reinterpret_cast<void*>(f->C_DecapsulateKey), dlsym(module_handle(), "C_DecapsulateKey"));
  EXPECT_EQ(reinterpret_cast<void*>(f->C_UnwrapKeyAuthenticated), dlsym(module_handle(), "C_UnwrapKeyAuthenticated"));
  EXPECT_EQ(reinterpret_cast<void*>(f->C_Sign), dlsym(module_handle(), "C_Sign"));
  CK_VERSION v30{3, 0}, v240{2, 40}, v31{3, 1};
  ASSERT_RV(CKR_OK, get(pin("PKCS 11"), &v30, &i, 0));
  EXPECT_EQ(static_cast<CK_FUNCTION_LIST_3_0*>(i->pFunctionList)->C_MessageVerifyFinal,
            reinterpret_cast<CK_C_MessageVerifyFinal>(dlsym(module_handle(), "C_MessageVerifyFinal")));
  ASSERT_RV(CKR_OK, get(pin("PKCS 11"), &v240, &i, 0));
  EXPECT_EQ(static_cast<CK_FUNCTION_LIST*>(i->pFunctionList)->C_WaitForSlotEvent,
            reinterpret_cast<CK_C_WaitForSlotEvent>(dlsym(module_handle(), "C_WaitForSlotEvent")));
  EXPECT_RV(CKR_ARGUMENTS_BAD, get(pin("PKCS 11"), &v31, &i, 0));
  EXPECT_RV(CKR_ARGUMENTS_BAD, get(pin("Vendor"), nullptr, &i, 0));
  EXPECT_RV(CKR_ARGUMENTS_BAD, get(nullptr, nullptr, &i, CKF_INTERFACE_FORK_SAFE));
  EXPECT_RV(CKR_ARGUMENTS_BAD, get(nullptr, nullptr, nullptr, 0));
}

TEST(TokenInterface, GetFunctionListIs240) {
  auto gfl = reinterpret_cast<CK_C_GetFunctionList>(dlsym(module_handle(), "C_GetFunctionList"));
  CK_FUNCTION_LIST* f = nullptr;
  EXPECT_RV(CKR_ARGUMENTS_BAD, gfl(nullptr));
  ASSERT_RV(CKR_OK, gfl(&f));
  EXPECT_EQ(f->version.major, 2);
  EXPECT_EQ(f->version.minor, 40);
}

TEST(TokenInterface, OnlyPkcs11SymbolsExported) {
  // Internal C++ symbols (token and the statically linked crypto core) stay hidden.
  EXPECT_EQ(dlsym(module_handle(), "_ZN5pqmcp6crypto11secure_wipeEPvm"), nullptr);
  EXPECT_EQ(dlsym(module_handle(), "_ZN5pqmcp5token6Module3getEv"), nullptr);
}

TEST(TokenInterface, NotInitialisedEverywhere) {
  auto* f = functions();
  ASSERT_NE(f, nullptr);
  CK_INFO info;
  CK_ULONG n = 0;
  CK_SESSION_HANDLE s = 0;
  CK_TOKEN_INFO ti;
  EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_GetInfo(&info));
  EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_GetSlotList(CK_TRUE, nullptr, &n));
  EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_GetTokenInfo(0, &ti));
  EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &s));
  EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_CloseSession(1));
  EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_SignInit(1, nullptr, 0));
  EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_EncapsulateKey(1, nullptr, 0, nullptr, 0, nullptr, nullptr, nullptr));
  EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_Finalize(nullptr));
}

TEST(TokenInterface, InitializeArguments) {
  auto* f = functions();
  CK_C_INITIALIZE_ARGS a{};
  a.pReserved = &a;
  EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_Initialize(&a));
  a = {};
  a.CreateMutex = [](CK_VOID_PTR_PTR) -> CK_RV { return CKR_OK; };
  EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_Initialize(&a));  // some callbacks but not all
  a.DestroyMutex = [](CK_VOID_PTR) -> CK_RV { return CKR_OK; };
  a.LockMutex = [](CK_VOID_PTR) -> CK_RV { return CKR_OK; };
  a.UnlockMutex = [](CK_VOID_PTR) -> CK_RV { return CKR_OK; };
  EXPECT_RV(CKR_CANT_LOCK, f->C_Initialize(&a));  // callbacks only, no OS locking allowed
  a.flags = CKF_OS_LOCKING_OK;
  char tmpl[] = "/tmp/pqhsm-init-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string conf = std::string(tmpl) + "/c.conf";
  std::ofstream(conf) << "token_dir = " << tmpl << "\nkdf_iterations = 10\n";
  setenv("PQHSM_CONF", conf.c_str(), 1);
  EXPECT_RV(CKR_OK, f->C_Initialize(&a));
  EXPECT_RV(CKR_CRYPTOKI_ALREADY_INITIALIZED, f->C_Initialize(nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f->C_Finalize(&a));
  EXPECT_RV(CKR_OK, f->C_Finalize(nullptr));
  EXPECT_RV(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_Finalize(nullptr));
  std::ofstream(conf) << "slots = many\n";
  EXPECT_NE(f->C_Initialize(nullptr), CKR_OK);  // malformed configuration is refused
  std::filesystem::remove_all(tmpl);
}

using TokenArgs = TokenTest;

TEST_F(TokenArgs, NullPointersAreArgumentsBad) {
  CK_ULONG n = 0;
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_GetInfo(nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_GetSlotList(CK_TRUE, nullptr, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_GetSlotInfo(0, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_GetTokenInfo(0, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_GetMechanismList(0, nullptr, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_GetMechanismInfo(0, CKM_ML_DSA, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_InitToken(0, nullptr, 0, nullptr));
  EXPECT_RV(CKR_SLOT_ID_INVALID, f_->C_GetSlotList(CK_TRUE, nullptr, &n) == CKR_OK ? f_->C_GetTokenInfo(n, nullptr) : 0);
  init_token();
  CK_SESSION_HANDLE s = open();
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_GetSessionInfo(s, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_Login(s, CKU_SO, nullptr, 4));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_CreateObject(s, nullptr, 3, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_FindObjectsInit(s, nullptr, 2));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_SignInit(s, nullptr, 1));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_GenerateKeyPair(s, nullptr, nullptr, 0, nullptr, 0, nullptr, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_EncapsulateKey(s, nullptr, 1, nullptr, 0, nullptr, nullptr, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_DecapsulateKey(s, nullptr, 1, nullptr, 0, nullptr, 0, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_GenerateRandom(s, nullptr, 5));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_FindObjects(s, nullptr, 1, nullptr));
  EXPECT_RV(CKR_ARGUMENTS_BAD, f_->C_DigestInit(s, nullptr));
}

TEST_F(TokenArgs, StaleAndBogusHandles) {
  init_token();
  CK_SESSION_HANDLE s = open();
  ASSERT_RV(CKR_OK, f_->C_CloseSession(s));
  CK_SESSION_INFO si;
  EXPECT_RV(CKR_SESSION_HANDLE_INVALID, f_->C_GetSessionInfo(s, &si));
  EXPECT_RV(CKR_SESSION_HANDLE_INVALID, f_->C_CloseSession(s));
  EXPECT_RV(CKR_SESSION_HANDLE_INVALID, f_->C_Logout(0xdeadbeef));
  CK_MECHANISM m{CKM_SHA256, nullptr, 0};
  EXPECT_RV(CKR_SESSION_HANDLE_INVALID, f_->C_DigestInit(s, &m));
  s = open();
  Bytes v(8);
  EXPECT_RV(CKR_OBJECT_HANDLE_INVALID, f_->C_DestroyObject(s, 12345678));
  CK_ATTRIBUTE a{CKA_LABEL, nullptr, 0};
  EXPECT_RV(CKR_OBJECT_HANDLE_INVALID, f_->C_GetAttributeValue(s, 12345678, &a, 1));
  CK_MECHANISM sm{CKM_ML_DSA, nullptr, 0};
  EXPECT_RV(CKR_KEY_HANDLE_INVALID, f_->C_SignInit(s, &sm, 12345678));
  EXPECT_RV(CKR_SLOT_ID_INVALID, f_->C_CloseAllSessions(77));
  CK_SESSION_HANDLE h;
  EXPECT_RV(CKR_SLOT_ID_INVALID, f_->C_OpenSession(77, CKF_SERIAL_SESSION, nullptr, nullptr, &h));
  EXPECT_RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED, f_->C_OpenSession(0, 0, nullptr, nullptr, &h));
  EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f_->C_Sign(s, v.data(), v.size(), nullptr, &a.ulValueLen));
  EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f_->C_FindObjects(s, &h, 1, &a.ulValueLen));
}

TEST_F(TokenArgs, InfoAndMechanisms) {
  CK_INFO info;
  ASSERT_RV(CKR_OK, f_->C_GetInfo(&info));
  EXPECT_EQ(info.cryptokiVersion.major, 3);
  EXPECT_EQ(info.cryptokiVersion.minor, 2);
  CK_ULONG n = 0;
  ASSERT_RV(CKR_OK, f_->C_GetMechanismList(0, nullptr, &n));
  std::vector<CK_MECHANISM_TYPE> mechs(n);
  CK_ULONG one = 1;
  EXPECT_RV(CKR_BUFFER_TOO_SMALL, f_->C_GetMechanismList(0, mechs.data(), &one));
  ASSERT_RV(CKR_OK, f_->C_GetMechanismList(0, mechs.data(), &n));
  for (CK_MECHANISM_TYPE want : {CKM_ML_DSA_KEY_PAIR_GEN, CKM_ML_DSA, CKM_HASH_ML_DSA, CKM_HASH_ML_DSA_SHA256,
                                 CKM_HASH_ML_DSA_SHA512, CKM_ML_KEM_KEY_PAIR_GEN, CKM_ML_KEM, CKM_EC_KEY_PAIR_GEN,
                                 CKM_ECDSA, CKM_ECDSA_SHA256, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, CKM_AES_KEY_GEN,
                                 CKM_AES_GCM, CKM_AES_KEY_WRAP_KWP, CKM_SHA256, CKM_SHA3_256, CKM_SHA256_HMAC})
    EXPECT_NE(std::find(mechs.begin(), mechs.end(), want), mechs.end()) << std::hex << want;
  CK_MECHANISM_INFO mi;
  ASSERT_RV(CKR_OK, f_->C_GetMechanismInfo(0, CKM_ML_KEM, &mi));
  EXPECT_EQ(mi.flags & (CKF_ENCAPSULATE | CKF_DECAPSULATE), CKF_ENCAPSULATE | CKF_DECAPSULATE);
  ASSERT_RV(CKR_OK, f_->C_GetMechanismInfo(0, CKM_ML_DSA, &mi));
  EXPECT_EQ(mi.flags & (CKF_SIGN | CKF_VERIFY), CKF_SIGN | CKF_VERIFY);
  ASSERT_RV(CKR_OK, f_->C_GetMechanismInfo(0, CKM_ML_DSA_KEY_PAIR_GEN, &mi));
  EXPECT_TRUE(mi.flags & CKF_GENERATE_KEY_PAIR);
  EXPECT_RV(CKR_MECHANISM_INVALID, f_->C_GetMechanismInfo(0, CKM_RSA_PKCS, &mi));
  EXPECT_RV(CKR_SLOT_ID_INVALID, f_->C_GetMechanismInfo(9, CKM_ML_KEM, &mi));
}

}  // namespace
}  // namespace pqmcp::token::test
