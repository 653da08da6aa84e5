// Entries, SQLite storage with group commit, signed checkpoints, proofs and the offline verifier,
// including the tamper cases of issue 9: flip a byte, delete, reorder, truncate and re-sign with
// another key, and a fork (two signed checkpoints for one size). Each must be detected with a
// message that says which.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "audit/entry.h"
#include "audit/proof.h"
#include "audit/signers.h"
#include "audit/verifier.h"
#include "audit/writer.h"

using namespace pqmcp::audit;
namespace fs = std::filesystem;

namespace {

Entry entry(int i, const std::string& decision = "allow") {
  Entry e;
  e.time_ms = 1767225600000 + i;
  e.source = "gw-test";
  e.agent = "agent-" + std::to_string(i % 3);
  e.kid = "kid" + std::to_string(i % 3);
  e.direction = "request";
  e.method = "tools/call";
  e.name = "tool-" + std::to_string(i % 5);
  e.decision = decision;
  e.rule = "r" + std::to_string(i % 2);
  e.verify = "ok";
  e.msg_sha256 = to_hex(sha256(std::vector<std::uint8_t>{std::uint8_t(i)}));
  return e;
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("audit_log_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "log.db").string();
    mldsa_ = std::move(generate_signer(SigType::kMlDsa65).value());
    ed_ = std::move(generate_signer(SigType::kEd25519).value());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes n entries with a checkpoint every `every`, plus a final one.
  void fill(int n, std::uint64_t every) {
    auto s = open_sqlite(db_);
    ASSERT_TRUE(s) << s.error().message;
    WriterOptions o;
    o.origin = kOrigin;
    o.signers = {mldsa_.get(), ed_.get()};
    o.checkpoint_every = every;
    Writer w(**s, o);
    for (int i = 0; i < n; ++i) {
      auto r = w.append(entry(i, i % 4 == 0 ? "deny" : "allow"));
      ASSERT_TRUE(r) << r.error().message;
      ASSERT_EQ(*r, static_cast<std::uint64_t>(i));
    }
    ASSERT_TRUE(w.checkpoint_now());
  }
  std::vector<VerifierKey> keys() const {
    return {{kOrigin, SigType::kMlDsa65, mldsa_->public_key(), "audit ML-DSA-65 key"},
            {kOrigin, SigType::kEd25519, ed_->public_key(), "audit Ed25519 key"}};
  }
  VerifyReport verify(VerifyOptions o = {}) {
    auto s = open_sqlite(db_);
    EXPECT_TRUE(s);
    if (o.keys.empty()) o.keys = keys();
    auto r = verify_log(**s, o);
    EXPECT_TRUE(r) << r.error().message;
    return r.value();
  }
  void sql(const std::string& q) {
    sqlite3* db;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, q.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  static constexpr const char* kOrigin = "pqmcp.test/audit";
  fs::path dir_;
  std::string db_;
  std::unique_ptr<NoteSigner> mldsa_, ed_;
};

}  // namespace

TEST(Entry, CanonicalFormIsSortedAndStable) {
  Entry e = entry(1);
  e.name = "t\"\n\x01é";
  auto c = e.canonical();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->substr(0, 25), "{\"agent\":\"agent-1\",\"decis");
  EXPECT_NE(c->find("\"name\":\"t\\\"\\n\\u0001é\""), std::string::npos) << *c;
  EXPECT_NE(c->find("\"time\":\"2026-01-01T00:00:00.001Z\",\"v\":1,\"verify\":\"ok\"}"), std::string::npos) << *c;
  auto back = Entry::from_canonical(*c);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->canonical().value(), *c);
  EXPECT_FALSE(Entry::from_canonical(" " + *c));
  EXPECT_FALSE(Entry::from_json("{\"payload\":\"secret\"}"));
  e.decision = "maybe";
  EXPECT_FALSE(e.canonical());
  e = entry(1);
  e.agent = "\xff";
  EXPECT_FALSE(e.canonical());
}

