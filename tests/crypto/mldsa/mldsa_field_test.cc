// The arithmetic backend on its own: the CCTV field-operation accumulated vector over every
// r in [0, q) (Power2Round, Decompose/HighBits/LowBits, UseHint for both γ2), the 100-iteration
// CCTV accumulated digests, and NTT/Montgomery identities. Includes the internal header.
#include <gtest/gtest.h>

#include <string>

#include "crypto/mldsa/arith.h"
#include "crypto/sha3.h"
#include "mldsa_accumulated.h"

namespace pqmcp::crypto::mldsa {
namespace {

using namespace internal;

std::int32_t mod_pm_q(std::int32_t r) { return r > (kQ - 1) / 2 ? r - kQ : r; }

// The 12 values of CCTV's field test for one r, in the README's order.
std::string field_lines(std::int32_t r) {
  std::string s;
  auto put = [&](std::int64_t v) { s += std::to_string(v); s += '\n'; };
  const std::int32_t c = mod_pm_q(r);
  put(c);
  put(c < 0 ? -c : c);
  std::int32_t r0;
  const std::int32_t r1 = power2round(r, &r0);
  put(r1);
  put(r0 < 0 ? r0 + kQ : r0);
  for (std::int32_t g2 : {kGamma2Small, kGamma2Large}) {
    std::int32_t low;
    const std::int32_t high = decompose(r, g2, &low);
    EXPECT_EQ(use_hint(r, 0, g2), high);  // HighBits = UseHint(0, r)
    put(high);
    put(use_hint(r, 1, g2));
    put(low);
    put(low < 0 ? -low : low);
  }
  return s;
}

TEST(MlDsaField, WorkedExample) {
  EXPECT_EQ(field_lines(6010000),
            "-2370417\n2370417\n734\n8377489\n32\n31\n-84848\n84848\n11\n12\n248464\n248464\n");
}

TEST(MlDsaField, AccumulatedOverAllOfZq) {
  Shake128 acc;
  std::string batch;
  for (std::int32_t r = 0; r < kQ; ++r) {
    batch += field_lines(r);
    if (batch.size() > 1 << 16) {
      acc.absorb(std::span(reinterpret_cast<const std::uint8_t*>(batch.data()), batch.size()));
      batch.clear();
    }
    if (HasFailure()) return;
  }
  acc.absorb(std::span(reinterpret_cast<const std::uint8_t*>(batch.data()), batch.size()));
  std::uint8_t out[32];
  acc.squeeze(out);
  ASSERT_EQ(test::to_hex(out), "f930663417278156ab05d940294a77210a809c924d8ab63ec72f4526247602c7");
}

TEST(MlDsaField, DecomposeMatchesDefinition) {
  // FIPS 204 Algorithm 36 written with a plain (public-input) division, against the
  // multiply-shift implementation, on a stride through Z_q plus the edges.
  for (std::int32_t g2 : {kGamma2Small, kGamma2Large}) {
    for (std::int32_t r = 0; r < kQ; r += (r < 1 << 20 || r > kQ - (1 << 20)) ? 1 : 97) {
      std::int32_t r0 = r % (2 * g2);
      if (r0 > g2) r0 -= 2 * g2;
      std::int32_t r1 = (r - r0) / (2 * g2);
      if (r - r0 == kQ - 1) {
        r1 = 0;
        r0 -= 1;
      }
      std::int32_t got0;
      ASSERT_EQ(decompose(r, g2, &got0), r1) << r;
      ASSERT_EQ(got0, r0) << r;
    }
  }
}

TEST(MlDsaField, NttRoundTripAndProduct) {
  // invntt_tomont(ntt(a)) = a·2^32, and NTT-domain multiplication is the negacyclic product.
  Poly a{}, b{};
  const auto bytes = test::test_bytes("mldsa-ntt", 2 * kN * 4);
  for (int i = 0; i < kN; ++i) {
    a.c[i] = static_cast<std::int32_t>((bytes[4 * i] | bytes[4 * i + 1] << 8 | bytes[4 * i + 2] << 16) % kQ);
    b.c[i] = static_cast<std::int32_t>(bytes[1024 + i] % 9) - 4;
  }
  std::int64_t expect[kN] = {};
  for (int i = 0; i < kN; ++i)
    for (int j = 0; j < kN; ++j) {
      const std::int64_t prod = static_cast<std::int64_t>(a.c[i]) * b.c[j];
      if (i + j < kN) expect[i + j] += prod; else expect[i + j - kN] -= prod;
    }
  Poly ah = a, bh = b, r;
  ntt(ah);
  ntt(bh);
  poly_pointwise(r, ah, bh);
  invntt_tomont(r);
  for (int i = 0; i < kN; ++i) {
    const std::int64_t want = ((expect[i] % kQ) + kQ) % kQ;
    ASSERT_EQ(caddq(reduce32(r.c[i])), want) << i;
  }
  Poly back = a;
  ntt(back);
  invntt_tomont(back);
  const std::int64_t mont = (std::int64_t{1} << 32) % kQ;
  for (int i = 0; i < kN; ++i) ASSERT_EQ(caddq(reduce32(back.c[i])), a.c[i] * mont % kQ) << i;
}

TEST(MlDsaAccumulated, Hundred) {
  // C2SP/CCTV ML-DSA/accumulated/README.md, 100 iterations.
  EXPECT_EQ(testutil::accumulated_digest(ParamSet::kMlDsa44, 100),
            "d51148e1f9f4fa1a723a6cf42e25f2a99eb5c1b378b3d2dbbd561b1203beeae4");
  EXPECT_EQ(testutil::accumulated_digest(ParamSet::kMlDsa65, 100),
            "8358a1843220194417cadbc2651295cd8fc65125b5a5c1a239a16dc8b57ca199");
  EXPECT_EQ(testutil::accumulated_digest(ParamSet::kMlDsa87, 100),
            "8c3ad714777622b8f21ce31bb35f71394f23bc0fcf3c78ace5d608990f3b061b");
}

}  // namespace
}  // namespace pqmcp::crypto::mldsa
