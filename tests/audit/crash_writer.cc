// Helper for crash_test: appends entries to a SQLite log as fast as group commit allows, with an
// in-process ML-DSA-44 checkpoint signer, printing each acknowledged (durable) index to stdout.
// usage: audit_crash_writer DB START_TAG
#include <cstdio>
#include <cstring>
#include <mutex>

#include "audit/signers.h"
#include "audit/writer.h"

using namespace pqmcp::audit;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  auto s = open_sqlite(argv[1]);
  if (!s) return std::fprintf(stderr, "%s\n", s.error().message.c_str()), 1;
  const std::uint8_t seed[32] = {7};
  auto signer = std::move(signer_from_seed(SigType::kMlDsa44, seed).value());
  WriterOptions o;
  o.origin = "pqmcp.test/crash";
  o.signers = {signer.get()};
  o.checkpoint_every = 97;
  Writer w(**s, o);
  std::mutex mu;
  for (long i = 0;; ++i) {
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
      if (!r) return;
      std::lock_guard l(mu);
      std::printf("%llu\n", static_cast<unsigned long long>(*r));
      std::fflush(stdout);
    });
    if (i % 64 == 63) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}
