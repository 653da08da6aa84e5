// libpqhsm's key-operation log (docs/token.md "Key-operation log"): private-key operations and
// refusals (including the MCP mechanism's policy refusals) appear as audit entries, the log
// verifies against the token's published log key, tampering with the log file is detected, the
// log key is no PKCS#11 object (nothing can find, export or sign with it), and no PIN is logged.
// The relaxed mode's buffer: every operation reaches the log by C_Finalize, a full buffer makes
// operations wait, and a log that cannot be written fails the token closed.
#include <openssl/sha.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include "audit/entry.h"
#include "audit/verifier.h"
#include "p11_fixture.h"
#include "pkcs11/pqmcp_vendor.h"

namespace pqmcp::token::test {
namespace {

std::string sha256_hex(const std::string& s) {
  std::uint8_t md[32];
  SHA256(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), md);
  static const char* d = "0123456789abcdef";
  std::string h;
  for (auto x : md) h += d[x >> 4], h += d[x & 15];
  return h;
}

class TokenOplog : public TokenTest {
 protected:
  std::string slot_dir() const { return dir_ + "/tokens/slot-0"; }
  std::string db() const { return slot_dir() + "/keyops-audit.db"; }

  std::vector<audit::VerifierKey> vkeys() {
    std::ifstream f(slot_dir() + "/keyops-audit.vkey");
    std::vector<audit::VerifierKey> out;
    for (std::string line; std::getline(f, line);) {
      auto k = audit::VerifierKey::parse_vkey(line);
      EXPECT_TRUE(k.ok()) << line;
      if (k.ok()) out.push_back(k.value());
    }
    return out;
  }

  audit::VerifyReport verify() {
    auto s = audit::open_sqlite(db(), true);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    audit::VerifyOptions vo;
    vo.keys = vkeys();
    auto r = audit::verify_log(**s, vo);
    EXPECT_TRUE(r.ok());
    return r.value();
  }

  std::vector<audit::Entry> entries() {
    auto s = audit::open_sqlite(db(), true);
    std::vector<audit::Entry> out;
    (void)(*s)->scan(0, UINT64_MAX, [&](std::uint64_t, std::string_view d, std::span<const std::uint8_t>) {
      auto e = audit::Entry::from_canonical(d);
      EXPECT_TRUE(e.ok());
      if (e.ok()) out.push_back(e.value());
      return true;
    });
    return out;
  }

  static std::vector<audit::Entry> where(const std::vector<audit::Entry>& es, const std::string& method,
                                         const std::string& decision) {
    std::vector<audit::Entry> out;
    for (auto& e : es)
      if (e.method == method && e.decision == decision) out.push_back(e);
    return out;
  }

  void sql(const std::string& stmt) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(h, stmt.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(h);
  }

