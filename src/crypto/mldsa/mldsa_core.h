// The internal ML-DSA algorithms of FIPS 204 §6 (KeyGen_internal, Sign_internal from μ on,
// Verify_internal from μ on) and the key codecs they need. The public API in mldsa.cc checks
// lengths, builds M' and μ, and owns the output buffers; everything here works on buffers of
// exactly the parameter set's sizes.
#pragma once

#include <cstdint>
#include <span>

#include "crypto/mldsa/arith.h"
#include "crypto/status.h"

namespace pqmcp::crypto::mldsa::internal {

// skDecode (FIPS 204 Algorithm 25). Holds secrets: callers wipe it (ScopedWipe).
struct DecodedKey {
  std::uint8_t rho[32];
  std::uint8_t key[32];
  std::uint8_t tr[kTrBytes];
  PolyVecL s1;
  PolyVecK s2;
  PolyVecK t0;
};

// kBadKey if an s1/s2 coefficient lies outside [-η, η]. ρ and tr come out declassified.
Status decode_private_key(const Params& p, const std::uint8_t* sk, DecodedKey& out) noexcept;

// FIPS 204 Algorithm 6 (ML-DSA.KeyGen_internal); pk and sk have the parameter set's sizes.
void keygen_internal(const Params& p, std::span<const std::uint8_t, 32> xi, std::uint8_t* pk,
                     std::uint8_t* sk) noexcept;

// Algorithm 6 lines 5-9 on a decoded key: writes the public key and returns whether the key's
// t0 equals the one KeyGen would have produced (only that yes/no answer is declassified).
bool recompute_public_key(const Params& p, const DecodedKey& key, std::uint8_t* pk) noexcept;

// FIPS 204 Algorithm 7 (ML-DSA.Sign_internal) from line 7 on, given μ. Transforms the key's
// s1, s2, t0 to the NTT domain in place. sig has the parameter set's size.
void sign_from_mu(const Params& p, DecodedKey& key, std::span<const std::uint8_t, 64> mu,
                  std::span<const std::uint8_t, 32> rnd, std::uint8_t* sig) noexcept;

// FIPS 204 Algorithm 8 (ML-DSA.Verify_internal) given μ: kOk, kVerifyFailed, or kBadEncoding
// for a malformed hint encoding.
Status verify_from_mu(const Params& p, const std::uint8_t* pk, std::span<const std::uint8_t, 64> mu,
                      const std::uint8_t* sig) noexcept;

}  // namespace pqmcp::crypto::mldsa::internal
