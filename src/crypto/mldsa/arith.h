// The arithmetic backend of ML-DSA: polynomials over Z_q[X]/(X^256 + 1), the NTT, rounding
// (FIPS 204 §7.4), the samplers of §7.3 and the bit packing of §7.1-7.2.
//
// The algorithm code (mldsa_core.cc) reaches the arithmetic only through this header, so a
// SIMD backend can replace arith_portable.cc / sample.cc / pack.cc without touching it.
// Conventions: coefficients are int32; "NTT domain" polynomials are the output of ntt(), in
// bit-reversed order; pointwise products carry a Montgomery factor 2^-32 that invntt_tomont()
// removes. Every function on secret data is branch-free and table-lookup-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/mldsa/params.h"

namespace pqmcp::crypto::mldsa::internal {

struct Poly {
  std::int32_t c[kN];
};
struct PolyVecL {
  Poly v[kMaxL];
};
struct PolyVecK {
  Poly v[kMaxK];
};
struct Matrix {
  PolyVecL row[kMaxK];
};

// ---- Scalar field operations (also used by the exhaustive field test) ----

// a·2^-32 mod q for |a| < 2^31·q; result in (-q, q).
std::int32_t montgomery_reduce(std::int64_t a) noexcept;
// A representative of a mod q in [-6283008, 6283008] for a <= 2^31 - 2^22 - 1.
std::int32_t reduce32(std::int32_t a) noexcept;
// Adds q if a is negative.
std::int32_t caddq(std::int32_t a) noexcept;
// FIPS 204 Algorithm 35 (Power2Round) for r in [0, q): returns r1, sets r0 = r mod± 2^13.
std::int32_t power2round(std::int32_t r, std::int32_t* r0) noexcept;
// FIPS 204 Algorithm 36 (Decompose) for r in [0, q): returns r1, sets r0.
std::int32_t decompose(std::int32_t r, std::int32_t gamma2, std::int32_t* r0) noexcept;
// FIPS 204 Algorithm 40 (UseHint) for r in [0, q) and h in {0, 1}. Public data only.
std::int32_t use_hint(std::int32_t r, std::int32_t h, std::int32_t gamma2) noexcept;

// ---- Polynomial arithmetic ----

void ntt(Poly& a) noexcept;           // FIPS 204 Algorithm 41; input |c| < q
void invntt_tomont(Poly& a) noexcept;  // FIPS 204 Algorithm 42, times 2^32; input and output |c| < q
void poly_pointwise(Poly& r, const Poly& a, const Poly& b) noexcept;      // r = a∘b·2^-32
void poly_pointwise_acc(Poly& r, const Poly& a, const Poly& b) noexcept;  // r += a∘b·2^-32
void poly_add(Poly& r, const Poly& a, const Poly& b) noexcept;
void poly_sub(Poly& r, const Poly& a, const Poly& b) noexcept;
void poly_shiftl(Poly& a) noexcept;  // a·2^13
void poly_reduce(Poly& a) noexcept;
void poly_caddq(Poly& a) noexcept;
// Â∘v̂ for the first k rows and l columns (FIPS 204 §2.5 matrix product), Â from expand_a and
// v̂ an ntt() output; each output coefficient has |c| < q, ready for invntt_tomont.
void matrix_mul(const Params& p, PolyVecK& out, const Matrix& a, const PolyVecL& v) noexcept;

// r = the centred representative (in [-(q-1)/2, (q-1)/2]) of NTT^-1(â ∘ b̂) mod q, for ntt()
// outputs â, b̂ (|c| < 9q); r may alias â or b̂. This is the signer's cs1, cs2, ct0 (FIPS 204
// Algorithm 7 lines 17, 20, 25, with ĉ = NTT(c) and the prepared ŝ1, ŝ2, t̂0): their true
// integer values satisfy |cs1|, |cs2| <= β and |ct0| <= τ·2^12 < q/2, so the centred
// representative IS the integer product and the norm checks see the exact value. One
// pointwise product and an inverse NTT per polynomial cost less than the τ rotated additions
// of a sparse product from c's positions (measured: ML-DSA-65 signing with a prepared key went
// from ~138 to ~100 µs on an EPYC with AVX2 when this replaced the sparse product).
void poly_mul_ntt_centred(Poly& r, const Poly& a, const Poly& b) noexcept;

// 0xFFFFFFFF if some |c| >= bound, else 0 (bound <= (q-1)/8); branch-free over all coefficients.
std::uint32_t poly_norm_exceeds(const Poly& a, std::int32_t bound) noexcept;
void poly_power2round(Poly& a1, Poly& a0, const Poly& a) noexcept;
void poly_decompose(Poly& a1, Poly& a0, const Poly& a, std::int32_t gamma2) noexcept;
// Hint bits for low part a0 (already shifted by -cs2 + ct0) and high part a1, as in FIPS 204
// Algorithm 39 (MakeHint) specialised to the signer's values; returns the number of ones.
std::uint32_t poly_make_hint(Poly& h, const Poly& a0, const Poly& a1, std::int32_t gamma2) noexcept;
void poly_use_hint(Poly& r, const Poly& a, const Poly& h, std::int32_t gamma2) noexcept;

// ---- Samplers (FIPS 204 §7.3) ----

// RejNTTPoly (Algorithm 30) on ρ‖s‖r: entry Â[r][s] of ExpandA (Algorithm 32).
void rej_ntt_poly(Poly& a, std::span<const std::uint8_t, 32> rho, std::uint8_t s, std::uint8_t r) noexcept;
void expand_a(const Params& p, Matrix& a, std::span<const std::uint8_t, 32> rho) noexcept;
// RejBoundedPoly (Algorithm 31) on ρ'‖IntegerToBytes(nonce, 2), used by ExpandS (Algorithm 33).
void rej_bounded_poly(Poly& a, std::span<const std::uint8_t, 64> rho_prime, std::uint16_t nonce,
                      std::int32_t eta) noexcept;
// One polynomial of ExpandMask (Algorithm 34): BitUnpack(H(ρ''‖IntegerToBytes(nonce, 2))).
void expand_mask_poly(Poly& y, std::span<const std::uint8_t, 64> rho2, std::uint16_t nonce,
                      const Params& p) noexcept;
// The whole vectors, with the independent XOF streams hashed four at a time where the four-way
// Keccak is fast; same output as the per-polynomial functions above.
// ExpandS (Algorithm 33): s1[r] from nonce r, s2[r] from nonce l + r.
void expand_s(const Params& p, PolyVecL& s1, PolyVecK& s2, std::span<const std::uint8_t, 64> rho_prime) noexcept;
// ExpandMask (Algorithm 34): y[r] = expand_mask_poly(ρ'', κ + r) for r < l.
void expand_mask(const Params& p, PolyVecL& y, std::span<const std::uint8_t, 64> rho2,
                 std::uint16_t kappa) noexcept;
// SampleInBall (Algorithm 29) from a public c̃.
void sample_in_ball(Poly& c, std::span<const std::uint8_t> ctilde, int tau) noexcept;
// The same from the XOF's output H(c̃) given block by block: next(buf) writes its next 136
// bytes (SHAKE256's rate) to buf. c̃ is public, so the rejection loop and the data-dependent
// indices are fine.
template <class Next>
void sample_in_ball_from(Poly& c, int tau, Next&& next) noexcept {
  std::uint8_t buf[136];
  next(buf);
  std::uint64_t signs = 0;
  for (int i = 0; i < 8; ++i) signs |= std::uint64_t{buf[i]} << (8 * i);
  std::size_t pos = 8;
  for (int i = 0; i < kN; ++i) c.c[i] = 0;
  for (int i = kN - tau; i < kN; ++i) {
    unsigned j;
    do {
      if (pos == sizeof buf) {
        next(buf);
        pos = 0;
      }
      j = buf[pos++];
    } while (j > static_cast<unsigned>(i));
    c.c[i] = c.c[j];
    c.c[j] = 1 - 2 * static_cast<std::int32_t>(signs & 1);
    signs >>= 1;
  }
}

// ---- Bit packing (FIPS 204 §7.1-7.2); out/in sizes are the caller's responsibility ----

void pack_t1(std::uint8_t* out, const Poly& t1) noexcept;   // 320 bytes
void unpack_t1(Poly& t1, const std::uint8_t* in) noexcept;
void pack_t0(std::uint8_t* out, const Poly& t0) noexcept;   // 416 bytes
void unpack_t0(Poly& t0, const std::uint8_t* in) noexcept;
void pack_eta(std::uint8_t* out, const Poly& s, std::int32_t eta) noexcept;
// Returns 0xFFFFFFFF if some decoded coefficient lies outside [-η, η], else 0; branch-free.
std::uint32_t unpack_eta(Poly& s, const std::uint8_t* in, std::int32_t eta) noexcept;
void pack_z(std::uint8_t* out, const Poly& z, const Params& p) noexcept;
void unpack_z(Poly& z, const std::uint8_t* in, const Params& p) noexcept;
void pack_w1(std::uint8_t* out, const Poly& w1, const Params& p) noexcept;
// HintBitPack (Algorithm 20) on public hints; out is ω + k bytes.
void pack_hints(std::uint8_t* out, const PolyVecK& h, const Params& p) noexcept;
// HintBitUnpack (Algorithm 21); false (⊥) for every malformed encoding.
bool unpack_hints(PolyVecK& h, const std::uint8_t* in, const Params& p) noexcept;

}  // namespace pqmcp::crypto::mldsa::internal