  // A labelled ML-DSA-65 key pair; `owner` binds it to the MCP mechanisms.
  CK_OBJECT_HANDLE mldsa(CK_SESSION_HANDLE s, const std::string& label, const std::string& owner = "") {
    CK_OBJECT_HANDLE pub, priv;
    auto priv_t = TemplateBuilder().boolean(CKA_TOKEN, true).bytes(CKA_LABEL, bytes(label.c_str())).bytes(CKA_ID, Bytes{0x01, 0xab});
    CK_MECHANISM_TYPE allowed[] = {CKM_PQMCP_MCP_SIGN_MLDSA};
    if (!owner.empty())
      priv_t.bytes(CKA_PQMCP_OWNER, bytes(owner.c_str()))
          .bytes(CKA_ALLOWED_MECHANISMS, Bytes(reinterpret_cast<std::uint8_t*>(allowed),
                                               reinterpret_cast<std::uint8_t*>(allowed) + sizeof allowed));
    keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().boolean(CKA_TOKEN, true).ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65),
            priv_t, pub, priv);
    return priv;
  }

  // Key generation, single- and multi-part signatures, an allowed-mechanisms refusal, an MCP
  // policy refusal, a decapsulation, a destroy; then C_Finalize (which signs a checkpoint).
  void run_operations() {
    CK_SESSION_HANDLE s = ready_session();
    CK_OBJECT_HANDLE k = mldsa(s, "k-plain");
    CK_MECHANISM m{CKM_ML_DSA, nullptr, 0};
    (void)sign(s, m, k, bytes("hello"));  // with a length query first, which is not logged
    ASSERT_RV(CKR_OK, f_->C_SignInit(s, &m, k));
    Bytes a = bytes("hello "), b = bytes("world");
    ASSERT_RV(CKR_OK, f_->C_SignUpdate(s, a.data(), a.size()));
    ASSERT_RV(CKR_OK, f_->C_SignUpdate(s, b.data(), b.size()));
    CK_ULONG n = 4000;
    Bytes sig(n);
    ASSERT_RV(CKR_OK, f_->C_SignFinal(s, sig.data(), &n));
    // The puppet: a key bound to the MCP mechanism, asked for plain ML-DSA, then for an MCP
    // signature on bytes that are no envelope (the token's policy refuses them).
    CK_OBJECT_HANDLE bound = mldsa(s, "k-bound", "retail-bot");
    EXPECT_RV(CKR_MECHANISM_INVALID, f_->C_SignInit(s, &m, bound));
    CK_MECHANISM mcp{CKM_PQMCP_MCP_SIGN_MLDSA, nullptr, 0};
    ASSERT_RV(CKR_OK, f_->C_SignInit(s, &mcp, bound));
    Bytes junk = bytes("not an envelope");
    n = 4000;
    EXPECT_RV(CKR_FUNCTION_REJECTED, f_->C_Sign(s, junk.data(), junk.size(), sig.data(), &n));
    // ML-KEM decapsulation.
    CK_OBJECT_HANDLE pub, priv;
    keypair(s, CKM_ML_KEM_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_KEM_768),
            TemplateBuilder().bytes(CKA_LABEL, bytes("kem")), pub, priv);
    auto st = TemplateBuilder().ulong(CKA_CLASS, CKO_SECRET_KEY).ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET).build();
    CK_MECHANISM km{CKM_ML_KEM, nullptr, 0};
    Bytes ct(1088);
    CK_ULONG ctlen = ct.size();
    CK_OBJECT_HANDLE k1, k2;
    ASSERT_RV(CKR_OK, f_->C_EncapsulateKey(s, &km, pub, st.data(), st.size(), ct.data(), &ctlen, &k1));
    ASSERT_RV(CKR_OK, f_->C_DecapsulateKey(s, &km, priv, st.data(), st.size(), ct.data(), ct.size(), &k2));
    ct_hex_ = sha256_hex(std::string(ct.begin(), ct.end()));
    EXPECT_RV(CKR_OK, f_->C_DestroyObject(s, k));
    EXPECT_RV(CKR_OK, f_->C_Finalize(nullptr));
    ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));  // for TearDown
  }

  // The message thread t signs as its i-th.
  static std::string message(int t, int i) {
    char b[32];
    std::snprintf(b, sizeof b, "t%d-%d", t, i);
    return b;
  }

  // C_SignInit + C_Sign of `msg`; the rv of whichever failed first.
  CK_RV sign_rv(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE k, const Bytes& msg) {
    CK_MECHANISM m{CKM_ML_DSA, nullptr, 0};
    if (CK_RV rv = f_->C_SignInit(s, &m, k); rv != CKR_OK) return rv;
    Bytes sig(4000);
    CK_ULONG n = sig.size();
    return f_->C_Sign(s, const_cast<CK_BYTE_PTR>(msg.data()), msg.size(), sig.data(), &n);
  }

  // Exit codes of a forked child name the step that went wrong (in_child prints them).
  static void check(bool ok, int code) {
    if (!ok) ::_exit(code);
  }

  // Runs `child` in a forked child (so that a resource limit never touches the test process)
  // with its stderr captured; it exits 0 when `child` returns. Fails the test if the child hangs
  // (a generous bound), dies or exits non-zero; returns what it wrote on stderr.
  std::string in_child(const std::function<void()>& child) {
    int err[2];
    EXPECT_EQ(pipe(err), 0);
    const pid_t pid = fork();
    EXPECT_GE(pid, 0);
    if (pid == 0) {
      ::close(err[0]);
      ::dup2(err[1], 2);
      child();
      ::_exit(0);
    }
    ::close(err[1]);
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    for (;;) {
      pollfd p{err[0], POLLIN, 0};
      if (::poll(&p, 1, 200) > 0) {
        char buf[4096];
        const ssize_t n = ::read(err[0], buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ADD_FAILURE() << "the child hung";
        break;
      }
    }
    ::close(err[0]);
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status)) << "signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    EXPECT_EQ(WEXITSTATUS(status), 0) << "failed step (see the child's exit codes); stderr: " << text;
    return text;
  }

  // Makes every later write of this process to a file fail (RLIMIT_FSIZE of one byte: SQLite gets
  // EFBIG, deterministic even as root). For a forked child only. Returns the limit it replaced.
  static rlimit forbid_file_growth() {
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    rlimit tiny = old;
    tiny.rlim_cur = 1;
    check(::setrlimit(RLIMIT_FSIZE, &tiny) == 0, 12);
    return old;
  }

  // How many objects of a class the session sees (in a forked child: check() exits on failure).
  CK_ULONG count_objects(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls) {
    CK_ATTRIBUTE q{CKA_CLASS, &cls, sizeof cls};
    check(f_->C_FindObjectsInit(s, &q, 1) == CKR_OK, 30);
    CK_ULONG total = 0;
    for (;;) {
      CK_OBJECT_HANDLE found[64];
      CK_ULONG n = 0;
      check(f_->C_FindObjects(s, found, 64, &n) == CKR_OK, 30);
      if (n == 0) break;
      total += n;
    }
    check(f_->C_FindObjectsFinal(s) == CKR_OK, 30);
    return total;
  }

  // The first object matching q, or CK_INVALID_HANDLE (no gtest assertions: usable in a child).
  CK_OBJECT_HANDLE find_first(CK_SESSION_HANDLE s, CK_ATTRIBUTE q) {
    CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;
    CK_ULONG n = 0;
    if (f_->C_FindObjectsInit(s, &q, 1) != CKR_OK) return CK_INVALID_HANDLE;
    const bool ok = f_->C_FindObjects(s, &k, 1, &n) == CKR_OK;
    return f_->C_FindObjectsFinal(s) == CKR_OK && ok && n == 1 ? k : CK_INVALID_HANDLE;
  }

  // A key pair of session objects (so that only the log's writes can fail, not the database's).
  CK_RV session_key_pair(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE mech, CK_ULONG set, CK_OBJECT_HANDLE& pub,
                         CK_OBJECT_HANDLE& priv) {
    CK_BBOOL no = CK_FALSE;
    CK_ATTRIBUTE pt[] = {{CKA_TOKEN, &no, sizeof no}, {CKA_PARAMETER_SET, &set, sizeof set}};
    CK_ATTRIBUTE kt[] = {{CKA_TOKEN, &no, sizeof no}};
    CK_MECHANISM m{mech, nullptr, 0};
    return f_->C_GenerateKeyPair(s, &m, pt, 2, kt, 1, &pub, &priv);
  }

  void reinitialise_with(const std::string& line) {
    ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
    if (!line.empty()) std::ofstream(dir_ + "/pqhsm.conf", std::ios::app) << line << "\n";
    ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
  }

  // `threads` sessions sign `each` distinct messages concurrently, then C_Finalize: every
  // signature is in the log exactly once and the log verifies with nothing uncovered.
  void concurrent_signatures_all_logged(int threads, int each) {
    CK_SESSION_HANDLE s0 = ready_session();
    CK_OBJECT_HANDLE k = mldsa(s0, "k-many");
    std::atomic<int> failures{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        CK_SESSION_HANDLE s = 0;
        if (f_->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) {
          ++failures;
          return;
        }
        for (int i = 0; i < each; ++i)
          if (sign_rv(s, k, bytes(message(t, i).c_str())) != CKR_OK) ++failures;
        f_->C_CloseSession(s);
      });
    for (auto& t : ts) t.join();
    ASSERT_EQ(failures.load(), 0);
    ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));  // the durability barrier
    ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
    auto es = entries();
    auto signs = where(es, "C_Sign", "allow");
    ASSERT_EQ(signs.size(), static_cast<std::size_t>(threads * each));
    std::set<std::string> digests;
    for (auto& e : signs) digests.insert(e.msg_sha256);
    EXPECT_EQ(digests.size(), signs.size()) << "each operation once";
    for (int t = 0; t < threads; ++t)
      for (int i = 0; i < each; ++i)
        EXPECT_EQ(digests.count(sha256_hex(message(t, i))), 1u);
    auto rep = verify();
    EXPECT_TRUE(rep.ok) << rep.problem;
    EXPECT_EQ(rep.entries, es.size());
    EXPECT_EQ(rep.uncovered, 0u);
  }

  // Re-initialises the module with keyops_log = mode; a ready session of the new run.
  CK_SESSION_HANDLE restart_with_log(const char* mode) {
    EXPECT_RV(CKR_OK, f_->C_Finalize(nullptr));
    { std::ofstream(dir_ + "/pqhsm.conf", std::ios::app) << "keyops_log = " << mode << "\n"; }
    EXPECT_RV(CKR_OK, f_->C_Initialize(nullptr));
    return ready_session();
  }

  // kill -9 in the middle of signing (docs/token.md "What can be lost"), `rounds` times: each
  // child process initialises the module, logs in and signs distinct messages, acknowledging each
  // signature it receives on a pipe, until the parent kills it at a random moment. Afterwards the
  // log verifies (a kill never leaves a torn entry or a checkpoint that does not match), it names
  // no message that was not signed, and the next run of the module appends to it and covers every
  // entry with a checkpoint. With keyops_log = on, every signature a killed process had received
  // is in the log; relaxed may lose the entries still in its buffer, nothing else.
  void killed_signers_leave_a_verifiable_log(const char* mode, int rounds) {
    reinitialise_with(std::string("keyops_log = ") + mode);
    (void)mldsa(ready_session(), "k-killed");
    CK_BYTE label[] = {'k', '-', 'k', 'i', 'l', 'l', 'e', 'd'};
    const CK_ATTRIBUTE killed_key{CKA_LABEL, label, sizeof label};
    ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));  // each child's module state is its own
    std::set<std::string> acked, possible;  // digests: received by a child; signed or about to be
    std::mt19937 rng(std::random_device{}());
    for (int r = 0; r < rounds; ++r) {
      int ack[2];
      ASSERT_EQ(::pipe(ack), 0);
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        ::close(ack[0]);
        check(f_->C_Initialize(nullptr) == CKR_OK, 10);
        CK_SESSION_HANDLE s = 0;
        check(f_->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s) == CKR_OK, 11);
        check(f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)) == CKR_OK, 12);
        const CK_OBJECT_HANDLE k = find_first(s, killed_key);
        check(k != CK_INVALID_HANDLE, 13);
        for (int i = 0;; ++i) {
          const std::string m = message(r, i);
          check(sign_rv(s, k, bytes(m.c_str())) == CKR_OK, 14);
          const std::string line = m + "\n";
          check(::write(ack[1], line.data(), line.size()) == static_cast<ssize_t>(line.size()), 15);
        }
      }
      ::close(ack[1]);
      // Let it get going (at least three signatures acknowledged), then kill it 0-20 ms later.
      std::string got;
      int lines = 0;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      bool killed = false;
      std::chrono::steady_clock::time_point kill_at{};
      for (;;) {
        pollfd p{ack[0], POLLIN, 0};
        if (::poll(&p, 1, 5) > 0) {
          char buf[4096];
          const ssize_t n = ::read(ack[0], buf, sizeof buf);
          if (n <= 0) break;  // the child is gone and its acknowledgements are all read
          got.append(buf, static_cast<std::size_t>(n));
          lines = static_cast<int>(std::count(got.begin(), got.end(), '\n'));
        }
        const auto now = std::chrono::steady_clock::now();
        if (!killed && lines >= 3 && kill_at == std::chrono::steady_clock::time_point{})
          kill_at = now + std::chrono::microseconds(rng() % 20000);
        if (!killed && ((kill_at != std::chrono::steady_clock::time_point{} && now >= kill_at) || now > deadline)) {
          ::kill(pid, SIGKILL);
          killed = true;
        }
      }
      ::close(ack[0]);
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "the child ended by itself (exit code " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
          << ", see its check() codes) after " << lines << " signatures";
      ASSERT_GE(lines, 3) << "round " << r;
      // Only complete lines are acknowledgements (a kill can cut the last one; writes of a few bytes
      // to a pipe are atomic, so it cannot).
      for (int i = 0; i < lines; ++i) acked.insert(sha256_hex(message(r, i))), possible.insert(sha256_hex(message(r, i)));
      possible.insert(sha256_hex(message(r, lines)));  // signed, killed before its acknowledgement
    }
    ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
    auto rep = verify();
    ASSERT_TRUE(rep.ok) << rep.problem;
    std::set<std::string> logged;
    for (auto& e : where(entries(), "C_Sign", "allow")) {
      EXPECT_TRUE(possible.count(e.msg_sha256)) << "an entry for a message no child signed: " << e.msg_sha256;
      EXPECT_TRUE(logged.insert(e.msg_sha256).second) << "logged twice: " << e.msg_sha256;
    }
    if (std::string(mode) == "on") {
      for (auto& d : acked) EXPECT_TRUE(logged.count(d)) << "a signature a killed child received is not in the log";
    }
    // The next run appends after the killed ones and its checkpoint covers everything.
    CK_SESSION_HANDLE s = open();
    ASSERT_RV(CKR_OK, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
    const CK_OBJECT_HANDLE k = find_first(s, killed_key);
    ASSERT_NE(k, CK_INVALID_HANDLE);
    ASSERT_RV(CKR_OK, sign_rv(s, k, bytes("after the kills")));
    const std::size_t before = rep.entries;
    ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
    ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
    rep = verify();
    EXPECT_TRUE(rep.ok) << rep.problem;
    EXPECT_GT(rep.entries, before);
    EXPECT_EQ(rep.uncovered, 0u);
    std::printf("keyops_log = %s: %d kills, %zu signatures acknowledged, %zu logged\n", mode, rounds, acked.size(),
                logged.size());
  }

  std::string ct_hex_;
};

