// Variable-time inversion mod p = 2^255 - 19; see ed25519_invert_vartime.h.
//
// Bernstein and Yang, "Fast constant-time gcd computation and modular inversion" (TCHES 2019),
// in the variable-time form: with eta = -delta, each batch applies 62 divsteps to the low 64
// bits of f and g only, which yields a 2x2 transition matrix t (entries |.| <= 2^62, scaled by
// 2^62); t is then applied to the full f, g (exactly divisible by 2^62) and to the Bézout
// coefficients d, e (made divisible by adding the right multiple of p, found from p^-1 mod 2^62).
// Invariants (all values as integers): f odd; d·x ≡ f·1 and e·x ≡ g (mod p) up to the common
// power of two the matrices remove; -2p < d, e < p. When g reaches 0, f = ±gcd(p, x) = ±1 and
// d = ±x^-1. At most ten batches: 590 divsteps suffice for inputs below 2^256 (the
// Bernstein-Yang bound as tightened for safegcd), and ten batches make 620; about one input in
// 10^4 needs the tenth.
#include "crypto/hybrid/ed25519_invert_vartime.h"

#include <algorithm>

namespace pqmcp::crypto::eddsa::ed25519_detail {
namespace {

using i64 = std::int64_t;
using i128 = __int128;
constexpr u64 kM62 = (u64{1} << 62) - 1;

struct S62 {  // value = sum v[i]·2^(62 i); v[0..3] in [0, 2^62) after each update, v[4] signed
  i64 v[5];
};
constexpr S62 kP{{static_cast<i64>(kM62 - 18), static_cast<i64>(kM62), static_cast<i64>(kM62), static_cast<i64>(kM62), 127}};
constexpr u64 kPInv62 = 4126245384908715493u;  // p^-1 mod 2^62

struct Matrix {
  i64 u, v, q, r;
};

// 62 divsteps on the low bits of f (odd) and g; returns the new eta. The matrix keeps
// 2^(62-i)·f = u·f0 + v·g0 and 2^(62-i)·g = q·f0 + r·g0 (mod 2^64) as i counts down.
i64 divsteps62(i64 eta, u64 f, u64 g, Matrix& t) {
  // 1/f mod 16 for odd f, indexed by (f mod 16) / 2.
  static constexpr std::uint8_t kInv16[8] = {1, 11, 13, 7, 9, 3, 5, 15};
  u64 u = 1, v = 0, q = 0, r = 1;
  int i = 62;
  for (;;) {
    const int zeros = __builtin_ctzll(g | (~u64{0} << i));  // at most i
    g >>= zeros;
    u <<= zeros;
    v <<= zeros;
    eta -= zeros;
    i -= zeros;
    if (i == 0) break;
    if (eta < 0) {  // (f, g) = (g, -f), eta = -eta
      u64 x = f;
      f = g;
      g = 0 - x;
      x = u;
      u = q;
      q = 0 - x;
      x = v;
      v = r;
      r = 0 - x;
      eta = -eta;
    }
    // Cancel the low `limit` bits of g with a multiple of f: limit <= eta + 1 keeps the
    // matrix entries within 2^62 (the variable-time bound of the paper's §11 / safegcd).
    const int limit = static_cast<int>(std::min<i64>({eta + 1, i, 4}));
    const u64 w = (g * kInv16[(f >> 1) & 7]) & (~u64{0} >> (64 - limit));
    g -= f * w;
    q -= u * w;
    r -= v * w;
  }
  t = {static_cast<i64>(u), static_cast<i64>(v), static_cast<i64>(q), static_cast<i64>(r)};
  return eta;
}

// (f, g) = (u·f + v·g, q·f + r·g) / 2^62, exactly.
void update_fg(S62& f, S62& g, const Matrix& t) {
  i128 cf = static_cast<i128>(t.u) * f.v[0] + static_cast<i128>(t.v) * g.v[0];
  i128 cg = static_cast<i128>(t.q) * f.v[0] + static_cast<i128>(t.r) * g.v[0];
  cf >>= 62;
  cg >>= 62;
  for (int k = 1; k < 5; ++k) {
    cf += static_cast<i128>(t.u) * f.v[k] + static_cast<i128>(t.v) * g.v[k];
    cg += static_cast<i128>(t.q) * f.v[k] + static_cast<i128>(t.r) * g.v[k];
    f.v[k - 1] = static_cast<i64>(static_cast<u64>(cf) & kM62);
    g.v[k - 1] = static_cast<i64>(static_cast<u64>(cg) & kM62);
    cf >>= 62;
    cg >>= 62;
  }
  f.v[4] = static_cast<i64>(cf);
  g.v[4] = static_cast<i64>(cg);
}

// (d, e) = (u·d + v·e + md·p, q·d + r·e + me·p) / 2^62, with md, me chosen so that the division
// is exact and the results stay in (-2p, p) (negative inputs first get p added through md, me).
void update_de(S62& d, S62& e, const Matrix& t) {
  const i64 sd = d.v[4] >> 63, se = e.v[4] >> 63;  // all ones if negative
  i64 md = (t.u & sd) + (t.v & se);
  i64 me = (t.q & sd) + (t.r & se);
  i128 cd = static_cast<i128>(t.u) * d.v[0] + static_cast<i128>(t.v) * e.v[0];
  i128 ce = static_cast<i128>(t.q) * d.v[0] + static_cast<i128>(t.r) * e.v[0];
  md -= static_cast<i64>((kPInv62 * static_cast<u64>(cd) + static_cast<u64>(md)) & kM62);
  me -= static_cast<i64>((kPInv62 * static_cast<u64>(ce) + static_cast<u64>(me)) & kM62);
  cd += static_cast<i128>(kP.v[0]) * md;
  ce += static_cast<i128>(kP.v[0]) * me;
  cd >>= 62;
  ce >>= 62;
  for (int k = 1; k < 5; ++k) {
    cd += static_cast<i128>(t.u) * d.v[k] + static_cast<i128>(t.v) * e.v[k] + static_cast<i128>(kP.v[k]) * md;
    ce += static_cast<i128>(t.q) * d.v[k] + static_cast<i128>(t.r) * e.v[k] + static_cast<i128>(kP.v[k]) * me;
    d.v[k - 1] = static_cast<i64>(static_cast<u64>(cd) & kM62);
    e.v[k - 1] = static_cast<i64>(static_cast<u64>(ce) & kM62);
    cd >>= 62;
    ce >>= 62;
  }
  d.v[4] = static_cast<i64>(cd);
  e.v[4] = static_cast<i64>(ce);
}

// Limbs 0..3 back into [0, 2^62), the excess carried into the signed top limb.
void carry62(S62& a) {
  for (int k = 0; k < 4; ++k) {
    a.v[k + 1] += a.v[k] >> 62;
    a.v[k] &= static_cast<i64>(kM62);
  }
}

void add_p(S62& a) {
  for (int k = 0; k < 5; ++k) a.v[k] += kP.v[k];
  carry62(a);
}

bool is_zero(const S62& a) { return (a.v[0] | a.v[1] | a.v[2] | a.v[3] | a.v[4]) == 0; }

}  // namespace

Fe invert_vartime(const Fe& z) noexcept {
  std::uint8_t b[32];
  to_bytes(b, z);  // canonical: 0 <= z < p
  u64 w[4] = {0, 0, 0, 0};
  for (int k = 0; k < 32; ++k) w[k / 8] |= static_cast<u64>(b[k]) << (8 * (k % 8));
  S62 g{{static_cast<i64>(w[0] & kM62), static_cast<i64>(((w[0] >> 62) | (w[1] << 2)) & kM62),
         static_cast<i64>(((w[1] >> 60) | (w[2] << 4)) & kM62), static_cast<i64>(((w[2] >> 58) | (w[3] << 6)) & kM62),
         static_cast<i64>(w[3] >> 56)}};
  if (is_zero(g)) return kZero;
  S62 f = kP, d{{0, 0, 0, 0, 0}}, e{{1, 0, 0, 0, 0}};
  i64 eta = -1;
  while (!is_zero(g)) {
    Matrix t;
    eta = divsteps62(eta, static_cast<u64>(f.v[0]), static_cast<u64>(g.v[0]), t);
    update_de(d, e, t);
    update_fg(f, g, t);
  }
  // f = ±1 (p is prime), d = ±z^-1 in (-2p, p): bring it to [0, p).
  if (d.v[4] < 0) add_p(d);
  if (f.v[4] < 0) {
    for (auto& x : d.v) x = -x;
    carry62(d);
  }
  if (d.v[4] < 0) add_p(d);
  const u64 o[4] = {static_cast<u64>(d.v[0]) | (static_cast<u64>(d.v[1]) << 62),
                    (static_cast<u64>(d.v[1]) >> 2) | (static_cast<u64>(d.v[2]) << 60),
                    (static_cast<u64>(d.v[2]) >> 4) | (static_cast<u64>(d.v[3]) << 58),
                    (static_cast<u64>(d.v[3]) >> 6) | (static_cast<u64>(d.v[4]) << 56)};
  for (int k = 0; k < 32; ++k) b[k] = static_cast<std::uint8_t>(o[k / 8] >> (8 * (k % 8)));
  return from_bytes(b);
}

}  // namespace pqmcp::crypto::eddsa::ed25519_detail
