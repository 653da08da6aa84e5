// ML-DSA's NTT constants, computed at compile time so that no table is typed by hand, shared by
// the portable and the AVX2 arithmetic (which must produce the same values bit for bit).
// FIPS 204 §7.5 and Appendix B: ζ = 1753 is a primitive 512th root of unity mod q.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/mldsa/params.h"

namespace pqmcp::crypto::mldsa::internal::ntt_constants {

inline constexpr std::int32_t kQinv = 58728449;  // q^-1 mod 2^32 (Montgomery reduction)
static_assert(static_cast<std::uint32_t>(kQ) * static_cast<std::uint32_t>(kQinv) == 1u);

constexpr std::uint64_t pow_mod(std::uint64_t b, std::uint64_t e) {
  std::uint64_t r = 1;
  b %= kQ;
  while (e != 0) {
    if (e & 1) r = r * b % kQ;
    b = b * b % kQ;
    e >>= 1;
  }
  return r;
}

constexpr unsigned bitrev8(unsigned x) {
  unsigned r = 0;
  for (int i = 0; i < 8; ++i) r |= ((x >> i) & 1u) << (7 - i);
  return r;
}

// The representative of v mod q in (-q/2, q/2].
constexpr std::int32_t centred(std::uint64_t v) {
  return static_cast<std::int32_t>(v > static_cast<std::uint64_t>(kQ / 2) ? static_cast<std::int64_t>(v) - kQ
                                                                          : static_cast<std::int64_t>(v));
}

// zetas[i] = ζ^BitRev8(i)·2^32 mod q, centred (Montgomery form).
constexpr std::array<std::int32_t, kN> make_zetas() {
  std::array<std::int32_t, kN> z{};
  const std::uint64_t mont = (std::uint64_t{1} << 32) % kQ;
  for (unsigned i = 0; i < kN; ++i) z[i] = centred(pow_mod(1753, bitrev8(i)) * mont % kQ);
  return z;
}
inline constexpr std::array<std::int32_t, kN> kZetas = make_zetas();
static_assert(kZetas[1] == 25847 && kZetas[255] == 1976782);

// 2^64 / 256 mod q: one factor 2^32 cancels the final Montgomery reduction, the other restores
// the Montgomery factor the pointwise product removed, and 1/256 is the inverse NTT's scaling.
inline constexpr std::int32_t kInvNttScale = static_cast<std::int32_t>(pow_mod(2, 56));
static_assert(kInvNttScale == 41978);

// 2^32·f·(-ζ^BitRev8(1))·2^-64 mod q: the last inverse-NTT layer's twiddle with the scaling f
// folded in, so one Montgomery multiplication does both (FIPS 204 Algorithm 42 lines 21-23).
inline constexpr std::uint64_t kInv2To32 = pow_mod((std::uint64_t{1} << 32) % kQ, kQ - 2);
inline constexpr std::int32_t kInvNttLastZeta = centred(
    static_cast<std::uint64_t>(kInvNttScale) *
    static_cast<std::uint64_t>(kQ - (kZetas[1] % kQ + kQ) % kQ) % kQ * kInv2To32 % kQ);

}  // namespace pqmcp::crypto::mldsa::internal::ntt_constants
