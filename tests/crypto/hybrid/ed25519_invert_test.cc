// The verifier's variable-time inversion mod 2^255 - 19 (crypto/hybrid/ed25519_invert_vartime)
// against the Fermat chain z^(p-2) and against the defining property z·z^-1 = 1: random field
// elements with limbs up to 2^52 (non-canonical forms included), and the edges 0, 1, p - 1, p
// (a non-canonical 0), p + 1, 2^255 - 1 and powers of two.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "crypto/hybrid/ed25519_invert_vartime.h"

namespace pqmcp::crypto::eddsa::ed25519_detail {
namespace {

bool same(const Fe& a, const Fe& b) {
  std::uint8_t x[32], y[32];
  to_bytes(x, a);
  to_bytes(y, b);
  return std::memcmp(x, y, 32) == 0;
}

constexpr u64 k51 = (u64{1} << 51) - 1;

TEST(Ed25519Invert, AgreesWithFermatAndInverts) {
  std::mt19937_64 g(0x1a5e'9cd);
  int differ = 0, not_inverse = 0;
  for (int i = 0; i < 100000; ++i) {
    Fe z;
    for (auto& l : z.v) l = g() & (i % 3 == 0 ? k51 : (u64{1} << 52) - 1);
    const Fe inv = invert_vartime(z);
    if (!same(inv, invert(z))) ++differ;
    if (!same(mul(inv, z), kOne)) ++not_inverse;
  }
  EXPECT_EQ(differ, 0);
  EXPECT_EQ(not_inverse, 0);
}

TEST(Ed25519Invert, Edges) {
  const Fe p_minus_1{{k51 - 19, k51, k51, k51, k51}}, p{{k51 - 18, k51, k51, k51, k51}},
      p_plus_1{{k51 - 17, k51, k51, k51, k51}}, all_ones{{k51, k51, k51, k51, k51}};
  EXPECT_TRUE(same(invert_vartime(kZero), kZero));  // as z^(p-2)
  EXPECT_TRUE(same(invert_vartime(p), kZero));
  EXPECT_TRUE(same(invert_vartime(kOne), kOne));
  EXPECT_TRUE(same(invert_vartime(p_plus_1), kOne));
  EXPECT_TRUE(same(invert_vartime(p_minus_1), p_minus_1));  // (-1)^-1 = -1
  EXPECT_TRUE(same(invert_vartime(all_ones), invert(all_ones)));
  for (int bit = 0; bit < 255; ++bit) {
    Fe z = kZero;
    z.v[bit / 51] = u64{1} << (bit % 51);
    EXPECT_TRUE(same(mul(invert_vartime(z), z), kOne)) << bit;
  }
}

}  // namespace
}  // namespace pqmcp::crypto::eddsa::ed25519_detail
