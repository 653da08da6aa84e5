// ML-DSA's vector samplers (ExpandA, ExpandS, ExpandMask), which hash four XOF streams at a time
// on the four-way Keccak, against the one-stream samplers of FIPS 204 Algorithms 30, 31 and 34
// called entry by entry. Run with and without PQMCP_CRYPTO_PORTABLE=1 (see CMakeLists.txt).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "crypto/mldsa/arith.h"
#include "crypto/sha3.h"
#include "support/vectors.h"

namespace pqmcp::crypto::mldsa::internal {
namespace {

using test::Bytes;

const Params* const kAll[] = {&kParams44, &kParams65, &kParams87};

bool same(const Poly& a, const Poly& b) { return std::memcmp(a.c, b.c, sizeof a.c) == 0; }

TEST(MlDsaSamplersX4, ExpandAEqualsRejNttPolyPerEntry) {
  for (const Params* p : kAll) {
    for (int seed = 0; seed < 8; ++seed) {
      const Bytes rho_b = test::test_bytes("expand-a-" + std::to_string(seed), 32);
      const std::span<const std::uint8_t, 32> rho(rho_b.data(), 32);
      auto m = std::make_unique<Matrix>();
      expand_a(*p, *m, rho);
      for (int r = 0; r < p->k; ++r) {
        for (int s = 0; s < p->l; ++s) {
          Poly expected;
          rej_ntt_poly(expected, rho, static_cast<std::uint8_t>(s), static_cast<std::uint8_t>(r));
          ASSERT_TRUE(same(m->row[r].v[s], expected)) << "k=" << p->k << " seed " << seed << " entry " << r << "," << s;
        }
      }
    }
  }
}

void check_expand_s(const Params& p, std::span<const std::uint8_t, 64> rho_prime, const std::string& what) {
  PolyVecL s1;
  PolyVecK s2;
  expand_s(p, s1, s2, rho_prime);
  for (int r = 0; r < p.l + p.k; ++r) {
    Poly expected;
    rej_bounded_poly(expected, rho_prime, static_cast<std::uint16_t>(r), p.eta);
    const Poly& got = r < p.l ? s1.v[r] : s2.v[r - p.l];
    ASSERT_TRUE(same(got, expected)) << what << " k=" << p.k << " nonce " << r;
  }
}

TEST(MlDsaSamplersX4, ExpandSEqualsRejBoundedPolyPerNonce) {
  for (const Params* p : kAll) {
    for (int seed = 0; seed < 16; ++seed) {
      const Bytes rho = test::test_bytes("expand-s-" + std::to_string(seed), 64);
      check_expand_s(*p, std::span<const std::uint8_t, 64>(rho.data(), 64), "seed " + std::to_string(seed));
    }
  }
}

// Accepted half-bytes (η = 4: values below 9) in the first two SHAKE256 blocks of ρ'‖nonce.
int accepted_in_two_blocks(const Bytes& rho_prime, int nonce) {
  Bytes in = rho_prime;
  in.push_back(static_cast<std::uint8_t>(nonce));
  in.push_back(static_cast<std::uint8_t>(nonce >> 8));
  Bytes out(2 * Shake256::kRate);
  shake256(in, out);
  int n = 0;
  for (std::uint8_t b : out) n += ((b & 15) < 9) + ((b >> 4) < 9);
  return n;
}

TEST(MlDsaSamplersX4, ExpandSWhenOneLaneNeedsMoreBlocks) {
  // Two blocks give 544 half-bytes, of which η = 4 accepts 9/16: rarely fewer than 256. Search
  // for a ρ' where some stream of ML-DSA-65's ExpandS falls short, so the four-way sampler must
  // draw a third block for that lane only, while the other lanes are already complete.
  const Params& p = kParams65;
  Bytes found;
  int short_nonce = -1;
  const Bytes base = test::test_bytes("expand-s-search", 64);
  for (std::uint32_t ctr = 0; ctr < 200000 && short_nonce < 0; ++ctr) {
    Bytes rho = base;
    std::memcpy(rho.data(), &ctr, sizeof ctr);
    for (int nonce = 0; nonce < p.l + p.k; ++nonce) {
      if (accepted_in_two_blocks(rho, nonce) < kN) {
        found = rho;
        short_nonce = nonce;
        break;
      }
    }
  }
  ASSERT_GE(short_nonce, 0) << "no ρ' with a short stream found";
  check_expand_s(p, std::span<const std::uint8_t, 64>(found.data(), 64),
                 "short stream at nonce " + std::to_string(short_nonce));
}

TEST(MlDsaSamplersX4, ExpandMaskEqualsExpandMaskPolyPerNonce) {
  for (const Params* p : kAll) {
    for (int seed = 0; seed < 8; ++seed) {
      const Bytes rho2 = test::test_bytes("expand-mask-" + std::to_string(seed), 64);
      const std::span<const std::uint8_t, 64> r2(rho2.data(), 64);
      // κ advances by l per signing attempt; include values whose low byte wraps.
      for (std::uint16_t kappa : {std::uint16_t{0}, std::uint16_t{254},
                                  static_cast<std::uint16_t>(65535 - p->l)}) {
        PolyVecL y;
        expand_mask(*p, y, r2, kappa);
        for (int r = 0; r < p->l; ++r) {
          Poly expected;
          expand_mask_poly(expected, r2, static_cast<std::uint16_t>(kappa + r), *p);
          ASSERT_TRUE(same(y.v[r], expected)) << "k=" << p->k << " seed " << seed << " kappa " << kappa << " r " << r;
        }
      }
    }
  }
}

}  // namespace
}  // namespace pqmcp::crypto::mldsa::internal
