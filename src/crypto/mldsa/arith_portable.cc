// Portable backend for the field and polynomial arithmetic of arith.h: Montgomery reduction,
// the NTT (FIPS 204 Algorithms 41-42, with Montgomery-form twiddles), Power2Round, Decompose,
// MakeHint and UseHint (FIPS 204 §7.4). Nothing here branches on or indexes by data, except
// use_hint, which only the verifier calls on public values.
#include <array>
#include <cstdlib>
#include <cstring>

#include "crypto/ct.h"
#include "crypto/simd.h"
#include "crypto/mldsa/arith.h"
#include "crypto/mldsa/arith_backends.h"
#include "crypto/mldsa/ntt_constants.h"

namespace pqmcp::crypto::mldsa::internal {
namespace {

using namespace ntt_constants;

// The scalar operations, inlined into the polynomial loops. The exported functions below wrap
// them for the field test: the library is built with -fPIC, where GCC does not inline a call
// to an interposable global function, which cost a call per coefficient operation.
inline std::int32_t mont(std::int64_t a) {
  const std::int32_t t = static_cast<std::int32_t>(static_cast<std::uint32_t>(a) *
                                                   static_cast<std::uint32_t>(kQinv));
  return static_cast<std::int32_t>((a - static_cast<std::int64_t>(t) * kQ) >> 32);
}

inline std::int32_t reduce(std::int32_t a) {
  const std::int32_t t = (a + (1 << 22)) >> 23;
  return a - t * kQ;
}

inline std::int32_t add_q_if_negative(std::int32_t a) { return a + (ct::barrier(a >> 31) & kQ); }

inline std::int32_t p2r(std::int32_t r, std::int32_t* r0) {
  // r1 = ⌈(r - 2^12) / 2^13⌉ taken so that r0 = r - r1·2^13 lies in (-2^12, 2^12].
  const std::int32_t r1 = (r + (1 << (kD - 1)) - 1) >> kD;
  *r0 = r - (r1 << kD);
  return r1;
}

template <std::int32_t kGamma2>
inline std::int32_t decomp(std::int32_t r, std::int32_t* r0) {
  // r1 = round(r / 2γ2) by multiply-shift: a division here would be secret-dependent timing
  // (the KyberSlash class; CVE-2026-22705 in another ML-DSA). First ⌈r / 128⌉, then a
  // fixed-point multiply by 2^k / (2γ2 / 128) with the rounding constant folded in; both
  // approximations are exact for every r in [0, q) (checked exhaustively by the field test).
  std::int32_t r1 = (r + 127) >> 7;
  if constexpr (kGamma2 == kGamma2Large) {
    r1 = (r1 * 1025 + (1 << 21)) >> 22;
    r1 &= 15;  // r1 = 16 only where r - r0 = q - 1: FIPS 204 Algorithm 36 line 4 maps it to 0
  } else {
    r1 = (r1 * 11275 + (1 << 23)) >> 24;
    r1 ^= ct::barrier((43 - r1) >> 31) & r1;  // same special case: 44 becomes 0
  }
  std::int32_t a0 = r - r1 * 2 * kGamma2;
  // a0 = r mod± 2γ2, except that the special case above needs r0 - 1, i.e. a0 - q.
  a0 -= ct::barrier(((kQ - 1) / 2 - a0) >> 31) & kQ;
  *r0 = a0;
  return r1;
}

}  // namespace

std::int32_t montgomery_reduce(std::int64_t a) noexcept { return mont(a); }

std::int32_t reduce32(std::int32_t a) noexcept { return reduce(a); }

std::int32_t caddq(std::int32_t a) noexcept { return add_q_if_negative(a); }

std::int32_t power2round(std::int32_t r, std::int32_t* r0) noexcept { return p2r(r, r0); }

std::int32_t decompose(std::int32_t r, std::int32_t gamma2, std::int32_t* r0) noexcept {
  return gamma2 == kGamma2Large ? decomp<kGamma2Large>(r, r0) : decomp<kGamma2Small>(r, r0);
}

std::int32_t use_hint(std::int32_t r, std::int32_t h, std::int32_t gamma2) noexcept {
  std::int32_t r0;
  const std::int32_t r1 = decompose(r, gamma2, &r0);
  if (h == 0) return r1;
  // Public; verifier only. m = (q - 1) / 2γ2 is 44 or 16, written out so no divide is emitted.
  const std::int32_t m = gamma2 == kGamma2Large ? 16 : 44;
  if (r0 > 0) return r1 + 1 == m ? 0 : r1 + 1;
  return r1 == 0 ? m - 1 : r1 - 1;
}
static_assert((kQ - 1) / (2 * kGamma2Large) == 16 && (kQ - 1) / (2 * kGamma2Small) == 44);

// FIPS 204 Algorithm 41. No reduction between layers: with |input| < q every coefficient stays
// below 9q < 2^31 (each layer adds at most one |t| < q).
void portable::ntt(Poly& p) noexcept {
  std::int32_t* a = p.c;
  unsigned k = 0;
  for (unsigned len = 128; len > 0; len >>= 1) {
    for (unsigned start = 0; start < kN; start += 2 * len) {
      const std::int64_t zeta = kZetas[++k];
      for (unsigned j = start; j < start + len; ++j) {
        const std::int32_t t = mont(zeta * a[j + len]);
        a[j + len] = a[j] - t;
        a[j] = a[j] + t;
      }
    }
  }
}

// FIPS 204 Algorithm 42. Inputs |a| < q: sums at most double per layer, so after seven layers
// they are below 128q and the last layer's sums below 256q < 2^31. The last layer multiplies by
// the scaling f (and its twiddle by f) in the same Montgomery step; outputs satisfy |a| < q.
void portable::invntt_tomont(Poly& p) noexcept {
  std::int32_t* a = p.c;
  unsigned k = kN;
  for (unsigned len = 1; len < kN / 2; len <<= 1) {
    for (unsigned start = 0; start < kN; start += 2 * len) {
      const std::int64_t zeta = -kZetas[--k];
      for (unsigned j = start; j < start + len; ++j) {
        const std::int32_t t = a[j];
        a[j] = t + a[j + len];
        a[j + len] = mont(zeta * (t - a[j + len]));
      }
    }
  }
  for (unsigned j = 0; j < kN / 2; ++j) {
    const std::int32_t t = a[j];
    a[j] = mont(std::int64_t{kInvNttScale} * (t + a[j + kN / 2]));
    a[j + kN / 2] = mont(std::int64_t{kInvNttLastZeta} * (t - a[j + kN / 2]));
  }
}

void portable::poly_pointwise(Poly& r, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < kN; ++i) r.c[i] = mont(static_cast<std::int64_t>(a.c[i]) * b.c[i]);
}

