// C2SP/CCTV ML-DSA accumulated test (ML-DSA/accumulated/README.md): ξ drawn from one SHAKE128
// stream, pk and the deterministic external pure signature over (M = "", ctx = "") absorbed
// into a second SHAKE128, each signature verified; the digest pins every step of KeyGen and Sign.
#pragma once

#include <gtest/gtest.h>

#include "crypto/sha3.h"
#include "mldsa_test_util.h"

namespace pqmcp::crypto::mldsa::testutil {

inline std::string accumulated_digest(ParamSet ps, std::size_t iterations) {
  Shake128 source, acc;
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  for (std::size_t i = 0; i < iterations; ++i) {
    std::uint8_t seed[32];
    source.squeeze(seed);
    EXPECT_EQ(keygen_from_seed(ps, seed, pk, sk), Status::kOk);
    acc.absorb(pk);
    EXPECT_EQ(sign(ps, sk, {}, {}, sig, Randomness::kDeterministic), Status::kOk);
    acc.absorb(sig);
    EXPECT_EQ(verify(ps, pk, {}, {}, sig), Status::kOk) << "iteration " << i;
  }
  std::uint8_t out[32];
  acc.squeeze(out);
  return test::to_hex(out);
}

}  // namespace pqmcp::crypto::mldsa::testutil