TEST_F(TokenOplog, OperationsAndRefusalsAreLoggedAndVerify) {
  run_operations();
  auto es = entries();
  for (auto& e : es) {
    EXPECT_EQ(e.direction, "key-op");
    EXPECT_EQ(e.source, "pqhsm");
  }
  auto gen = where(es, "C_GenerateKeyPair", "allow");
  ASSERT_EQ(gen.size(), 3u);
  EXPECT_EQ(gen[0].name, "k-plain");
  EXPECT_EQ(gen[0].kid, "01ab");
  EXPECT_EQ(gen[1].agent, "retail-bot");
  auto one = where(es, "C_Sign", "allow");
  ASSERT_EQ(one.size(), 1u) << "the length query is not an operation";
  EXPECT_EQ(one[0].msg_sha256, sha256_hex("hello"));
  EXPECT_EQ(one[0].name, "k-plain");
  EXPECT_EQ(one[0].rule, "CKR_OK mechanism=0x0000001d");
  auto multi = where(es, "C_SignFinal", "allow");
  ASSERT_EQ(multi.size(), 1u);
  EXPECT_EQ(multi[0].msg_sha256, sha256_hex("hello world"));
  auto mech = where(es, "C_SignInit", "deny");
  ASSERT_EQ(mech.size(), 1u);
  EXPECT_EQ(mech[0].agent, "retail-bot");
  EXPECT_EQ(mech[0].rule.rfind("CKR_MECHANISM_INVALID", 0), 0u) << mech[0].rule;
  auto pol = where(es, "C_Sign", "deny");
  ASSERT_EQ(pol.size(), 1u);
  EXPECT_EQ(pol[0].rule.rfind("CKR_FUNCTION_REJECTED", 0), 0u) << pol[0].rule;
  EXPECT_NE(pol[0].rule.find("policy:malformed-input"), std::string::npos) << pol[0].rule;
  EXPECT_EQ(pol[0].msg_sha256, sha256_hex("not an envelope"));
  auto dec = where(es, "C_DecapsulateKey", "allow");
  ASSERT_EQ(dec.size(), 1u);
  EXPECT_EQ(dec[0].name, "kem");
  EXPECT_EQ(dec[0].msg_sha256, ct_hex_);
  auto del = where(es, "C_DestroyObject", "allow");
  ASSERT_EQ(del.size(), 1u);
  EXPECT_EQ(del[0].name, "k-plain");
  EXPECT_TRUE(where(es, "C_EncapsulateKey", "allow").empty()) << "public-key operations are not logged";

  ASSERT_EQ(vkeys().size(), 1u);
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.entries, es.size());
  EXPECT_EQ(rep.uncovered, 0u) << "C_Finalize signs a checkpoint";
  ASSERT_TRUE(rep.latest);
  EXPECT_EQ(rep.latest->cp.origin.rfind("pqhsm/", 0), 0u);

  // No PIN (nor anything else secret the test knows) is in the log file.
  std::ifstream f(db(), std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(raw.find(kUserPin), std::string::npos);
  EXPECT_EQ(raw.find(kSoPin), std::string::npos);
}