TEST(Note, SignedCheckpointFormatAndKeyIds) {
  auto m44 = std::move(generate_signer(SigType::kMlDsa44).value());
  auto m65 = std::move(generate_signer(SigType::kMlDsa65).value());
  auto ed = std::move(generate_signer(SigType::kEd25519).value());
  Checkpoint cp{"example.com/log", 3, sha256(std::vector<std::uint8_t>{1})};
  NoteSigner* s[] = {m44.get(), m65.get(), ed.get()};
  auto note = sign_checkpoint(cp, "example.com/log", s, 1700000000);
  ASSERT_TRUE(note);
  EXPECT_EQ(note->substr(0, cp.body().size() + 1), cp.body() + "\n");
  std::vector<VerifierKey> ks = {{"example.com/log", SigType::kMlDsa44, m44->public_key(), "44"},
                                 {"example.com/log", SigType::kMlDsa65, m65->public_key(), "65"},
                                 {"example.com/log", SigType::kEd25519, ed->public_key(), "ed"}};
  auto v = verify_checkpoint(*note, ks);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->signers.size(), 3u);
  EXPECT_EQ(v->timestamp, 1700000000u);
  // vkeys round-trip and carry the signed-note key ID.
  for (auto& k : ks) {
    auto p = VerifierKey::parse_vkey(k.vkey());
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->public_key, k.public_key);
  }
  // Unknown keys are ignored; a known key's bad signature rejects the note.
  EXPECT_TRUE(verify_checkpoint(*note, std::span(ks).subspan(2)));
  std::string bad = *note;
  bad[bad.size() - 10] = bad[bad.size() - 10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_checkpoint(bad, ks));
  EXPECT_FALSE(verify_checkpoint(*note + "x", ks));
  auto stranger = std::move(generate_signer(SigType::kMlDsa65).value());
  std::vector<VerifierKey> wrong = {{"example.com/log", SigType::kMlDsa65, stranger->public_key(), "x"}};
  auto r = verify_checkpoint(*note, wrong);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no signature by a trusted key"), std::string::npos);
}

// connect and wrap start together and open one log: on a new file SQLite answers some of the
// racing openers SQLITE_BUSY at once (switching to WAL, creating the schema) instead of waiting.
// Every opener must succeed all the same (before the retry: 152 of 400 such opens failed).
TEST_F(LogTest, ProcessesOpeningANewFileTogetherAllSucceed) {
  constexpr int kRounds = 40, kProcs = 3;
  for (int round = 0; round < kRounds; ++round) {
    const std::string db = (dir_ / ("race" + std::to_string(round) + ".db")).string();
    std::vector<pid_t> kids;
    for (int k = 0; k < kProcs; ++k) {
      pid_t p = ::fork();
      ASSERT_GE(p, 0);
      if (p == 0) ::_exit(open_sqlite(db).ok() ? 0 : 3);
      kids.push_back(p);
    }
    for (pid_t p : kids) {
      int status = 0;
      ASSERT_EQ(::waitpid(p, &status, 0), p);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round << " status " << status;
    }
  }
}