void portable::poly_pointwise_acc(Poly& r, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < kN; ++i) r.c[i] += mont(static_cast<std::int64_t>(a.c[i]) * b.c[i]);
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

void portable::poly_reduce(Poly& a) noexcept {
  for (int i = 0; i < kN; ++i) a.c[i] = reduce(a.c[i]);
}

void portable::poly_caddq(Poly& a) noexcept {
  for (int i = 0; i < kN; ++i) a.c[i] = add_q_if_negative(a.c[i]);
}

void portable::matrix_mul(const Params& p, PolyVecK& out, const Matrix& a, const PolyVecL& v) noexcept {
  // Lazy reduction: the row's products are summed in 64 bits and reduced once. Entries of Â are
  // in [0, q) and |v̂| < 9q (an NTT output), so the sum of at most 7 products is below
  // 63q^2 < 2^53, inside montgomery_reduce's range (2^31·q), and the result has |c| < q.
  for (int i = 0; i < p.k; ++i) {
    const PolyVecL& row = a.row[i];
    for (int c = 0; c < kN; ++c) {
      std::int64_t acc = static_cast<std::int64_t>(row.v[0].c[c]) * v.v[0].c[c];
      for (int j = 1; j < p.l; ++j) acc += static_cast<std::int64_t>(row.v[j].c[c]) * v.v[j].c[c];
      out.v[i].c[c] = mont(acc);
    }
  }
}

void portable::poly_mul_ntt_centred(Poly& r, const Poly& a, const Poly& b) noexcept {
  // |â·b̂| < 81q^2 < 2^31·q, so each Montgomery product has |c| < q, the input invntt_tomont
  // needs; its output, also in (-q, q), is c·s mod q with the 2^-32 of the products removed.
  for (int i = 0; i < kN; ++i) r.c[i] = mont(static_cast<std::int64_t>(a.c[i]) * b.c[i]);
  portable::invntt_tomont(r);
  for (int i = 0; i < kN; ++i) {
    // (-q, q) -> [0, q) -> [-(q-1)/2, (q-1)/2]: add q if negative, subtract it past (q-1)/2.
    const std::int32_t x = add_q_if_negative(r.c[i]);
    r.c[i] = x - (ct::barrier(((kQ - 1) / 2 - x) >> 31) & kQ);
  }
}

