// Slots, token initialisation, PINs, login states and lockout (PKCS#11 3.2 §5.5-5.6).
#include "p11_fixture.h"

namespace pqmcp::token::test {
namespace {

using TokenLogin = TokenTest;

CK_STATE state(CK_FUNCTION_LIST_3_2* f, CK_SESSION_HANDLE s) {
  CK_SESSION_INFO si{};
  EXPECT_RV(CKR_OK, f->C_GetSessionInfo(s, &si));
  return si.state;
}

TEST_F(TokenLogin, SlotsAreStableAndUninitialisedTokensRefuseSessions) {
  CK_ULONG n = 0;
  ASSERT_RV(CKR_OK, f_->C_GetSlotList(CK_TRUE, nullptr, &n));
  ASSERT_EQ(n, 2u);
  CK_SLOT_ID ids[2];
  ASSERT_RV(CKR_OK, f_->C_GetSlotList(CK_TRUE, ids, &n));
  EXPECT_EQ(ids[0], 0u);
  EXPECT_EQ(ids[1], 1u);
  CK_TOKEN_INFO ti = token_info(1);
  EXPECT_FALSE(ti.flags & CKF_TOKEN_INITIALIZED);
  CK_SESSION_HANDLE h;
  EXPECT_RV(CKR_TOKEN_NOT_RECOGNIZED, f_->C_OpenSession(1, CKF_SERIAL_SESSION, nullptr, nullptr, &h));
  init_token(1, "second");
  ASSERT_RV(CKR_OK, f_->C_GetSlotList(CK_TRUE, ids, &n));
  EXPECT_EQ(ids[1], 1u);  // the slot id did not move when the token was initialised
  ti = token_info(1);
  EXPECT_TRUE(ti.flags & CKF_TOKEN_INITIALIZED);
  EXPECT_FALSE(ti.flags & CKF_USER_PIN_INITIALIZED);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(ti.label), 6), "second");
  EXPECT_EQ(ti.label[31], ' ');
  CK_SLOT_INFO si;
  ASSERT_RV(CKR_OK, f_->C_GetSlotInfo(1, &si));
  EXPECT_TRUE(si.flags & CKF_TOKEN_PRESENT);
}

TEST_F(TokenLogin, StateMachine) {
  init_token();
  CK_SESSION_HANDLE ro = open(0, false), rw = open(0, true);
  EXPECT_EQ(state(f_, ro), CKS_RO_PUBLIC_SESSION);
  EXPECT_EQ(state(f_, rw), CKS_RW_PUBLIC_SESSION);
  // SO may not log in while a read-only session exists.
  EXPECT_RV(CKR_SESSION_READ_ONLY_EXISTS, f_->C_Login(rw, CKU_SO, pin(kSoPin), len(kSoPin)));
  ASSERT_RV(CKR_OK, f_->C_CloseSession(ro));
  EXPECT_RV(CKR_USER_TYPE_INVALID, f_->C_Login(rw, 7, pin(kSoPin), len(kSoPin)));
  EXPECT_RV(CKR_USER_PIN_NOT_INITIALIZED, f_->C_Login(rw, CKU_USER, pin(kUserPin), len(kUserPin)));
  ASSERT_RV(CKR_OK, f_->C_Login(rw, CKU_SO, pin(kSoPin), len(kSoPin)));
  EXPECT_EQ(state(f_, rw), CKS_RW_SO_FUNCTIONS);
  CK_SESSION_HANDLE h;
  EXPECT_RV(CKR_SESSION_READ_WRITE_SO_EXISTS, f_->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &h));
  EXPECT_RV(CKR_USER_ALREADY_LOGGED_IN, f_->C_Login(rw, CKU_SO, pin(kSoPin), len(kSoPin)));
  EXPECT_RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, f_->C_Login(rw, CKU_USER, pin(kUserPin), len(kUserPin)));
  EXPECT_RV(CKR_PIN_LEN_RANGE, f_->C_InitPIN(rw, pin("abc"), 3));
  ASSERT_RV(CKR_OK, f_->C_InitPIN(rw, pin(kUserPin), len(kUserPin)));
  ASSERT_RV(CKR_OK, f_->C_Logout(rw));
  EXPECT_RV(CKR_USER_NOT_LOGGED_IN, f_->C_Logout(rw));
  EXPECT_RV(CKR_USER_NOT_LOGGED_IN, f_->C_InitPIN(rw, pin(kUserPin), len(kUserPin)));
  EXPECT_TRUE(token_info().flags & CKF_USER_PIN_INITIALIZED);
  ro = open(0, false);
  ASSERT_RV(CKR_OK, f_->C_Login(ro, CKU_USER, pin(kUserPin), len(kUserPin)));
  // Login is per token: every session of the application changes state.
  EXPECT_EQ(state(f_, ro), CKS_RO_USER_FUNCTIONS);
  EXPECT_EQ(state(f_, rw), CKS_RW_USER_FUNCTIONS);
  EXPECT_RV(CKR_USER_ALREADY_LOGGED_IN, f_->C_Login(rw, CKU_USER, pin(kUserPin), len(kUserPin)));
  EXPECT_RV(CKR_SESSION_READ_ONLY, f_->C_SetPIN(ro, pin(kUserPin), len(kUserPin), pin("newpin99"), 8));
  ASSERT_RV(CKR_OK, f_->C_SetPIN(rw, pin(kUserPin), len(kUserPin), pin("newpin99"), 8));
  EXPECT_RV(CKR_SESSION_EXISTS, f_->C_InitToken(0, pin(kSoPin), len(kSoPin), pin("label                           ")));
  ASSERT_RV(CKR_OK, f_->C_CloseAllSessions(0));
  rw = open();
  EXPECT_EQ(state(f_, rw), CKS_RW_PUBLIC_SESSION);  // closing the last session logged out
  EXPECT_RV(CKR_PIN_INCORRECT, f_->C_Login(rw, CKU_USER, pin(kUserPin), len(kUserPin)));
  EXPECT_RV(CKR_OK, f_->C_Login(rw, CKU_USER, pin("newpin99"), 8));
}

