// AVX2 backend for the hot polynomial arithmetic of arith.h (FIPS 204 Algorithms 41-42, the
// pointwise products, §2.5's matrix product, cs1/cs2/ct0 products, and the §7.4 rounding
// helpers), eight coefficients per 256-bit vector.
//
// Every function performs, per coefficient, the same integer operations as arith_portable.cc in
// the same order (only several coefficients at a time), so its outputs are bit-identical to the
// portable ones inside arith.h's input bounds; arith_avx2_test checks that on random and edge
// inputs. In particular the Montgomery reduction keeps the portable representative:
// t = (a·QINV mod 2^32) taken as a signed 32-bit value and (a - t·q) / 2^32, computed as the
// difference of the high halves of two exact 64-bit products (their low halves are equal).
//
// The file is compiled without -mavx2: each function carries target("avx2") itself, so no inline
// function from a header is ever emitted here with AVX2 instructions and merged into portable
// callers. arith_portable.cc calls into this file only when the CPU has AVX2.
//
// Constant time: no branch or memory index depends on coefficient data. The only data-dependent
// control flow is in poly_use_hint's callers (verifier, public); poly_use_hint itself selects
// with masks.
#include "crypto/mldsa/arith_backends.h"

#if PQMCP_MLDSA_HAVE_AVX2

#include <immintrin.h>

#include <array>

#include "crypto/ct.h"
#include "crypto/mldsa/ntt_constants.h"

#define PQMCP_AVX2 __attribute__((target("avx2")))

namespace pqmcp::crypto::mldsa::internal::avx2 {
namespace {

using namespace ntt_constants;  // the portable code's constants, regrouped below for the vector layouts

// The last three NTT layers (len 4, 2, 1) act inside blocks of 8 consecutive coefficients. They
// run on a transposed 8×8 tile: vector i holds coefficient i of 8 consecutive blocks, so every
// butterfly is between whole vectors and lane m needs the twiddle of block 8g + m of tile g.
// Tables, per tile g (32 lanes in all for 4 tiles):
//   len 4: zetas[32 + b]              (one pair (i, i+4) per block)
//   len 2: zetas[64 + 2b + h]         h = 0 for pairs (0,2),(1,3), h = 1 for (4,6),(5,7)
//   len 1: zetas[128 + 4b + r]        r = pair (2r, 2r+1)
// with b = 8g + m. The inverse uses -zetas[255 - 4b - r], -zetas[127 - 2b - h], -zetas[63 - b],
// which is where the portable loop's decreasing index k points for the same butterflies.
struct TileTwiddles {
  std::int32_t len4[4][8];
  std::int32_t len2[4][2][8];
  std::int32_t len1[4][4][8];
};

constexpr TileTwiddles make_tile_twiddles(bool inverse) {
  TileTwiddles t{};
  for (int g = 0; g < 4; ++g) {
    for (int m = 0; m < 8; ++m) {
      const int b = 8 * g + m;
      t.len4[g][m] = inverse ? -kZetas[63 - b] : kZetas[32 + b];
      for (int h = 0; h < 2; ++h) t.len2[g][h][m] = inverse ? -kZetas[127 - 2 * b - h] : kZetas[64 + 2 * b + h];
      for (int r = 0; r < 4; ++r) t.len1[g][r][m] = inverse ? -kZetas[255 - 4 * b - r] : kZetas[128 + 4 * b + r];
    }
  }
  return t;
}
alignas(32) constexpr TileTwiddles kFwdTile = make_tile_twiddles(false);
alignas(32) constexpr TileTwiddles kInvTile = make_tile_twiddles(true);

// ---- Vector helpers ----

PQMCP_AVX2 inline __m256i load(const std::int32_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
PQMCP_AVX2 inline void store(std::int32_t* p, __m256i v) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
}

// (even, odd): 64-bit values per lane pair, the 32-bit lanes 0,2,4,6 and 1,3,5,7. Returns the
// eight Montgomery reductions (x - t·q) / 2^32 with t = x·QINV mod 2^32 (signed), exactly as
// arith_portable.cc's mont() for each x.
PQMCP_AVX2 inline __m256i mont_reduce64(__m256i even, __m256i odd) {
  const __m256i q = _mm256_set1_epi32(kQ);
  const __m256i qinv = _mm256_set1_epi32(kQinv);
  // _mm256_mul_epi32 reads the low 32 bits of each 64-bit lane as a signed value: the low half of
  // x·QINV is t, and t·q is exact in 64 bits.
  const __m256i te = _mm256_mul_epi32(_mm256_mul_epi32(even, qinv), q);
  const __m256i to = _mm256_mul_epi32(_mm256_mul_epi32(odd, qinv), q);
  // x - t·q is a multiple of 2^32: its high half is the result.
  const __m256i re = _mm256_sub_epi64(even, te);
  const __m256i ro = _mm256_sub_epi64(odd, to);
  return _mm256_blend_epi32(_mm256_srli_epi64(re, 32), ro, 0xAA);
}

// mont(a·b) per lane, a and b signed 32-bit.
PQMCP_AVX2 inline __m256i mont_mul(__m256i a, __m256i b) {
  const __m256i pe = _mm256_mul_epi32(a, b);
  const __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32));
  return mont_reduce64(pe, po);
}