TEST_F(TokenOplog, TamperingWithTheLogFileIsDetected) {
  run_operations();
  ASSERT_TRUE(verify().ok);
  // The policy refusal rewritten as an allow.
  auto es = entries();
  std::size_t idx = 0;
  while (idx < es.size() && es[idx].decision != "deny") ++idx;
  ASSERT_LT(idx, es.size());
  sql("UPDATE entries SET data = replace(CAST(data AS TEXT), '\"decision\":\"deny\"', '\"decision\":\"allow\"') "
      "WHERE idx = " + std::to_string(idx));
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("modified"), std::string::npos) << rep.problem;
}

TEST_F(TokenOplog, DeletingAnEntryIsDetected) {
  run_operations();
  sql("DELETE FROM entries WHERE idx = 2");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("#2"), std::string::npos) << rep.problem;
}

// The log key is no object: a search as the user finds only the test's own objects, no handle
// signs, and the database holds its seed only sealed under the master key.
TEST_F(TokenOplog, TheLogKeyCannotBeFoundExportedOrUsed) {
  CK_SESSION_HANDLE s = ready_session();
  CK_OBJECT_HANDLE k = mldsa(s, "only");
  (void)sign(s, {CKM_ML_DSA, nullptr, 0}, k, bytes("x"));  // the log key now exists
  ASSERT_EQ(vkeys().size(), 1u);
  const Bytes log_pk = vkeys()[0].public_key;
  ASSERT_RV(CKR_OK, f_->C_FindObjectsInit(s, nullptr, 0));
  CK_OBJECT_HANDLE found[64];
  CK_ULONG nfound = 0;
  ASSERT_RV(CKR_OK, f_->C_FindObjects(s, found, 64, &nfound));
  ASSERT_RV(CKR_OK, f_->C_FindObjectsFinal(s));
  EXPECT_EQ(nfound, 2u) << "only the test's key pair";
  for (CK_ULONG i = 0; i < nfound; ++i) {
    CK_ATTRIBUTE a{CKA_VALUE, nullptr, 0};
    if (f_->C_GetAttributeValue(s, found[i], &a, 1) == CKR_OK && a.ulValueLen == log_pk.size()) {
      Bytes v(a.ulValueLen);
      a.pValue = v.data();
      ASSERT_RV(CKR_OK, f_->C_GetAttributeValue(s, found[i], &a, 1));
      EXPECT_NE(v, log_pk);
    }
  }
  // Every other handle is refused for signing (and so for wrapping: the same lookup).
  CK_MECHANISM m{CKM_ML_DSA, nullptr, 0};
  for (CK_OBJECT_HANDLE h = 0; h < 256; ++h) {
    if (std::find(found, found + nfound, h) != found + nfound) continue;
    EXPECT_RV(CKR_KEY_HANDLE_INVALID, f_->C_SignInit(s, &m, h));
  }
  // Sealed at rest: nonce(12) ‖ AES-256-GCM(seed(32)) ‖ tag(16).
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open_v2((slot_dir() + "/token.sqlite").c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT length(value) FROM meta WHERE name = 'oplog_key'", -1, &q, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(q, 0), 60);
  sqlite3_finalize(q);
  sqlite3_close(h);
}

// Entries written before any login in a process are covered by a later checkpoint; the key is
// the same across processes (one vkey line).
TEST_F(TokenOplog, OneKeyAcrossInitialisations) {
  run_operations();
  const std::size_t before = entries().size();
  CK_SESSION_HANDLE s = open();
  CK_MECHANISM m{CKM_ML_DSA, nullptr, 0};
  EXPECT_RV(CKR_KEY_HANDLE_INVALID, f_->C_SignInit(s, &m, 4242));  // logged, not yet signed
  ASSERT_RV(CKR_OK, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
  EXPECT_RV(CKR_OK, f_->C_Finalize(nullptr));
  ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
  auto es = entries();
  ASSERT_EQ(es.size(), before + 1);
  EXPECT_EQ(es.back().name, "handle:4242");
  EXPECT_EQ(es.back().decision, "deny");
  EXPECT_EQ(vkeys().size(), 1u);
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.uncovered, 0u);
}

// keyops_log = relaxed: the same log without an fsync per commit.
TEST_F(TokenOplog, RelaxedStillLogsAndVerifies) {
  ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
  { std::ofstream(dir_ + "/pqhsm.conf", std::ios::app) << "keyops_log = relaxed\n"; }
  ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
  CK_SESSION_HANDLE s = ready_session();
  (void)sign(s, {CKM_ML_DSA, nullptr, 0}, mldsa(s, "k"), bytes("x"));
  EXPECT_RV(CKR_OK, f_->C_Finalize(nullptr));
  ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
  EXPECT_EQ(where(entries(), "C_Sign", "allow").size(), 1u);
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.uncovered, 0u);
}

