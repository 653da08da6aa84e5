// Processes: a forked child must re-initialise; two processes share one token; a process
// killed (SIGKILL) in the middle of key generation leaves the token consistent.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <random>
#include <thread>

#include "p11_fixture.h"

namespace pqmcp::token::test {

// Exposes the fixture's sign/verify helpers to the free functions below.
class TokenProcessF : public TokenTest {
 public:
  Bytes sign_for_test(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE k, const Bytes& m) {
    return sign(s, {CKM_ML_DSA, nullptr, 0}, k, m);
  }
  CK_RV verify_for_test(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE k, const Bytes& m, const Bytes& sig) {
    return verify(s, {CKM_ML_DSA, nullptr, 0}, k, m, sig);
  }
};

namespace {

// Runs fn in a child process; returns its exit code.
template <typename F>
int in_child(F&& fn) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

int child_login(CK_FUNCTION_LIST_3_2* f, CK_SESSION_HANDLE& s) {
  if (f->C_Initialize(nullptr) != CKR_OK) return 2;
  if (f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s) != CKR_OK) return 3;
  CK_RV rv = f->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin));
  return rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN ? 0 : 4;
}

// Generates one ML-DSA-44 token key pair whose CKA_ID is `id`.
CK_RV gen_pair(CK_FUNCTION_LIST_3_2* f, CK_SESSION_HANDLE s, std::uint32_t id) {
  Bytes idb(reinterpret_cast<std::uint8_t*>(&id), reinterpret_cast<std::uint8_t*>(&id) + 4);
  auto pub = TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_44).boolean(CKA_TOKEN, true).bytes(CKA_ID, idb).build();
  auto priv = TemplateBuilder().boolean(CKA_TOKEN, true).bytes(CKA_ID, idb).build();
  CK_MECHANISM m{CKM_ML_DSA_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE a, b;
  return f->C_GenerateKeyPair(s, &m, pub.data(), pub.size(), priv.data(), priv.size(), &a, &b);
}

std::vector<CK_OBJECT_HANDLE> find_class(CK_FUNCTION_LIST_3_2* f, CK_SESSION_HANDLE s, CK_OBJECT_CLASS c) {
  auto t = TemplateBuilder().ulong(CKA_CLASS, c).build();
  std::vector<CK_OBJECT_HANDLE> out(10000);
  CK_ULONG n = 0;
  EXPECT_RV(CKR_OK, f->C_FindObjectsInit(s, t.data(), t.size()));
  EXPECT_RV(CKR_OK, f->C_FindObjects(s, out.data(), out.size(), &n));
  EXPECT_RV(CKR_OK, f->C_FindObjectsFinal(s));
  out.resize(n);
  return out;
}

// Every private key has its public key (same CKA_ID) and signs a message that verifies.
void check_all_pairs_intact(TokenProcessF& t, CK_FUNCTION_LIST_3_2* f, CK_SESSION_HANDLE s, std::size_t& pairs) {
  auto privs = find_class(f, s, CKO_PRIVATE_KEY);
  auto pubs = find_class(f, s, CKO_PUBLIC_KEY);
  ASSERT_EQ(privs.size(), pubs.size());
  pairs = privs.size();
  for (auto k : privs) {
    Bytes id(4);
    CK_ATTRIBUTE a{CKA_ID, id.data(), 4};
    ASSERT_RV(CKR_OK, f->C_GetAttributeValue(s, k, &a, 1));
    auto tp = TemplateBuilder().ulong(CKA_CLASS, CKO_PUBLIC_KEY).bytes(CKA_ID, id).build();
    CK_OBJECT_HANDLE pub;
    CK_ULONG n = 0;
    ASSERT_RV(CKR_OK, f->C_FindObjectsInit(s, tp.data(), tp.size()));
    ASSERT_RV(CKR_OK, f->C_FindObjects(s, &pub, 1, &n));
    ASSERT_RV(CKR_OK, f->C_FindObjectsFinal(s));
    ASSERT_EQ(n, 1u);
    Bytes msg = bytes("intact?");
    Bytes sig = t.sign_for_test(s, k, msg);
    EXPECT_RV(CKR_OK, t.verify_for_test(s, pub, msg, sig));
  }
}

}  // namespace

TEST_F(TokenProcessF, ForkedChildMustReinitialise) {
  CK_SESSION_HANDLE s = ready_session();
  ASSERT_RV(CKR_OK, gen_pair(f_, s, 1));
  auto* f = f_;
  int rc = in_child([f] {
    CK_INFO info;
    if (f->C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED) return 10;
    CK_SESSION_INFO si;
    if (f->C_GetSessionInfo(1, &si) != CKR_CRYPTOKI_NOT_INITIALIZED) return 11;
    CK_SESSION_HANDLE cs;
    if (int r = child_login(f, cs)) return r;
    auto k = find_class(f, cs, CKO_PRIVATE_KEY);
    return k.size() == 1 ? 0 : 12;
  });
  EXPECT_EQ(rc, 0);
  // The parent is unaffected.
  CK_SESSION_INFO si;
  EXPECT_RV(CKR_OK, f_->C_GetSessionInfo(s, &si));
  EXPECT_EQ(si.state, CKS_RW_USER_FUNCTIONS);
}

