// The AVX2 arithmetic backend against the portable one: for random inputs inside arith.h's
// documented bounds, and for the boundary values 0 and ±(q - 1), every accelerated function
// must return exactly the portable result (same representatives), so that the backend can never
// change a key, a signature or a verification outcome. Skipped on a CPU without AVX2.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>

#include "crypto/mldsa/arith_backends.h"

namespace pqmcp::crypto::mldsa {
namespace {

using namespace internal;

#if PQMCP_MLDSA_HAVE_AVX2

constexpr int kRounds = 300;

class MlDsaArithAvx2 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cpu_has_avx2()) GTEST_SKIP() << "CPU without AVX2";
  }
  std::int32_t uniform(std::int32_t lo, std::int32_t hi) {  // inclusive
    return std::uniform_int_distribution<std::int32_t>(lo, hi)(rng_);
  }
  // Random coefficients in [lo, hi], with the first few forced to the bounds and to 0 (and the
  // bound values scattered at random positions in every other round).
  void fill(Poly& a, std::int32_t lo, std::int32_t hi, int round) {
    for (auto& x : a.c) x = uniform(lo, hi);
    a.c[0] = lo;
    a.c[1] = hi;
    a.c[2] = lo <= 0 && hi >= 0 ? 0 : lo;
    a.c[kN - 1] = hi;
    if (round % 2 == 1) {
      for (int i = 0; i < 16; ++i) a.c[uniform(0, kN - 1)] = (i & 1) ? lo : hi;
    }
  }
  std::mt19937 rng_{20240817};
};

bool same(const Poly& a, const Poly& b) { return std::memcmp(a.c, b.c, sizeof a.c) == 0; }

::testing::AssertionResult equal_polys(const Poly& want, const Poly& got) {
  for (int i = 0; i < kN; ++i) {
    if (want.c[i] != got.c[i]) {
      return ::testing::AssertionFailure() << "coefficient " << i << ": portable " << want.c[i]
                                           << ", avx2 " << got.c[i];
    }
  }
  return ::testing::AssertionSuccess();
}

constexpr std::int32_t kQm1 = kQ - 1;

TEST_F(MlDsaArithAvx2, NttMatchesPortable) {
  for (int round = 0; round < kRounds; ++round) {
    Poly a;
    fill(a, -kQm1, kQm1, round);  // input |c| < q
    Poly want = a, got = a;
    portable::ntt(want);
    avx2::ntt(got);
    ASSERT_TRUE(equal_polys(want, got)) << "round " << round;
  }
  for (std::int32_t v : {0, kQm1, -kQm1}) {  // constant polynomials at the bounds
    Poly a;
    for (auto& x : a.c) x = v;
    Poly want = a, got = a;
    portable::ntt(want);
    avx2::ntt(got);
    ASSERT_TRUE(equal_polys(want, got)) << v;
  }
}

TEST_F(MlDsaArithAvx2, InvNttMatchesPortable) {
  for (int round = 0; round < kRounds; ++round) {
    Poly a;
    fill(a, -kQm1, kQm1, round);
    Poly want = a, got = a;
    portable::invntt_tomont(want);
    avx2::invntt_tomont(got);
    ASSERT_TRUE(equal_polys(want, got)) << "round " << round;
  }
  for (std::int32_t v : {0, kQm1, -kQm1}) {
    Poly a;
    for (auto& x : a.c) x = v;
    Poly want = a, got = a;
    portable::invntt_tomont(want);
    avx2::invntt_tomont(got);
    ASSERT_TRUE(equal_polys(want, got)) << v;
  }
}

TEST_F(MlDsaArithAvx2, NttRoundTripIsMontgomeryScaled) {
  // Not a comparison: the AVX2 pair on its own is an inverse pair up to the factor 2^32, i.e.
  // invntt_tomont(ntt(a)) ≡ a·2^32 (mod q).
  const std::int64_t mont = (std::int64_t{1} << 32) % kQ;
  for (int round = 0; round < 20; ++round) {
    Poly a;
    fill(a, -kQm1, kQm1, round);
    Poly b = a;
    avx2::ntt(b);
    avx2::invntt_tomont(b);
    for (int i = 0; i < kN; ++i) {
      const std::int64_t want = (std::int64_t{a.c[i]} * mont % kQ + kQ) % kQ;
      ASSERT_EQ((std::int64_t{b.c[i]} % kQ + kQ) % kQ, want) << i;
    }
  }
}

TEST_F(MlDsaArithAvx2, PointwiseMatchesPortable) {
  // Products of an NTT output (|c| < 9q) and a value in [0, q) or |c| < q: the operands the
  // algorithms pass.
  for (int round = 0; round < kRounds; ++round) {
    Poly a, b, acc;
    fill(a, -9 * kQ + 1, 9 * kQ - 1, round);
    fill(b, -kQm1, kQm1, round + 1);
    fill(acc, -8 * kQ, 8 * kQ, round);
    Poly want, got;
    portable::poly_pointwise(want, a, b);
    avx2::poly_pointwise(got, a, b);
    ASSERT_TRUE(equal_polys(want, got)) << "round " << round;
    want = acc;
    got = acc;
    portable::poly_pointwise_acc(want, a, b);
    avx2::poly_pointwise_acc(got, a, b);
    ASSERT_TRUE(equal_polys(want, got)) << "round " << round;
  }
}