// The data's SHA-256 is left to the log's thread while the operation has consumed at most 4 KiB
// (oplog::Digest::kDeferredBytes) and computed as the data comes beyond that: both give the digest
// of everything signed, in both log modes (parts of 3,000 bytes cross the limit at the second).
TEST_F(TokenOplog, TheDigestOfALongMultiPartOperationIsOfAllItsData) {
  for (const char* mode : {"on", "relaxed"}) {
    const CK_SESSION_HANDLE s = restart_with_log(mode);
    CK_MECHANISM m{CKM_ML_DSA, nullptr, 0};
    const CK_OBJECT_HANDLE k = mldsa(s, std::string("long-") + mode);
    std::string all;
    ASSERT_RV(CKR_OK, f_->C_SignInit(s, &m, k));
    for (char c : {'a', 'b', 'c'}) {
      std::string part(3000, c);
      all += part;
      ASSERT_RV(CKR_OK, f_->C_SignUpdate(s, reinterpret_cast<CK_BYTE_PTR>(part.data()), part.size()));
    }
    CK_ULONG n = 4000;
    Bytes sig(n);
    ASSERT_RV(CKR_OK, f_->C_SignFinal(s, sig.data(), &n));
    const std::string small = "short";
    (void)sign(s, m, k, bytes(small.c_str()));
    ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
    ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
    const auto es = entries();
    auto named = [&](const char* fn) {
      std::vector<audit::Entry> out;
      for (const auto& e : where(es, fn, "allow"))
        if (e.name == std::string("long-") + mode) out.push_back(e);
      return out;
    };
    const auto finals = named("C_SignFinal"), singles = named("C_Sign");
    ASSERT_EQ(finals.size(), 1u) << mode;
    EXPECT_EQ(finals[0].msg_sha256, sha256_hex(all)) << mode;
    ASSERT_EQ(singles.size(), 1u) << mode;
    EXPECT_EQ(singles[0].msg_sha256, sha256_hex(small)) << mode;
  }
}

