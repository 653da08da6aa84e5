// C2SP Wycheproof ML-DSA vectors (testvectors_v1/mldsa_*), applied as doc/mldsa.md says:
// sign_seed: KeyGen from privateSeed gives publicKey; each valid test's signature is reproduced
//   from msg/ctx (with rnd, or 32 zero bytes when absent) and from μ alone; invalid contexts fail.
// sign_noseed: the same from the expanded private key; malformed keys are rejected.
// verify: every verdict matches.
#include <gtest/gtest.h>

#include <algorithm>

#include "mldsa_test_util.h"

namespace pqmcp::crypto::mldsa {
namespace {

using namespace testutil;
using test::Json;

std::filesystem::path wycheproof_file(const std::filesystem::path& dir, int set, const char* kind) {
  return dir / "wycheproof/testvectors_v1" / ("mldsa_" + std::to_string(set) + "_" + kind + "_test.json");
}

ParamSet set_of(int n) {
  return n == 44 ? ParamSet::kMlDsa44 : n == 65 ? ParamSet::kMlDsa65 : ParamSet::kMlDsa87;
}

std::size_t load_json_count(const std::filesystem::path& file) {
  return test::load_json(file).at("numberOfTests").get<std::size_t>();
}

bool has_flag(const Json& t, const char* flag) {
  const auto& f = t.at("flags");
  return std::find(f.begin(), f.end(), flag) != f.end();
}

struct Counts {
  std::size_t tests = 0, valid = 0, invalid = 0, signatures = 0, mu_signatures = 0;
};

// One MlDsaSign test against an expanded key (from the seed or given); returns true if the
// test's verdict was reproduced.
bool run_sign_test(ParamSet ps, std::span<const std::uint8_t> sk, const Bytes& pk, const Json& t, Counts& c) {
  const bool valid = t.at("result") == "valid";
  const Bytes msg = hex(t, "msg"), ctx = hex(t, "ctx"), want = hex(t, "sig");
  const Bytes rnd = t.contains("rnd") ? hex(t, "rnd") : Bytes(32, 0);
  bool ok = true;
  if (t.contains("msg")) {
    std::vector<std::uint8_t> sig;
    Status s;
    {
      FixedRandom fixed(rnd);  // the hedged path with the vector's rnd
      s = sign(ps, sk, msg, ctx, sig, Randomness::kHedged);
    }
    if (valid) {
      EXPECT_EQ(s, Status::kOk) << "tcId " << t.at("tcId");
      EXPECT_EQ(test::to_hex(sig), test::to_hex(want)) << "tcId " << t.at("tcId");
      EXPECT_EQ(verify(ps, pk, msg, ctx, sig), Status::kOk) << "tcId " << t.at("tcId");
      ok = ok && is_ok(s) && sig == want;
      ++c.signatures;
      if (!t.contains("rnd")) {  // deterministic signers use exactly these tests
        std::vector<std::uint8_t> det;
        EXPECT_EQ(sign(ps, sk, msg, ctx, det, Randomness::kDeterministic), Status::kOk);
        EXPECT_EQ(det, want) << "tcId " << t.at("tcId");
        ok = ok && det == want;
      }
    } else {
      EXPECT_NE(s, Status::kOk) << "tcId " << t.at("tcId") << " " << t.at("comment");
      EXPECT_TRUE(sig.empty());
      if (has_flag(t, "InvalidContext")) {
        EXPECT_EQ(s, Status::kBadContext);
      }
      ok = ok && !is_ok(s);
    }
    if (t.contains("mu") && valid) {
      std::array<std::uint8_t, 64> mu;
      EXPECT_EQ(compute_mu(ps, pk, msg, ctx, mu), Status::kOk);
      EXPECT_EQ(Bytes(mu.begin(), mu.end()), hex(t, "mu")) << "tcId " << t.at("tcId");
    }
    if (!t.contains("mu") && has_flag(t, "InvalidContext")) {
      // No μ for an invalid context: μ computation itself must fail.
      std::array<std::uint8_t, 64> mu;
      EXPECT_NE(compute_mu(ps, pk, msg, ctx, mu), Status::kOk) << "tcId " << t.at("tcId");
    }
  }
  if (t.contains("mu")) {
    const Bytes mu = hex(t, "mu");
    EXPECT_EQ(mu.size(), kMuBytes);
    std::vector<std::uint8_t> sig;
    Status s;
    {
      FixedRandom fixed(rnd);
      s = sign_mu(ps, sk, std::span<const std::uint8_t, 64>(mu.data(), 64), sig, Randomness::kHedged);
    }
    if (valid) {
      EXPECT_EQ(s, Status::kOk) << "tcId " << t.at("tcId");
      EXPECT_EQ(test::to_hex(sig), test::to_hex(want)) << "tcId " << t.at("tcId");
      EXPECT_EQ(verify_mu(ps, pk, std::span<const std::uint8_t, 64>(mu.data(), 64), sig), Status::kOk);
      ok = ok && is_ok(s) && sig == want;
      ++c.mu_signatures;
    } else {
      EXPECT_NE(s, Status::kOk) << "tcId " << t.at("tcId");
      EXPECT_TRUE(sig.empty());
      ok = ok && !is_ok(s);
    }
  }
  return ok;
}

TEST(MlDsaWycheproof, SignSeed) {
  PQMCP_REQUIRE_VECTORS(dir);
  Counts c;
  std::size_t reproduced = 0, bad_seed = 0;
  for (int set : {44, 65, 87}) {
    const auto file = wycheproof_file(dir, set, "sign_seed");
    const ParamSet ps = set_of(set);
    const std::size_t n = test::for_each_wycheproof_test(file, [&](const Json& g, const Json& t) {
      ++c.tests;
      (t.at("result") == "valid" ? c.valid : c.invalid)++;
      const Bytes seed = hex(g, "privateSeed"), pk = hex(g, "publicKey");
      if (seed.size() != kSeedBytes) {
        // ξ is a fixed-size span in the API: a seed of another length cannot be passed at all.
        EXPECT_TRUE(has_flag(t, "IncorrectPrivateKeyLength")) << "tcId " << t.at("tcId");
        EXPECT_EQ(t.at("result"), "invalid");
        ++bad_seed;
        ++reproduced;
        return;
      }
      std::vector<std::uint8_t> gen_pk;
      SecureBuffer sk;
      ASSERT_EQ(keygen_from_seed(ps, std::span<const std::uint8_t, 32>(seed.data(), 32), gen_pk, sk), Status::kOk);
      EXPECT_EQ(gen_pk, pk) << "tcId " << t.at("tcId");
      if (run_sign_test(ps, sk, pk, t, c) && gen_pk == pk) ++reproduced;
    });
    EXPECT_EQ(n, load_json_count(file));
  }
  std::printf("Wycheproof sign_seed: %zu tests (%zu valid, %zu invalid), %zu reproduced; %zu msg and %zu mu "
              "signatures matched; %zu wrong-length seeds\n",
              c.tests, c.valid, c.invalid, reproduced, c.signatures, c.mu_signatures, bad_seed);
  ASSERT_EQ(c.tests, 86u + 105u + 96u);
  ASSERT_EQ(reproduced, c.tests);
}

TEST(MlDsaWycheproof, SignNoSeed) {
  PQMCP_REQUIRE_VECTORS(dir);
  Counts c;
  std::size_t reproduced = 0, bad_keys = 0;
  for (int set : {44, 65, 87}) {
    const auto file = wycheproof_file(dir, set, "sign_noseed");
    const ParamSet ps = set_of(set);
    const std::size_t n = test::for_each_wycheproof_test(file, [&](const Json& g, const Json& t) {
      ++c.tests;
      (t.at("result") == "valid" ? c.valid : c.invalid)++;
      const Bytes sk = hex(g, "privateKey"), pk = hex(g, "publicKey");
      std::vector<std::uint8_t> derived;
      const Status ks = public_from_private(ps, sk, derived);
      if (has_flag(t, "IncorrectPrivateKeyLength") || has_flag(t, "InvalidPrivateKey")) {
        const Status want = has_flag(t, "InvalidPrivateKey") ? Status::kBadKey : Status::kBadLength;
        EXPECT_EQ(ks, want) << "tcId " << t.at("tcId");
        std::vector<std::uint8_t> sig;
        EXPECT_EQ(sign(ps, sk, hex(t, "msg"), hex(t, "ctx"), sig), want) << "tcId " << t.at("tcId");
        ++bad_keys;
      } else {
        EXPECT_EQ(ks, Status::kOk) << "tcId " << t.at("tcId");
        EXPECT_EQ(derived, pk) << "tcId " << t.at("tcId");
      }
      if (run_sign_test(ps, sk, pk, t, c)) ++reproduced;
    });
    EXPECT_EQ(n, load_json_count(file));
  }
  std::printf("Wycheproof sign_noseed: %zu tests (%zu valid, %zu invalid), %zu reproduced; %zu msg and %zu mu "
              "signatures matched; %zu malformed keys rejected\n",
              c.tests, c.valid, c.invalid, reproduced, c.signatures, c.mu_signatures, bad_keys);
  ASSERT_EQ(c.tests, 73u + 78u + 69u);
  ASSERT_EQ(reproduced, c.tests);
  ASSERT_EQ(bad_keys, 12u);
}

TEST(MlDsaWycheproof, Verify) {
  PQMCP_REQUIRE_VECTORS(dir);
  std::size_t total = 0, right = 0, valid = 0;
  for (int set : {44, 65, 87}) {
    const auto file = wycheproof_file(dir, set, "verify");
    const ParamSet ps = set_of(set);
    const std::size_t n = test::for_each_wycheproof_test(file, [&](const Json& g, const Json& t) {
      ++total;
      const bool want = t.at("result") == "valid";
      valid += want;
      const Status s = verify(ps, hex(g, "publicKey"), hex(t, "msg"), hex(t, "ctx"), hex(t, "sig"));
      EXPECT_EQ(is_ok(s), want) << name(ps) << " tcId " << t.at("tcId") << " " << t.at("comment") << ": "
                                << status_name(s);
      if (is_ok(s) == want) ++right;
    });
    EXPECT_EQ(n, load_json_count(file));
  }
  std::printf("Wycheproof verify: %zu/%zu verdicts right (%zu valid)\n", right, total, valid);
  ASSERT_EQ(total, 180u + 210u + 241u);
  ASSERT_EQ(right, total);
}

}  // namespace
}  // namespace pqmcp::crypto::mldsa
