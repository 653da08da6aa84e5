// Helper for crash_test and pg_test: appends entries to a log as fast as group commit allows,
// with an in-process ML-DSA-44 checkpoint signer, printing each acknowledged (durable) index to
// stdout. Entry names are n0, n1, … in submission order and `source` is TAG, so a checker can
// tell which process wrote which index and that none of its entries went missing or doubled.
// usage: audit_crash_writer DB TAG            (SQLite)
//        audit_crash_writer --pg CONNINFO TAG (PostgreSQL; only when built with pqmcp_audit_pg)
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "audit/signers.h"
#include "audit/writer.h"
#ifdef PQMCP_HAVE_AUDIT_PG
#include "audit/pg/pg_storage.h"
#endif

using namespace pqmcp::audit;

int main(int argc, char** argv) {
  const bool pg = argc == 4 && std::strcmp(argv[1], "--pg") == 0;
  if (argc != 3 && !pg) return 2;
  if (pg) ++argv;
#ifdef PQMCP_HAVE_AUDIT_PG
  auto s = pg ? open_postgres(argv[1]) : open_sqlite(argv[1]);
#else
  if (pg) return std::fprintf(stderr, "built without PostgreSQL support\n"), 2;
  auto s = open_sqlite(argv[1]);
#endif
  if (!s) return std::fprintf(stderr, "%s\n", s.error().message.c_str()), 1;
  const std::uint8_t seed[32] = {7};
  auto signer = std::move(signer_from_seed(SigType::kMlDsa44, seed).value());
  WriterOptions o;
  o.origin = "pqmcp.test/crash";
  o.signers = {signer.get()};
  o.checkpoint_every = 97;
  Writer w(**s, o);
  std::mutex mu;
  // Back-pressure: a long run (pg_test) must not queue millions of entries in memory.
  std::atomic<long> in_flight{0};
  for (long i = 0;; ++i) {
    while (in_flight > 20000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ++in_flight;
    Entry e;
    e.time_ms = now_ms();
    e.source = argv[2];
    e.direction = "request";
    e.method = "tools/call";
    char name[32];
    std::snprintf(name, sizeof name, "n%ld", i);  // (GCC 12 -Wrestrict misfires on "n" + to_string)
    e.name = name;
    e.decision = "allow";
    e.msg_sha256 = to_hex(sha256(std::vector<std::uint8_t>(reinterpret_cast<std::uint8_t*>(&i), reinterpret_cast<std::uint8_t*>(&i) + sizeof i)));
    w.append_async(e.canonical().value(), [&](Result<std::uint64_t> r) {
      --in_flight;
      // A failed batch is not acknowledged; say so on stderr (the test shows it on failure).
      if (!r) return (void)std::fprintf(stderr, "append: %s\n", r.error().message.c_str());
      std::lock_guard l(mu);
      std::printf("%llu\n", static_cast<unsigned long long>(*r));
      std::fflush(stdout);
    });
    if (i % 64 == 63) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}
