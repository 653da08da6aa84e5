// The verifier's variable-time inversion mod 2^255 - 19 (crypto/hybrid/ed25519_invert_vartime)
// against the Fermat chain z^(p-2) and against the defining property z·z^-1 = 1: random field
// elements with limbs up to 2^52 (non-canonical forms included), and the edges 0, 1, p - 1, p
// (a non-canonical 0), p + 1, 2^255 - 1, limbs of 2^63 - 1, k·p with wide limbs, an input that
// needs all ten batches, and powers of two.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "crypto/hybrid/ed25519_invert_vartime.h"

namespace pqmcp::crypto::eddsa::ed25519_detail {
namespace {

constexpr u64 k51 = (u64{1} << 51) - 1;

TEST(Ed25519Invert, AgreesWithFermatAndInverts) {
  std::mt19937_64 g(0x1a5e'9cd);
  int differ = 0, not_inverse = 0;
  for (int i = 0; i < 100000; ++i) {
    Fe z;
    for (auto& l : z.v) l = g() & (i % 3 == 0 ? k51 : (u64{1} << 52) - 1);
    const Fe inv = invert_vartime(z);
    if (!equal(inv, invert(z))) ++differ;
    if (!equal(mul(inv, z), kOne)) ++not_inverse;
  }
  EXPECT_EQ(differ, 0);
  EXPECT_EQ(not_inverse, 0);
}

TEST(Ed25519Invert, Edges) {
  const Fe p_minus_1{{k51 - 19, k51, k51, k51, k51}}, p{{k51 - 18, k51, k51, k51, k51}},
      p_plus_1{{k51 - 17, k51, k51, k51, k51}}, all_ones{{k51, k51, k51, k51, k51}};
  EXPECT_TRUE(equal(invert_vartime(kZero), kZero));  // as z^(p-2)
  EXPECT_TRUE(equal(invert_vartime(p), kZero));
  EXPECT_TRUE(equal(invert_vartime(kOne), kOne));
  EXPECT_TRUE(equal(invert_vartime(p_plus_1), kOne));
  EXPECT_TRUE(equal(invert_vartime(p_minus_1), p_minus_1));  // (-1)^-1 = -1
  EXPECT_TRUE(equal(invert_vartime(all_ones), invert(all_ones)));
  // Limbs far beyond the usual bounds (the function takes any limbs < 2^63), and multiples of p
  // written with wide limbs (non-canonical zeros) and their neighbours.
  const u64 k63 = (u64{1} << 63) - 1;
  const Fe wide{{k63, k63, k63, k63, k63}};
  EXPECT_TRUE(equal(mul(invert_vartime(wide), carry(wide)), kOne));
  for (u64 k = 1; k < 64; ++k) {
    Fe kp{{k * (k51 - 18), k * k51, k * k51, k * k51, k * k51}};  // k·p, limbs up to 2^57
    EXPECT_TRUE(equal(invert_vartime(kp), kZero)) << k;
    kp.v[0] += 1;  // k·p + 1 ≡ 1
    EXPECT_TRUE(equal(invert_vartime(kp), kOne)) << k;
  }
  // An input that needs the tenth batch of divsteps (about one in 10^4 does).
  std::uint8_t ten[32];
  const char* hex = "7596e5dde3c10e2fec05e9b876a7d6e13e0c72eeeeb193239a0e7259ead89670";  // big-endian
  for (int k = 0; k < 32; ++k) ten[31 - k] = static_cast<std::uint8_t>(std::stoi(std::string(hex + 2 * k, 2), nullptr, 16));
  const Fe z10 = from_bytes(ten);
  EXPECT_TRUE(equal(invert_vartime(z10), invert(z10)));
  EXPECT_TRUE(equal(mul(invert_vartime(z10), z10), kOne));
  for (int bit = 0; bit < 255; ++bit) {
    Fe z = kZero;
    z.v[bit / 51] = u64{1} << (bit % 51);
    EXPECT_TRUE(equal(mul(invert_vartime(z), z), kOne)) << bit;
  }
}

}  // namespace
}  // namespace pqmcp::crypto::eddsa::ed25519_detail