// FIPS 204 Algorithm 41 lines 8-10 on 8 lanes: t = ζ·b; b = a - t; a = a + t.
PQMCP_AVX2 inline void fwd_butterfly(__m256i& a, __m256i& b, __m256i zeta) {
  const __m256i t = mont_mul(zeta, b);
  b = _mm256_sub_epi32(a, t);
  a = _mm256_add_epi32(a, t);
}

// FIPS 204 Algorithm 42 lines 8-11 on 8 lanes: t = a; a = t + b; b = ζ·(t - b).
PQMCP_AVX2 inline void inv_butterfly(__m256i& a, __m256i& b, __m256i zeta) {
  const __m256i t = a;
  a = _mm256_add_epi32(t, b);
  b = mont_mul(zeta, _mm256_sub_epi32(t, b));
}

// 8×8 transpose of 32-bit lanes; its own inverse.
PQMCP_AVX2 inline void transpose8(__m256i v[8]) {
  __m256i t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_epi32(v[2 * i], v[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(v[2 * i], v[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    u[4 * i + 0] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
    v[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
  }
}

PQMCP_AVX2 inline __m256i twiddle(const std::int32_t* lanes) { return load(lanes); }

}  // namespace

// ---- NTT ----

PQMCP_AVX2 void ntt(Poly& p) noexcept {
  std::int32_t* a = p.c;
  // Layers len = 128 .. 8: butterflies between vectors, one twiddle per group (the portable
  // loop's k runs 1, 2, 3, ... in the same order).
  unsigned k = 0;
  for (unsigned len = 128; len >= 8; len >>= 1) {
    for (unsigned start = 0; start < kN; start += 2 * len) {
      const __m256i zeta = _mm256_set1_epi32(kZetas[++k]);
      for (unsigned j = start; j < start + len; j += 8) {
        __m256i x = load(a + j), y = load(a + j + len);
        fwd_butterfly(x, y, zeta);
        store(a + j, x);
        store(a + j + len, y);
      }
    }
  }
  // Layers len = 4, 2, 1 on transposed 64-coefficient tiles.
  for (int g = 0; g < 4; ++g) {
    __m256i v[8];
    for (int i = 0; i < 8; ++i) v[i] = load(a + 64 * g + 8 * i);
    transpose8(v);
    const __m256i z4 = twiddle(kFwdTile.len4[g]);
    for (int i = 0; i < 4; ++i) fwd_butterfly(v[i], v[i + 4], z4);
    for (int h = 0; h < 2; ++h) {
      const __m256i z2 = twiddle(kFwdTile.len2[g][h]);
      fwd_butterfly(v[4 * h], v[4 * h + 2], z2);
      fwd_butterfly(v[4 * h + 1], v[4 * h + 3], z2);
    }
    for (int r = 0; r < 4; ++r) fwd_butterfly(v[2 * r], v[2 * r + 1], twiddle(kFwdTile.len1[g][r]));
    transpose8(v);
    for (int i = 0; i < 8; ++i) store(a + 64 * g + 8 * i, v[i]);
  }
}

PQMCP_AVX2 void invntt_tomont(Poly& p) noexcept {
  std::int32_t* a = p.c;
  // Layers len = 1, 2, 4 on transposed tiles.
  for (int g = 0; g < 4; ++g) {
    __m256i v[8];
    for (int i = 0; i < 8; ++i) v[i] = load(a + 64 * g + 8 * i);
    transpose8(v);
    for (int r = 0; r < 4; ++r) inv_butterfly(v[2 * r], v[2 * r + 1], twiddle(kInvTile.len1[g][r]));
    for (int h = 0; h < 2; ++h) {
      const __m256i z2 = twiddle(kInvTile.len2[g][h]);
      inv_butterfly(v[4 * h], v[4 * h + 2], z2);
      inv_butterfly(v[4 * h + 1], v[4 * h + 3], z2);
    }
    const __m256i z4 = twiddle(kInvTile.len4[g]);
    for (int i = 0; i < 4; ++i) inv_butterfly(v[i], v[i + 4], z4);
    transpose8(v);
    for (int i = 0; i < 8; ++i) store(a + 64 * g + 8 * i, v[i]);
  }
  // Layers len = 8 .. 64; the portable k has reached 32 and keeps decreasing.
  unsigned k = 32;
  for (unsigned len = 8; len < kN / 2; len <<= 1) {
    for (unsigned start = 0; start < kN; start += 2 * len) {
      const __m256i zeta = _mm256_set1_epi32(-kZetas[--k]);
      for (unsigned j = start; j < start + len; j += 8) {
        __m256i x = load(a + j), y = load(a + j + len);
        inv_butterfly(x, y, zeta);
        store(a + j, x);
        store(a + j + len, y);
      }
    }
  }
  // Last layer with the scaling folded in (FIPS 204 Algorithm 42 lines 21-23).
  const __m256i f = _mm256_set1_epi32(kInvNttScale);
  const __m256i zl = _mm256_set1_epi32(kInvNttLastZeta);
  for (unsigned j = 0; j < kN / 2; j += 8) {
    const __m256i x = load(a + j), y = load(a + j + kN / 2);
    store(a + j, mont_mul(f, _mm256_add_epi32(x, y)));
    store(a + j + kN / 2, mont_mul(zl, _mm256_sub_epi32(x, y)));
  }
}

// ---- Pointwise products and the matrix product ----

PQMCP_AVX2 void poly_pointwise(Poly& r, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < kN; i += 8) store(r.c + i, mont_mul(load(a.c + i), load(b.c + i)));
}

PQMCP_AVX2 void poly_pointwise_acc(Poly& r, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < kN; i += 8) {
    store(r.c + i, _mm256_add_epi32(load(r.c + i), mont_mul(load(a.c + i), load(b.c + i))));
  }
}

namespace {
// The portable lazy reduction: each row's l products summed exactly in 64 bits (below 2^53,
// see arith_portable.cc), then one Montgomery reduction. L is a template parameter so that the
// inner loop is unrolled for each parameter set's l.
template <int L>
PQMCP_AVX2 inline void matrix_mul_l(int k, PolyVecK& out, const Matrix& a, const PolyVecL& v) noexcept {
  for (int i = 0; i < k; ++i) {
    const PolyVecL& row = a.row[i];
    for (int c = 0; c < kN; c += 8) {
      __m256i even = _mm256_setzero_si256(), odd = _mm256_setzero_si256();
      for (int j = 0; j < L; ++j) {
        const __m256i x = load(row.v[j].c + c), y = load(v.v[j].c + c);
        even = _mm256_add_epi64(even, _mm256_mul_epi32(x, y));
        odd = _mm256_add_epi64(odd, _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(y, 32)));
      }
      store(out.v[i].c + c, mont_reduce64(even, odd));
    }
  }
}
}  // namespace

