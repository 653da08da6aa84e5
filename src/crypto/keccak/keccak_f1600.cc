// FIPS 202 §3.3: Keccak-p[1600, 24], the permutation under SHA-3 and SHAKE.
//
// Portable implementation with the 25 lanes in locals, so the compiler keeps them in registers
// across the five step mappings; each round is θ, ρ and π fused into one pass, then χ and ι.
// No table is indexed by state data, so the permutation is constant-time.
//
// On x86-64 the same code is compiled a second time for BMI1/BMI2 and chosen at run time (by
// the CPU only; PQMCP_CRYPTO_PORTABLE=1 forces the baseline, as for the other backends): χ's
// ~b & c becomes one ANDN and the rotations become RORX, which neither overwrites its source
// nor touches the flags, so fewer moves are needed among the 25 live lanes. Measured on the
// EPYC build host: ~870 -> ~700 cycles per permutation. Both instructions take constant time.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "crypto/keccak/keccak_constants.h"
#include "crypto/sha3.h"
#include "crypto/simd.h"

namespace pqmcp::crypto {
namespace {

using keccak_internal::kRoundConstants;

inline std::uint64_t rol(std::uint64_t x, unsigned n) { return (x << n) | (x >> ((64 - n) & 63)); }

// The permutation itself; always inlined into the two entry points below so that each is
// compiled for its own instruction set from this one body.
__attribute__((always_inline)) inline void permute(std::uint64_t s[25]) noexcept {
  // Lane a[x + 5y] of FIPS 202 §3.1.2.
  std::uint64_t a00 = s[0], a10 = s[1], a20 = s[2], a30 = s[3], a40 = s[4];
  std::uint64_t a01 = s[5], a11 = s[6], a21 = s[7], a31 = s[8], a41 = s[9];
  std::uint64_t a02 = s[10], a12 = s[11], a22 = s[12], a32 = s[13], a42 = s[14];
  std::uint64_t a03 = s[15], a13 = s[16], a23 = s[17], a33 = s[18], a43 = s[19];
  std::uint64_t a04 = s[20], a14 = s[21], a24 = s[22], a34 = s[23], a44 = s[24];

  for (int round = 0; round < 24; ++round) {
    // θ (Algorithm 1)
    const std::uint64_t c0 = a00 ^ a01 ^ a02 ^ a03 ^ a04;
    const std::uint64_t c1 = a10 ^ a11 ^ a12 ^ a13 ^ a14;
    const std::uint64_t c2 = a20 ^ a21 ^ a22 ^ a23 ^ a24;
    const std::uint64_t c3 = a30 ^ a31 ^ a32 ^ a33 ^ a34;
    const std::uint64_t c4 = a40 ^ a41 ^ a42 ^ a43 ^ a44;
    const std::uint64_t d0 = c4 ^ rol(c1, 1);
    const std::uint64_t d1 = c0 ^ rol(c2, 1);
    const std::uint64_t d2 = c1 ^ rol(c3, 1);
    const std::uint64_t d3 = c2 ^ rol(c4, 1);
    const std::uint64_t d4 = c3 ^ rol(c0, 1);

    // ρ (Algorithm 2) and π (Algorithm 3): b[y, 2x+3y] = rol(a[x, y] ^ d[x], r[x, y]).
    const std::uint64_t b00 = a00 ^ d0;
    const std::uint64_t b13 = rol(a01 ^ d0, 36);
    const std::uint64_t b21 = rol(a02 ^ d0, 3);
    const std::uint64_t b34 = rol(a03 ^ d0, 41);
    const std::uint64_t b42 = rol(a04 ^ d0, 18);
    const std::uint64_t b02 = rol(a10 ^ d1, 1);
    const std::uint64_t b10 = rol(a11 ^ d1, 44);
    const std::uint64_t b23 = rol(a12 ^ d1, 10);
    const std::uint64_t b31 = rol(a13 ^ d1, 45);
    const std::uint64_t b44 = rol(a14 ^ d1, 2);
    const std::uint64_t b04 = rol(a20 ^ d2, 62);
    const std::uint64_t b12 = rol(a21 ^ d2, 6);
    const std::uint64_t b20 = rol(a22 ^ d2, 43);
    const std::uint64_t b33 = rol(a23 ^ d2, 15);
    const std::uint64_t b41 = rol(a24 ^ d2, 61);
    const std::uint64_t b01 = rol(a30 ^ d3, 28);
    const std::uint64_t b14 = rol(a31 ^ d3, 55);
    const std::uint64_t b22 = rol(a32 ^ d3, 25);
    const std::uint64_t b30 = rol(a33 ^ d3, 21);
    const std::uint64_t b43 = rol(a34 ^ d3, 56);
    const std::uint64_t b03 = rol(a40 ^ d4, 27);
    const std::uint64_t b11 = rol(a41 ^ d4, 20);
    const std::uint64_t b24 = rol(a42 ^ d4, 39);
    const std::uint64_t b32 = rol(a43 ^ d4, 8);
    const std::uint64_t b40 = rol(a44 ^ d4, 14);

    // χ (Algorithm 4) row by row, then ι (Algorithm 6) on lane (0, 0).
    a00 = b00 ^ (~b10 & b20);
    a10 = b10 ^ (~b20 & b30);
    a20 = b20 ^ (~b30 & b40);
    a30 = b30 ^ (~b40 & b00);
    a40 = b40 ^ (~b00 & b10);
    a01 = b01 ^ (~b11 & b21);
    a11 = b11 ^ (~b21 & b31);
    a21 = b21 ^ (~b31 & b41);
    a31 = b31 ^ (~b41 & b01);
    a41 = b41 ^ (~b01 & b11);
    a02 = b02 ^ (~b12 & b22);
    a12 = b12 ^ (~b22 & b32);
    a22 = b22 ^ (~b32 & b42);
    a32 = b32 ^ (~b42 & b02);
    a42 = b42 ^ (~b02 & b12);
    a03 = b03 ^ (~b13 & b23);
    a13 = b13 ^ (~b23 & b33);
    a23 = b23 ^ (~b33 & b43);
    a33 = b33 ^ (~b43 & b03);
    a43 = b43 ^ (~b03 & b13);
    a04 = b04 ^ (~b14 & b24);
    a14 = b14 ^ (~b24 & b34);
    a24 = b24 ^ (~b34 & b44);
    a34 = b34 ^ (~b44 & b04);
    a44 = b44 ^ (~b04 & b14);
    a00 ^= kRoundConstants[round];
  }

  s[0] = a00; s[1] = a10; s[2] = a20; s[3] = a30; s[4] = a40;
  s[5] = a01; s[6] = a11; s[7] = a21; s[8] = a31; s[9] = a41;
  s[10] = a02; s[11] = a12; s[12] = a22; s[13] = a32; s[14] = a42;
  s[15] = a03; s[16] = a13; s[17] = a23; s[18] = a33; s[19] = a43;
  s[20] = a04; s[21] = a14; s[22] = a24; s[23] = a34; s[24] = a44;
}


void permute_baseline(std::uint64_t s[25]) noexcept { permute(s); }

#if defined(__x86_64__)
__attribute__((target("bmi,bmi2"))) void permute_bmi(std::uint64_t s[25]) noexcept { permute(s); }

bool bmi_selected() noexcept {
  static const bool selected = [] {
    if (!simd_allowed(false)) return false;
    __builtin_cpu_init();  // may run before libgcc's own constructor (static initialisers)
    return __builtin_cpu_supports("bmi") != 0 && __builtin_cpu_supports("bmi2") != 0;
  }();
  return selected;
}
#endif

}  // namespace

void keccak_f1600(std::uint64_t s[25]) noexcept {
#if defined(__x86_64__)
  if (bmi_selected()) return permute_bmi(s);
#endif
  permute_baseline(s);
}

}  // namespace pqmcp::crypto
