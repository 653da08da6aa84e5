// The gateway's Merkle sink (src/gateway/merkle_sink.h): the AuditRecord → Entry mapping, several
// processes appending to one SQLite log at the same time (connect and wrap on one machine), the
// final checkpoint at close, and failures that are counted instead of thrown.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "audit/signers.h"
#include "audit/verifier.h"
#include "gateway/merkle_sink.h"

using namespace pqmcp;
using gateway::AuditRecord;
namespace fs = std::filesystem;

namespace {

const std::vector<std::uint8_t> kSeed(32, 7);

std::unique_ptr<audit::NoteSigner> signer() {
  auto s = audit::signer_from_seed(audit::SigType::kMlDsa65, kSeed);
  EXPECT_TRUE(s.ok());
  return std::move(s.value());
}

AuditRecord rec(int i, const std::string& side) {
  AuditRecord r;
  r.ts_ms = 1767225600000 + i;
  r.side = side;
  r.direction = "c2s";
  r.kind = "request";
  r.method = "tools/call";
  r.target = "tool-" + std::to_string(i);
  r.agent = "agent";
  r.kid = "kid-a";
  r.digest = "sha256:" + std::string(64, "0123456789abcdef"[i % 16]);
  r.verification = "ok";
  r.decision = "allow";
  return r;
}

gateway::MerkleSinkOptions opts(std::size_t max_pending = 16384) {
  gateway::MerkleSinkOptions o;
  o.writer.origin = "pqmcp.test/gw";
  o.writer.checkpoint_every = 100;
  o.writer.checkpoint_interval = std::chrono::hours(1);
  o.max_pending = max_pending;
  return o;
}

class MerkleSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pqmcp-sink-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    db_ = (dir_ / "audit.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  audit::VerifyReport verify() {
    auto s = audit::open_sqlite(db_, true);
    EXPECT_TRUE(s.ok());
    audit::VerifyOptions vo;
    auto sg = signer();
    vo.keys.push_back({"pqmcp.test/gw", sg->type(), sg->public_key(), "test key"});
    auto r = audit::verify_log(**s, vo);
    EXPECT_TRUE(r.ok());
    return r.value();
  }
  std::vector<audit::Entry> entries() {
    auto s = audit::open_sqlite(db_, true);
    std::vector<audit::Entry> out;
    (void)(*s)->scan(0, UINT64_MAX, [&](std::uint64_t, std::string_view d, std::span<const std::uint8_t>) {
      auto e = audit::Entry::from_canonical(d);
      EXPECT_TRUE(e.ok());
      out.push_back(e.value());
      return true;
    });
    return out;
  }
  fs::path dir_;
  std::string db_;
};

TEST(MerkleSinkMapping, RecordsBecomeEntries) {
  AuditRecord r = rec(1, "wrap");
  r.decision = "deny";
  r.verification = r.reason = "bad-signature";
  audit::Entry e = gateway::to_entry(r, "");
  EXPECT_EQ(e.source, "wrap");
  EXPECT_EQ(e.direction, "request");
  EXPECT_EQ(e.decision, "deny");
  EXPECT_EQ(e.rule, "bad-signature");
  EXPECT_EQ(e.verify, "bad-signature");
  EXPECT_EQ(e.msg_sha256, std::string(64, '1'));
  EXPECT_TRUE(e.canonical().ok());

  // A policy denial keeps the policy's rule; its prose reason (which may quote arguments) is not logged.
  r = rec(2, "wrap");
  r.decision = "deny";
  r.rule = "agents.agent.default";
  r.reason = "argument 'message' is \"secret stuff\"";
  e = gateway::to_entry(r, "gw-1");
  EXPECT_EQ(e.source, "gw-1");
  EXPECT_EQ(e.rule, "agents.agent.default");
  EXPECT_EQ(e.canonical().value().find("secret"), std::string::npos);
  r.rule.clear();
  EXPECT_EQ(gateway::to_entry(r, "").rule, "");

  // observe: forwarded (allow) with what would have denied it; drop: refused (deny).
  r = rec(3, "wrap");
  r.decision = "observe";
  r.rule = "default-deny";
  e = gateway::to_entry(r, "");
  EXPECT_EQ(e.decision, "allow");
  EXPECT_EQ(e.rule, "observe:default-deny");
  r.decision = "drop";
  r.rule.clear();
  r.reason = "replayed-nonce";
  EXPECT_EQ(gateway::to_entry(r, "").decision, "deny");
  EXPECT_EQ(gateway::to_entry(r, "").rule, "replayed-nonce");

  // Responses, invalid lines, digests that are not SHA-256, bytes that are not UTF-8.
  r = rec(4, "connect");
  r.kind = "result";
  EXPECT_EQ(gateway::to_entry(r, "").direction, "response");
  r.kind = "invalid";
  r.direction = "s2c";
  r.digest = "sha3:abcd";
  r.target = std::string("bad\xff\xfe utf8 ") + std::string(2000, 'x');
  r.method = "\xc0\x80";
  e = gateway::to_entry(r, "");
  EXPECT_EQ(e.direction, "response");
  EXPECT_EQ(e.msg_sha256, "");
  EXPECT_LE(e.name.size(), 512u);
  EXPECT_EQ(e.name.substr(0, 10), "bad\xEF\xBF\xBD\xEF\xBF\xBD ");
  EXPECT_TRUE(e.canonical().ok());
}

