// FIPS 202 §3.3: Keccak-p[1600, 24] on four states at once with AVX2. Register a[x + 5y] holds
// lane (x, y) of all four states (one 64-bit element per state), so every step mapping of
// §3.2 is the scalar formula applied element-wise; the four states never mix.
//
// Only this function is compiled for AVX2, through the target attribute rather than -mavx2 for
// the file: inline functions from shared headers would otherwise be emitted with AVX2
// instructions here and could be picked by the linker for callers on CPUs without it. The
// dispatcher (keccak_x4.cc) calls it only after checking the CPU. Like the scalar permutation it
// has no branch and no memory index that depends on the state, so it is constant-time.
#if defined(__x86_64__)

#include <immintrin.h>

#include <cstdint>

#include "crypto/keccak/keccak_constants.h"
#include "crypto/keccak/keccak_x4.h"

#define PQMCP_AVX2 __attribute__((target("avx2")))
#define PQMCP_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline

namespace pqmcp::crypto::keccak_x4_internal {
namespace {

// Rotation of every 64-bit element left by N. Rotations by whole bytes are one byte shuffle
// (within each 128-bit half, as vpshufb works), the rest two shifts and an or.
template <int N>
PQMCP_AVX2_INLINE __m256i rol(__m256i x) {
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

PQMCP_AVX2_INLINE __m256i xor5(__m256i a, __m256i b, __m256i c, __m256i d, __m256i e) {
  return _mm256_xor_si256(_mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d)), e);
}

}  // namespace

PQMCP_AVX2 void permute_avx2(std::uint64_t s[kKeccakX4Words]) noexcept {
  __m256i a[25];
  for (int i = 0; i < 25; ++i) a[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + 4 * i));

  for (int round = 0; round < 24; ++round) {
    // θ (Algorithm 1): C[x] = xor of column x, D[x] = C[x-1] ^ rot(C[x+1], 1).
    __m256i c[5], d[5];
    for (int x = 0; x < 5; ++x) c[x] = xor5(a[x], a[x + 5], a[x + 10], a[x + 15], a[x + 20]);
    for (int x = 0; x < 5; ++x) d[x] = _mm256_xor_si256(c[(x + 4) % 5], rol<1>(c[(x + 1) % 5]));

    // ρ (Algorithm 2) with the offsets r[x, y] of §3.2.2, and π (Algorithm 3), which moves lane
    // (x, y) to (y, 2x + 3y): B[y, 2x+3y] = rot(A[x, y] ^ D[x], r[x, y]).
    __m256i b[25];
#define PQMCP_RHO_PI(x, y, r) \
  b[(y) + 5 * ((2 * (x) + 3 * (y)) % 5)] = rol<r>(_mm256_xor_si256(a[(x) + 5 * (y)], d[x]))
    PQMCP_RHO_PI(0, 0, 0);
    PQMCP_RHO_PI(1, 0, 1);
    PQMCP_RHO_PI(2, 0, 62);
    PQMCP_RHO_PI(3, 0, 28);
    PQMCP_RHO_PI(4, 0, 27);
    PQMCP_RHO_PI(0, 1, 36);
    PQMCP_RHO_PI(1, 1, 44);
    PQMCP_RHO_PI(2, 1, 6);
    PQMCP_RHO_PI(3, 1, 55);
    PQMCP_RHO_PI(4, 1, 20);
    PQMCP_RHO_PI(0, 2, 3);
    PQMCP_RHO_PI(1, 2, 10);
    PQMCP_RHO_PI(2, 2, 43);
    PQMCP_RHO_PI(3, 2, 25);
    PQMCP_RHO_PI(4, 2, 39);
    PQMCP_RHO_PI(0, 3, 41);
    PQMCP_RHO_PI(1, 3, 45);
    PQMCP_RHO_PI(2, 3, 15);
    PQMCP_RHO_PI(3, 3, 21);
    PQMCP_RHO_PI(4, 3, 8);
    PQMCP_RHO_PI(0, 4, 18);
    PQMCP_RHO_PI(1, 4, 2);
    PQMCP_RHO_PI(2, 4, 61);
    PQMCP_RHO_PI(3, 4, 56);
    PQMCP_RHO_PI(4, 4, 14);
#undef PQMCP_RHO_PI

    // χ (Algorithm 4): A[x, y] = B[x, y] ^ (~B[x+1, y] & B[x+2, y]); andnot computes ~p & q.
    for (int y = 0; y < 25; y += 5) {
      for (int x = 0; x < 5; ++x) {
        a[y + x] = _mm256_xor_si256(
            b[y + x], _mm256_andnot_si256(b[y + (x + 1) % 5], b[y + (x + 2) % 5]));
      }
    }
    // ι (Algorithm 6): the same round constant in every state.
    a[0] = _mm256_xor_si256(
        a[0], _mm256_set1_epi64x(static_cast<long long>(keccak_internal::kRoundConstants[round])));
  }

  for (int i = 0; i < 25; ++i) _mm256_storeu_si256(reinterpret_cast<__m256i*>(s + 4 * i), a[i]);
}

}  // namespace pqmcp::crypto::keccak_x4_internal

#endif  // __x86_64__
