// FIPS 204 §7.3: the pseudorandom samplers (Algorithms 29-34) over SHAKE128/SHAKE256.
#include "crypto/ct.h"
#include "crypto/mldsa/arith.h"
#include "crypto/secure.h"
#include "crypto/sha3.h"

namespace pqmcp::crypto::mldsa::internal {

// FIPS 204 Algorithm 30 (RejNTTPoly) with Algorithm 14 (CoeffFromThreeBytes). ρ is public, so
// the accept/reject branches leak nothing.
void rej_ntt_poly(Poly& a, std::span<const std::uint8_t, 32> rho, std::uint8_t s, std::uint8_t r) noexcept {
  Shake128 xof;
  xof.absorb(rho);
  const std::uint8_t idx[2] = {s, r};
  xof.absorb(idx);
  // Five blocks hold 280 candidates, enough for 256 coefficients except with probability
  // about 2^-30; further blocks are drawn on demand (there is no cap in FIPS 204). A block is
  // 56 whole candidates, so none straddles two squeezes.
  std::uint8_t buf[5 * Shake128::kRate];
  xof.squeeze_blocks(buf);
  std::size_t len = sizeof buf, pos = 0;
  int ctr = 0;
  while (ctr < kN) {
    if (pos == len) {
      xof.squeeze_blocks(std::span(buf, Shake128::kRate));
      len = Shake128::kRate;
      pos = 0;
    }
    const std::uint32_t v = buf[pos] | (std::uint32_t{buf[pos + 1]} << 8) |
                            ((std::uint32_t{buf[pos + 2]} & 0x7Fu) << 16);
    pos += 3;
    if (v < static_cast<std::uint32_t>(kQ)) a.c[ctr++] = static_cast<std::int32_t>(v);
  }
}

// FIPS 204 Algorithm 32 (ExpandA).
void expand_a(const Params& p, Matrix& a, std::span<const std::uint8_t, 32> rho) noexcept {
  for (int r = 0; r < p.k; ++r)
    for (int s = 0; s < p.l; ++s)
      rej_ntt_poly(a.row[r].v[s], rho, static_cast<std::uint8_t>(s), static_cast<std::uint8_t>(r));
}

// FIPS 204 Algorithm 31 (RejBoundedPoly) with Algorithm 15 (CoeffFromHalfByte).
void rej_bounded_poly(Poly& a, std::span<const std::uint8_t, 64> rho_prime, std::uint16_t nonce,
                      std::int32_t eta) noexcept {
  Shake256 xof;
  xof.absorb(rho_prime);
  const std::uint8_t n[2] = {static_cast<std::uint8_t>(nonce), static_cast<std::uint8_t>(nonce >> 8)};
  xof.absorb(n);
  std::uint8_t buf[2 * Shake256::kRate];
  ScopedWipe wipe_buf(buf);
  xof.squeeze_blocks(buf);
  std::size_t len = sizeof buf, pos = 0;
  int ctr = 0;
  const std::int32_t limit = eta == 2 ? 15 : 9;
  while (ctr < kN) {
    if (pos == len) {
      xof.squeeze_blocks(std::span(buf, Shake256::kRate));
      len = Shake256::kRate;
      pos = 0;
    }
    const std::int32_t b = buf[pos++];
    const std::int32_t halves[2] = {b & 15, b >> 4};
    for (int h = 0; h < 2 && ctr < kN; ++h) {
      const std::int32_t z = halves[h];
      // z mod 5 by multiply-shift (exact for z < 16): no secret-dependent division.
      const std::int32_t coeff = eta == 2 ? 2 - (z - 5 * ((205 * z) >> 10)) : 4 - z;
      std::uint32_t accept = static_cast<std::uint32_t>(z - limit) >> 31;
      // Which half-bytes are rejected is independent of the accepted values (they are uniform
      // on the accepted set either way), so revealing the decision leaks nothing about s1, s2;
      // hiding it would need a constant-time compaction for no security gain.
      PQMCP_CT_DECLASSIFY(&accept, sizeof accept);
      if (accept) a.c[ctr++] = coeff;
    }
  }
}

// FIPS 204 Algorithm 34 (ExpandMask), one polynomial: BitUnpack(v, γ1 - 1, γ1) (Algorithm 19)
// of 32·(1 + bitlen(γ1 - 1)) bytes of H(ρ''‖IntegerToBytes(nonce, 2)).
void expand_mask_poly(Poly& y, std::span<const std::uint8_t, 64> rho2, std::uint16_t nonce,
                      const Params& p) noexcept {
  Shake256 xof;
  xof.absorb(rho2);
  const std::uint8_t n[2] = {static_cast<std::uint8_t>(nonce), static_cast<std::uint8_t>(nonce >> 8)};
  xof.absorb(n);
  std::uint8_t buf[640];
  ScopedWipe wipe_buf(buf);
  const std::size_t len = p.z_poly_bytes();
  xof.squeeze(std::span(buf, len));
  unpack_z(y, buf, p);
}

// FIPS 204 Algorithm 29 (SampleInBall). c̃ is public (declassified by the caller), so the
// rejection loop and the data-dependent indices are fine here.
void sample_in_ball(Poly& c, std::span<const std::uint8_t> ctilde, int tau) noexcept {
  Shake256 xof;
  xof.absorb(ctilde);
  std::uint8_t buf[Shake256::kRate];
  xof.squeeze(buf);
  std::uint64_t signs = 0;
  for (int i = 0; i < 8; ++i) signs |= std::uint64_t{buf[i]} << (8 * i);
  std::size_t pos = 8;
  for (int i = 0; i < kN; ++i) c.c[i] = 0;
  for (int i = kN - tau; i < kN; ++i) {
    unsigned j;
    do {
      if (pos == sizeof buf) {
        xof.squeeze(buf);
        pos = 0;
      }
      j = buf[pos++];
    } while (j > static_cast<unsigned>(i));
    c.c[i] = c.c[j];
    c.c[j] = 1 - 2 * static_cast<std::int32_t>(signs & 1);
    signs >>= 1;
  }
}

}  // namespace pqmcp::crypto::mldsa::internal