std::uint32_t portable::poly_norm_exceeds(const Poly& a, std::int32_t bound) noexcept {
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
  for (int i = 0; i < kN; ++i) a1.c[i] = p2r(a.c[i], &a0.c[i]);
}

void portable::poly_decompose(Poly& a1, Poly& a0, const Poly& a, std::int32_t gamma2) noexcept {
  if (gamma2 == kGamma2Large) {
    for (int i = 0; i < kN; ++i) a1.c[i] = decomp<kGamma2Large>(a.c[i], &a0.c[i]);
  } else {
    for (int i = 0; i < kN; ++i) a1.c[i] = decomp<kGamma2Small>(a.c[i], &a0.c[i]);
  }
}

std::uint32_t portable::poly_make_hint(Poly& h, const Poly& a0, const Poly& a1, std::int32_t gamma2) noexcept {
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

void portable::poly_use_hint(Poly& r, const Poly& a, const Poly& h, std::int32_t gamma2) noexcept {
  for (int i = 0; i < kN; ++i) r.c[i] = use_hint(a.c[i], h.c[i], gamma2);
}

// ---- Backend selection ----
// The functions above are the portable definitions; arith.h's names forward to arith_avx2.cc
// when the CPU has AVX2. The choice depends only on the CPU (and an environment override for
// tests and benchmarks), never on data, and is made once per process.

bool cpu_has_avx2() noexcept {
#if PQMCP_MLDSA_HAVE_AVX2
  __builtin_cpu_init();  // may run before libgcc's own constructor (static initialisers)
  return __builtin_cpu_supports("avx2");  // also checks that the OS saves the YMM state
#else
  return false;
#endif
}

bool avx2_backend_active() noexcept {
  static const bool active = simd_allowed(false) && cpu_has_avx2();
  return active;
}

#if PQMCP_MLDSA_HAVE_AVX2
#define PQMCP_MLDSA_DISPATCH(call) return avx2_backend_active() ? avx2::call : portable::call
#else
#define PQMCP_MLDSA_DISPATCH(call) return portable::call
#endif

void ntt(Poly& a) noexcept { PQMCP_MLDSA_DISPATCH(ntt(a)); }
void invntt_tomont(Poly& a) noexcept { PQMCP_MLDSA_DISPATCH(invntt_tomont(a)); }
void poly_pointwise(Poly& r, const Poly& a, const Poly& b) noexcept { PQMCP_MLDSA_DISPATCH(poly_pointwise(r, a, b)); }
void poly_pointwise_acc(Poly& r, const Poly& a, const Poly& b) noexcept {
  PQMCP_MLDSA_DISPATCH(poly_pointwise_acc(r, a, b));
}
void poly_reduce(Poly& a) noexcept { PQMCP_MLDSA_DISPATCH(poly_reduce(a)); }
void poly_caddq(Poly& a) noexcept { PQMCP_MLDSA_DISPATCH(poly_caddq(a)); }
void matrix_mul(const Params& p, PolyVecK& out, const Matrix& a, const PolyVecL& v) noexcept {
  PQMCP_MLDSA_DISPATCH(matrix_mul(p, out, a, v));
}
void poly_mul_ntt_centred(Poly& r, const Poly& a, const Poly& b) noexcept {
  PQMCP_MLDSA_DISPATCH(poly_mul_ntt_centred(r, a, b));
}
std::uint32_t poly_norm_exceeds(const Poly& a, std::int32_t bound) noexcept {
  PQMCP_MLDSA_DISPATCH(poly_norm_exceeds(a, bound));
}
void poly_decompose(Poly& a1, Poly& a0, const Poly& a, std::int32_t gamma2) noexcept {
  PQMCP_MLDSA_DISPATCH(poly_decompose(a1, a0, a, gamma2));
}
std::uint32_t poly_make_hint(Poly& h, const Poly& a0, const Poly& a1, std::int32_t gamma2) noexcept {
  PQMCP_MLDSA_DISPATCH(poly_make_hint(h, a0, a1, gamma2));
}
void poly_use_hint(Poly& r, const Poly& a, const Poly& h, std::int32_t gamma2) noexcept {
  PQMCP_MLDSA_DISPATCH(poly_use_hint(r, a, h, gamma2));
}
#undef PQMCP_MLDSA_DISPATCH

}  // namespace pqmcp::crypto::mldsa::internal