PQMCP_AVX2 void matrix_mul(const Params& p, PolyVecK& out, const Matrix& a, const PolyVecL& v) noexcept {
  switch (p.l) {  // FIPS 204 Table 1: l = 4, 5, 7
    case 4: return matrix_mul_l<4>(p.k, out, a, v);
    case 5: return matrix_mul_l<5>(p.k, out, a, v);
    case 7: return matrix_mul_l<7>(p.k, out, a, v);
    default: return portable::matrix_mul(p, out, a, v);  // no other parameter set exists
  }
}

PQMCP_AVX2 void poly_reduce(Poly& a) noexcept {
  const __m256i half = _mm256_set1_epi32(1 << 22);
  const __m256i q = _mm256_set1_epi32(kQ);
  for (int i = 0; i < kN; i += 8) {
    const __m256i x = load(a.c + i);
    const __m256i t = _mm256_srai_epi32(_mm256_add_epi32(x, half), 23);
    store(a.c + i, _mm256_sub_epi32(x, _mm256_mullo_epi32(t, q)));
  }
}

PQMCP_AVX2 void poly_caddq(Poly& a) noexcept {
  const __m256i q = _mm256_set1_epi32(kQ);
  for (int i = 0; i < kN; i += 8) {
    const __m256i x = load(a.c + i);
    store(a.c + i, _mm256_add_epi32(x, _mm256_and_si256(_mm256_srai_epi32(x, 31), q)));
  }
}