TEST_F(LogTest, AppendCheckpointVerifyAndProofs) {
  fill(300, 64);
  auto rep = verify();
  ASSERT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.entries, 300u);
  EXPECT_GE(rep.checkpoints, 5u);
  ASSERT_TRUE(rep.latest);
  EXPECT_EQ(rep.latest->cp.size, 300u);
  EXPECT_EQ(rep.uncovered, 0u);

  auto s = std::move(open_sqlite(db_).value());
  auto leaves = load_leaf_hashes(*s, 300).value();
  auto cps = s->checkpoints().value();
  std::string entry37;
  (void)s->scan(37, 38, [&](std::uint64_t, std::string_view d, std::span<const std::uint8_t>) { return entry37 = d, true; });
  auto inc = inclusion_proof_file(entry37, 37, inclusion_proof(leaves, 37), cps.back().note);
  auto ok = check_proof_file(inc, keys());
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->index, 37u);
  EXPECT_FALSE(check_proof_file(inclusion_proof_file(entry37, 38, inclusion_proof(leaves, 37), cps.back().note), keys()));
  const Hash r64 = root_of(std::span(leaves).first(64));
  auto cons = consistency_proof_file(64, r64, consistency_proof(leaves, 64), cps.back().note);
  EXPECT_TRUE(check_proof_file(cons, keys()));
  Hash wrong = r64;
  wrong[0] ^= 1;
  EXPECT_FALSE(check_proof_file(consistency_proof_file(64, wrong, consistency_proof(leaves, 64), cps.back().note), keys()));

  // Export and verify the export offline.
  std::ostringstream out;
  ASSERT_TRUE(write_export(*s, 300, out));
  const std::string path = (dir_ / "export.txt").string();
  { std::ofstream(path) << out.str(); }
  auto ex = read_export(path);
  ASSERT_TRUE(ex) << ex.error().message;
  VerifyOptions vo;
  vo.keys = keys();
  auto exrep = verify_log(**ex, vo);
  ASSERT_TRUE(exrep && exrep->ok) << exrep->problem;
}

TEST_F(LogTest, TamperFlipOneByte) {
  fill(100, 25);
  sql("UPDATE entries SET data = replace(data, 'tool-3', 'tool-4') WHERE idx = 43");
  auto rep = verify();
  ASSERT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("entry #43"), std::string::npos) << rep.problem;
  EXPECT_NE(rep.problem.find("modified"), std::string::npos) << rep.problem;
}

TEST_F(LogTest, TamperFlipOneByteBreakingTheJson) {
  fill(50, 25);
  sql("UPDATE entries SET data = CAST(substr(data, 1, 3) || 'X' || substr(data, 5) AS BLOB) WHERE idx = 7");
  auto rep = verify();
  ASSERT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("entry #7 is corrupt or modified"), std::string::npos) << rep.problem;
}

TEST_F(LogTest, TamperFlipWithLeafHashRewritten) {
  // A careful attacker also rewrites the recorded leaf hash: the signed checkpoint still catches it.
  fill(100, 25);
  sql("UPDATE entries SET data = replace(data, 'tool-3', 'tool-4') WHERE idx = 43;"
      "UPDATE entries SET leaf = NULL WHERE 0;");
  sql("UPDATE entries SET leaf = x'00' WHERE idx = 43");
  auto rep = verify();
  ASSERT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("do not match the checkpoint signed for size 50"), std::string::npos) << rep.problem;
}

TEST_F(LogTest, TamperDeleteOne) {
  fill(100, 25);
  sql("DELETE FROM entries WHERE idx = 60");
  auto rep = verify();
  ASSERT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("entry #60 is missing (deleted)"), std::string::npos) << rep.problem;
}

TEST_F(LogTest, TamperReorderTwo) {
  fill(100, 25);
  sql("UPDATE entries SET idx = -1 WHERE idx = 10; UPDATE entries SET idx = 10 WHERE idx = 11;"
      "UPDATE entries SET idx = 11 WHERE idx = -1;");
  auto rep = verify();
  ASSERT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("do not match the checkpoint signed for size 25"), std::string::npos) << rep.problem;
  EXPECT_NE(rep.problem.find("reordered"), std::string::npos) << rep.problem;
}

TEST_F(LogTest, TamperTruncateAndResignWithAnotherKey) {
  fill(100, 25);
  sql("DELETE FROM entries WHERE idx >= 80; DELETE FROM checkpoints WHERE size > 75;");
  {
    // The attacker re-signs the truncated tree with a key of their own.
    auto s = std::move(open_sqlite(db_).value());
    auto leaves = load_leaf_hashes(*s, 80).value();
    auto rogue = std::move(generate_signer(SigType::kMlDsa65).value());
    NoteSigner* rs[] = {rogue.get()};
    auto note = sign_checkpoint({kOrigin, 80, root_of(leaves)}, kOrigin, rs, 1);
    ASSERT_TRUE(s->add_checkpoint(80, *note));
  }
  auto rep = verify();
  ASSERT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("(size 80): checkpoint at size 80 carries no signature by a trusted key"), std::string::npos) << rep.problem;
  // Without the rogue checkpoint, the verifier's state (it saw size 100) exposes the rollback.
  sql("DELETE FROM checkpoints WHERE size = 80");
  auto st = load_state((dir_ / "none.json").string());
  ASSERT_TRUE(st);
  VerifyOptions o;
  o.state = VerifierState{kOrigin, 100, Hash{}, ""};
  auto r2 = verify(o);
  ASSERT_FALSE(r2.ok);
  EXPECT_NE(r2.problem.find("ROLLBACK"), std::string::npos) << r2.problem;
}

