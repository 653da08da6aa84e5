// ML-DSA, composite ML-DSA-65 + Ed25519, and the Ed25519 / ECDSA P-256 baselines.
//
// ML-DSA signing time is geometric in the number of rejections, so the sign benchmarks cycle
// through the C2SP CCTV benchmark message sets: deterministic signatures of those messages
// under the key from the all-zero seed have a representative rejection distribution.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <stdexcept>
#include <string>

#include "classical.h"
#include "crypto/composite.h"
#include "crypto/eddsa.h"
#include "crypto/mldsa.h"

namespace pqmcp::bench {

using namespace pqmcp::crypto;
using Messages = std::vector<std::vector<std::uint8_t>>;

namespace {

void check(Status s) {
  if (s != Status::kOk) throw std::runtime_error(status_name(s));
}

std::string vectors_dir() {
  if (const char* e = std::getenv("PQMCP_VECTORS_DIR")) return e;
  return PQMCP_VECTORS_DIR;
}

}  // namespace

// The CCTV message set for a parameter set, or (when ../shared/vectors is absent) 128 fixed
// messages, with a warning, so the benchmark still runs from a bare clone.
const Messages& cctv_messages(mldsa::ParamSet p, bool* from_cctv) {
  static Messages cache[3];
  static bool cctv[3];
  const auto i = static_cast<std::size_t>(p);
  if (cache[i].empty()) {
    const std::string file = vectors_dir() + "/cctv/ML-DSA/benchmark/" + mldsa::name(p) + ".json";
    std::ifstream in(file);
    if (in) {
      for (const auto& m : nlohmann::json::parse(in)) {
        const auto s = m.get<std::string>();
        cache[i].emplace_back(s.begin(), s.end());
      }
      cctv[i] = true;
    } else {
      for (int k = 0; k < 128; ++k) {
        const std::string s = "pqmcp-bench-message-" + std::to_string(k);
        cache[i].emplace_back(s.begin(), s.end());
      }
    }
  }
  if (from_cctv != nullptr) *from_cctv = cctv[i];
  return cache[i];
}

namespace {

void dsa_keygen(benchmark::State& st, mldsa::ParamSet p) {
  std::vector<std::uint8_t> pk;
  SecureBuffer sk;
  for (auto _ : st) check(mldsa::keygen(p, pk, sk));
}

void dsa_sign(benchmark::State& st, mldsa::ParamSet p) {
  const mldsa::Seed zero;  // the CCTV benchmark key: KeyGen of the all-zero seed
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  check(mldsa::keygen_from_seed(p, zero, pk, sk));
  const Messages& msgs = cctv_messages(p, nullptr);
  std::size_t i = 0;
  for (auto _ : st) {
    check(mldsa::sign(p, sk, msgs[i], {}, sig, mldsa::Randomness::kDeterministic));
    i = (i + 1) % msgs.size();
  }
}

void dsa_verify(benchmark::State& st, mldsa::ParamSet p) {
  const mldsa::Seed zero;
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  check(mldsa::keygen_from_seed(p, zero, pk, sk));
  const auto& msg = cctv_messages(p, nullptr)[0];
  check(mldsa::sign(p, sk, msg, {}, sig, mldsa::Randomness::kDeterministic));
  for (auto _ : st) check(mldsa::verify(p, pk, msg, {}, sig));
}

// The same operations on keys prepared once (decoded, Â expanded, t1·2^d and tr computed), as
// libpqhsm and the gateway's verifier hold them.
void dsa_sign_prepared(benchmark::State& st, mldsa::ParamSet p) {
  const mldsa::Seed zero;
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  check(mldsa::keygen_from_seed(p, zero, pk, sk));
  mldsa::PreparedPrivateKey key;
  check(mldsa::PreparedPrivateKey::load(p, sk, key));
  const Messages& msgs = cctv_messages(p, nullptr);
  std::size_t i = 0;
  for (auto _ : st) {
    check(mldsa::sign(key, msgs[i], {}, sig, mldsa::Randomness::kDeterministic));
    i = (i + 1) % msgs.size();
  }
}

void dsa_verify_prepared(benchmark::State& st, mldsa::ParamSet p) {
  const mldsa::Seed zero;
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  check(mldsa::keygen_from_seed(p, zero, pk, sk));
  const auto& msg = cctv_messages(p, nullptr)[0];
  check(mldsa::sign(p, sk, msg, {}, sig, mldsa::Randomness::kDeterministic));
  mldsa::PreparedPublicKey key;
  check(mldsa::PreparedPublicKey::load(p, pk, key));
  for (auto _ : st) check(mldsa::verify(key, msg, {}, sig));
}

#define PQMCP_DSA(tag, p)                                                   \
  BENCHMARK_CAPTURE(dsa_keygen, tag, p)->Name(#tag "/keygen");             \
  BENCHMARK_CAPTURE(dsa_sign, tag, p)->Name(#tag "/sign");                 \
  BENCHMARK_CAPTURE(dsa_verify, tag, p)->Name(#tag "/verify");             \
  BENCHMARK_CAPTURE(dsa_sign_prepared, tag, p)->Name(#tag "/sign-prepared"); \
  BENCHMARK_CAPTURE(dsa_verify_prepared, tag, p)->Name(#tag "/verify-prepared")
PQMCP_DSA(mldsa44, mldsa::ParamSet::kMlDsa44);
PQMCP_DSA(mldsa65, mldsa::ParamSet::kMlDsa65);
PQMCP_DSA(mldsa87, mldsa::ParamSet::kMlDsa87);

void composite_sign(benchmark::State& st) {
  const auto a = composite::Algorithm::kMlDsa65Ed25519;
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  check(composite::keygen(a, pk, sk));
  composite::SigningKey key;
  check(composite::SigningKey::load(a, sk, key));
  const Messages& msgs = cctv_messages(mldsa::ParamSet::kMlDsa65, nullptr);
  std::size_t i = 0;
  for (auto _ : st) {
    check(key.sign(msgs[i], {}, sig));
    i = (i + 1) % msgs.size();
  }
}
void composite_verify(benchmark::State& st) {
  const auto a = composite::Algorithm::kMlDsa65Ed25519;
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  check(composite::keygen(a, pk, sk));
  const auto& msg = cctv_messages(mldsa::ParamSet::kMlDsa65, nullptr)[0];
  check(composite::sign(a, sk, msg, {}, sig));
  for (auto _ : st) check(composite::verify(a, pk, msg, {}, sig));
}
void composite_verify_prepared(benchmark::State& st) {
  const auto a = composite::Algorithm::kMlDsa65Ed25519;
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  check(composite::keygen(a, pk, sk));
  const auto& msg = cctv_messages(mldsa::ParamSet::kMlDsa65, nullptr)[0];
  check(composite::sign(a, sk, msg, {}, sig));
  composite::VerifyingKey key;
  check(composite::VerifyingKey::load(a, pk, key));
  for (auto _ : st) check(key.verify(msg, {}, sig));
}
// composite/sign uses a SigningKey loaded once; sign-oneshot loads the key from its encoding
// for every signature (what a caller without a prepared key pays).
void composite_sign_oneshot(benchmark::State& st) {
  const auto a = composite::Algorithm::kMlDsa65Ed25519;
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  check(composite::keygen(a, pk, sk));
  const Messages& msgs = cctv_messages(mldsa::ParamSet::kMlDsa65, nullptr);
  std::size_t i = 0;
  for (auto _ : st) {
    check(composite::sign(a, sk, msgs[i], {}, sig));
    i = (i + 1) % msgs.size();
  }
}
BENCHMARK(composite_sign)->Name("composite-mldsa65-ed25519/sign");
BENCHMARK(composite_verify)->Name("composite-mldsa65-ed25519/verify");
BENCHMARK(composite_verify_prepared)->Name("composite-mldsa65-ed25519/verify-prepared");
BENCHMARK(composite_sign_oneshot)->Name("composite-mldsa65-ed25519/sign-oneshot");

void classical_sign(benchmark::State& st, ClassicalSigner::Kind k) {
  ClassicalSigner s(k);
  const Messages& msgs = cctv_messages(mldsa::ParamSet::kMlDsa65, nullptr);
  std::size_t i = 0;
  for (auto _ : st) {
    benchmark::DoNotOptimize(s.sign(msgs[i]));
    i = (i + 1) % msgs.size();
  }
}
void classical_verify(benchmark::State& st, ClassicalSigner::Kind k) {
  ClassicalSigner s(k);
  const auto& msg = cctv_messages(mldsa::ParamSet::kMlDsa65, nullptr)[0];
  const auto sig = s.sign(msg);
  for (auto _ : st)
    if (!s.verify(msg, sig)) throw std::runtime_error("classical verify");
}
BENCHMARK_CAPTURE(classical_sign, ed25519, ClassicalSigner::Kind::kEd25519)->Name("ed25519/sign");
BENCHMARK_CAPTURE(classical_verify, ed25519, ClassicalSigner::Kind::kEd25519)->Name("ed25519/verify");
// pqmcp's own Ed25519 (crypto/eddsa.h: signing on our comb, verification of a prepared key on
// our tables, libsodium for the rest): the classical half of every composite signature, next to
// the OpenSSL baseline above and libsodium's signer below.
void pqmcp_ed25519_sign(benchmark::State& st) {
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  check(eddsa::keygen(eddsa::Curve::kEd25519, pk, sk));
  eddsa::SigningKey key;
  check(eddsa::SigningKey::load(eddsa::Curve::kEd25519, std::span(sk.data(), sk.size()), key));
  const Messages& msgs = cctv_messages(mldsa::ParamSet::kMlDsa65, nullptr);
  std::size_t i = 0;
  for (auto _ : st) {
    check(key.sign(msgs[i], sig));
    i = (i + 1) % msgs.size();
  }
}
// Verification three ways: libsodium's crypto_sign_ed25519_verify_detached on the raw key
// (what VerifyingKey::verify ran before the prepared path, and what the one-shot
// eddsa::verify still runs after its key check), a prepared VerifyingKey (per-key comb table,
// hybrid/ed25519_fixed.h), and the cost of preparing one.
void pqmcp_ed25519_verify(benchmark::State& st, int mode) {
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  check(eddsa::keygen(eddsa::Curve::kEd25519, pk, sk));
  const auto& msg = cctv_messages(mldsa::ParamSet::kMlDsa65, nullptr)[0];
  check(eddsa::sign(eddsa::Curve::kEd25519, std::span(sk.data(), sk.size()), msg, sig));
  eddsa::VerifyingKey key;
  check(eddsa::VerifyingKey::load(eddsa::Curve::kEd25519, pk, key));
  if (mode == 0) {
    for (auto _ : st)
      if (crypto_sign_ed25519_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) != 0)
        throw std::runtime_error("libsodium verify");
  } else if (mode == 1) {
    for (auto _ : st) check(key.verify(msg, sig));
  } else {
    for (auto _ : st) {
      eddsa::VerifyingKey k;
      check(eddsa::VerifyingKey::load(eddsa::Curve::kEd25519, pk, k));
      benchmark::DoNotOptimize(k);
    }
  }
}
BENCHMARK(pqmcp_ed25519_sign)->Name("ed25519-pqmcp/sign");
// libsodium's crypto_sign_ed25519_detached on the same messages: the signer pqmcp's replaced
// (same signatures byte for byte).
void libsodium_ed25519_sign(benchmark::State& st) {
  if (sodium_init() < 0) throw std::runtime_error("sodium_init");
  std::uint8_t pk[32], sk[64], sig[64];
  crypto_sign_ed25519_keypair(pk, sk);
  const Messages& msgs = cctv_messages(mldsa::ParamSet::kMlDsa65, nullptr);
  std::size_t i = 0;
  for (auto _ : st) {
    crypto_sign_ed25519_detached(sig, nullptr, msgs[i].data(), msgs[i].size(), sk);
    i = (i + 1) % msgs.size();
  }
  sodium_memzero(sk, sizeof sk);
}
BENCHMARK(libsodium_ed25519_sign)->Name("ed25519-libsodium/sign");
BENCHMARK_CAPTURE(pqmcp_ed25519_verify, libsodium, 0)->Name("ed25519-pqmcp/verify");
BENCHMARK_CAPTURE(pqmcp_ed25519_verify, prepared, 1)->Name("ed25519-pqmcp/verify-prepared-key");
BENCHMARK_CAPTURE(pqmcp_ed25519_verify, load, 2)->Name("ed25519-pqmcp/load-verifying-key");
BENCHMARK_CAPTURE(classical_sign, p256, ClassicalSigner::Kind::kEcdsaP256)->Name("ecdsa-p256/sign");
BENCHMARK_CAPTURE(classical_verify, p256, ClassicalSigner::Kind::kEcdsaP256)->Name("ecdsa-p256/verify");

}  // namespace
}  // namespace pqmcp::bench
