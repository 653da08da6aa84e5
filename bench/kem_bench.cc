// ML-KEM keygen/encaps/decaps and the X25519 baseline.
#include <benchmark/benchmark.h>

#include <stdexcept>

#include "classical.h"
#include "crypto/mlkem.h"

namespace pqmcp::bench {
namespace {

using namespace pqmcp::crypto;

void check(Status s) {
  if (s != Status::kOk) throw std::runtime_error(status_name(s));
}

void kem_keygen(benchmark::State& st, mlkem::ParamSet p) {
  std::vector<std::uint8_t> ek;
  SecureBuffer dk;
  for (auto _ : st) check(mlkem::keygen(p, ek, dk));
}
void kem_encaps(benchmark::State& st, mlkem::ParamSet p) {
  std::vector<std::uint8_t> ek, ct;
  SecureBuffer dk;
  mlkem::SharedSecret k;
  check(mlkem::keygen(p, ek, dk));
  for (auto _ : st) check(mlkem::encaps(p, ek, ct, k));
}
void kem_decaps(benchmark::State& st, mlkem::ParamSet p) {
  // A valid key and ciphertext, so the full decapsulation (with re-encryption) is measured.
  std::vector<std::uint8_t> ek, ct;
  SecureBuffer dk;
  mlkem::SharedSecret k;
  check(mlkem::keygen(p, ek, dk));
  check(mlkem::encaps(p, ek, ct, k));
  for (auto _ : st) check(mlkem::decaps(p, dk, ct, k));
}

BENCHMARK_CAPTURE(kem_keygen, mlkem512, mlkem::ParamSet::kMlKem512)->Name("mlkem512/keygen");
BENCHMARK_CAPTURE(kem_encaps, mlkem512, mlkem::ParamSet::kMlKem512)->Name("mlkem512/encaps");
BENCHMARK_CAPTURE(kem_decaps, mlkem512, mlkem::ParamSet::kMlKem512)->Name("mlkem512/decaps");
BENCHMARK_CAPTURE(kem_keygen, mlkem768, mlkem::ParamSet::kMlKem768)->Name("mlkem768/keygen");
BENCHMARK_CAPTURE(kem_encaps, mlkem768, mlkem::ParamSet::kMlKem768)->Name("mlkem768/encaps");
BENCHMARK_CAPTURE(kem_decaps, mlkem768, mlkem::ParamSet::kMlKem768)->Name("mlkem768/decaps");
BENCHMARK_CAPTURE(kem_keygen, mlkem1024, mlkem::ParamSet::kMlKem1024)->Name("mlkem1024/keygen");
BENCHMARK_CAPTURE(kem_encaps, mlkem1024, mlkem::ParamSet::kMlKem1024)->Name("mlkem1024/encaps");
BENCHMARK_CAPTURE(kem_decaps, mlkem1024, mlkem::ParamSet::kMlKem1024)->Name("mlkem1024/decaps");

void x25519_keygen(benchmark::State& st) {
  X25519 x;
  for (auto _ : st) x.keygen();
}
void x25519_derive(benchmark::State& st) {
  X25519 x;
  for (auto _ : st) x.derive();
}
BENCHMARK(x25519_keygen)->Name("x25519/keygen");
BENCHMARK(x25519_derive)->Name("x25519/derive");

}  // namespace
}  // namespace pqmcp::bench
