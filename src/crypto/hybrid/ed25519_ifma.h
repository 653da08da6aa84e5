// Internal to crypto/eddsa: Ed25519's mixed additions four field elements at a time on AVX-512
// IFMA, shared by verification (ed25519_fixed.cc) and signing (ed25519_sign.cc). Straight-line
// vector code: no branch and no memory index depends on the values it computes with.
#pragma once

#include "crypto/hybrid/ed25519_curve.h"
#include "crypto/simd.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define PQMCP_ED25519_HAVE_IFMA 1
#else
#define PQMCP_ED25519_HAVE_IFMA 0
#endif

namespace pqmcp::crypto::eddsa::ed25519_detail {

#if PQMCP_ED25519_HAVE_IFMA
// ---- The same mixed additions four field elements at a time, on AVX-512 IFMA. ----
// A point's four coordinates (X, Y, Z, T) sit in the four 64-bit lanes of five vectors (limb i of
// each coordinate in vector i, radix 2^51 as above), and a comb entry is stored as the lanes
// (y - x, y + x, 2dxy, 2), so that each mixed addition is two four-lane multiplications — one for
// A = (Y-X)(y-x), B = (Y+X)(y+x), C = T·2dxy, D = 2Z, one for the four products of the
// conversion to extended coordinates — instead of seven multiplications in sequence. IFMA
// multiplies 52-bit limbs exactly (vpmadd52luq/huq give the low and high 52 bits of the 104-bit
// product), so every multiplication input is carried to limbs < 2^52 first.
#define PQMCP_IFMA __attribute__((target("avx2,avx512f,avx512vl,avx512ifma")))

struct F4 {
  __m256i l[5];
};
struct alignas(32) Entry4 {  // lanes (y - x, y + x, 2dxy, 2)
  u64 l[5][4];
};
using Comb4 = Entry4[kRows][kCols];
struct Comb4Box {  // an array type cannot be allocated by make_unique
  Comb4 c;
};

inline void to_entry4(const Niels& n, Entry4& e) {
  for (int i = 0; i < 5; ++i) {
    e.l[i][0] = n.ymx.v[i];
    e.l[i][1] = n.ypx.v[i];
    e.l[i][2] = n.xy2d.v[i];
    e.l[i][3] = i == 0 ? 2 : 0;
  }
}

inline void to_comb4(const Comb& c, Comb4& out) {
  for (int r = 0; r < kRows; ++r)
    for (int j = 0; j < kCols; ++j) to_entry4(c[r][j], out[r][j]);
}

PQMCP_IFMA inline F4 load4(const Entry4& e) {
  F4 r;
  for (int i = 0; i < 5; ++i) r.l[i] = _mm256_load_si256(reinterpret_cast<const __m256i*>(e.l[i]));
  return r;
}

// Limbs < 2^63 in, limbs < 2^52 out (the value unchanged mod p).
PQMCP_IFMA inline F4 carry4(F4 a) {
  const __m256i m = _mm256_set1_epi64x(static_cast<long long>(kMask));
  __m256i c;
  for (int i = 0; i < 4; ++i) {
    c = _mm256_srli_epi64(a.l[i], 51);
    a.l[i] = _mm256_and_si256(a.l[i], m);
    a.l[i + 1] = _mm256_add_epi64(a.l[i + 1], c);
  }
  c = _mm256_srli_epi64(a.l[4], 51);
  a.l[4] = _mm256_and_si256(a.l[4], m);
  // 19c = 16c + 2c + c
  a.l[0] = _mm256_add_epi64(a.l[0], _mm256_add_epi64(_mm256_add_epi64(_mm256_slli_epi64(c, 4), _mm256_slli_epi64(c, 1)), c));
  c = _mm256_srli_epi64(a.l[0], 51);
  a.l[0] = _mm256_and_si256(a.l[0], m);
  a.l[1] = _mm256_add_epi64(a.l[1], c);
  return a;
}

// Lane-wise a·b mod p for limbs < 2^52. Column k of the product collects the low halves of the
// limb products with i + j = k and twice the high halves with i + j = k - 1 (the high half starts
// at bit 52 = 51 + 1); columns 5..9 fold onto 0..4 times 19 (2^255 = 19 mod p). Every column is
// < 15·2^52 and every folded one < 2^61, inside 64 bits.
PQMCP_IFMA inline F4 mul4(const F4& a, const F4& b) {
  __m256i lo[9], hi[9];
  for (int k = 0; k < 9; ++k) lo[k] = hi[k] = _mm256_setzero_si256();
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      lo[i + j] = _mm256_madd52lo_epu64(lo[i + j], a.l[i], b.l[j]);
      hi[i + j] = _mm256_madd52hi_epu64(hi[i + j], a.l[i], b.l[j]);
    }
  __m256i z[10];
  z[0] = lo[0];
  for (int k = 1; k < 9; ++k) z[k] = _mm256_add_epi64(lo[k], _mm256_slli_epi64(hi[k - 1], 1));
  z[9] = _mm256_slli_epi64(hi[8], 1);
  F4 t;
  for (int k = 0; k < 5; ++k) {
    const __m256i h = z[k + 5];
    t.l[k] = _mm256_add_epi64(z[k], _mm256_add_epi64(_mm256_add_epi64(_mm256_slli_epi64(h, 4), _mm256_slli_epi64(h, 1)), h));
  }
  return carry4(t);
}