TEST_F(MerkleSinkTest, WritesVerifiesAndSignsAtClose) {
  {
    std::vector<std::unique_ptr<audit::NoteSigner>> s;
    s.push_back(signer());
    gateway::MerkleSink sink(std::move(audit::open_sqlite(db_).value()), std::move(s), opts(8));
    for (int i = 0; i < 250; ++i) sink.record(rec(i, "wrap"));
    sink.flush();
    EXPECT_EQ(sink.written(), 250u);
    EXPECT_EQ(sink.failures(), 0u);
  }
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.entries, 250u);
  EXPECT_EQ(rep.uncovered, 0u) << "the close signs a checkpoint of everything written";
  EXPECT_GE(rep.checkpoints, 3u);
  auto es = entries();
  ASSERT_EQ(es.size(), 250u);
  for (int i = 0; i < 250; ++i) EXPECT_EQ(es[i].name, "tool-" + std::to_string(i));
}

// connect and wrap are two processes appending to one SQLite file: BEGIN IMMEDIATE serialises
// their batches, so the log is one tree with every record of both, each side's in its own order.
TEST_F(MerkleSinkTest, TwoProcessesShareOneLog) {
  constexpr int kPer = 400;
  std::vector<pid_t> kids;
  for (const char* side : {"connect", "wrap"}) {
    pid_t p = ::fork();
    ASSERT_GE(p, 0);
    if (p == 0) {
      int rc = 0;
      {
        std::vector<std::unique_ptr<audit::NoteSigner>> s;
        s.push_back(signer());
        auto st = audit::open_sqlite(db_);
        if (!st) ::_exit(2);
        gateway::MerkleSink sink(std::move(st.value()), std::move(s), opts(16));
        for (int i = 0; i < kPer; ++i) sink.record(rec(i, side));
        sink.flush();
        rc = sink.failures() == 0 && sink.written() == kPer ? 0 : 3;
      }
      ::_exit(rc);
    }
    kids.push_back(p);
  }
  for (pid_t p : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(p, &status, 0), p);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "writer status " << status;
  }
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.entries, 2u * kPer);
  EXPECT_EQ(rep.uncovered, 0u);
  std::map<std::string, int> next;
  for (auto& e : entries()) {
    EXPECT_EQ(e.name, "tool-" + std::to_string(next[e.source])) << "order of " << e.source;
    ++next[e.source];
  }
  EXPECT_EQ(next["connect"], kPer);
  EXPECT_EQ(next["wrap"], kPer);
}

// A store that refuses writes: record() neither throws nor blocks for long; failures are counted.
TEST_F(MerkleSinkTest, FailuresAreCountedNotThrown) {
  { (void)audit::open_sqlite(db_).value(); }  // create the schema
  auto ro = audit::open_sqlite(db_, true);
  ASSERT_TRUE(ro.ok());
  auto o = opts(4);
  o.max_wait = std::chrono::milliseconds(50);
  o.final_checkpoint = false;
  gateway::MerkleSink sink(std::move(ro.value()), {}, o);
  for (int i = 0; i < 20; ++i) sink.record(rec(i, "wrap"));
  sink.flush();
  EXPECT_EQ(sink.written(), 0u);
  EXPECT_EQ(sink.failures(), 20u);
}

}  // namespace
