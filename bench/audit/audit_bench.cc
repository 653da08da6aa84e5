// audit-bench [ENTRIES_FOR_VERIFY]: prints durable appends/s with group commit on SQLite (goal
// >= 20,000/s) and PostgreSQL (the server PQMCP_AUDIT_BENCH_CONNINFO names; when unset, a
// throwaway local cluster started by audit/pg/temp_cluster.h if the server binaries exist), the time to verify a
// 1,000,000-entry log offline (goal <= 10 s), and proof sizes. Baseline in the same run: one
// entry per transaction (one fsync each).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "audit/proof.h"
#include "audit/signers.h"
#include "audit/verifier.h"
#include "audit/writer.h"
#ifdef PQMCP_HAVE_AUDIT_PG
#include "audit/pg/pg_storage.h"
#include "audit/pg/temp_cluster.h"
#endif

using namespace pqmcp::audit;
using Clock = std::chrono::steady_clock;

namespace {
std::string leaf(long i) {
  Entry e;
  e.time_ms = 1767225600000 + i;
  e.source = "bench";
  e.agent = "agent-" + std::to_string(i % 10);
  e.direction = "request";
  e.method = "tools/call";
  e.name = "read_file";
  e.decision = i % 9 ? "allow" : "deny";
  e.rule = "r1";
  e.verify = "ok";
  e.msg_sha256 = to_hex(sha256(std::vector<std::uint8_t>{std::uint8_t(i), std::uint8_t(i >> 8), std::uint8_t(i >> 16)}));
  return e.canonical().value();
}
double secs(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

double group_commit_rate(Storage& s, NoteSigner* signer, long n) {
  WriterOptions o;
  o.origin = "bench/audit";
  o.signers = {signer};
  o.checkpoint_every = 10000;
  std::atomic<long> acked{0};
  auto t = Clock::now();
  {
    Writer w(s, o);
    for (long i = 0; i < n; ++i) w.append_async(leaf(i), [&](Result<std::uint64_t> r) { acked += r.ok(); });
    (void)w.checkpoint_now();
  }
  return acked / secs(t);
}
double one_per_txn_rate(Storage& s, long n) {
  auto t = Clock::now();
  for (long i = 0; i < n; ++i) {
    std::string l = leaf(i);
    (void)s.append(std::span<const std::string>(&l, 1));
  }
  return n / secs(t);
}
}  // namespace

int main(int argc, char** argv) {
  const long big = argc > 1 ? std::atol(argv[1]) : 1000000;
  const std::string dir = std::filesystem::temp_directory_path() / ("audit_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto signer = std::move(generate_signer(SigType::kMlDsa65).value());

  {
    auto s = std::move(open_sqlite(dir + "/append.db").value());
    const double base = one_per_txn_rate(*s, 300);
    const double gc = group_commit_rate(*s, signer.get(), 200000);
    std::printf("sqlite   durable appends/s: group commit %.0f (goal >= 20000), one fsync per entry %.0f, ratio %.1fx\n", gc, base, gc / base);
  }
#ifdef PQMCP_HAVE_AUDIT_PG
  {
    std::string ci;
    std::unique_ptr<TempPgCluster> cluster;  // stopped and removed at the end of this block
    const char* env = std::getenv("PQMCP_AUDIT_BENCH_CONNINFO");
    if (env && *env) {
      ci = env;
    } else if (!TempPgCluster::find_bindir().empty()) {
      auto c = TempPgCluster::start();
      if (c) {
        cluster = std::move(c.value());
        ci = cluster->conninfo();
      } else {
        std::printf("postgres: cannot start a local cluster: %s\n", c.error().message.c_str());
      }
    } else {
      std::printf("postgres: skipped (no server binaries; set PQMCP_AUDIT_BENCH_CONNINFO)\n");
    }
    if (!ci.empty()) {
      auto s = open_postgres(ci);
      if (s) {
        const double base = one_per_txn_rate(**s, 300);
        const double gc = group_commit_rate(**s, signer.get(), 100000);
        std::printf("postgres durable appends/s: group commit %.0f, one commit per entry %.0f, ratio %.1fx (%s)\n", gc, base,
                    gc / base, cluster ? "throwaway local cluster, fsync on" : "PQMCP_AUDIT_BENCH_CONNINFO");
      } else {
        std::printf("postgres: %s\n", s.error().message.c_str());
      }
    }
  }
#endif

  // A big log built in large batches, checkpointed every 100,000 entries, then verified.
  auto s = std::move(open_sqlite(dir + "/big.db").value());
  NoteSigner* ss[] = {signer.get()};
  auto t = Clock::now();
  for (long i = 0; i < big;) {
    std::vector<std::string> batch;
    for (long j = 0; j < 10000 && i < big; ++j, ++i) batch.push_back(leaf(i));
    auto r = s->append(batch);
    if (!r) return std::fprintf(stderr, "%s\n", r.error().message.c_str()), 1;
    if (r->size % 100000 == 0 || r->size == static_cast<std::uint64_t>(big))
      (void)s->add_checkpoint(r->size, sign_checkpoint({"bench/audit", r->size, r->root}, "bench/audit", ss, 1).value());
  }
  std::printf("built a %ld-entry log in %.1f s\n", big, secs(t));
  VerifyOptions vo;
  vo.keys = {{"bench/audit", SigType::kMlDsa65, signer->public_key(), "bench key"}};
  t = Clock::now();
  auto rep = verify_log(*s, vo);
  const double vt = secs(t);
  std::printf("verify %ld entries (%llu checkpoints, canonical check on): %.2f s (goal <= 10 s) %s\n", big,
              rep ? static_cast<unsigned long long>(rep->checkpoints) : 0ULL, vt, rep && rep->ok ? "OK" : "FAILED");
  vo.check_entries = false;
  t = Clock::now();
  rep = verify_log(*s, vo);
  std::printf("verify %ld entries, hashes and signatures only: %.2f s\n", big, secs(t));

  auto leaves = load_leaf_hashes(*s, static_cast<std::uint64_t>(big)).value();
  auto cps = s->checkpoints().value();
  const auto inc = inclusion_proof(leaves, static_cast<std::uint64_t>(big / 3));
  const auto con = consistency_proof(leaves, static_cast<std::uint64_t>(big / 3));
  const std::string note = cps.back().note;
  std::printf("proof sizes at n=%ld: inclusion %zu hashes (%zu B), consistency %zu hashes (%zu B); checkpoint note %zu B "
              "(ML-DSA-65 line); tlog-proof file %zu B\n",
              big, inc.size(), inc.size() * 32, con.size(), con.size() * 32, note.size(),
              inclusion_proof_file(leaf(big / 3), static_cast<std::uint64_t>(big / 3), inc, note).size());
  std::filesystem::remove_all(dir);
  return 0;
}
