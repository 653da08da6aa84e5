// The signer's per-iteration arithmetic against definitions written straight from FIPS 204, on
// whichever backend arith.h dispatches to (the _portable registration reruns it on the portable
// one): cs = NTT^-1(ĉ ∘ ŝ) centred must be the schoolbook product in Z[X]/(X^256 + 1) for
// challenge-shaped c (Algorithm 7 lines 17, 20, 25), unpack_z must be BitUnpack(·, γ1 - 1, γ1)
// (Algorithm 19) and pack_w1 SimpleBitPack(·, (q-1)/2γ2 - 1) (Algorithm 16), bit by bit, and
// the signer's batched ExpandMask (Algorithm 34) must give the per-polynomial values.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "crypto/mldsa/arith.h"
#include "crypto/mldsa/sign_pipe.h"
#include "crypto/sha3.h"

namespace pqmcp::crypto::mldsa {
namespace {

using namespace internal;

class MlDsaSignArith : public ::testing::Test {
 protected:
  std::int32_t uniform(std::int32_t lo, std::int32_t hi) {
    return std::uniform_int_distribution<std::int32_t>(lo, hi)(rng_);
  }
  Poly challenge(int tau) {  // τ nonzero ±1 coefficients, as SampleInBall produces
    Poly c{};
    for (int placed = 0; placed < tau;) {
      const int j = uniform(0, kN - 1);
      if (c.c[j] != 0) continue;
      c.c[j] = uniform(0, 1) ? 1 : -1;
      ++placed;
    }
    return c;
  }
  std::mt19937 rng_{204};
};

// c·s in Z[X]/(X^256 + 1), quadratic schoolbook.
Poly schoolbook(const Poly& c, const Poly& s) {
  std::int64_t acc[kN] = {};
  for (int i = 0; i < kN; ++i) {
    for (int j = 0; j < kN; ++j) {
      const std::int64_t t = static_cast<std::int64_t>(c.c[i]) * s.c[j];
      if (i + j < kN) acc[i + j] += t; else acc[i + j - kN] -= t;
    }
  }
  Poly r;
  for (int i = 0; i < kN; ++i) r.c[i] = static_cast<std::int32_t>(acc[i]);
  return r;
}

TEST_F(MlDsaSignArith, NttProductIsTheExactChallengeProduct) {
  struct Case { int tau; std::int32_t bound; };
  // s1/s2 (η = 2, 4) and t0 (-2^12, 2^12] for each τ, including the extremes.
  const Case cases[] = {{39, 2}, {49, 4}, {60, 2}, {39, 1 << 12}, {49, 1 << 12}, {60, 1 << 12}};
  for (const Case& k : cases) {
    for (int round = 0; round < 20; ++round) {
      const Poly c = challenge(k.tau);
      Poly s;
      for (auto& x : s.c) x = uniform(-k.bound + (k.bound == 1 << 12 ? 1 : 0), k.bound);
      if (round == 0) for (auto& x : s.c) x = k.bound;  // every coefficient at the bound
      Poly chat = c, shat = s;
      ntt(chat);
      ntt(shat);
      Poly got;
      poly_mul_ntt_centred(got, chat, shat);
      const Poly want = schoolbook(c, s);
      ASSERT_EQ(std::memcmp(got.c, want.c, sizeof got.c), 0) << "tau " << k.tau << " round " << round;
    }
  }
}

// Bit i of a little-endian bit string.
int bit(const std::uint8_t* b, std::size_t i) { return (b[i / 8] >> (i % 8)) & 1; }

TEST_F(MlDsaSignArith, UnpackZIsBitUnpack) {
  for (const Params* p : {&kParams44, &kParams65, &kParams87}) {
    const int w = p->gamma1_bits + 1;
    for (int round = 0; round < 50; ++round) {
      std::vector<std::uint8_t> in(p->z_poly_bytes());
      for (auto& x : in) x = static_cast<std::uint8_t>(uniform(0, 255));
      Poly z;
      unpack_z(z, in.data(), *p);
      for (int i = 0; i < kN; ++i) {
        std::int32_t v = 0;
        for (int j = 0; j < w; ++j) v |= bit(in.data(), static_cast<std::size_t>(i * w + j)) << j;
        ASSERT_EQ(z.c[i], p->gamma1 - v) << "bits " << w << " coefficient " << i;
      }
    }
  }
}

TEST_F(MlDsaSignArith, PackW1IsSimpleBitPack) {
  for (const Params* p : {&kParams44, &kParams65, &kParams87}) {
    const int w = p->gamma2 == kGamma2Small ? 6 : 4;
    const std::int32_t top = (kQ - 1) / (2 * p->gamma2) - 1;
    for (int round = 0; round < 50; ++round) {
      Poly w1;
      for (auto& x : w1.c) x = round == 0 ? top : uniform(0, top);
      std::vector<std::uint8_t> out(p->w1_poly_bytes());
      pack_w1(out.data(), w1, *p);
      for (int i = 0; i < kN; ++i) {
        for (int j = 0; j < w; ++j) {
          ASSERT_EQ(bit(out.data(), static_cast<std::size_t>(i * w + j)), (w1.c[i] >> j) & 1)
              << "bits " << w << " coefficient " << i;
        }
      }
    }
  }
}

TEST_F(MlDsaSignArith, SignPipeMatchesTheSeparateHashes) {
  // The rejection loop's sequence: ExpandMask at κ (step l), c̃ = H(μ ‖ w1), SampleInBall(c̃),
  // whose permutations carry the mask streams of later κ. Each output must equal the hash
  // computed on its own, from κ = 0 and across the 16-bit nonce wrap-around (a κ other than the
  // loop's next one restarts the pipe), with runs of rejected rounds of every length.
  for (const Params* p : {&kParams44, &kParams65, &kParams87}) {
    for (std::uint16_t start : {std::uint16_t{0}, std::uint16_t{65526}}) {
      std::uint8_t rho2[64], mu[64];
      for (auto& b : rho2) b = static_cast<std::uint8_t>(uniform(0, 255));
      const std::span<const std::uint8_t, 64> r2(rho2, 64);
      auto pipe = std::make_unique<SignPipe>();
      pipe->start(*p, r2);
      for (int it = 0; it < 12; ++it) {
        const auto kappa = static_cast<std::uint16_t>(start + it * p->l);
        PolyVecL want, got;
        expand_mask(*p, want, r2, kappa);
        pipe->expand_mask(got, kappa);
        for (int r = 0; r < p->l; ++r) {
          ASSERT_EQ(std::memcmp(want.v[r].c, got.v[r].c, sizeof got.v[r].c), 0)
              << "l " << p->l << " kappa " << kappa << " r " << r;
          Poly one;  // and each equals the single-polynomial definition
          expand_mask_poly(one, r2, static_cast<std::uint16_t>(kappa + r), *p);
          ASSERT_EQ(std::memcmp(one.c, got.v[r].c, sizeof one.c), 0) << "l " << p->l << " r " << r;
        }
        for (auto& b : mu) b = static_cast<std::uint8_t>(uniform(0, 255));
        std::vector<std::uint8_t> w1(p->w1_poly_bytes() * static_cast<std::size_t>(p->k));
        for (auto& b : w1) b = static_cast<std::uint8_t>(uniform(0, 255));
        std::vector<std::uint8_t> ct_want(p->ctilde_bytes), ct_got(p->ctilde_bytes);
        Shake256 h;
        h.absorb(std::span<const std::uint8_t>(mu, 64));
        h.absorb(w1);
        h.squeeze(ct_want);
        pipe->challenge(std::span<const std::uint8_t, 64>(mu, 64), w1, ct_got.data());
        ASSERT_EQ(ct_got, ct_want) << "l " << p->l << " kappa " << kappa;
        Poly c_want, c_got;
        sample_in_ball(c_want, ct_want, p->tau);
        pipe->sample_in_ball(c_got, ct_want);
        ASSERT_EQ(std::memcmp(c_want.c, c_got.c, sizeof c_got.c), 0) << "l " << p->l << " kappa " << kappa;
        if (it % 3 == 2) {  // now and then a round without the two hashes (a test of the ring)
          const auto k2 = static_cast<std::uint16_t>(start + (++it) * p->l);
          expand_mask(*p, want, r2, k2);
          pipe->expand_mask(got, k2);
          for (int r = 0; r < p->l; ++r)
            ASSERT_EQ(std::memcmp(want.v[r].c, got.v[r].c, sizeof got.v[r].c), 0) << "kappa " << k2 << " r " << r;
        }
      }
    }
  }
}

TEST_F(MlDsaSignArith, SignPipeFillsItsRingWithoutStalling) {
  // Long runs of rejected rounds, as signing sees them: ML-DSA-44 (l = 4) consumes fewer mask
  // polynomials per round than its two hashes carry, so the ring of hashed-ahead polynomials
  // fills up and hashing ahead must pause. Each round's ExpandMask must then need no
  // permutation beyond those that finish streams already under way: a ring bound that let lanes
  // run past the ring would overwrite waiting polynomials and make a later κ re-hash them (the
  // outputs would stay right; the time would not).
  for (const Params* p : {&kParams44, &kParams65, &kParams87}) {
    std::uint8_t rho2[64], mu[64] = {};
    for (auto& b : rho2) b = static_cast<std::uint8_t>(uniform(0, 255));
    const std::span<const std::uint8_t, 64> r2(rho2, 64);
    auto pipe = std::make_unique<SignPipe>();
    pipe->start(*p, r2);
    std::vector<std::uint8_t> w1(p->w1_poly_bytes() * static_cast<std::size_t>(p->k), 0x5a);
    std::vector<std::uint8_t> ct(p->ctilde_bytes);
    std::uint64_t mask_perms_after_warmup = 0;
    for (int it = 0; it < 60; ++it) {
      const auto kappa = static_cast<std::uint16_t>(it * p->l);
      PolyVecL want, got;
      const std::uint64_t before = pipe->permutations();
      pipe->expand_mask(got, kappa);
      const std::uint64_t spent = pipe->permutations() - before;
      // The first round hashes its l streams three at a time; later ones at most finish the
      // streams under way and hash one more: the rest came with the last round's hashes.
      const std::uint64_t bound = it == 0 ? 5u * static_cast<std::uint64_t>((p->l + 2) / 3) : 10u;
      ASSERT_LE(spent, bound) << "l " << p->l << " kappa " << kappa;
      if (it >= 5) mask_perms_after_warmup += spent;
      expand_mask(*p, want, r2, kappa);
      for (int r = 0; r < p->l; ++r)
        ASSERT_EQ(std::memcmp(want.v[r].c, got.v[r].c, sizeof got.v[r].c), 0) << "kappa " << kappa << " r " << r;
      mu[it % 64] ^= 1;
      pipe->challenge(std::span<const std::uint8_t, 64>(mu, 64), w1, ct.data());
      // Now and then more hashing than a round has, so that the lanes reach a full ring early
      // in a round, with blocks still to go before the next ExpandMask.
      if (it % 4 == 3) pipe->challenge(std::span<const std::uint8_t, 64>(mu, 64), w1, ct.data());
      Poly c;
      pipe->sample_in_ball(c, ct);
    }
    // ML-DSA-44 and -65 get their masks almost entirely from the lanes beside c̃ and SampleInBall.
    if (p->l <= 5) {
      EXPECT_LE(mask_perms_after_warmup, 55u) << "l " << p->l;  // one per round on average
    }
  }
}

}  // namespace
}  // namespace pqmcp::crypto::mldsa
