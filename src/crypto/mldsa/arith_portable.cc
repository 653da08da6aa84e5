// Portable backend for the field and polynomial arithmetic of arith.h: Montgomery reduction,
// the NTT (FIPS 204 Algorithms 41-42, with Montgomery-form twiddles), Power2Round, Decompose,
// MakeHint and UseHint (FIPS 204 §7.4). Nothing here branches on or indexes by data, except
// use_hint, which only the verifier calls on public values.
#include <array>

#include "crypto/ct.h"
#include "crypto/mldsa/arith.h"

namespace pqmcp::crypto::mldsa::internal {
namespace {

constexpr std::int32_t kQinv = 58728449;  // q^-1 mod 2^32
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

// zetas[i] = ζ^BitRev8(i)·2^32 mod q, centred, with ζ = 1753 the 512th root of unity of
// FIPS 204 §7.5 (Appendix B lists the plain values). Computed here so no table is typed by hand.
constexpr std::array<std::int32_t, kN> make_zetas() {
  std::array<std::int32_t, kN> z{};
  const std::uint64_t mont = (std::uint64_t{1} << 32) % kQ;
  for (unsigned i = 0; i < kN; ++i) {
    std::int64_t v = static_cast<std::int64_t>(pow_mod(1753, bitrev8(i)) * mont % kQ);
    if (v > kQ / 2) v -= kQ;
    z[i] = static_cast<std::int32_t>(v);
  }
  return z;
}
constexpr std::array<std::int32_t, kN> kZetas = make_zetas();
static_assert(kZetas[1] == 25847 && kZetas[255] == 1976782);

// 2^64 / 256 mod q: one factor 2^32 cancels the final Montgomery reduction, the other restores
// the Montgomery factor the pointwise product removed, and 1/256 is the inverse NTT's scaling.
constexpr std::int32_t kInvNttScale = static_cast<std::int32_t>(pow_mod(2, 56));
static_assert(kInvNttScale == 41978);

}  // namespace

std::int32_t montgomery_reduce(std::int64_t a) noexcept {
  const std::int32_t t = static_cast<std::int32_t>(static_cast<std::uint32_t>(a) *
                                                   static_cast<std::uint32_t>(kQinv));
  return static_cast<std::int32_t>((a - static_cast<std::int64_t>(t) * kQ) >> 32);
}

std::int32_t reduce32(std::int32_t a) noexcept {
  const std::int32_t t = (a + (1 << 22)) >> 23;
  return a - t * kQ;
}

std::int32_t caddq(std::int32_t a) noexcept { return a + (ct::barrier(a >> 31) & kQ); }

std::int32_t power2round(std::int32_t r, std::int32_t* r0) noexcept {
  // r1 = ⌈(r - 2^12) / 2^13⌉ taken so that r0 = r - r1·2^13 lies in (-2^12, 2^12].
  const std::int32_t r1 = (r + (1 << (kD - 1)) - 1) >> kD;
  *r0 = r - (r1 << kD);
  return r1;
}

std::int32_t decompose(std::int32_t r, std::int32_t gamma2, std::int32_t* r0) noexcept {
  // r1 = round(r / 2γ2) by multiply-shift: a division here would be secret-dependent timing
  // (the KyberSlash class; CVE-2026-22705 in another ML-DSA). First ⌈r / 128⌉, then a
  // fixed-point multiply by 2^k / (2γ2 / 128) with the rounding constant folded in; both
  // approximations are exact for every r in [0, q) (checked exhaustively by the field test).
  std::int32_t r1 = (r + 127) >> 7;
  if (gamma2 == kGamma2Large) {
    r1 = (r1 * 1025 + (1 << 21)) >> 22;
    r1 &= 15;  // r1 = 16 only where r - r0 = q - 1: FIPS 204 Algorithm 36 line 4 maps it to 0
  } else {
    r1 = (r1 * 11275 + (1 << 23)) >> 24;
    r1 ^= ct::barrier((43 - r1) >> 31) & r1;  // same special case: 44 becomes 0
  }
  std::int32_t a0 = r - r1 * 2 * gamma2;
  // a0 = r mod± 2γ2, except that the special case above needs r0 - 1, i.e. a0 - q.
  a0 -= ct::barrier(((kQ - 1) / 2 - a0) >> 31) & kQ;
  *r0 = a0;
  return r1;
}

std::int32_t use_hint(std::int32_t r, std::int32_t h, std::int32_t gamma2) noexcept {
  std::int32_t r0;
  const std::int32_t r1 = decompose(r, gamma2, &r0);
  if (h == 0) return r1;
  const std::int32_t m = (kQ - 1) / (2 * gamma2);  // public; verifier only
  if (r0 > 0) return r1 + 1 == m ? 0 : r1 + 1;
  return r1 == 0 ? m - 1 : r1 - 1;
}

void ntt(Poly& p) noexcept {
  std::int32_t* a = p.c;
  unsigned k = 0;
  for (unsigned len = 128; len > 0; len >>= 1) {
    for (unsigned start = 0; start < kN; start += 2 * len) {
      const std::int64_t zeta = kZetas[++k];
      for (unsigned j = start; j < start + len; ++j) {
        const std::int32_t t = montgomery_reduce(zeta * a[j + len]);
        a[j + len] = a[j] - t;
        a[j] = a[j] + t;
      }
    }
  }
}

void invntt_tomont(Poly& p) noexcept {
  std::int32_t* a = p.c;
  unsigned k = kN;
  for (unsigned len = 1; len < kN; len <<= 1) {
    for (unsigned start = 0; start < kN; start += 2 * len) {
      const std::int64_t zeta = -kZetas[--k];
      for (unsigned j = start; j < start + len; ++j) {
        const std::int32_t t = a[j];
        a[j] = t + a[j + len];
        a[j + len] = montgomery_reduce(zeta * (t - a[j + len]));
      }
    }
  }
  for (int j = 0; j < kN; ++j) a[j] = montgomery_reduce(static_cast<std::int64_t>(kInvNttScale) * a[j]);
}

void poly_pointwise(Poly& r, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < kN; ++i) r.c[i] = montgomery_reduce(static_cast<std::int64_t>(a.c[i]) * b.c[i]);
}