TEST_F(MlDsaArithAvx2, MatrixMulMatchesPortable) {
  auto a = std::make_unique<Matrix>();
  auto v = std::make_unique<PolyVecL>();
  auto want = std::make_unique<PolyVecK>();
  auto got = std::make_unique<PolyVecK>();
  for (const Params* p : {&kParams44, &kParams65, &kParams87}) {
    for (int round = 0; round < 20; ++round) {
      for (int i = 0; i < p->k; ++i) {
        for (int j = 0; j < p->l; ++j) fill(a->row[i].v[j], 0, kQm1, round + i + j);  // Â in [0, q)
      }
      for (int j = 0; j < p->l; ++j) fill(v->v[j], -9 * kQ + 1, 9 * kQ - 1, round + j);  // |v̂| < 9q
      portable::matrix_mul(*p, *want, *a, *v);
      avx2::matrix_mul(*p, *got, *a, *v);
      for (int i = 0; i < p->k; ++i) ASSERT_TRUE(equal_polys(want->v[i], got->v[i])) << "row " << i;
    }
  }
}

TEST_F(MlDsaArithAvx2, ReduceAndCaddqMatchPortable) {
  for (int round = 0; round < kRounds; ++round) {
    Poly a;
    fill(a, INT32_MIN, INT32_MAX - (1 << 22), round);  // reduce32's bound: a <= 2^31 - 2^22 - 1
    Poly want = a, got = a;
    portable::poly_reduce(want);
    avx2::poly_reduce(got);
    ASSERT_TRUE(equal_polys(want, got)) << "round " << round;
    fill(a, -kQm1, kQm1, round);
    want = a;
    got = a;
    portable::poly_caddq(want);
    avx2::poly_caddq(got);
    ASSERT_TRUE(equal_polys(want, got)) << "round " << round;
  }
}

TEST_F(MlDsaArithAvx2, MulNttCentredMatchesPortable) {
  // Operands are ntt() outputs, |c| < 9q; random ones at the bounds as well as real signing
  // operands (NTT of a challenge times NTT of an η- or t0-sized secret).
  for (int round = 0; round < kRounds; ++round) {
    Poly a, b;
    if (round % 2 == 0) {
      fill(a, -9 * kQ + 1, 9 * kQ - 1, round);
      fill(b, -9 * kQ + 1, 9 * kQ - 1, round + 1);
    } else {
      Poly c{};
      for (int placed = 0; placed < 49;) {
        const int j = uniform(0, kN - 1);
        if (c.c[j] != 0) continue;
        c.c[j] = uniform(0, 1) ? 1 : -1;
        ++placed;
      }
      a = c;
      fill(b, round % 4 == 1 ? -4 : -(1 << 12) + 1, round % 4 == 1 ? 4 : 1 << 12, round);
      portable::ntt(a);
      portable::ntt(b);
    }
    Poly want, got;
    portable::poly_mul_ntt_centred(want, a, b);
    avx2::poly_mul_ntt_centred(got, a, b);
    ASSERT_TRUE(equal_polys(want, got)) << "round " << round;
    for (std::int32_t x : got.c) ASSERT_LE(std::abs(x), (kQ - 1) / 2) << "round " << round;
    Poly alias = a;  // r may alias an operand
    avx2::poly_mul_ntt_centred(alias, alias, b);
    ASSERT_TRUE(equal_polys(want, alias)) << "round " << round;
  }
}

TEST_F(MlDsaArithAvx2, UnpackZMatchesPortable) {
  for (const Params* p : {&kParams44, &kParams65}) {
    const std::size_t bytes = p->z_poly_bytes();
    for (int round = 0; round < kRounds; ++round) {
      // Any byte string decodes (values up to 2^(bits) - 1, i.e. z down to γ1 - 2^bits + 1); the
      // buffer is exactly one encoding long, so an over-read shows under ASan.
      std::unique_ptr<std::uint8_t[]> in(new std::uint8_t[bytes]);
      for (std::size_t i = 0; i < bytes; ++i) in[i] = static_cast<std::uint8_t>(uniform(0, 255));
      if (round == 0) std::memset(in.get(), 0xFF, bytes);
      if (round == 1) std::memset(in.get(), 0x00, bytes);
      Poly want, got;
      portable::unpack_z(want, in.get(), *p);
      avx2::unpack_z(got, in.get(), *p);
      ASSERT_TRUE(equal_polys(want, got)) << "gamma1_bits " << p->gamma1_bits << " round " << round;
    }
  }
}

