// `pqmcp selftest`: the known-answer self-tests a cryptographic module runs at power-up
// (FIPS 140-3 §7.10.3), then a short speed table. Exit status 0 only if every test passes.
//
// Expected answers come from outside this code base: FIPS 202 and RFC 8032 examples, the C2SP
// CCTV accumulated ML-DSA digests, and digests computed with @noble/post-quantum (an
// independent implementation) for the ML-KEM accumulated run and the composite signature.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "cli/selftest_kat.h"
#include "crypto/composite.h"
#include "crypto/mldsa.h"
#include "crypto/mlkem.h"

namespace pqmcp::cli {
namespace {

using namespace pqmcp::crypto;

struct Row {
  std::string algorithm, test;
  bool pass;
};

double ops_per_second(const std::function<void()>& op, double seconds) {
  using Clock = std::chrono::steady_clock;
  op();  // warm-up
  std::size_t n = 0;
  const auto start = Clock::now();
  auto now = start;
  do {
    op();
    ++n;
    now = Clock::now();
  } while (std::chrono::duration<double>(now - start).count() < seconds);
  return static_cast<double>(n) / std::chrono::duration<double>(now - start).count();
}

void speed_table(double seconds) {
  std::printf("\n%-26s %12s %12s %12s\n", "speed (ops/s)", "keygen", "encaps/sign", "decaps/verify");
  for (auto p : {mlkem::ParamSet::kMlKem512, mlkem::ParamSet::kMlKem768, mlkem::ParamSet::kMlKem1024}) {
    std::vector<std::uint8_t> ek, ct;
    SecureBuffer dk;
    mlkem::SharedSecret k;
    const double kg = ops_per_second([&] { (void)mlkem::keygen(p, ek, dk); }, seconds);
    const double en = ops_per_second([&] { (void)mlkem::encaps(p, ek, ct, k); }, seconds);
    const double de = ops_per_second([&] { (void)mlkem::decaps(p, dk, ct, k); }, seconds);
    std::printf("%-26s %12.0f %12.0f %12.0f\n", mlkem::name(p), kg, en, de);
  }
  const std::vector<std::uint8_t> msg(64, 0x42);
  for (auto p : {mldsa::ParamSet::kMlDsa44, mldsa::ParamSet::kMlDsa65, mldsa::ParamSet::kMlDsa87}) {
    std::vector<std::uint8_t> pk, sig;
    SecureBuffer sk;
    const double kg = ops_per_second([&] { (void)mldsa::keygen(p, pk, sk); }, seconds);
    const double sg = ops_per_second([&] { (void)mldsa::sign(p, sk, msg, {}, sig); }, seconds);
    const double vf = ops_per_second([&] { (void)mldsa::verify(p, pk, msg, {}, sig); }, seconds);
    std::printf("%-26s %12.0f %12.0f %12.0f\n", mldsa::name(p), kg, sg, vf);
  }
  {
    const auto a = composite::Algorithm::kMlDsa65Ed25519;
    std::vector<std::uint8_t> pk, sig;
    SecureBuffer sk;
    const double kg = ops_per_second([&] { (void)composite::keygen(a, pk, sk); }, seconds);
    composite::SigningKey key;
    if (composite::SigningKey::load(a, sk, key) != Status::kOk) return;
    const double sg = ops_per_second([&] { (void)key.sign(msg, {}, sig); }, seconds);
    const double vf = ops_per_second([&] { (void)composite::verify(a, pk, msg, {}, sig); }, seconds);
    std::printf("%-26s %12.0f %12.0f %12.0f\n", "ML-DSA-65+Ed25519", kg, sg, vf);
  }
}

}  // namespace

int run_selftest(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      std::fprintf(stderr, "pqmcp selftest: unknown option '%s'\n", argv[i]);
      return 2;
    }
  }
  std::printf("pqmcp selftest: known-answer tests\n\n%-26s %-44s %s\n", "algorithm", "test", "result");
  int failed = 0;
  for (const auto& kat : selftest_kats()) {
    const bool ok = kat.run();
    failed += ok ? 0 : 1;
    std::printf("%-26s %-44s %s\n", kat.algorithm, kat.test, ok ? "pass" : "FAIL");
  }
  std::printf("\n%d passed, %d failed\n", static_cast<int>(selftest_kats().size()) - failed, failed);
  if (failed == 0 && !quick) speed_table(0.2);
  return failed == 0 ? 0 : 1;
}

}  // namespace pqmcp::cli
