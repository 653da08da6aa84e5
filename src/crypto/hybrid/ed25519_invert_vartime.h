// Internal to crypto/eddsa: inversion in GF(2^255 - 19) in VARIABLE TIME, for public values only
// (the verifier's final point and the per-key comb). Bernstein-Yang "safegcd" divsteps, 62 at a
// time with the variable-time shortcuts (trailing zeros skipped at once, up to four low bits of
// g cancelled per step), on signed radix-2^62 limbs: ≈ 4x faster than the Fermat chain
// z^(p-2), which stays the signer's (constant-time) inversion.
#pragma once

#include "crypto/hybrid/ed25519_curve.h"

namespace pqmcp::crypto::eddsa::ed25519_detail {

// z^-1 mod p (0 for z ≡ 0, as z^(p-2) gives). Any limbs < 2^63 in; limbs < 2^52 out.
Fe invert_vartime(const Fe& z) noexcept;

}  // namespace pqmcp::crypto::eddsa::ed25519_detail