TEST_F(MlDsaArithAvx2, PackW1MatchesPortable) {
  for (const Params* p : {&kParams44, &kParams65}) {
    const std::int32_t top = p->gamma2 == kGamma2Small ? 43 : 15;  // w1 in [0, (q-1)/2γ2 - 1]
    const std::size_t bytes = p->w1_poly_bytes();
    for (int round = 0; round < kRounds; ++round) {
      Poly w1;
      fill(w1, 0, top, round);
      std::uint8_t want[192], got[192];
      std::memset(want, 0xA5, sizeof want);
      std::memset(got, 0xA5, sizeof got);
      portable::pack_w1(want, w1, *p);
      avx2::pack_w1(got, w1, *p);
      ASSERT_EQ(std::memcmp(want, got, sizeof want), 0) << "gamma2 " << p->gamma2 << " round " << round;
      for (std::size_t i = bytes; i < sizeof got; ++i) ASSERT_EQ(got[i], 0xA5) << "wrote past the encoding";
    }
  }
}

TEST_F(MlDsaArithAvx2, NormExceedsMatchesPortable) {
  const std::int32_t bounds[] = {1, 78, 196, 120, (1 << 17) - 78, (1 << 19) - 196, kGamma2Small - 78,
                                 kGamma2Large - 196, (kQ - 1) / 8};
  for (std::int32_t bound : bounds) {
    for (int round = 0; round < 100; ++round) {
      Poly a;
      const std::int32_t span = round % 3 == 0 ? kQm1 : bound;  // mostly in range, sometimes not
      fill(a, -span, span, round);
      if (round % 3 == 1) a.c[uniform(0, kN - 1)] = uniform(0, 1) ? bound : -bound;  // just outside
      ASSERT_EQ(portable::poly_norm_exceeds(a, bound), avx2::poly_norm_exceeds(a, bound))
          << "bound " << bound << " round " << round;
    }
  }
  Poly small{};
  ASSERT_EQ(avx2::poly_norm_exceeds(small, 1), 0u);
  small.c[77] = -1;
  ASSERT_EQ(avx2::poly_norm_exceeds(small, 1), 0xFFFFFFFFu);
}

TEST_F(MlDsaArithAvx2, DecomposeAndUseHintMatchPortable) {
  for (std::int32_t g2 : {kGamma2Small, kGamma2Large}) {
    // A sweep over [0, q) in polynomial-sized steps catches every rounding edge, including q - 1.
    Poly a, h, want1, want0, got1, got0;
    for (std::int32_t base = 0; base < kQ; base += kN) {
      for (int i = 0; i < kN; ++i) a.c[i] = base + i < kQ ? base + i : kQm1;
      portable::poly_decompose(want1, want0, a, g2);
      avx2::poly_decompose(got1, got0, a, g2);
      ASSERT_TRUE(equal_polys(want1, got1)) << base;
      ASSERT_TRUE(equal_polys(want0, got0)) << base;
      for (int i = 0; i < kN; ++i) h.c[i] = (base / kN + i) & 1;
      portable::poly_use_hint(want1, a, h, g2);
      avx2::poly_use_hint(got1, a, h, g2);
      ASSERT_TRUE(equal_polys(want1, got1)) << base;
      for (auto& x : h.c) x ^= 1;
      portable::poly_use_hint(want1, a, h, g2);
      avx2::poly_use_hint(got1, a, h, g2);
      ASSERT_TRUE(equal_polys(want1, got1)) << base;
    }
  }
}

TEST_F(MlDsaArithAvx2, MakeHintMatchesPortable) {
  for (std::int32_t g2 : {kGamma2Small, kGamma2Large}) {
    const std::int32_t m = (kQ - 1) / (2 * g2);
    for (int round = 0; round < kRounds; ++round) {
      Poly a0, a1, want, got;
      fill(a0, -2 * g2 + 1, 2 * g2 - 1, round);  // |r0| < 2γ2
      fill(a1, 0, m - 1, round);
      for (int i = 0; i < 8; ++i) a0.c[uniform(0, kN - 1)] = (i & 1) ? -g2 : g2;  // the edges
      a1.c[3] = 0;
      a0.c[3] = -g2;
      const std::uint32_t nw = portable::poly_make_hint(want, a0, a1, g2);
      const std::uint32_t ng = avx2::poly_make_hint(got, a0, a1, g2);
      ASSERT_EQ(nw, ng) << "round " << round;
      ASSERT_TRUE(equal_polys(want, got)) << "round " << round;
    }
  }
}

TEST_F(MlDsaArithAvx2, DispatchFollowsCpuAndOverride) {
  // arith.h's entry points use the AVX2 code unless PQMCP_CRYPTO_PORTABLE=1; either way the
  // result equals both backends.
  Poly a;
  fill(a, -kQm1, kQm1, 0);
  Poly via_api = a, want = a;
  ntt(via_api);
  portable::ntt(want);
  EXPECT_TRUE(same(via_api, want));
  const char* force = std::getenv("PQMCP_CRYPTO_PORTABLE");
  EXPECT_EQ(avx2_backend_active(), !(force != nullptr && std::strcmp(force, "1") == 0));
}

#else

TEST(MlDsaArithAvx2, NotAnX86Build) { GTEST_SKIP() << "AVX2 backend not built on this architecture"; }

#endif

}  // namespace
}  // namespace pqmcp::crypto::mldsa