// ---- cs1, cs2, ct0 in the NTT domain ----

PQMCP_AVX2 void poly_mul_ntt_centred(Poly& r, const Poly& a, const Poly& b) noexcept {
  // arith_portable.cc's sequence: Montgomery products (|c| < q), inverse NTT, then the centred
  // representative by adding q to negatives and subtracting it past (q - 1) / 2. (Folding the
  // product and the centring into the transform's first and last passes measured no faster.)
  for (int i = 0; i < kN; i += 8) store(r.c + i, mont_mul(load(a.c + i), load(b.c + i)));
  avx2::invntt_tomont(r);
  const __m256i q = _mm256_set1_epi32(kQ);
  const __m256i half = _mm256_set1_epi32((kQ - 1) / 2);
  for (int i = 0; i < kN; i += 8) {
    __m256i x = load(r.c + i);
    x = _mm256_add_epi32(x, _mm256_and_si256(_mm256_srai_epi32(x, 31), q));
    x = _mm256_sub_epi32(x, _mm256_and_si256(_mm256_cmpgt_epi32(x, half), q));
    store(r.c + i, x);
  }
}

// ---- Norm check and the rounding functions of FIPS 204 §7.4 ----

PQMCP_AVX2 std::uint32_t poly_norm_exceeds(const Poly& a, std::int32_t bound) noexcept {
  // The sign bit of bound - 1 - |c| marks a violation; OR them all, then read the sign bits.
  const __m256i limit = _mm256_set1_epi32(bound - 1);
  __m256i acc = _mm256_setzero_si256();
  for (int i = 0; i < kN; i += 8) {
    acc = _mm256_or_si256(acc, _mm256_sub_epi32(limit, _mm256_abs_epi32(load(a.c + i))));
  }
  const std::uint32_t signs = ct::barrier(static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(acc))));
  return 0u - ((0u - signs) >> 31);  // signs < 2^8, so 0 - signs has its top bit set iff signs != 0
}

namespace {

// arith_portable.cc's decomp<γ2> on 8 lanes: r1 = round(r / 2γ2) by ⌈r/128⌉ and a fixed-point
// multiply, the q - 1 edge folded to r1 = 0, and r0 = r - r1·2γ2 with q subtracted past (q-1)/2.
PQMCP_AVX2 inline __m256i decompose8(__m256i r, std::int32_t gamma2, __m256i* r0) {
  __m256i r1 = _mm256_srai_epi32(_mm256_add_epi32(r, _mm256_set1_epi32(127)), 7);
  if (gamma2 == kGamma2Large) {  // public parameter
    r1 = _mm256_mullo_epi32(r1, _mm256_set1_epi32(1025));
    r1 = _mm256_srai_epi32(_mm256_add_epi32(r1, _mm256_set1_epi32(1 << 21)), 22);
    r1 = _mm256_and_si256(r1, _mm256_set1_epi32(15));
  } else {
    r1 = _mm256_mullo_epi32(r1, _mm256_set1_epi32(11275));
    r1 = _mm256_srai_epi32(_mm256_add_epi32(r1, _mm256_set1_epi32(1 << 23)), 24);
    const __m256i is44 = _mm256_srai_epi32(_mm256_sub_epi32(_mm256_set1_epi32(43), r1), 31);
    r1 = _mm256_xor_si256(r1, _mm256_and_si256(is44, r1));
  }
  __m256i a0 = _mm256_sub_epi32(r, _mm256_mullo_epi32(r1, _mm256_set1_epi32(2 * gamma2)));
  const __m256i past_half = _mm256_srai_epi32(_mm256_sub_epi32(_mm256_set1_epi32((kQ - 1) / 2), a0), 31);
  a0 = _mm256_sub_epi32(a0, _mm256_and_si256(past_half, _mm256_set1_epi32(kQ)));
  *r0 = a0;
  return r1;
}

}  // namespace

