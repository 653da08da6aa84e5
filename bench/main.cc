// pqmcp-bench: Google Benchmark over the crypto core with classical baselines from the same run,
// then the ratios and the size table the project tracks ("the bandwidth tax").
//
// With --benchmark_format=json stdout carries only the benchmark's own document, and
// the summary goes to stderr, so the JSON stays machine-readable.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "crypto/composite.h"
#include "crypto/mldsa.h"
#include "crypto/mlkem.h"

namespace pqmcp::bench {
const std::vector<std::vector<std::uint8_t>>& cctv_messages(crypto::mldsa::ParamSet p, bool* from_cctv);
}

namespace {

using namespace pqmcp::crypto;

// Forwards everything to the chosen display reporter and keeps the CPU seconds per operation
// (CPU time, so that other load on the machine does not skew the ratios).
class Recorder : public benchmark::BenchmarkReporter {
 public:
  explicit Recorder(std::unique_ptr<benchmark::BenchmarkReporter> inner) : inner_(std::move(inner)) {}
  bool ReportContext(const Context& c) override { return inner_->ReportContext(c); }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.iterations > 0 && r.run_type == Run::RT_Iteration)
        seconds_[r.benchmark_name()] = r.cpu_accumulated_time / static_cast<double>(r.iterations);
    }
    inner_->ReportRuns(runs);
  }
  void Finalize() override { inner_->Finalize(); }
  double get(const std::string& name) const {
    auto it = seconds_.find(name);
    return it == seconds_.end() ? 0.0 : it->second;
  }

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  std::map<std::string, double> seconds_;
};

void ratio(FILE* out, const Recorder& r, const char* what, std::initializer_list<const char*> num,
           std::initializer_list<const char*> den) {
  double a = 0, b = 0;
  for (auto n : num) a += r.get(n);
  for (auto d : den) b += r.get(d);
  if (a <= 0 || b <= 0) return;  // filtered out by --benchmark_filter
  std::fprintf(out, "  %-56s %8.2f  (%.1f us vs %.1f us)\n", what, a / b, a * 1e6, b * 1e6);
}

void summary(FILE* out, const Recorder& r) {
  std::fprintf(out, "\nratios (time per operation; < 1 means the post-quantum side is faster)\n");
  ratio(out, r, "ML-KEM-768 encaps+decaps vs X25519 keygen+derive", {"mlkem768/encaps", "mlkem768/decaps"},
        {"x25519/keygen", "x25519/derive"});
  ratio(out, r, "ML-DSA-65 sign / Ed25519 sign", {"mldsa65/sign"}, {"ed25519/sign"});
  ratio(out, r, "ML-DSA-65 verify / Ed25519 verify", {"mldsa65/verify"}, {"ed25519/verify"});
  ratio(out, r, "pqmcp Ed25519 sign / OpenSSL Ed25519 sign", {"ed25519-pqmcp/sign"}, {"ed25519/sign"});
  ratio(out, r, "pqmcp Ed25519 sign / libsodium Ed25519 sign", {"ed25519-pqmcp/sign"}, {"ed25519-libsodium/sign"});
  ratio(out, r, "pqmcp Ed25519 (libsodium) verify / OpenSSL Ed25519 verify", {"ed25519-pqmcp/verify"}, {"ed25519/verify"});
  ratio(out, r, "ML-DSA-65 sign / ECDSA P-256 sign", {"mldsa65/sign"}, {"ecdsa-p256/sign"});
  ratio(out, r, "ML-DSA-65 verify / ECDSA P-256 verify", {"mldsa65/verify"}, {"ecdsa-p256/verify"});
  ratio(out, r, "composite ML-DSA-65+Ed25519 sign / Ed25519 sign", {"composite-mldsa65-ed25519/sign"},
        {"ed25519/sign"});
  ratio(out, r, "ML-DSA-65 sign, prepared key / encoded key", {"mldsa65/sign-prepared"}, {"mldsa65/sign"});
  ratio(out, r, "ML-DSA-65 verify, prepared key / encoded key", {"mldsa65/verify-prepared"}, {"mldsa65/verify"});
  ratio(out, r, "composite verify, prepared key / encoded key", {"composite-mldsa65-ed25519/verify-prepared"},
        {"composite-mldsa65-ed25519/verify"});
  bool cctv = false;
  pqmcp::bench::cctv_messages(mldsa::ParamSet::kMlDsa65, &cctv);
  std::fprintf(out, "  (ML-DSA sign messages: %s)\n",
               cctv ? "C2SP CCTV benchmark sets" : "fixed fallback set; ../shared/vectors not found");

  std::fprintf(out, "\nsizes in bytes (the bandwidth tax)\n  %-28s %10s %10s %12s\n", "algorithm",
               "public key", "private key", "sig / ct");
  auto row = [&](const char* n, std::size_t pk, std::size_t sk, std::size_t sig) {
    std::fprintf(out, "  %-28s %10zu %10zu %12zu\n", n, pk, sk, sig);
  };
  row("Ed25519", 32, 32, 64);
  row("ECDSA P-256 (DER sig, max)", 65, 32, 72);
  for (auto p : {mldsa::ParamSet::kMlDsa44, mldsa::ParamSet::kMlDsa65, mldsa::ParamSet::kMlDsa87})
    row(mldsa::name(p), mldsa::sizes(p).public_key, mldsa::kSeedBytes, mldsa::sizes(p).signature);
  for (auto a : {composite::Algorithm::kMlDsa44Ed25519, composite::Algorithm::kMlDsa65Ed25519,
                 composite::Algorithm::kMlDsa87Ed448}) {
    const auto& i = composite::info(a);
    row(std::string(i.name).substr(3).c_str(), i.public_key, i.private_key, i.signature);
  }
  row("X25519", 32, 32, 32);
  for (auto p : {mlkem::ParamSet::kMlKem512, mlkem::ParamSet::kMlKem768, mlkem::ParamSet::kMlKem1024})
    row(mlkem::name(p), mlkem::sizes(p).encaps_key, mlkem::kSeedBytes, mlkem::sizes(p).ciphertext);
  std::fprintf(out, "  (private keys of ML-DSA / ML-KEM in seed form; ML-DSA-65 signs %.0fx the bytes of Ed25519)\n",
               static_cast<double>(mldsa::sizes(mldsa::ParamSet::kMlDsa65).signature) / 64.0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string format = "console";
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--benchmark_format=", 19) == 0) format = argv[i] + 19;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::unique_ptr<benchmark::BenchmarkReporter> inner;
  if (format == "json") {
    inner = std::make_unique<benchmark::JSONReporter>();
  } else if (format == "console") {
    inner = std::make_unique<benchmark::ConsoleReporter>();
  } else {
    std::fprintf(stderr, "pqmcp-bench: --benchmark_format must be console or json\n");
    return 2;
  }
  Recorder rec(std::move(inner));
  benchmark::RunSpecifiedBenchmarks(&rec);
  benchmark::Shutdown();
  summary(format == "console" ? stdout : stderr, rec);
  return 0;
}