template <int Imm>
PQMCP_IFMA inline F4 perm4(const F4& a) {
  F4 r;
  for (int i = 0; i < 5; ++i) r.l[i] = _mm256_permute4x64_epi64(a.l[i], Imm);
  return r;
}

// a + (lanes in `neg`: 4p - b, other lanes in `keep`: b, the rest: 0); limbs of b < 2^52.
template <int Neg, int Keep>
PQMCP_IFMA inline F4 add_signed4(const F4& a, const F4& b) {
  constexpr u64 p0 = 4 * (kMask - 18), pk = 4 * kMask;  // the limbs of 4p, each > 2^52
  F4 r;
  for (int i = 0; i < 5; ++i) {
    const __m256i four_p = _mm256_set1_epi64x(static_cast<long long>(i == 0 ? p0 : pk));
    const __m256i nb = _mm256_sub_epi64(four_p, b.l[i]);
    const __m256i sel = _mm256_maskz_mov_epi64(static_cast<__mmask8>(Neg | Keep), _mm256_mask_blend_epi64(static_cast<__mmask8>(Neg), b.l[i], nb));
    r.l[i] = _mm256_add_epi64(a.l[i], sel);
  }
  return r;
}

// P + Q for a comb entry Q (madd above, lanes (X, Y, Z, T)).
PQMCP_IFMA inline F4 madd4(const F4& p, const F4& q) {
  // (Y - X, Y + X, T, Z) · (y - x, y + x, 2dxy, 2) = (A, B, C, D)
  const F4 u = carry4(add_signed4<0b0001, 0b0010>(perm4<0xB5>(p), perm4<0x00>(p)));
  const F4 m = mul4(u, q);
  // (B - A, B + A, D + C, D - C) = (E, H, G, F)
  const F4 w = carry4(add_signed4<0b1001, 0b0110>(perm4<0xF5>(m), perm4<0xA0>(m)));
  // (E·F, H·G, G·F, E·H) = (X3, Y3, Z3, T3)
  return mul4(perm4<0x24>(w), perm4<0x7B>(w));
}

// -Q = (y + x, y - x, -2dxy, 2): swap the first two lanes, negate the third.
PQMCP_IFMA inline F4 neg_entry4(const F4& q) {
  const F4 s = perm4<0xE1>(q);
  F4 zero;
  for (auto& l : zero.l) l = _mm256_setzero_si256();
  return carry4(add_signed4<0b0100, 0b1011>(zero, s));
}

PQMCP_IFMA inline P3 to_p3_scalar(const F4& a) {
  alignas(32) u64 v[5][4];
  for (int i = 0; i < 5; ++i) _mm256_store_si256(reinterpret_cast<__m256i*>(v[i]), a.l[i]);
  P3 r;
  for (int i = 0; i < 5; ++i) r.X.v[i] = v[i][0], r.Y.v[i] = v[i][1], r.Z.v[i] = v[i][2], r.T.v[i] = v[i][3];
  return r;
}

PQMCP_IFMA inline F4 from_p3_scalar(const P3& p) {
  F4 r;
  for (int i = 0; i < 5; ++i)
    r.l[i] = _mm256_set_epi64x(static_cast<long long>(p.T.v[i]), static_cast<long long>(p.Z.v[i]),
                               static_cast<long long>(p.Y.v[i]), static_cast<long long>(p.X.v[i]));
  return r;
}

// True where the CPU has AVX-512 IFMA and the environment allows AVX-512 code (crypto/simd.h).
inline bool ifma_active() noexcept {
  static const bool active = [] {
    __builtin_cpu_init();
    return simd_allowed(true) && __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512vl") != 0 &&
           __builtin_cpu_supports("avx512ifma") != 0;
  }();
  return active;
}

// The comb for B in the IFMA layout, built at first use (ed25519_fixed.cc).
const Comb4& base4();
#else
inline bool ifma_active() noexcept { return false; }
#endif

}  // namespace pqmcp::crypto::eddsa::ed25519_detail