PQMCP_AVX2 void poly_decompose(Poly& a1, Poly& a0, const Poly& a, std::int32_t gamma2) noexcept {
  for (int i = 0; i < kN; i += 8) {
    __m256i low;
    store(a1.c + i, decompose8(load(a.c + i), gamma2, &low));
    store(a0.c + i, low);
  }
}

PQMCP_AVX2 std::uint32_t poly_make_hint(Poly& h, const Poly& a0, const Poly& a1, std::int32_t gamma2) noexcept {
  // The portable bit formula (arith_portable.cc, FIPS 204 Algorithm 39 specialised): the hint is
  // r0 > γ2, r0 < -γ2, or r0 = -γ2 with r1 ≠ 0; here with logical shifts of sign bits.
  const __m256i g = _mm256_set1_epi32(gamma2);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i one = _mm256_set1_epi32(1);
  __m256i count = zero;
  for (int i = 0; i < kN; i += 8) {
    const __m256i x = load(a0.c + i);
    const __m256i y = load(a1.c + i);
    const __m256i above = _mm256_srli_epi32(_mm256_sub_epi32(g, x), 31);
    const __m256i e = _mm256_add_epi32(x, g);
    const __m256i below = _mm256_srli_epi32(e, 31);
    const __m256i at_edge = _mm256_xor_si256(one, _mm256_srli_epi32(_mm256_or_si256(e, _mm256_sub_epi32(zero, e)), 31));
    const __m256i r1_nonzero = _mm256_srli_epi32(_mm256_or_si256(y, _mm256_sub_epi32(zero, y)), 31);
    const __m256i bit = _mm256_or_si256(_mm256_or_si256(above, below), _mm256_and_si256(at_edge, r1_nonzero));
    store(h.c + i, bit);
    count = _mm256_add_epi32(count, bit);
  }
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(count), _mm256_extracti128_si256(count, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return static_cast<std::uint32_t>(_mm_cvtsi128_si32(s));
}

PQMCP_AVX2 void poly_use_hint(Poly& r, const Poly& a, const Poly& h, std::int32_t gamma2) noexcept {
  // FIPS 204 Algorithm 40 with masks: h = 0 keeps r1; otherwise r1 + 1 (0 past m - 1) if r0 > 0,
  // else r1 - 1 (m - 1 below 0), with m = (q - 1) / 2γ2.
  const __m256i m = _mm256_set1_epi32(gamma2 == kGamma2Large ? 16 : 44);
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i zero = _mm256_setzero_si256();
  for (int i = 0; i < kN; i += 8) {
    __m256i r0;
    const __m256i r1 = decompose8(load(a.c + i), gamma2, &r0);
    __m256i up = _mm256_add_epi32(r1, one);
    up = _mm256_andnot_si256(_mm256_cmpeq_epi32(up, m), up);
    const __m256i down = _mm256_blendv_epi8(_mm256_sub_epi32(r1, one), _mm256_sub_epi32(m, one),
                                            _mm256_cmpeq_epi32(r1, zero));
    const __m256i moved = _mm256_blendv_epi8(down, up, _mm256_cmpgt_epi32(r0, zero));
    store(r.c + i, _mm256_blendv_epi8(moved, r1, _mm256_cmpeq_epi32(load(h.c + i), zero)));
  }
}

}  // namespace pqmcp::crypto::mldsa::internal::avx2

#endif  // PQMCP_MLDSA_HAVE_AVX2
