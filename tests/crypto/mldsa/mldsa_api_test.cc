// Behaviour of every public ML-DSA entry point: round trips (pure with every context length,
// HashML-DSA with every pre-hash, external μ, internal), message formatting against an
// independent construction of M' (OpenSSL digests), randomness through the test seam.
#include <gtest/gtest.h>

#include <cstring>

#include "mldsa_test_util.h"

namespace pqmcp::crypto::mldsa {
namespace {

using namespace testutil;

struct Key {
  std::vector<std::uint8_t> pk;
  SecureBuffer sk;
};

Key make_key(ParamSet ps, const char* label) {
  Key k;
  const Bytes seed = test::test_bytes(label, 32);
  EXPECT_EQ(keygen_from_seed(ps, std::span<const std::uint8_t, 32>(seed.data(), 32), k.pk, k.sk), Status::kOk);
  return k;
}

// (vector::insert trips a GCC 12 -Warray-bounds false positive here.)
void append(Bytes& m, std::span<const std::uint8_t> x) {
  const std::size_t o = m.size();
  m.resize(o + x.size());
  if (!x.empty()) std::memcpy(m.data() + o, x.data(), x.size());
}

Bytes openssl_hash(const EVP_MD* md, const Bytes& in, std::size_t xof_len) {
  Bytes out(EVP_MAX_MD_SIZE);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, in.data(), in.size());
  unsigned int n = 0;
  if (xof_len != 0) {
    out.resize(xof_len);
    EVP_DigestFinalXOF(ctx, out.data(), xof_len);
  } else {
    EVP_DigestFinal_ex(ctx, out.data(), &n);
    out.resize(n);
  }
  EVP_MD_CTX_free(ctx);
  return out;
}

// PH(M) and OID built independently from FIPS 204 §5.4.1 (OpenSSL for every hash).
Bytes prehash_mprime(PreHash ph, const Bytes& ctx, const Bytes& msg) {
  struct Row { PreHash ph; const EVP_MD* md; std::size_t xof; std::uint8_t arc; };
  const Row rows[] = {
      {PreHash::kSha256, EVP_sha256(), 0, 1},       {PreHash::kSha384, EVP_sha384(), 0, 2},
      {PreHash::kSha512, EVP_sha512(), 0, 3},       {PreHash::kSha224, EVP_sha224(), 0, 4},
      {PreHash::kSha512_224, EVP_sha512_224(), 0, 5}, {PreHash::kSha512_256, EVP_sha512_256(), 0, 6},
      {PreHash::kSha3_224, EVP_sha3_224(), 0, 7},   {PreHash::kSha3_256, EVP_sha3_256(), 0, 8},
      {PreHash::kSha3_384, EVP_sha3_384(), 0, 9},   {PreHash::kSha3_512, EVP_sha3_512(), 0, 10},
      {PreHash::kShake128, EVP_shake128(), 32, 11}, {PreHash::kShake256, EVP_shake256(), 64, 12},
  };
  for (const Row& r : rows) {
    if (r.ph != ph) continue;
    Bytes m{1, static_cast<std::uint8_t>(ctx.size())};
    append(m, ctx);
    const Bytes oid{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, r.arc};
    append(m, oid);
    const Bytes d = openssl_hash(r.md, msg, r.xof);
    append(m, d);
    return m;
  }
  ADD_FAILURE() << "unknown prehash";
  return {};
}

Bytes pure_mprime(const Bytes& ctx, const Bytes& msg) {
  Bytes m{0, static_cast<std::uint8_t>(ctx.size())};
  append(m, ctx);
  append(m, msg);
  return m;
}

constexpr std::uint8_t kZeroRnd[32] = {};

TEST(MlDsaApi, Names) {
  EXPECT_STREQ(name(ParamSet::kMlDsa44), "ML-DSA-44");
  EXPECT_STREQ(name(ParamSet::kMlDsa65), "ML-DSA-65");
  EXPECT_STREQ(name(ParamSet::kMlDsa87), "ML-DSA-87");
}

TEST(MlDsaApi, PureEveryContextLength) {
  std::size_t checked = 0;
  for (ParamSet ps : kAllSets) {
    const Key k = make_key(ps, "pure-ctx");
    const Bytes msg = test::test_bytes("pure-msg", 100);
    // Every context length for ML-DSA-44; a spread for the larger sets keeps the test quick.
    const std::size_t step = ps == ParamSet::kMlDsa44 ? 1 : 17;
    for (std::size_t len = 0; len <= 255; len += (len == 255 - (255 % step) ? 255 - len : step)) {
      const Bytes ctx = test::test_bytes("ctx" + std::to_string(len), len);
      std::vector<std::uint8_t> sig, sig_internal;
      ASSERT_EQ(sign(ps, k.sk, msg, ctx, sig, Randomness::kDeterministic), Status::kOk);
      ASSERT_EQ(sig.size(), sizes(ps).signature);
      ASSERT_EQ(verify(ps, k.pk, msg, ctx, sig), Status::kOk) << len;
      // Algorithm 2 is Algorithm 7 on M' = 0 ‖ |ctx| ‖ ctx ‖ M.
      ASSERT_EQ(sign_internal(ps, k.sk, pure_mprime(ctx, msg), kZeroRnd, sig_internal), Status::kOk);
      ASSERT_EQ(sig, sig_internal) << len;
      ASSERT_EQ(verify_internal(ps, k.pk, pure_mprime(ctx, msg), sig), Status::kOk);
      // A different context or message must not verify.
      Bytes other_ctx = ctx;
      if (other_ctx.empty()) other_ctx.push_back(0); else other_ctx[0] ^= 1;
      ASSERT_EQ(verify(ps, k.pk, msg, other_ctx, sig), Status::kVerifyFailed);
      Bytes other_msg = msg;
      other_msg[len % msg.size()] ^= 0x80;
      ASSERT_EQ(verify(ps, k.pk, other_msg, ctx, sig), Status::kVerifyFailed);
      ++checked;
      if (len == 255) break;
    }
  }
  std::printf("pure round trips: %zu\n", checked);
  ASSERT_GE(checked, 256u + 2 * 16u);
}

TEST(MlDsaApi, PreHashEveryFunction) {
  const PreHash all[] = {PreHash::kSha224,   PreHash::kSha256,   PreHash::kSha384,   PreHash::kSha512,
                         PreHash::kSha512_224, PreHash::kSha512_256, PreHash::kSha3_224, PreHash::kSha3_256,
                         PreHash::kSha3_384, PreHash::kSha3_512, PreHash::kShake128, PreHash::kShake256};
  std::size_t checked = 0;
  for (ParamSet ps : kAllSets) {
    const Key k = make_key(ps, "prehash");
    // 300 bytes spans more than one block of every SHA-3 rate.
    const Bytes msg = test::test_bytes("prehash-msg", 300), ctx = test::test_bytes("prehash-ctx", 7);
    for (PreHash ph : all) {
      std::vector<std::uint8_t> sig, expect;
      ASSERT_EQ(sign_prehash(ps, k.sk, msg, ctx, ph, sig, Randomness::kDeterministic), Status::kOk);
      ASSERT_EQ(sign_internal(ps, k.sk, prehash_mprime(ph, ctx, msg), kZeroRnd, expect), Status::kOk);
      ASSERT_EQ(sig, expect) << static_cast<int>(ph);
      ASSERT_EQ(verify_prehash(ps, k.pk, msg, ctx, ph, sig), Status::kOk);
      // Domain separation: not a pure signature, not a signature under another hash.
      ASSERT_EQ(verify(ps, k.pk, msg, ctx, sig), Status::kVerifyFailed);
      const PreHash other = ph == PreHash::kSha256 ? PreHash::kSha512 : PreHash::kSha256;
      ASSERT_EQ(verify_prehash(ps, k.pk, msg, ctx, other, sig), Status::kVerifyFailed);
      ASSERT_EQ(sign_prehash(ps, k.sk, msg, Bytes(256, 1), ph, sig), Status::kBadContext);
      ASSERT_TRUE(sig.empty());
      ++checked;
    }
    std::vector<std::uint8_t> sig;
    EXPECT_EQ(sign_prehash(ps, k.sk, msg, ctx, static_cast<PreHash>(99), sig), Status::kUnsupported);
    EXPECT_TRUE(sig.empty());
  }
  std::printf("prehash round trips: %zu\n", checked);
  ASSERT_EQ(checked, 36u);
}

TEST(MlDsaApi, ExternalMu) {
  for (ParamSet ps : kAllSets) {
    const Key k = make_key(ps, "mu");
    const Bytes msg = test::test_bytes("mu-msg", 33), ctx = test::test_bytes("mu-ctx", 5);
    std::array<std::uint8_t, 64> mu;
    ASSERT_EQ(compute_mu(ps, k.pk, msg, ctx, mu), Status::kOk);
    // μ = SHAKE256(SHAKE256(pk, 64) ‖ M', 64), computed with OpenSSL.
    Bytes tr_mprime = openssl_hash(EVP_shake256(), k.pk, 64);
    const Bytes mp = pure_mprime(ctx, msg);
    append(tr_mprime, mp);
    ASSERT_EQ(Bytes(mu.begin(), mu.end()), openssl_hash(EVP_shake256(), tr_mprime, 64));
    std::vector<std::uint8_t> a, b;
    ASSERT_EQ(sign_mu(ps, k.sk, mu, a, Randomness::kDeterministic), Status::kOk);
    ASSERT_EQ(sign(ps, k.sk, msg, ctx, b, Randomness::kDeterministic), Status::kOk);
    ASSERT_EQ(a, b);
    ASSERT_EQ(verify_mu(ps, k.pk, mu, a), Status::kOk);
    mu[0] ^= 1;
    ASSERT_EQ(verify_mu(ps, k.pk, mu, a), Status::kVerifyFailed);
  }
}

TEST(MlDsaApi, HedgedDiffersAndVerifies) {
  for (ParamSet ps : kAllSets) {
    const Key k = make_key(ps, "hedged");
    const Bytes msg = test::test_bytes("hedged-msg", 10);
    std::vector<std::uint8_t> det, h1, h2;
    ASSERT_EQ(sign(ps, k.sk, msg, {}, det, Randomness::kDeterministic), Status::kOk);
    ASSERT_EQ(sign(ps, k.sk, msg, {}, h1), Status::kOk);  // hedged is the default
    ASSERT_EQ(sign(ps, k.sk, msg, {}, h2, Randomness::kHedged), Status::kOk);
    EXPECT_NE(det, h1);
    EXPECT_NE(h1, h2);
    EXPECT_EQ(verify(ps, k.pk, msg, {}, h1), Status::kOk);
    EXPECT_EQ(verify(ps, k.pk, msg, {}, h2), Status::kOk);
  }
}

TEST(MlDsaApi, RandomizedApisThroughTheSeam) {
  for (ParamSet ps : kAllSets) {
    const Bytes xi = test::test_bytes("seam-xi", 32), rnd = test::test_bytes("seam-rnd", 32);
    Key want = make_key(ps, "unused");
    ASSERT_EQ(keygen_from_seed(ps, std::span<const std::uint8_t, 32>(xi.data(), 32), want.pk, want.sk), Status::kOk);
    Key got;
    Seed seed_out;
    {
      FixedRandom fixed(xi);
      ASSERT_EQ(keygen(ps, got.pk, got.sk, &seed_out), Status::kOk);
      EXPECT_EQ(fixed.consumed(), 32u);
    }
    EXPECT_EQ(got.pk, want.pk);
    EXPECT_TRUE(std::equal(got.sk.span().begin(), got.sk.span().end(), want.sk.span().begin(), want.sk.span().end()));
    EXPECT_EQ(Bytes(seed_out.data(), seed_out.data() + 32), xi);

    const Bytes msg = test::test_bytes("seam-msg", 64);
    std::vector<std::uint8_t> hedged, internal_sig;
    {
      FixedRandom fixed(rnd);
      ASSERT_EQ(sign(ps, got.sk, msg, {}, hedged, Randomness::kHedged), Status::kOk);
      EXPECT_EQ(fixed.consumed(), 32u);
    }
    ASSERT_EQ(sign_internal(ps, got.sk, pure_mprime({}, msg), std::span<const std::uint8_t, 32>(rnd.data(), 32),
                            internal_sig), Status::kOk);
    EXPECT_EQ(hedged, internal_sig);
    // Deterministic signing must not draw randomness at all.
    {
      FixedRandom fixed(rnd);
      ASSERT_EQ(sign(ps, got.sk, msg, {}, hedged, Randomness::kDeterministic), Status::kOk);
      EXPECT_EQ(fixed.consumed(), 0u);
    }
  }
}

TEST(MlDsaApi, LongMessageAndEmptyMessage) {
  const Key k = make_key(ParamSet::kMlDsa65, "long");
  const Bytes big = test::test_bytes("long-msg", 1 << 20);
  std::vector<std::uint8_t> sig;
  ASSERT_EQ(sign(ParamSet::kMlDsa65, k.sk, big, {}, sig), Status::kOk);
  EXPECT_EQ(verify(ParamSet::kMlDsa65, k.pk, big, {}, sig), Status::kOk);
  ASSERT_EQ(sign(ParamSet::kMlDsa65, k.sk, {}, {}, sig), Status::kOk);
  EXPECT_EQ(verify(ParamSet::kMlDsa65, k.pk, {}, {}, sig), Status::kOk);
  EXPECT_EQ(verify(ParamSet::kMlDsa65, k.pk, Bytes{0}, {}, sig), Status::kVerifyFailed);
}

}  // namespace
}  // namespace pqmcp::crypto::mldsa