// A label that is not UTF-8 (PKCS#11 labels are bytes) is logged as hex rather than failing the
// entry, in both modes: relaxed makes the entry on the log's thread, on makes it on the caller's.
TEST_F(TokenOplog, ALabelThatIsNotUtf8IsLoggedAsHex) {
  for (const char* mode : {"on", "relaxed"}) {
    const CK_SESSION_HANDLE s = restart_with_log(mode);
    const std::string label = std::string("k\xff\xfe-") + mode;
    EXPECT_FALSE(sign(s, {CKM_ML_DSA, nullptr, 0}, mldsa(s, label), bytes("x")).empty()) << mode;
    ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));  // relaxed: commits the buffer
    ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
    const std::string want = "hex:" + audit::to_hex({reinterpret_cast<const std::uint8_t*>(label.data()), label.size()});
    auto signs = where(entries(), "C_Sign", "allow");
    EXPECT_TRUE(std::any_of(signs.begin(), signs.end(), [&](const audit::Entry& e) { return e.name == want; }))
        << mode << ": no C_Sign entry named " << want;
    auto rep = verify();
    EXPECT_TRUE(rep.ok) << mode << ": " << rep.problem;
  }
}

// keyops_log = relaxed (the default): operations from two threads, each handed to the buffer
// before C_Sign returns; C_Finalize commits them all.
TEST_F(TokenOplog, RelaxedLogsEveryOperationFromTwoThreadsByFinalize) {
  concurrent_signatures_all_logged(2, 300);
}

// The relaxed buffer is bounded: while another connection holds the log's write lock (the log
// thread cannot commit), exactly 4096 operations (docs/token.md) return and the next one waits;
// none is dropped once the lock is released.
TEST_F(TokenOplog, RelaxedFullBufferMakesOperationsWait) {
  constexpr int kBuffer = 4096, kOps = kBuffer + 40;
  CK_SESSION_HANDLE s = ready_session();
  CK_OBJECT_HANDLE k = mldsa(s, "k");
  ASSERT_RV(CKR_OK, sign_rv(s, k, bytes("first")));
  // Wait until everything so far is committed (key generation and the first signature).
  for (int i = 0; i < 2000 && entries().size() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(entries().size(), 2u);
  sqlite3* lock = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &lock), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(lock, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::atomic<int> done{0}, failed{0};
  std::thread t([&] {
    CK_SESSION_HANDLE s2 = 0;
    if (f_->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &s2) != CKR_OK) return (void)++failed;
    for (int i = 0; i < kOps; ++i) {
      if (sign_rv(s2, k, bytes(message(0, i).c_str())) != CKR_OK) ++failed;
      ++done;
    }
  });
  for (int i = 0; i < 24000 && done.load() < kBuffer && failed.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(done.load(), kBuffer);
  // It stays there: the next operation waits for room instead of dropping or growing.
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(done.load(), kBuffer);
  }
  EXPECT_EQ(sqlite3_exec(lock, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(lock);
  t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(done.load(), kOps);
  reinitialise_with("");
  auto es = entries();
  EXPECT_EQ(where(es, "C_Sign", "allow").size(), static_cast<std::size_t>(kOps + 1));
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.uncovered, 0u);
}

// A process that exits without C_Finalize still commits its buffer (and signs a checkpoint):
// the module's exit handler is the barrier. In a forked child, so that the test process goes on.
TEST_F(TokenOplog, RelaxedExitWithoutFinalizeCommitsTheBuffer) {
  constexpr int kOps = 200;
  // Finalised first, so that the child's module state is all its own (nothing abandoned).
  ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (f_->C_Initialize(nullptr) != CKR_OK) ::_exit(10);
    CK_SESSION_HANDLE s = ready_session();
    CK_OBJECT_HANDLE k = mldsa(s, "k");
    for (int i = 0; i < kOps; ++i)
      if (sign_rv(s, k, bytes(message(0, i).c_str())) != CKR_OK) ::_exit(11);
    std::exit(0);  // no C_Finalize: exit handlers run, module state is never destroyed
  }
  int status = 0;
  pid_t r = 0;
  for (int i = 0; i < 24000 && (r = ::waitpid(pid, &status, WNOHANG)) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (r == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL() << "the child hung at exit";
  }
  ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));  // for TearDown
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(where(entries(), "C_Sign", "allow").size(), static_cast<std::size_t>(kOps));
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.uncovered, 0u) << "the exit handler signs a checkpoint";
}

// keyops_log = on: the same count, each entry durable before its C_Sign returned.
TEST_F(TokenOplog, StrictLogsEveryOperationFromTwoThreads) {
  reinitialise_with("keyops_log = on");
  concurrent_signatures_all_logged(2, 150);
}