TEST_F(TokenLogin, LockoutAfterConfiguredFailures) {
  ready_session();  // max_pin_failures = 3 in the test config
  CK_SESSION_HANDLE s = open();
  ASSERT_RV(CKR_OK, f_->C_Logout(s));
  EXPECT_RV(CKR_PIN_INCORRECT, f_->C_Login(s, CKU_USER, pin("wrong-pin"), 9));
  CK_FLAGS fl = token_info().flags;
  EXPECT_TRUE(fl & CKF_USER_PIN_COUNT_LOW);
  EXPECT_FALSE(fl & CKF_USER_PIN_FINAL_TRY);
  // A correct PIN resets the counter.
  ASSERT_RV(CKR_OK, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
  ASSERT_RV(CKR_OK, f_->C_Logout(s));
  EXPECT_FALSE(token_info().flags & CKF_USER_PIN_COUNT_LOW);
  EXPECT_RV(CKR_PIN_INCORRECT, f_->C_Login(s, CKU_USER, pin("wrong-pin"), 9));
  EXPECT_RV(CKR_PIN_INCORRECT, f_->C_Login(s, CKU_USER, pin("wrong-pin"), 9));
  EXPECT_TRUE(token_info().flags & CKF_USER_PIN_FINAL_TRY);
  EXPECT_RV(CKR_PIN_INCORRECT, f_->C_Login(s, CKU_USER, pin("wrong-pin"), 9));
  EXPECT_TRUE(token_info().flags & CKF_USER_PIN_LOCKED);
  EXPECT_RV(CKR_PIN_LOCKED, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
  // The lock survives a restart of the module.
  ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
  ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
  s = open();
  EXPECT_RV(CKR_PIN_LOCKED, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
  // The SO resets the user PIN, which unlocks it.
  ASSERT_RV(CKR_OK, f_->C_Login(s, CKU_SO, pin(kSoPin), len(kSoPin)));
  ASSERT_RV(CKR_OK, f_->C_InitPIN(s, pin("fresh-pin"), 9));
  ASSERT_RV(CKR_OK, f_->C_Logout(s));
  EXPECT_FALSE(token_info().flags & CKF_USER_PIN_LOCKED);
  EXPECT_RV(CKR_OK, f_->C_Login(s, CKU_USER, pin("fresh-pin"), 9));
}

TEST_F(TokenLogin, SoLockoutAndReinitNeedsSoPin) {
  init_token();
  CK_UTF8CHAR lbl[32];
  std::memset(lbl, ' ', 32);
  EXPECT_RV(CKR_PIN_INCORRECT, f_->C_InitToken(0, pin("bad-so-pin"), 10, lbl));
  EXPECT_TRUE(token_info().flags & CKF_SO_PIN_COUNT_LOW);
  ASSERT_RV(CKR_OK, f_->C_InitToken(0, pin(kSoPin), len(kSoPin), lbl));
  EXPECT_FALSE(token_info().flags & CKF_SO_PIN_COUNT_LOW);
  for (int i = 0; i < 3; ++i) EXPECT_RV(CKR_PIN_INCORRECT, f_->C_InitToken(0, pin("bad-so-pin"), 10, lbl));
  EXPECT_TRUE(token_info().flags & CKF_SO_PIN_LOCKED);
  EXPECT_RV(CKR_PIN_LOCKED, f_->C_InitToken(0, pin(kSoPin), len(kSoPin), lbl));
}

TEST_F(TokenLogin, ReinitialisingDestroysObjects) {
  CK_SESSION_HANDLE s = ready_session();
  auto t = TemplateBuilder()
               .ulong(CKA_CLASS, CKO_DATA)
               .boolean(CKA_TOKEN, true)
               .string(CKA_LABEL, "d")
               .build();
  CK_OBJECT_HANDLE o;
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s, t.data(), t.size(), &o));
  ASSERT_RV(CKR_OK, f_->C_CloseSession(s));
  init_token();
  s = open();
  ASSERT_RV(CKR_OK, f_->C_FindObjectsInit(s, nullptr, 0));
  CK_ULONG n = 9;
  ASSERT_RV(CKR_OK, f_->C_FindObjects(s, &o, 1, &n));
  EXPECT_EQ(n, 0u);
  EXPECT_FALSE(token_info().flags & CKF_USER_PIN_INITIALIZED);
}

}  // namespace
}  // namespace pqmcp::token::test
