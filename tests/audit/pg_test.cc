// PostgreSQL backend against a real server (issue 9): the test starts a throwaway cluster bound to
// 127.0.0.1 (audit/pg/temp_cluster.h: stopped and removed even if this process is killed), runs
// two audit_crash_writer processes appending concurrently to one log, kills both with SIGKILL in
// the middle of their batches, and then requires one consistent tree:
//   - the offline verifier passes (indices contiguous from 0, every entry canonical, every
//     checkpoint signed and matching the recomputed root, no two roots for one size);
//   - the stored head equals the recomputed tree and the row count;
//   - every index a writer acknowledged holds that writer's entry (so no index was given to
//     both), and each writer's entries appear in its submission order with none missing or
//     doubled;
//   - both writers' batches really interleaved.
// LockBypassForksAndIsCaught shows that these checks fail when they should: a writer that reads
// the head without FOR UPDATE (and a table without the idx primary key, the second barrier)
// produces exactly the fork the checks are there to catch. Bounded: ~15 s.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "audit/entry.h"
#include "audit/pg/pg_storage.h"
#include "audit/pg/temp_cluster.h"
#include "audit/signers.h"
#include "audit/verifier.h"

using namespace pqmcp::audit;
using Acked = std::map<std::string, std::set<std::uint64_t>>;  // writer tag -> acknowledged indices

namespace {

constexpr const char* kOrigin = "pqmcp.test/crash";  // audit_crash_writer's origin and key

std::unique_ptr<NoteSigner> crash_signer() {
  const std::uint8_t seed[32] = {7};
  return std::move(signer_from_seed(SigType::kMlDsa44, seed).value());
}

// Everything "one consistent tree" means; an empty list when the log is sound.
std::vector<std::string> check_one_tree(Storage& s, const Acked& acked) {
  std::vector<std::string> bad;
  auto signer = crash_signer();
  VerifyOptions o;
  o.keys = {{kOrigin, SigType::kMlDsa44, signer->public_key(), "crash key"}};
  auto rep = verify_log(s, o);
  if (!rep) return {"verify_log: " + rep.error().message};
  if (!rep->ok) bad.push_back("verifier: " + rep->problem);
  auto head = s.head();
  auto count = s.entry_count();
  if (!head || !count) return bad.push_back("cannot read head/count"), bad;
  if (head->size != *count) bad.push_back("head size " + std::to_string(head->size) + " but " + std::to_string(*count) + " rows");
  if (rep->ok && head->size != rep->entries) bad.push_back("head size differs from the verified tree");
  if (rep->ok && rep->checkpoints == 0) bad.push_back("no checkpoints");

  std::map<std::uint64_t, std::string> owner;  // idx -> source
  std::map<std::string, long> next;             // source -> next expected name counter
  std::size_t runs = 0;
  std::string prev;
  std::multiset<std::uint64_t> seen;
  (void)s.scan(0, UINT64_MAX, [&](std::uint64_t idx, std::string_view data, std::span<const std::uint8_t>) {
    seen.insert(idx);
    auto j = nlohmann::json::parse(data, nullptr, false);
    if (j.is_discarded() || !j.contains("source") || !j.contains("name")) return bad.push_back("entry #" + std::to_string(idx) + " unreadable"), true;
    const std::string src = j["source"], name = j["name"];
    owner[idx] = src;
    if (src != prev) ++runs, prev = src;
    if (name != "n" + std::to_string(next[src]))
      bad.push_back("writer " + src + ": entry #" + std::to_string(idx) + " is " + name + ", expected n" + std::to_string(next[src]));
    next[src] = std::atol(name.c_str() + 1) + 1;
    return true;
  });
  for (auto i : seen)
    if (seen.count(i) > 1) {
      bad.push_back("index " + std::to_string(i) + " stored " + std::to_string(seen.count(i)) + " times");
      break;
    }
  for (auto& [tag, idxs] : acked) {
    std::size_t missing = 0, foreign = 0;
    for (auto i : idxs) {
      auto it = owner.find(i);
      if (it == owner.end()) ++missing;
      else if (it->second != tag) ++foreign;
    }
    if (missing) bad.push_back("writer " + tag + ": " + std::to_string(missing) + " acknowledged entries missing");
    if (foreign) bad.push_back("writer " + tag + ": " + std::to_string(foreign) + " acknowledged indices hold another writer's entry");
  }
  if (acked.size() > 1 && runs < 3) bad.push_back("the writers did not interleave (" + std::to_string(runs) + " runs)");
  return bad;
}

std::string join(const std::vector<std::string>& v) {
  std::string o;
  for (auto& s : v) o += "  " + s + "\n";
  return o;
}

class PgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (TempPgCluster::find_bindir().empty()) return;
    auto c = TempPgCluster::start();
    if (!c) {
      start_error_ = c.error().message;
      return;
    }
    cluster_ = std::move(c.value()).release();
  }
  static void TearDownTestSuite() {
    delete cluster_;  // stops the server, removes the dir
    cluster_ = nullptr;
  }
  void SetUp() override {
    if (TempPgCluster::find_bindir().empty()) GTEST_SKIP() << "no PostgreSQL server binaries (postgresql package)";
    ASSERT_NE(cluster_, nullptr) << start_error_;
  }
  // A fresh database per test, so tests do not see each other's log.
  std::string database(const std::string& name) {
    PGconn* c = PQconnectdb(cluster_->conninfo().c_str());
    EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    PQclear(PQexec(c, ("CREATE DATABASE " + name).c_str()));
    PQfinish(c);
    std::string ci = cluster_->conninfo();
    return ci.replace(ci.find("dbname=postgres"), 15, "dbname=" + name);
  }
  static inline TempPgCluster* cluster_ = nullptr;
  static inline std::string start_error_;
};

