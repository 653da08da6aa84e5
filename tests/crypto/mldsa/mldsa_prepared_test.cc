// Prepared ML-DSA keys (PreparedPrivateKey / PreparedPublicKey): the official ACVP vectors
// through the prepared entry points, byte equality with the functions on encoded keys, many
// messages under one prepared key, concurrent use, and refusal of malformed keys.
#include <gtest/gtest.h>

#include <thread>

#include "mldsa_test_util.h"

namespace pqmcp::crypto::mldsa {
namespace {

using namespace testutil;
using test::Json;

std::string str(const Json& j, const char* key, const char* dflt = "") {
  return j.contains(key) ? j.at(key).get<std::string>() : std::string(dflt);
}

struct Keys {
  std::vector<std::uint8_t> pk;
  SecureBuffer sk;
};

Keys make_keys(ParamSet ps, std::uint8_t fill) {
  Keys k;
  std::uint8_t xi[32];
  for (int i = 0; i < 32; ++i) xi[i] = static_cast<std::uint8_t>(fill + 3 * i);
  EXPECT_EQ(keygen_from_seed(ps, xi, k.pk, k.sk), Status::kOk);
  return k;
}

Bytes message(int i) { return test::test_bytes("prepared-msg-" + std::to_string(i), static_cast<std::size_t>(i * 37)); }

// ACVP sigGen through PreparedPrivateKey, for every signature interface the vectors use.
TEST(MlDsaPrepared, AcvpSigGen) {
  PQMCP_REQUIRE_VECTORS(dir);
  std::size_t passed = 0;
  const std::size_t n = test::for_each_acvp_case(dir / "acvp/ML-DSA-sigGen-FIPS204", [&](const Json& g, const Json& t) {
    const auto ps = param_set_from_name(g.at("parameterSet").get<std::string>());
    ASSERT_TRUE(ps.has_value());
    const bool deterministic = g.at("deterministic").get<bool>();
    const Bytes rnd = deterministic ? Bytes(32, 0) : hex(t, "rnd");
    Bytes sk = hex(t, "sk");
    if (sk.empty() && t.contains("seed")) {
      const Bytes seed = hex(t, "seed");
      std::vector<std::uint8_t> pk;
      SecureBuffer esk;
      ASSERT_EQ(keygen_from_seed(*ps, std::span<const std::uint8_t, 32>(seed.data(), 32), pk, esk), Status::kOk);
      sk.assign(esk.data(), esk.data() + esk.size());
    }
    PreparedPrivateKey key;
    ASSERT_EQ(PreparedPrivateKey::load(*ps, sk, key), Status::kOk);
    const Bytes msg = hex(t, "message"), ctx = hex(t, "context");
    FixedRandom fixed(rnd);
    const Randomness mode = deterministic ? Randomness::kDeterministic : Randomness::kHedged;
    std::vector<std::uint8_t> sig;
    Status s;
    if (str(g, "signatureInterface", "internal") == "internal") {
      if (g.value("externalMu", false)) {
        const Bytes mu = hex(t, "mu");
        s = sign_mu(key, std::span<const std::uint8_t, 64>(mu.data(), 64), sig, mode);
      } else {
        s = sign_internal(key, msg, std::span<const std::uint8_t, 32>(rnd.data(), 32), sig);
      }
    } else if (str(g, "preHash", "pure") == "preHash") {
      const auto ph = prehash_from_name(str(t, "hashAlg"));
      ASSERT_TRUE(ph.has_value());
      s = sign_prehash(key, msg, ctx, *ph, sig, mode);
    } else {
      s = sign(key, msg, ctx, sig, mode);
    }
    ASSERT_EQ(s, Status::kOk) << "tcId " << t.at("tcId");
    EXPECT_EQ(test::to_hex(sig), test::to_hex(hex(t, "signature"))) << "tcId " << t.at("tcId");
    if (!HasFailure()) ++passed;
  });
  ASSERT_EQ(n, 60u);
  ASSERT_EQ(passed, n);
}

// ACVP sigVer through PreparedPublicKey: the same accept / reject answers.
TEST(MlDsaPrepared, AcvpSigVer) {
  PQMCP_REQUIRE_VECTORS(dir);
  std::size_t passed = 0, accepted = 0;
  const std::size_t n = test::for_each_acvp_case(dir / "acvp/ML-DSA-sigVer-FIPS204", [&](const Json& g, const Json& t) {
    const auto ps = param_set_from_name(g.at("parameterSet").get<std::string>());
    ASSERT_TRUE(ps.has_value());
    const Bytes pk = t.contains("pk") ? hex(t, "pk") : hex(g, "pk");
    PreparedPublicKey key;
    ASSERT_EQ(PreparedPublicKey::load(*ps, pk, key), Status::kOk);
    EXPECT_EQ(key.public_key(), pk);
    const Bytes msg = hex(t, "message"), ctx = hex(t, "context"), sig = hex(t, "signature");
    Status s;
    if (str(g, "signatureInterface", "internal") == "internal") {
      if (g.value("externalMu", false)) {
        const Bytes mu = hex(t, "mu");
        s = verify_mu(key, std::span<const std::uint8_t, 64>(mu.data(), 64), sig);
      } else {
        s = verify_internal(key, msg, sig);
      }
    } else if (str(g, "preHash", "pure") == "preHash") {
      const auto ph = prehash_from_name(str(t, "hashAlg"));
      ASSERT_TRUE(ph.has_value());
      s = verify_prehash(key, msg, ctx, *ph, sig);
    } else {
      s = verify(key, msg, ctx, sig);
    }
    EXPECT_EQ(is_ok(s), t.at("testPassed").get<bool>()) << "tcId " << t.at("tcId") << " " << status_name(s);
    if (!HasFailure()) ++passed;
    accepted += is_ok(s);
  });
  ASSERT_EQ(n, 45u);
  ASSERT_EQ(passed, n);
  ASSERT_EQ(accepted, 9u);
}

// Deterministic signatures from a prepared key equal those from the encoded key, for every
// entry point and parameter set; a prepared key signs many messages and each signature
// verifies both ways.
TEST(MlDsaPrepared, SameSignaturesAsEncodedKeys) {
  for (ParamSet ps : kAllSets) {
    SCOPED_TRACE(name(ps));
    const Keys k = make_keys(ps, 11);
    PreparedPrivateKey sk;
    PreparedPublicKey pk;
    ASSERT_EQ(PreparedPrivateKey::load(ps, k.sk, sk), Status::kOk);
    ASSERT_EQ(PreparedPublicKey::load(ps, k.pk, pk), Status::kOk);
    EXPECT_EQ(sk.param_set(), ps);
    const Bytes ctx = test::test_bytes("prepared-ctx", 17);
    const std::uint8_t rnd[32] = {7, 7, 7};
    for (int i = 0; i < 24; ++i) {
      const Bytes msg = message(i);
      std::vector<std::uint8_t> a, b;
      ASSERT_EQ(sign(sk, msg, ctx, a, Randomness::kDeterministic), Status::kOk);
      ASSERT_EQ(sign(ps, k.sk, msg, ctx, b, Randomness::kDeterministic), Status::kOk);
      EXPECT_EQ(a, b) << "message " << i;
      EXPECT_EQ(verify(ps, k.pk, msg, ctx, a), Status::kOk);
      EXPECT_EQ(verify(pk, msg, ctx, b), Status::kOk);
      // Hedged: different signatures, both valid under either verifier.
      ASSERT_EQ(sign(sk, msg, ctx, a), Status::kOk);
      EXPECT_EQ(verify(ps, k.pk, msg, ctx, a), Status::kOk);
      EXPECT_EQ(verify(pk, msg, ctx, a), Status::kOk);
      EXPECT_EQ(verify(pk, msg, {}, a), Status::kVerifyFailed);  // another context

      ASSERT_EQ(sign_prehash(sk, msg, ctx, PreHash::kSha3_256, a, Randomness::kDeterministic), Status::kOk);
      ASSERT_EQ(sign_prehash(ps, k.sk, msg, ctx, PreHash::kSha3_256, b, Randomness::kDeterministic), Status::kOk);
      EXPECT_EQ(a, b);
      EXPECT_EQ(verify_prehash(pk, msg, ctx, PreHash::kSha3_256, a), Status::kOk);

      std::uint8_t mu[64];
      ASSERT_EQ(compute_mu(ps, k.pk, msg, ctx, mu), Status::kOk);
      ASSERT_EQ(sign_mu(sk, mu, a, Randomness::kDeterministic), Status::kOk);
      ASSERT_EQ(sign_mu(ps, k.sk, mu, b, Randomness::kDeterministic), Status::kOk);
      EXPECT_EQ(a, b);
      EXPECT_EQ(verify_mu(pk, mu, a), Status::kOk);

      ASSERT_EQ(sign_internal(sk, msg, rnd, a), Status::kOk);
      ASSERT_EQ(sign_internal(ps, k.sk, msg, rnd, b), Status::kOk);
      EXPECT_EQ(a, b);
      EXPECT_EQ(verify_internal(pk, msg, a), Status::kOk);
      EXPECT_EQ(verify_internal(ps, k.pk, msg, a), Status::kOk);
    }
  }
}

TEST(MlDsaPrepared, FlippedSignatureBitsAreRejected) {
  for (ParamSet ps : kAllSets) {
    SCOPED_TRACE(name(ps));
    const Keys k = make_keys(ps, 29);
    PreparedPrivateKey sk;
    PreparedPublicKey pk;
    ASSERT_EQ(PreparedPrivateKey::load(ps, k.sk, sk), Status::kOk);
    ASSERT_EQ(PreparedPublicKey::load(ps, k.pk, pk), Status::kOk);
    const Bytes msg = message(3);
    std::vector<std::uint8_t> sig;
    ASSERT_EQ(sign(sk, msg, {}, sig), Status::kOk);
    ASSERT_EQ(verify(pk, msg, {}, sig), Status::kOk);
    // One bit in c̃, in z and in the hint encoding, and a spread of others.
    for (std::size_t pos : {std::size_t{0}, std::size_t{40}, sig.size() / 2, sig.size() - 1}) {
      for (int bit : {0, 5}) {
        std::vector<std::uint8_t> bad = sig;
        bad[pos] ^= static_cast<std::uint8_t>(1u << bit);
        const Status s = verify(pk, msg, {}, bad);
        EXPECT_FALSE(is_ok(s)) << "byte " << pos << " bit " << bit;
        EXPECT_EQ(s, verify(ps, k.pk, msg, {}, bad)) << "byte " << pos << " bit " << bit;
      }
    }
    std::vector<std::uint8_t> bad_msg = msg;
    bad_msg[0] ^= 1;
    EXPECT_EQ(verify(pk, bad_msg, {}, sig), Status::kVerifyFailed);
    EXPECT_EQ(verify(pk, msg, {}, std::span(sig).first(sig.size() - 1)), Status::kBadLength);
  }
}

TEST(MlDsaPrepared, MalformedKeysAreRefused) {
  for (ParamSet ps : kAllSets) {
    SCOPED_TRACE(name(ps));
    const Keys k = make_keys(ps, 41);
    PreparedPrivateKey sk;
    PreparedPublicKey pk;
    // Wrong lengths.
    EXPECT_EQ(PreparedPrivateKey::load(ps, std::span(k.sk.data(), k.sk.size() - 1), sk), Status::kBadLength);
    EXPECT_TRUE(sk.empty());
    EXPECT_EQ(PreparedPrivateKey::load(ps, {}, sk), Status::kBadLength);
    EXPECT_EQ(PreparedPublicKey::load(ps, std::span(k.pk.data(), k.pk.size() - 1), pk), Status::kBadLength);
    EXPECT_TRUE(pk.empty());
    EXPECT_EQ(PreparedPrivateKey::load(static_cast<ParamSet>(9), k.sk, sk), Status::kUnsupported);
    EXPECT_EQ(PreparedPublicKey::load(static_cast<ParamSet>(9), k.pk, pk), Status::kUnsupported);
    // An s1 coefficient outside [-η, η]: the first packed value set to its maximum (7 for η = 2,
    // 15 for η = 4) decodes to η - max < -η (skDecode, FIPS 204 Algorithm 25).
    Bytes bad(k.sk.data(), k.sk.data() + k.sk.size());
    bad[128] |= 0x0F;
    EXPECT_EQ(PreparedPrivateKey::load(ps, bad, sk), Status::kBadKey);
    EXPECT_TRUE(sk.empty());
    // The same in s2.
    bad.assign(k.sk.data(), k.sk.data() + k.sk.size());
    const std::size_t eta_bytes = ps == ParamSet::kMlDsa65 ? 128 : 96;
    const std::size_t l = ps == ParamSet::kMlDsa44 ? 4 : ps == ParamSet::kMlDsa65 ? 5 : 7;
    bad[128 + eta_bytes * l] |= 0x0F;
    EXPECT_EQ(PreparedPrivateKey::load(ps, bad, sk), Status::kBadKey);
    // A failed load leaves a previously loaded key empty, not half replaced.
    ASSERT_EQ(PreparedPrivateKey::load(ps, k.sk, sk), Status::kOk);
    EXPECT_EQ(PreparedPrivateKey::load(ps, bad, sk), Status::kBadKey);
    EXPECT_TRUE(sk.empty());
    // Empty keys sign and verify nothing.
    std::vector<std::uint8_t> sig;
    EXPECT_EQ(sign(sk, message(1), {}, sig), Status::kBadKey);
    EXPECT_TRUE(sig.empty());
    EXPECT_EQ(verify(pk, message(1), {}, Bytes(sizes(ps).signature)), Status::kBadKey);
  }
}

TEST(MlDsaPrepared, MovedKeysKeepSigning) {
  const ParamSet ps = ParamSet::kMlDsa65;
  const Keys k = make_keys(ps, 53);
  PreparedPrivateKey a;
  ASSERT_EQ(PreparedPrivateKey::load(ps, k.sk, a), Status::kOk);
  PreparedPrivateKey b = std::move(a);
  EXPECT_FALSE(b.empty());
  std::vector<std::uint8_t> sig;
  ASSERT_EQ(sign(b, message(2), {}, sig), Status::kOk);
  PreparedPublicKey pa;
  ASSERT_EQ(PreparedPublicKey::load(ps, k.pk, pa), Status::kOk);
  PreparedPublicKey pb;
  pb = std::move(pa);
  EXPECT_EQ(verify(pb, message(2), {}, sig), Status::kOk);
}

// One prepared key used from two threads at once gives the same deterministic signatures as
// one thread (the key is read-only once loaded).
TEST(MlDsaPrepared, ConcurrentSigning) {
  const ParamSet ps = ParamSet::kMlDsa65;
  const Keys k = make_keys(ps, 67);
  PreparedPrivateKey sk;
  PreparedPublicKey pk;
  ASSERT_EQ(PreparedPrivateKey::load(ps, k.sk, sk), Status::kOk);
  ASSERT_EQ(PreparedPublicKey::load(ps, k.pk, pk), Status::kOk);
  constexpr int kPerThread = 20;
  std::vector<std::vector<std::uint8_t>> out[2];
  std::vector<Status> verdicts[2];
  auto work = [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      std::vector<std::uint8_t> sig;
      (void)sign(sk, message(i), {}, sig, Randomness::kDeterministic);
      verdicts[t].push_back(verify(pk, message(i), {}, sig));
      out[t].push_back(std::move(sig));
    }
  };
  std::thread t0(work, 0), t1(work, 1);
  t0.join();
  t1.join();
  for (int i = 0; i < kPerThread; ++i) {
    std::vector<std::uint8_t> expected;
    ASSERT_EQ(sign(ps, k.sk, message(i), {}, expected, Randomness::kDeterministic), Status::kOk);
    EXPECT_EQ(out[0][static_cast<std::size_t>(i)], expected);
    EXPECT_EQ(out[1][static_cast<std::size_t>(i)], expected);
    EXPECT_EQ(verdicts[0][static_cast<std::size_t>(i)], Status::kOk);
    EXPECT_EQ(verdicts[1][static_cast<std::size_t>(i)], Status::kOk);
  }
}

}  // namespace
}  // namespace pqmcp::crypto::mldsa