TEST_F(TokenProcessF, TwoProcessesGenerateOnOneToken) {
  CK_SESSION_HANDLE s = ready_session();
  auto* f = f_;
  std::vector<pid_t> kids;
  for (std::uint32_t p = 0; p < 2; ++p) {
    pid_t pid = fork();
    if (pid == 0) {
      CK_SESSION_HANDLE cs;
      if (child_login(f, cs)) _exit(2);
      for (std::uint32_t i = 0; i < 8; ++i)
        if (gen_pair(f, cs, 1000 * (p + 1) + i) != CKR_OK) _exit(3);
      f->C_Finalize(nullptr);
      _exit(0);
    }
    kids.push_back(pid);
  }
  // Meanwhile the parent generates too.
  for (std::uint32_t i = 0; i < 4; ++i) ASSERT_RV(CKR_OK, gen_pair(f_, s, 9000 + i));
  for (pid_t k : kids) {
    int st = 0;
    waitpid(k, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  }
  // The parent sees the children's keys without re-initialising.
  std::size_t pairs = 0;
  check_all_pairs_intact(*this, f_, s, pairs);
  EXPECT_EQ(pairs, 20u);
}

TEST_F(TokenProcessF, KilledDuringKeyGenerationLeavesTokenIntact) {
  CK_SESSION_HANDLE s = ready_session();
  ASSERT_RV(CKR_OK, f_->C_CloseSession(s));
  auto* f = f_;
  std::mt19937 rng(42);
  const int kRounds = 12;
  for (int round = 0; round < kRounds; ++round) {
    pid_t pid = fork();
    if (pid == 0) {
      CK_SESSION_HANDLE cs;
      if (child_login(f, cs)) _exit(2);
      for (std::uint32_t i = 0;; ++i) gen_pair(f, cs, static_cast<std::uint32_t>(round) * 100000 + i);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 120));
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFSIGNALED(st));
  }
  s = open();
  ASSERT_RV(CKR_OK, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
  std::size_t pairs = 0;
  check_all_pairs_intact(*this, f_, s, pairs);
  EXPECT_GT(pairs, 0u);
  // And the token still takes new keys.
  EXPECT_RV(CKR_OK, gen_pair(f_, s, 1));
}

// The token checks the database for other processes' commits once per C call (core/call_scope.h),
// not once per lookup: a key that another process disables or destroys between two C_SignInit
// calls must still be refused by the second one, in the same session and with the same handle.
TEST_F(TokenProcessF, AnotherProcessChangingOrDestroyingAKeyIsSeenByTheNextSignInit) {
  CK_SESSION_HANDLE s = ready_session();
  ASSERT_RV(CKR_OK, gen_pair(f_, s, 77));
  auto privs = find_class(f_, s, CKO_PRIVATE_KEY);
  ASSERT_EQ(privs.size(), 1u);
  const CK_OBJECT_HANDLE key = privs[0];
  EXPECT_FALSE(sign_for_test(s, key, bytes("before")).empty());
  auto* f = f_;
  // In a child: finds the private key and applies fn to it.
  auto on_key_in_child = [f](auto fn) {
    return in_child([f, fn] {
      CK_SESSION_HANDLE cs;
      if (int r = child_login(f, cs)) return r;
      auto k = find_class(f, cs, CKO_PRIVATE_KEY);
      if (k.size() != 1) return 5;
      return fn(f, cs, k[0]) == CKR_OK ? 0 : 6;
    });
  };
  // Changed elsewhere: CKA_SIGN turned off.
  ASSERT_EQ(on_key_in_child([](CK_FUNCTION_LIST_3_2* cf, CK_SESSION_HANDLE cs, CK_OBJECT_HANDLE k) {
              CK_BBOOL no = CK_FALSE;
              CK_ATTRIBUTE a{CKA_SIGN, &no, sizeof no};
              return cf->C_SetAttributeValue(cs, k, &a, 1);
            }),
            0);
  CK_MECHANISM m{CKM_ML_DSA, nullptr, 0};
  EXPECT_RV(CKR_KEY_FUNCTION_NOT_PERMITTED, f_->C_SignInit(s, &m, key));
  // Destroyed elsewhere: the handle is gone at the next call.
  ASSERT_EQ(on_key_in_child([](CK_FUNCTION_LIST_3_2* cf, CK_SESSION_HANDLE cs, CK_OBJECT_HANDLE k) {
              return cf->C_DestroyObject(cs, k);
            }),
            0);
  EXPECT_RV(CKR_KEY_HANDLE_INVALID, f_->C_SignInit(s, &m, key));
  EXPECT_TRUE(find_class(f_, s, CKO_PRIVATE_KEY).empty());
}

}  // namespace pqmcp::token::test