TEST_F(LogTest, TamperTruncateTail) {
  fill(100, 25);
  sql("DELETE FROM entries WHERE idx >= 90");
  auto rep = verify();
  ASSERT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("TRUNCATED: the log has 90 entries, but a checkpoint was signed for size 100"), std::string::npos)
      << rep.problem;
}

TEST_F(LogTest, ForkTwoCheckpointsForOneSize) {
  fill(100, 25);
  // The same (trusted) key signs a different root for size 50: a split view.
  auto s = std::move(open_sqlite(db_).value());
  NoteSigner* ss[] = {mldsa_.get()};
  auto note = sign_checkpoint({kOrigin, 50, sha256(std::vector<std::uint8_t>{9})}, kOrigin, ss, 2);
  ASSERT_TRUE(s->add_checkpoint(50, *note));
  auto rep = verify();
  ASSERT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("FORK"), std::string::npos) << rep.problem;
  EXPECT_NE(rep.problem.find("size 50"), std::string::npos) << rep.problem;
}

TEST_F(LogTest, StateFileDetectsRewriteAcrossRuns) {
  fill(60, 20);
  auto rep = verify();
  ASSERT_TRUE(rep.ok && rep.new_state);
  const std::string sp = (dir_ / "state.json").string();
  ASSERT_TRUE(save_state(sp, *rep.new_state));
  // The admin rebuilds the whole log with different content and re-signs with the real key.
  fs::remove(db_);
  fs::remove(db_ + "-wal");
  fs::remove(db_ + "-shm");
  {
    auto s = std::move(open_sqlite(db_).value());
    WriterOptions o;
    o.origin = kOrigin;
    o.signers = {mldsa_.get()};
    o.checkpoint_every = 1000;
    Writer w(*s, o);
    for (int i = 0; i < 70; ++i) ASSERT_TRUE(w.append(entry(i + 1000)));
    ASSERT_TRUE(w.checkpoint_now());
  }
  VerifyOptions vo;
  vo.state = std::move(load_state(sp).value());
  auto r2 = verify(vo);
  ASSERT_FALSE(r2.ok);
  EXPECT_NE(r2.problem.find("do not match the checkpoint signed for size 60"), std::string::npos) << r2.problem;
}

TEST_F(LogTest, GroupCommitBatchesConcurrentAppends) {
  auto s = std::move(open_sqlite(db_).value());
  WriterOptions o;
  o.origin = kOrigin;
  o.signers = {mldsa_.get()};
  o.checkpoint_every = 5000;
  std::atomic<int> acked{0};
  {
    Writer w(*s, o);
    for (int i = 0; i < 5000; ++i)
      w.append_async(entry(i).canonical().value(), [&](Result<std::uint64_t> r) { acked += r.ok(); });
    ASSERT_TRUE(w.checkpoint_now());
  }
  EXPECT_EQ(acked.load(), 5000);
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.entries, 5000u);
}

