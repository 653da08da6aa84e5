// Known-answer tests. Each compares a digest of the algorithm's output with a value fixed
// outside pqmcp, so a wrong implementation cannot agree with itself.
#include "cli/selftest_kat.h"

#include <array>
#include <cstdio>
#include <string>
#include <string_view>

#include "crypto/composite.h"
#include "crypto/eddsa.h"
#include "crypto/mldsa.h"
#include "crypto/mlkem.h"
#include "crypto/sha3.h"

namespace pqmcp::cli {
namespace {

using namespace pqmcp::crypto;

std::string hex(std::span<const std::uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto x : b) {
    s.push_back(d[x >> 4]);
    s.push_back(d[x & 15]);
  }
  return s;
}

std::vector<std::uint8_t> unhex(std::string_view h) {
  std::vector<std::uint8_t> out(h.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(std::stoi(std::string(h.substr(2 * i, 2)), nullptr, 16));
  return out;
}

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string sha3_hex(std::span<const std::uint8_t> in) {
  std::array<std::uint8_t, 32> h;
  sha3_256(in, h);
  return hex(h);
}

// The C2SP CCTV "accumulated" procedure: inputs drawn from one SHAKE128 stream, every output
// absorbed into a second SHAKE128, whose first 32 bytes are the answer.
bool mlkem_accumulated(mlkem::ParamSet p, int n, std::string_view expected) {
  Shake128 rng, acc;
  const auto sz = mlkem::sizes(p);
  for (int i = 0; i < n; ++i) {
    mlkem::Seed seed;
    SecretArray<32> m;
    std::vector<std::uint8_t> bad_ct(sz.ciphertext), ek, ct;
    rng.squeeze(seed.span());
    rng.squeeze(m.span());
    rng.squeeze(bad_ct);
    SecureBuffer dk;
    mlkem::SharedSecret k1, k2, k3;
    if (mlkem::keygen_from_seed(p, seed, ek, dk) != Status::kOk) return false;
    if (mlkem::encaps_derand(p, ek, m, ct, k1) != Status::kOk) return false;
    if (mlkem::decaps(p, dk, ct, k2) != Status::kOk) return false;
    if (mlkem::decaps(p, dk, bad_ct, k3) != Status::kOk) return false;
    if (hex(k1.span()) != hex(k2.span())) return false;
    acc.absorb(ek);
    acc.absorb(dk);
    acc.absorb(ct);
    acc.absorb(k1.span());
    acc.absorb(k3.span());
  }
  std::array<std::uint8_t, 32> out;
  acc.squeeze(out);
  return hex(out) == expected;
}

bool mldsa_accumulated(mldsa::ParamSet p, int n, std::string_view expected) {
  Shake128 rng, acc;
  for (int i = 0; i < n; ++i) {
    mldsa::Seed xi;
    rng.squeeze(xi.span());
    std::vector<std::uint8_t> pk, sig;
    SecureBuffer sk;
    if (mldsa::keygen_from_seed(p, xi, pk, sk) != Status::kOk) return false;
    acc.absorb(pk);
    if (mldsa::sign(p, sk, {}, {}, sig, mldsa::Randomness::kDeterministic) != Status::kOk) return false;
    acc.absorb(sig);
    if (mldsa::verify(p, pk, {}, {}, sig) != Status::kOk) return false;
  }
  std::array<std::uint8_t, 32> out;
  acc.squeeze(out);
  return hex(out) == expected;
}

bool composite_kat() {
  // ξ = 00 01 … 1f, Ed25519 key of RFC 8032 TEST 1, deterministic ML-DSA.
  std::vector<std::uint8_t> sk(32);
  for (int i = 0; i < 32; ++i) sk[i] = static_cast<std::uint8_t>(i);
  const auto ed = unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  sk.insert(sk.end(), ed.begin(), ed.end());
  const auto a = composite::Algorithm::kMlDsa65Ed25519;
  std::vector<std::uint8_t> pk, sig;
  if (composite::public_from_private(a, sk, pk) != Status::kOk) return false;
  if (composite::sign(a, sk, bytes("pqmcp selftest"), {}, sig, mldsa::Randomness::kDeterministic) !=
      Status::kOk)
    return false;
  if (sha3_hex(sig) != "822c6f31f2d60bb1f2f063d9fa81c63184dc4cd0078bc9801dc8c56036827526") return false;
  if (composite::verify(a, pk, bytes("pqmcp selftest"), {}, sig) != Status::kOk) return false;
  sig[100] ^= 1;  // and a corrupted signature must fail
  return composite::verify(a, pk, bytes("pqmcp selftest"), {}, sig) == Status::kVerifyFailed;
}

}  // namespace

const std::vector<Kat>& selftest_kats() {
  static const std::vector<Kat> kats = {
      {"SHA3-256", "FIPS 202 example \"abc\"",
       [] { return sha3_hex(bytes("abc")) == "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"; }},
      {"SHAKE128", "FIPS 202 example, empty input, 32 bytes",
       [] {
         std::array<std::uint8_t, 32> o;
         shake128({}, o);
         return hex(o) == "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26";
       }},
      {"SHAKE256", "FIPS 202 example, empty input, 32 bytes",
       [] {
         std::array<std::uint8_t, 32> o;
         shake256({}, o);
         return hex(o) == "46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f";
       }},
      {"ML-KEM-512", "keygen/encaps/decaps, 100 accumulated",
       [] { return mlkem_accumulated(mlkem::ParamSet::kMlKem512, 100, "449120c6e320ef3e9fbfa2316e5f2d2e1e6dd37d8ff5d086d5d2db7d42aff0a1"); }},
      {"ML-KEM-768", "keygen/encaps/decaps, 100 accumulated",
       [] { return mlkem_accumulated(mlkem::ParamSet::kMlKem768, 100, "8d65b902f28edc683cebee2872962fd165a4d197c9e24ec74caa4470270df0b7"); }},
      {"ML-KEM-1024", "keygen/encaps/decaps, 100 accumulated",
       [] { return mlkem_accumulated(mlkem::ParamSet::kMlKem1024, 100, "c3ffe9ebecfa479c142656cbfbc6417efa05b77e994fe538eef4daed166363df"); }},
      {"ML-DSA-44", "keygen/sign/verify, CCTV 100 accumulated",
       [] { return mldsa_accumulated(mldsa::ParamSet::kMlDsa44, 100, "d51148e1f9f4fa1a723a6cf42e25f2a99eb5c1b378b3d2dbbd561b1203beeae4"); }},
      {"ML-DSA-65", "keygen/sign/verify, CCTV 100 accumulated",
       [] { return mldsa_accumulated(mldsa::ParamSet::kMlDsa65, 100, "8358a1843220194417cadbc2651295cd8fc65125b5a5c1a239a16dc8b57ca199"); }},
      {"ML-DSA-87", "keygen/sign/verify, CCTV 100 accumulated",
       [] { return mldsa_accumulated(mldsa::ParamSet::kMlDsa87, 100, "8c3ad714777622b8f21ce31bb35f71394f23bc0fcf3c78ace5d608990f3b061b"); }},
      {"Ed25519", "RFC 8032 TEST 1 signature",
       [] {
         const auto sk = unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
         std::vector<std::uint8_t> sig;
         return eddsa::sign(eddsa::Curve::kEd25519, sk, {}, sig) == Status::kOk &&
                hex(sig) == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
       }},
      {"ML-DSA-65+Ed25519", "composite deterministic sign, verify, reject",
       composite_kat},
  };
  return kats;
}

}  // namespace pqmcp::cli