void poly_pointwise_acc(Poly& r, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < kN; ++i) r.c[i] += montgomery_reduce(static_cast<std::int64_t>(a.c[i]) * b.c[i]);
}

void poly_add(Poly& r, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < kN; ++i) r.c[i] = a.c[i] + b.c[i];
}

void poly_sub(Poly& r, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < kN; ++i) r.c[i] = a.c[i] - b.c[i];
}

void poly_shiftl(Poly& a) noexcept {
  for (int i = 0; i < kN; ++i) a.c[i] <<= kD;
}

void poly_reduce(Poly& a) noexcept {
  for (int i = 0; i < kN; ++i) a.c[i] = reduce32(a.c[i]);
}

void poly_caddq(Poly& a) noexcept {
  for (int i = 0; i < kN; ++i) a.c[i] = caddq(a.c[i]);
}

void matrix_mul(const Params& p, PolyVecK& out, const Matrix& a, const PolyVecL& v) noexcept {
  for (int i = 0; i < p.k; ++i) {
    poly_pointwise(out.v[i], a.row[i].v[0], v.v[0]);
    // At most 7 products of magnitude < q: the sum stays far below 2^31.
    for (int j = 1; j < p.l; ++j) poly_pointwise_acc(out.v[i], a.row[i].v[j], v.v[j]);
    poly_reduce(out.v[i]);
  }
}

std::uint32_t poly_norm_exceeds(const Poly& a, std::int32_t bound) noexcept {
  // |c| without a branch, then the sign bit of bound - 1 - |c| collects every violation.
  std::uint32_t acc = 0;
  for (int i = 0; i < kN; ++i) {
    const std::int32_t x = a.c[i];
    const std::int32_t abs = x - (ct::barrier(x >> 31) & (2 * x));
    acc |= static_cast<std::uint32_t>(bound - 1 - abs);
  }
  return 0u - (acc >> 31);
}

void poly_power2round(Poly& a1, Poly& a0, const Poly& a) noexcept {
  for (int i = 0; i < kN; ++i) a1.c[i] = power2round(a.c[i], &a0.c[i]);
}

void poly_decompose(Poly& a1, Poly& a0, const Poly& a, std::int32_t gamma2) noexcept {
  for (int i = 0; i < kN; ++i) a1.c[i] = decompose(a.c[i], gamma2, &a0.c[i]);
}

std::uint32_t poly_make_hint(Poly& h, const Poly& a0, const Poly& a1, std::int32_t gamma2) noexcept {
  // FIPS 204 Algorithm 39 asks whether HighBits(r) ≠ HighBits(r + z). With the signer's
  // r0 = LowBits(w) - cs2 + ct0 (|r0| < 2γ2 after the norm checks) and r1 = HighBits(w), that
  // is exactly r0 > γ2, r0 < -γ2, or r0 = -γ2 with r1 ≠ 0 (Decompose's rounding edge).
  std::uint32_t count = 0;
  for (int i = 0; i < kN; ++i) {
    const std::int32_t x = a0.c[i];
    const std::uint32_t above = static_cast<std::uint32_t>(gamma2 - x) >> 31;
    const std::uint32_t below = static_cast<std::uint32_t>(x + gamma2) >> 31;
    const std::uint32_t e = static_cast<std::uint32_t>(x + gamma2);
    const std::uint32_t at_edge = 1u ^ ((e | (0u - e)) >> 31);
    const std::uint32_t y = static_cast<std::uint32_t>(a1.c[i]);
    const std::uint32_t r1_nonzero = (y | (0u - y)) >> 31;
    const std::uint32_t bit = ct::barrier(above | below | (at_edge & r1_nonzero));
    h.c[i] = static_cast<std::int32_t>(bit);
    count += bit;
  }
  return count;
}

void poly_use_hint(Poly& r, const Poly& a, const Poly& h, std::int32_t gamma2) noexcept {
  for (int i = 0; i < kN; ++i) r.c[i] = use_hint(a.c[i], h.c[i], gamma2);
}

}  // namespace pqmcp::crypto::mldsa::internal