TEST_F(PgTest, TwoWritersOneTree) {
  const std::string ci = database("two_writers");
  struct W {
    std::string tag;
    pid_t pid;
    int out, err;
    std::string buf, errs;
  };
  std::vector<W> ws;
  for (std::string tag : {"gw-a", "gw-b"}) {
    int o[2], e[2];
    ASSERT_EQ(::pipe(o), 0);
    ASSERT_EQ(::pipe(e), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test (the server goes with it)
      ::dup2(o[1], 1);
      ::dup2(e[1], 2);
      ::execl(AUDIT_CRASH_WRITER, AUDIT_CRASH_WRITER, "--pg", ci.c_str(), tag.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(o[1]);
    ::close(e[1]);
    ws.push_back({tag, pid, o[0], e[0], "", ""});
  }
  // Let both run (and both create the schema at once) for a few seconds, draining their output.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (std::chrono::steady_clock::now() < until) {
    pollfd p[4] = {{ws[0].out, POLLIN, 0}, {ws[0].err, POLLIN, 0}, {ws[1].out, POLLIN, 0}, {ws[1].err, POLLIN, 0}};
    if (::poll(p, 4, 100) <= 0) continue;
    for (int k = 0; k < 4; ++k)
      if (p[k].revents & (POLLIN | POLLHUP)) {
        char tmp[65536];
        const ssize_t n = ::read(p[k].fd, tmp, sizeof tmp);
        if (n > 0) (k % 2 ? ws[k / 2].errs : ws[k / 2].buf).append(tmp, static_cast<std::size_t>(n));
      }
  }
  // SIGKILL lands in the middle of batches: unacknowledged work must vanish without a trace.
  Acked acked;
  for (W& w : ws) {
    ::kill(w.pid, SIGKILL);
    int st = 0;
    ::waitpid(w.pid, &st, 0);
    EXPECT_TRUE(WIFSIGNALED(st)) << w.tag << " exited by itself (" << st << "): " << w.errs;
    char tmp[65536];
    for (ssize_t n; (n = ::read(w.out, tmp, sizeof tmp)) > 0;) w.buf.append(tmp, static_cast<std::size_t>(n));
    ::close(w.out);
    ::close(w.err);
    EXPECT_EQ(w.errs.find("append:"), std::string::npos) << w.tag << " had failed appends: " << w.errs.substr(0, 2000);
    std::size_t i = 0;
    for (std::size_t nl; (nl = w.buf.find('\n', i)) != std::string::npos; i = nl + 1)
      acked[w.tag].insert(std::stoull(w.buf.substr(i, nl - i)));
    EXPECT_GT(acked[w.tag].size(), 100u) << w.tag << " acknowledged too little: " << w.errs;
  }
  auto s = open_postgres(ci);
  ASSERT_TRUE(s) << s.error().message;
  const auto bad = check_one_tree(**s, acked);
  EXPECT_TRUE(bad.empty()) << join(bad);
  std::printf("acknowledged: gw-a %zu, gw-b %zu; %llu entries, %zu checkpoints\n", acked["gw-a"].size(), acked["gw-b"].size(),
              static_cast<unsigned long long>((*s)->entry_count().value()), (*s)->checkpoints().value().size());
}

// The negative case: a writer that skips `FOR UPDATE` on audit_head. It reads head size S while
// an honest writer appends and commits S..S+2 concurrently; with the idx primary key its own
// insert at S then fails (unique violation: the key is the second barrier, so it can never be
// acknowledged). Without the key it succeeds too: both were told indices S..S+2, both signed a
// checkpoint for size S+3 with different roots, and the head holds only the last writer's edge.
// check_one_tree must name that fork.
TEST_F(PgTest, LockBypassForksAndIsCaught) {
  const std::string ci = database("bypass");
  auto honest = std::move(open_postgres(ci).value());
  auto signer = crash_signer();
  NoteSigner* ss[] = {signer.get()};
  auto entry = [](const std::string& tag, int i) {
    Entry e;
    e.time_ms = 1767225600000 + i;
    e.source = tag;
    e.direction = "request";
    e.method = "tools/call";
    e.name = "n" + std::to_string(i);
    e.decision = "allow";
    return e.canonical().value();
  };
  Acked acked;
  std::vector<std::string> first = {entry("gw-a", 0), entry("gw-a", 1)};
  auto r0 = honest->append(first);
  ASSERT_TRUE(r0) << r0.error().message;
  acked["gw-a"] = {0, 1};
  ASSERT_TRUE(honest->add_checkpoint(2, sign_checkpoint({kOrigin, 2, r0->root}, kOrigin, ss, 1).value()));
  ASSERT_TRUE(check_one_tree(*honest, acked).empty()) << join(check_one_tree(*honest, acked));

  // The rogue append, step by step on its own connection.
  auto rogue_append = [&](int base) -> std::string {  // returns the error, "" on commit
    PGconn* c = PQconnectdb(ci.c_str());
    auto q = [&](const std::string& sql) {
      PGresult* r = PQexec(c, sql.c_str());
      const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
      std::string v = ok && PQntuples(r) ? PQgetvalue(r, 0, 0) : "";
      std::string e = ok ? "" : PQresultErrorMessage(r);
      PQclear(r);
      return std::make_pair(v, e);
    };
    q("BEGIN");
    const std::string edge_hex = q("SELECT encode(edge, 'hex') FROM audit_head WHERE id = 0").first;  // no FOR UPDATE
    std::vector<std::uint8_t> raw;
    for (std::size_t i = 0; i + 1 < edge_hex.size(); i += 2) raw.push_back(static_cast<std::uint8_t>(std::stoi(edge_hex.substr(i, 2), nullptr, 16)));
    CompactRange cr;
    EXPECT_TRUE(CompactRange::parse(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()), cr));
    // Meanwhile the honest writer, not blocked by any row lock, takes the same indices.
    std::vector<std::string> mine = {entry("gw-a", base), entry("gw-a", base + 1), entry("gw-a", base + 2)};
    auto h = honest->append(mine);
    EXPECT_TRUE(h) << h.error().message;
    for (std::uint64_t i = h->first; i < h->size; ++i) acked["gw-a"].insert(i);
    (void)honest->add_checkpoint(h->size, sign_checkpoint({kOrigin, h->size, h->root}, kOrigin, ss, 1).value());
    const std::uint64_t start = cr.size();
    for (int k = 0; k < 3; ++k) {
      const std::string d = entry("gw-b", k);
      cr.append(leaf_hash(d));
      char* lit = PQescapeLiteral(c, d.data(), d.size());
      auto [_, err] = q("INSERT INTO audit_entries(idx, data, leaf) VALUES (" + std::to_string(start + static_cast<std::uint64_t>(k)) + ", " +
                        lit + ", '\\x" + to_hex(leaf_hash(d)) + "')");
      PQfreemem(lit);
      if (!err.empty()) {
        q("ROLLBACK");
        PQfinish(c);
        return err;
      }
    }
    const std::string e = cr.serialize();
    q("UPDATE audit_head SET size = " + std::to_string(cr.size()) + ", edge = '\\x" +
      to_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(e.data()), e.size())) + "' WHERE id = 0");
    auto [_, err] = q("COMMIT");
    PQfinish(c);
    if (!err.empty()) return err;
    for (std::uint64_t i = start; i < cr.size(); ++i) acked["gw-b"].insert(i);
    (void)honest->add_checkpoint(cr.size(), sign_checkpoint({kOrigin, cr.size(), cr.root()}, kOrigin, ss, 1).value());
    return "";
  };

  // 1. The primary key stops it: nothing acknowledged, the tree stays sound.
  const std::string refused = rogue_append(2);
  EXPECT_NE(refused.find("duplicate key"), std::string::npos) << refused;
  EXPECT_TRUE(check_one_tree(*honest, acked).empty()) << join(check_one_tree(*honest, acked));

  // 2. Without it, the bypass forks the tree, and the checks say so.
  PGconn* c = PQconnectdb(ci.c_str());
  PQclear(PQexec(c, "ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_pkey"));
  PQfinish(c);
  const std::string err = rogue_append(5);
  ASSERT_EQ(err, "");
  const auto bad = join(check_one_tree(*honest, acked));
  EXPECT_NE(bad.find("FORK"), std::string::npos) << bad;
  EXPECT_NE(bad.find("stored 2 times"), std::string::npos) << bad;
  EXPECT_NE(bad.find("another writer's entry"), std::string::npos) << bad;
  std::printf("the lock bypass was caught:\n%s", bad.c_str());
}

}  // namespace
