// AVX2 versions of the two bit packers on the signer's per-iteration path: BitUnpack of y in
// ExpandMask (FIPS 204 Algorithm 34 line 4, Algorithm 19 with b = γ1) and w1Encode (Algorithm
// 28, SimpleBitPack of Algorithm 16 with b = (q-1)/(2γ2) - 1). They write exactly the bytes /
// coefficients of pack.cc's portable code (arith_avx2_test compares them on random inputs).
//
// Compiled without -mavx2, each function with target("avx2"), like arith_avx2.cc. Constant time:
// shuffles, shifts and masks only; no branch or address depends on the (secret) data, only on
// the public parameter set.
#include "crypto/mldsa/arith_backends.h"

#if PQMCP_MLDSA_HAVE_AVX2

#include <immintrin.h>

#include <cstring>

#include "crypto/secure.h"

#define PQMCP_AVX2 __attribute__((target("avx2")))

namespace pqmcp::crypto::mldsa::internal::avx2 {
namespace {

// Eight coefficients of `Bits` bits (18 or 20) from 2·Bits/2 bytes at `in`: each 128-bit lane
// decodes four of them from its own 16-byte load (lane 1 starts Bits/2 bytes later, i.e. at its
// first coefficient's byte). Reads 16 bytes from in + Bits/2, so up to 6 bytes past the group.
template <int Bits>
PQMCP_AVX2 inline __m256i unpack8(const std::uint8_t* in, __m256i gamma1) {
  static_assert(Bits == 18 || Bits == 20);
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + Bits / 2));
  const __m256i x = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
  // Coefficient j of a lane starts at bit Bits·j: byte ⌊Bits·j/8⌋, bit Bits·j mod 8. Gather its
  // three bytes into a 32-bit lane, then shift and mask.
  __m256i idx, shift;
  if constexpr (Bits == 18) {  // bytes 0, 2, 4, 6; shifts 0, 2, 4, 6
    idx = _mm256_setr_epi8(0, 1, 2, -1, 2, 3, 4, -1, 4, 5, 6, -1, 6, 7, 8, -1,
                           0, 1, 2, -1, 2, 3, 4, -1, 4, 5, 6, -1, 6, 7, 8, -1);
    shift = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  } else {  // bytes 0, 2, 5, 7; shifts 0, 4, 0, 4
    idx = _mm256_setr_epi8(0, 1, 2, -1, 2, 3, 4, -1, 5, 6, 7, -1, 7, 8, 9, -1,
                           0, 1, 2, -1, 2, 3, 4, -1, 5, 6, 7, -1, 7, 8, 9, -1);
    shift = _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4);
  }
  __m256i v = _mm256_srlv_epi32(_mm256_shuffle_epi8(x, idx), shift);
  v = _mm256_and_si256(v, _mm256_set1_epi32((1 << Bits) - 1));
  return _mm256_sub_epi32(gamma1, v);  // BitUnpack with b = γ1 stores γ1 - z
}

template <int Bits>
PQMCP_AVX2 inline void unpack_z_bits(Poly& z, const std::uint8_t* in, std::int32_t gamma1) {
  constexpr int kGroup = Bits;  // bytes per 8 coefficients
  const __m256i g = _mm256_set1_epi32(gamma1);
  for (int i = 0; i < kN / 8 - 1; ++i) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(z.c + 8 * i), unpack8<Bits>(in + kGroup * i, g));
  }
  // The last group's second load would run past the polynomial's encoding: copy it into a padded
  // buffer (wiped: y is secret).
  alignas(32) std::uint8_t tail[32] = {};
  std::memcpy(tail, in + kGroup * (kN / 8 - 1), kGroup);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(z.c + kN - 8), unpack8<Bits>(tail, g));
  secure_wipe(tail, sizeof tail);
}

// 32 coefficients in [0, 255] as 32 bytes, in order.
PQMCP_AVX2 inline __m256i to_bytes(const std::int32_t* c) {
  const __m256i load0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c));
  const __m256i load1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 8));
  const __m256i load2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 16));
  const __m256i load3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 24));
  // The packs work per 128-bit lane: dword d of the result holds coefficients 4·π(d)..+3 with
  // π = (0, 2, 4, 6, 1, 3, 5, 7); the permutation puts them back in order.
  const __m256i b = _mm256_packus_epi16(_mm256_packs_epi32(load0, load1), _mm256_packs_epi32(load2, load3));
  return _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

}  // namespace

PQMCP_AVX2 void unpack_z(Poly& z, const std::uint8_t* in, const Params& p) noexcept {
  if (p.gamma1_bits == 17) {
    unpack_z_bits<18>(z, in, p.gamma1);
  } else {
    unpack_z_bits<20>(z, in, p.gamma1);
  }
}

PQMCP_AVX2 void pack_w1(std::uint8_t* out, const Poly& w1, const Params& p) noexcept {
  if (p.gamma2 == kGamma2Large) {
    // 4 bits: byte i = w[2i] | w[2i+1] << 4. maddubs forms the pairs (weights 1, 16) as 16-bit
    // values; packus narrows two such vectors, whose 64-bit halves the permute restores to order.
    const __m256i w = _mm256_set1_epi16(0x1001);
    for (int i = 0; i < kN; i += 64) {
      const __m256i x = _mm256_maddubs_epi16(to_bytes(w1.c + i), w);
      const __m256i y = _mm256_maddubs_epi16(to_bytes(w1.c + i + 32), w);
      const __m256i b = _mm256_permute4x64_epi64(_mm256_packus_epi16(x, y), 0xD8);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i / 2), b);
    }
  } else {
    // 6 bits: four coefficients give three bytes, w[4i] | w[4i+1] << 6 | w[4i+2] << 12 |
    // w[4i+3] << 18, built by two pairing steps (weights 1, 64 on bytes, then 1, 4096 on 16-bit
    // values); then the low three bytes of each 32-bit lane are packed together.
    const __m256i w6 = _mm256_set1_epi16(0x4001);
    const __m256i w12 = _mm256_set1_epi32(0x10000001);
    const __m256i squeeze = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
                                             0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    const __m256i join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
    for (int i = 0; i < kN; i += 32) {
      __m256i v = _mm256_madd_epi16(_mm256_maddubs_epi16(to_bytes(w1.c + i), w6), w12);
      v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, squeeze), join);
      std::uint8_t* o = out + i / 4 * 3;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm256_castsi256_si128(v));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(o + 16), _mm256_extracti128_si256(v, 1));
    }
  }
}

}  // namespace pqmcp::crypto::mldsa::internal::avx2

#endif  // PQMCP_MLDSA_HAVE_AVX2