// A relaxed log that stops accepting writes (here: RLIMIT_FSIZE of one byte, so every SQLite
// write fails with EFBIG, deterministic even as root) fails the token closed: later private-key
// operations are refused with CKR_DEVICE_ERROR, nothing hangs, the reason goes to stderr once,
// and a re-initialised module signs and logs again. Run in a forked child so that the limit
// never touches the test process; the parent watches for a hang and reads the child's stderr.
TEST_F(TokenOplog, RelaxedLogFailureRefusesLaterOperations) {
  const std::string text = in_child([&] {
    check(f_->C_Initialize(nullptr) == CKR_OK, 10);  // a forked child initialises afresh
    CK_SESSION_HANDLE s = ready_session();
    CK_OBJECT_HANDLE k = mldsa(s, "k");
    check(sign_rv(s, k, bytes("before")) == CKR_OK, 11);
    CK_SESSION_INFO info{};
    check(f_->C_GetSessionInfo(s, &info) == CKR_OK && info.ulDeviceError == 0, 25);
    // Committed (key generation and this signature) before the log is made unwritable.
    for (int i = 0; i < 2000 && entries().size() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    check(entries().size() == 2, 24);
    const rlimit old = forbid_file_growth();
    // Entries already handed over may still return CKR_OK (that is the relaxed window); the
    // first refusal must come once the log thread has failed, and must be the documented code.
    CK_RV rv = CKR_OK;
    for (int i = 0; i < 100000 && rv == CKR_OK; ++i) rv = sign_rv(s, k, bytes("during"));
    check(rv == CKR_DEVICE_ERROR, 13);
    for (int i = 0; i < 3; ++i) check(sign_rv(s, k, bytes("after")) == CKR_DEVICE_ERROR, 14);
    // The reason, for tools that show it (docs/token.md).
    check(f_->C_GetSessionInfo(s, &info) == CKR_OK && info.ulDeviceError == PQMCP_DEVICE_ERROR_KEYOPS_LOG, 26);
    // Every hook refuses, including one that starts an operation and a key generation.
    CK_MECHANISM m{CKM_ML_DSA, nullptr, 0};
    check(f_->C_SignInit(s, &m, k) == CKR_DEVICE_ERROR, 15);
    check(f_->C_DestroyObject(s, k) == CKR_DEVICE_ERROR, 16);
    // Until re-initialised: C_Finalize returns (the barrier gives up on a failed log), and the
    // next C_Initialize opens a fresh log that works.
    check(::setrlimit(RLIMIT_FSIZE, &old) == 0, 17);
    check(f_->C_Finalize(nullptr) == CKR_OK, 18);
    check(f_->C_Initialize(nullptr) == CKR_OK, 19);
    CK_SESSION_HANDLE s2 = open();
    check(f_->C_Login(s2, CKU_USER, pin(kUserPin), len(kUserPin)) == CKR_OK, 20);
    // Handles are per initialisation: find the key again.
    CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE q{CKA_CLASS, &priv, sizeof priv};
    k = find_first(s2, q);
    check(k != CK_INVALID_HANDLE, 23);
    check(sign_rv(s2, k, bytes("re-initialised")) == CKR_OK, 21);
    check(f_->C_GetSessionInfo(s2, &info) == CKR_OK && info.ulDeviceError == 0, 27);
    check(f_->C_Finalize(nullptr) == CKR_OK, 22);
  });
  const std::string why = "cannot be written";
  const auto first = text.find(why);
  EXPECT_NE(first, std::string::npos) << text;
  EXPECT_EQ(text.find(why, first + 1), std::string::npos) << "said once: " << text;
  EXPECT_EQ(text.find(kUserPin), std::string::npos);
  // What reached the log before the failure and after the re-initialisation verifies.
  auto signs = where(entries(), "C_Sign", "allow");
  ASSERT_GE(signs.size(), 2u);
  EXPECT_EQ(signs.front().msg_sha256, sha256_hex("before"));
  EXPECT_EQ(signs.back().msg_sha256, sha256_hex("re-initialised"));
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
}

// keyops_log = on: an operation that makes a key — a key pair, a secret key, a decapsulated key —
// and whose entry cannot be written fails, and the key it made is gone again (no handle
// returned, nothing to find). Session objects, so that only the log's writes fail, not the token
// database's.
TEST_F(TokenOplog, StrictLogFailureLeavesNoKeyBehind) {
  ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
  { std::ofstream(dir_ + "/pqhsm.conf", std::ios::app) << "keyops_log = on\n"; }
  in_child([&] {
    check(f_->C_Initialize(nullptr) == CKR_OK, 10);
    CK_SESSION_HANDLE s = ready_session();
    CK_BBOOL no = CK_FALSE;
    auto count = [&](CK_OBJECT_CLASS cls) { return count_objects(s, cls); };
    auto key_pair = [&](CK_MECHANISM_TYPE mech, CK_ULONG set, CK_OBJECT_HANDLE& pub, CK_OBJECT_HANDLE& priv) {
      return session_key_pair(s, mech, set, pub, priv);
    };
    CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
    CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
    CK_ATTRIBUTE secret_t[] = {{CKA_TOKEN, &no, sizeof no}, {CKA_CLASS, &secret_class, sizeof secret_class},
                               {CKA_KEY_TYPE, &generic, sizeof generic}};
    // Made and logged while the log works.
    CK_OBJECT_HANDLE pub = 0, priv = 0, kem_pub = 0, kem_priv = 0;
    check(key_pair(CKM_ML_DSA_KEY_PAIR_GEN, CKP_ML_DSA_44, pub, priv) == CKR_OK, 31);
    check(key_pair(CKM_ML_KEM_KEY_PAIR_GEN, CKP_ML_KEM_768, kem_pub, kem_priv) == CKR_OK, 32);
    const CK_ULONG privs = count(CKO_PRIVATE_KEY), pubs = count(CKO_PUBLIC_KEY), secrets = count(CKO_SECRET_KEY);
    check(privs == 2 && pubs == 2 && secrets == 0, 33);
    forbid_file_growth();
    // A key pair.
    CK_OBJECT_HANDLE pub2 = 7, priv2 = 7;
    check(key_pair(CKM_ML_DSA_KEY_PAIR_GEN, CKP_ML_DSA_44, pub2, priv2) == CKR_FUNCTION_FAILED, 34);
    check(pub2 == CK_INVALID_HANDLE && priv2 == CK_INVALID_HANDLE, 35);
    check(count(CKO_PRIVATE_KEY) == privs && count(CKO_PUBLIC_KEY) == pubs, 36);
    // A secret key.
    CK_ULONG len = 32;
    CK_ATTRIBUTE aes_t[] = {{CKA_TOKEN, &no, sizeof no}, {CKA_VALUE_LEN, &len, sizeof len}};
    CK_MECHANISM aes{CKM_AES_KEY_GEN, nullptr, 0};
    CK_OBJECT_HANDLE aes_key = 7;
    check(f_->C_GenerateKey(s, &aes, aes_t, 2, &aes_key) == CKR_FUNCTION_FAILED, 37);
    check(aes_key == CK_INVALID_HANDLE && count(CKO_SECRET_KEY) == secrets, 38);
    // A decapsulated key. Encapsulation is a public-key operation, not logged: it still makes its
    // copy of the secret.
    CK_MECHANISM kem{CKM_ML_KEM, nullptr, 0};
    Bytes ct(1088);
    CK_ULONG ct_len = ct.size();
    CK_OBJECT_HANDLE sent = 0, received = 7;
    check(f_->C_EncapsulateKey(s, &kem, kem_pub, secret_t, 3, ct.data(), &ct_len, &sent) == CKR_OK, 39);
    check(count(CKO_SECRET_KEY) == secrets + 1, 40);
    check(f_->C_DecapsulateKey(s, &kem, kem_priv, secret_t, 3, ct.data(), ct_len, &received) == CKR_FUNCTION_FAILED, 41);
    check(received == CK_INVALID_HANDLE && count(CKO_SECRET_KEY) == secrets + 1, 42);
    // The key made before still signs nothing now (its entry could not be written either).
    check(sign_rv(s, priv, bytes("x")) == CKR_FUNCTION_FAILED, 43);
    ::_exit(0);  // no C_Finalize: its checkpoint could not be written
  });
}

// keyops_log = relaxed: key pairs are generated until the log thread's failure reaches the
// token. The call it reaches — usually one whose key was already made, since generation is most
// of each call — fails, and no key made by a failing call stays: every private key the session
// sees was returned by a successful call.
TEST_F(TokenOplog, RelaxedLogFailureLeavesNoKeyBehind) {
  in_child([&] {
    check(f_->C_Initialize(nullptr) == CKR_OK, 10);
    CK_SESSION_HANDLE s = ready_session();
    // The log open and its first entry committed before the log is made unwritable (opening it
    // would fail otherwise, which fails the call differently: CKR_FUNCTION_FAILED).
    CK_OBJECT_HANDLE pub0, priv0;
    check(session_key_pair(s, CKM_ML_DSA_KEY_PAIR_GEN, CKP_ML_DSA_44, pub0, priv0) == CKR_OK, 53);
    for (int i = 0; i < 2000 && entries().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    check(entries().size() == 1, 54);
    const CK_ULONG before = count_objects(s, CKO_PRIVATE_KEY);
    forbid_file_growth();
    CK_RV rv = CKR_OK;
    CK_ULONG made = 0;
    for (int i = 0; i < 100000 && rv == CKR_OK; ++i) {
      CK_OBJECT_HANDLE pub = 7, priv = 7;
      rv = session_key_pair(s, CKM_ML_DSA_KEY_PAIR_GEN, CKP_ML_DSA_44, pub, priv);
      if (rv == CKR_OK) ++made;
      else check(pub == CK_INVALID_HANDLE && priv == CK_INVALID_HANDLE, 51);
    }
    check(rv == CKR_DEVICE_ERROR, 50);
    check(count_objects(s, CKO_PRIVATE_KEY) == before + made, 52);
    ::_exit(0);  // no C_Finalize: nothing can be committed
  });
}

TEST_F(TokenOplog, StrictKilledSignersLeaveAVerifiableLog) { killed_signers_leave_a_verifiable_log("on", 25); }
TEST_F(TokenOplog, RelaxedKilledSignersLeaveAVerifiableLog) { killed_signers_leave_a_verifiable_log("relaxed", 25); }

// keyops_log = off in pqhsm.conf: no log at all (and a bad value fails C_Initialize).
TEST_F(TokenOplog, CanBeSwitchedOff) {
  ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
  { std::ofstream(dir_ + "/pqhsm.conf", std::ios::app) << "keyops_log = maybe\n"; }
  EXPECT_NE(f_->C_Initialize(nullptr), static_cast<CK_RV>(CKR_OK));
  write_config();
  { std::ofstream(dir_ + "/pqhsm.conf", std::ios::app) << "keyops_log = off\n"; }
  ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
  CK_SESSION_HANDLE s = ready_session();
  (void)sign(s, {CKM_ML_DSA, nullptr, 0}, mldsa(s, "k"), bytes("x"));
  EXPECT_FALSE(std::filesystem::exists(db()));
}

}  // namespace
}  // namespace pqmcp::token::test