// Blocking appends from several threads (each may commit on its own thread when the writer is
// idle) mixed with queued ones: every append is acknowledged with its own index, the log
// verifies, and checkpoints keep coming (each newer than the last) while appends race.
// Entries whose bytes are made on the commit thread (a leaf maker): each maker runs once, the
// entries land in queue order among plain queued leaves, and a maker's error fails only its own
// entry (the batch around it is committed).
TEST_F(LogTest, LeafMakersRunOnTheCommitThreadAndFailAlone) {
  auto s = std::move(open_sqlite(db_).value());
  WriterOptions o;
  o.origin = kOrigin;
  o.signers = {mldsa_.get()};
  o.batch_delay = std::chrono::milliseconds(20);  // the six appends share one batch
  std::vector<Result<std::uint64_t>> got(6, make_error(Error::Kind::kIo, "not acknowledged"));
  std::atomic<int> made{0}, done{0};
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> on_caller{false};
  {
    Writer w(*s, o);
    for (int i = 0; i < 6; ++i) {
      auto ack = [&, i](Result<std::uint64_t> r) { got[i] = std::move(r), ++done; };
      if (i % 2 == 0) {
        w.append_async(entry(i).canonical().value(), ack);
        continue;
      }
      w.append_async(Writer::LeafMaker([&, i]() -> Result<std::string> {
                       ++made;
                       if (std::this_thread::get_id() == caller) on_caller = true;
                       if (i == 3) return make_error(Error::Kind::kInput, "refused by its maker");
                       return entry(i).canonical();
                     }),
                     ack);
    }
    ASSERT_TRUE(w.checkpoint_now());
  }
  EXPECT_EQ(done.load(), 6);
  EXPECT_EQ(made.load(), 3);
  EXPECT_FALSE(on_caller.load());
  ASSERT_FALSE(got[3]);
  EXPECT_NE(got[3].error().message.find("refused by its maker"), std::string::npos);
  std::vector<std::uint64_t> idx;
  for (int i : {0, 1, 2, 4, 5}) {
    ASSERT_TRUE(got[i]) << i << ": " << got[i].error().message;
    idx.push_back(*got[i]);
  }
  EXPECT_EQ(idx, (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.entries, 5u);
}

TEST_F(LogTest, BlockingAndQueuedAppendsInterleave) {
  auto s = std::move(open_sqlite(db_).value());
  WriterOptions o;
  o.origin = kOrigin;
  o.signers = {mldsa_.get()};
  o.checkpoint_every = 7;
  std::atomic<int> acked{0};
  std::vector<std::vector<std::uint64_t>> idx(3);
  {
    Writer w(*s, o);
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t)
      ts.emplace_back([&, t] {
        for (int i = 0; i < 60; ++i) {
          if (t == 2 && i % 2) {
            w.append_async(entry(1000 + i).canonical().value(), [&](Result<std::uint64_t> r) { acked += r.ok(); });
            continue;
          }
          auto r = w.append(entry(t * 100 + i));
          ASSERT_TRUE(r);
          idx[t].push_back(*r);
          ++acked;
        }
      });
    for (auto& t : ts) t.join();
    ASSERT_TRUE(w.checkpoint_now());
  }
  EXPECT_EQ(acked.load(), 180);
  std::set<std::uint64_t> all;
  for (auto& v : idx) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), 150u);  // distinct indices for the blocking appends
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.entries, 180u);
  auto cps = s->checkpoints();
  ASSERT_TRUE(cps);
  ASSERT_GE(cps->size(), 2u);
  for (std::size_t i = 0; i + 1 < cps->size(); ++i) EXPECT_LT((*cps)[i].size, (*cps)[i + 1].size);
  EXPECT_EQ(cps->back().size, 180u);
}

TEST_F(LogTest, CheckpointEveryTSeconds) {
  auto s = std::move(open_sqlite(db_).value());
  WriterOptions o;
  o.origin = kOrigin;
  o.signers = {mldsa_.get()};
  o.checkpoint_every = 1000000;
  o.checkpoint_interval = std::chrono::milliseconds(200);
  Writer w(*s, o);
  ASSERT_TRUE(w.append(entry(1)));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  auto cps = s->checkpoints();
  ASSERT_TRUE(cps);
  ASSERT_EQ(cps->size(), 1u);
  EXPECT_EQ(cps->front().size, 1u);
}
