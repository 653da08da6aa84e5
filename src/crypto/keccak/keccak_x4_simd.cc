// FIPS 202 §3.3: Keccak-p[1600, 24] on four states at once in 256-bit registers, one backend for
// AVX2 and one for AVX-512VL (the same 256-bit registers; its three-input logic instruction
// computes θ's column parities and χ in one step each, and it rotates in one instruction instead
// of two shifts and an or: about half the instructions per round). The rounds are written once
// (keccak_x4_rounds.inc); the four states never mix.
//
// Only these functions are compiled for AVX2 / AVX-512, through target attributes rather than
// -mavx2 for the file: inline functions from shared headers would otherwise be emitted with those
// instructions here and could be picked by the linker for callers on CPUs without them. The
// dispatcher (keccak_x4.cc) calls one only after checking the CPU. Like the scalar permutation
// they have no branch and no memory index that depends on the state, so they are constant-time.
#if defined(__x86_64__)

#include <immintrin.h>

#include <cstdint>

#include "crypto/keccak/keccak_constants.h"
#include "crypto/keccak/keccak_x4.h"

#define PQMCP_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline
#define PQMCP_AVX512_INLINE __attribute__((target("avx2,avx512f,avx512vl"), always_inline)) inline

namespace pqmcp::crypto::keccak_x4_internal {
namespace {

// Rotation of every 64-bit element left by N. Rotations by whole bytes are one byte shuffle
// (within each 128-bit half, as vpshufb works), the rest two shifts and an or.
template <int N>
PQMCP_AVX2_INLINE __m256i rol_avx2(__m256i x) {
  if constexpr (N == 0) {
    return x;
  } else if constexpr (N == 8) {
    const __m256i idx = _mm256_setr_epi8(7, 0, 1, 2, 3, 4, 5, 6, 15, 8, 9, 10, 11, 12, 13, 14,
                                         7, 0, 1, 2, 3, 4, 5, 6, 15, 8, 9, 10, 11, 12, 13, 14);
    return _mm256_shuffle_epi8(x, idx);
  } else if constexpr (N == 56) {
    const __m256i idx = _mm256_setr_epi8(1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15, 8,
                                         1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15, 8);
    return _mm256_shuffle_epi8(x, idx);
  } else {
    return _mm256_or_si256(_mm256_slli_epi64(x, N), _mm256_srli_epi64(x, 64 - N));
  }
}
PQMCP_AVX2_INLINE __m256i xor5_avx2(__m256i a, __m256i b, __m256i c, __m256i d, __m256i e) {
  return _mm256_xor_si256(_mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d)), e);
}
PQMCP_AVX2_INLINE __m256i chi_avx2(__m256i b0, __m256i b1, __m256i b2) {
  return _mm256_xor_si256(b0, _mm256_andnot_si256(b1, b2));  // andnot computes ~p & q
}

template <int N>
PQMCP_AVX512_INLINE __m256i rol_avx512(__m256i x) {
  if constexpr (N == 0) return x;
  else return _mm256_rol_epi64(x, N);
}
// vpternlogq's immediate is the truth table of f(p, q, r), indexed by p·4 + q·2 + r:
// 0x96 = p ^ q ^ r, 0xD2 = p ^ (~q & r).
PQMCP_AVX512_INLINE __m256i xor5_avx512(__m256i a, __m256i b, __m256i c, __m256i d, __m256i e) {
  return _mm256_ternarylogic_epi64(_mm256_ternarylogic_epi64(a, b, c, 0x96), d, e, 0x96);
}
PQMCP_AVX512_INLINE __m256i chi_avx512(__m256i b0, __m256i b1, __m256i b2) {
  return _mm256_ternarylogic_epi64(b0, b1, b2, 0xD2);
}

}  // namespace

#define PQMCP_X4_FN permute_avx2
#define PQMCP_X4_TARGET __attribute__((target("avx2")))
#define PQMCP_X4_ROL(N, x) rol_avx2<N>(x)
#define PQMCP_X4_XOR5 xor5_avx2
#define PQMCP_X4_CHI chi_avx2
#define PQMCP_X4_ROUND_LOOP
#include "crypto/keccak/keccak_x4_rounds.inc"

#define PQMCP_X4_FN permute_avx512
#define PQMCP_X4_TARGET __attribute__((target("avx2,avx512f,avx512vl")))
#define PQMCP_X4_ROL(N, x) rol_avx512<N>(x)
#define PQMCP_X4_XOR5 xor5_avx512
#define PQMCP_X4_CHI chi_avx512
// Unrolled, GCC keeps the 25 lanes in registers across rounds instead of spilling them each
// round (AVX-512VL has 32 vector registers; AVX2's 16 are too few, and unrolling made it slower).
#define PQMCP_X4_ROUND_LOOP _Pragma("GCC unroll 24")
#include "crypto/keccak/keccak_x4_rounds.inc"

}  // namespace pqmcp::crypto::keccak_x4_internal

#endif  // __x86_64__
