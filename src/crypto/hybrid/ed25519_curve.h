// Internal to crypto/eddsa: the arithmetic shared by Ed25519 verification (ed25519_fixed.cc)
// and signing (ed25519_sign.cc). Curve: -x^2 + y^2 = 1 + d x^2 y^2 over GF(p), p = 2^255 - 19
// (RFC 8032 §5.1). The field and point formulas are branch-free and index no memory by value, so
// they serve the constant-time signer as well; what is variable time (decoding, the verifier's
// digit-driven table lookups) lives in ed25519_fixed.cc.
#pragma once

#include <cstdint>
#include <cstring>

namespace pqmcp::crypto::eddsa::ed25519_detail {

using u64 = std::uint64_t;
using u128 = unsigned __int128;

// ---- GF(2^255 - 19), radix 2^51: five limbs, value = sum v[i]·2^(51 i). ----
// Bounds kept by the code below: outputs of mul/sq/sub/carry have limbs < 2^52; add is lazy
// (limbs < 2^54 for the sums used here). mul/sq accept limbs < 2^55: products < 2^115 (one
// factor scaled by 19 < 2^60), five of them < 2^118, well inside 128 bits.
constexpr u64 kMask = (u64{1} << 51) - 1;

struct Fe {
  u64 v[5];
};

constexpr Fe kZero{{0, 0, 0, 0, 0}};
constexpr Fe kOne{{1, 0, 0, 0, 0}};

inline Fe carry(Fe r) {
  u64 c;
  c = r.v[0] >> 51; r.v[0] &= kMask; r.v[1] += c;
  c = r.v[1] >> 51; r.v[1] &= kMask; r.v[2] += c;
  c = r.v[2] >> 51; r.v[2] &= kMask; r.v[3] += c;
  c = r.v[3] >> 51; r.v[3] &= kMask; r.v[4] += c;
  c = r.v[4] >> 51; r.v[4] &= kMask; r.v[0] += 19 * c;  // 2^255 ≡ 19 (mod p)
  return r;
}

inline Fe add(const Fe& a, const Fe& b) {
  return {{a.v[0] + b.v[0], a.v[1] + b.v[1], a.v[2] + b.v[2], a.v[3] + b.v[3], a.v[4] + b.v[4]}};
}

// a - b computed as a + 16p - b (no underflow for limbs of b < 2^55), then carried.
inline Fe sub(const Fe& a, const Fe& b) {
  constexpr u64 k0 = 16 * (kMask - 18), k = 16 * kMask;  // the limbs of 16p
  return carry({{a.v[0] + k0 - b.v[0], a.v[1] + k - b.v[1], a.v[2] + k - b.v[2],
                 a.v[3] + k - b.v[3], a.v[4] + k - b.v[4]}});
}

inline Fe neg(const Fe& a) { return sub(kZero, a); }

inline u128 m(u64 a, u64 b) { return static_cast<u128>(a) * b; }

// Carries five 128-bit column sums down to limbs < 2^52.
inline Fe reduce(u128 t0, u128 t1, u128 t2, u128 t3, u128 t4) {
  Fe r;
  t1 += t0 >> 51; r.v[0] = static_cast<u64>(t0) & kMask;
  t2 += t1 >> 51; r.v[1] = static_cast<u64>(t1) & kMask;
  t3 += t2 >> 51; r.v[2] = static_cast<u64>(t2) & kMask;
  t4 += t3 >> 51; r.v[3] = static_cast<u64>(t3) & kMask;
  r.v[4] = static_cast<u64>(t4) & kMask;
  const u128 x = (t4 >> 51) * 19 + r.v[0];
  r.v[0] = static_cast<u64>(x) & kMask;
  r.v[1] += static_cast<u64>(x >> 51);
  return r;
}

inline Fe mul(const Fe& a, const Fe& b) {
  const u64 b1 = 19 * b.v[1], b2 = 19 * b.v[2], b3 = 19 * b.v[3], b4 = 19 * b.v[4];
  const u64 *x = a.v, *y = b.v;
  return reduce(m(x[0], y[0]) + m(x[1], b4) + m(x[2], b3) + m(x[3], b2) + m(x[4], b1),
                m(x[0], y[1]) + m(x[1], y[0]) + m(x[2], b4) + m(x[3], b3) + m(x[4], b2),
                m(x[0], y[2]) + m(x[1], y[1]) + m(x[2], y[0]) + m(x[3], b4) + m(x[4], b3),
                m(x[0], y[3]) + m(x[1], y[2]) + m(x[2], y[1]) + m(x[3], y[0]) + m(x[4], b4),
                m(x[0], y[4]) + m(x[1], y[3]) + m(x[2], y[2]) + m(x[3], y[1]) + m(x[4], y[0]));
}

inline Fe sq(const Fe& a) {
  const u64* x = a.v;
  const u64 d0 = 2 * x[0], d1 = 2 * x[1], d2 = 2 * x[2], d3 = 2 * x[3];
  const u64 x3_19 = 19 * x[3], x4_19 = 19 * x[4];
  return reduce(m(x[0], x[0]) + m(d1, x4_19) + m(d2, x3_19),
                m(d0, x[1]) + m(d2, x4_19) + m(x[3], x3_19),
                m(d0, x[2]) + m(x[1], x[1]) + m(d3, x4_19),
                m(d0, x[3]) + m(d1, x[2]) + m(x[4], x4_19),
                m(d0, x[4]) + m(d1, x[3]) + m(x[2], x[2]));
}

inline Fe sqn(Fe a, int n) {
  while (n-- > 0) a = sq(a);
  return a;
}

// Canonical little-endian encoding (value mod p, bit 255 clear). Any limbs < 2^63: after carry()
// limbs 1..4 are < 2^51 and limb 0 < 2^51 + 19·2^12, so the value is < 2p and one conditional
// subtraction of p makes it canonical.
inline void to_bytes(std::uint8_t s[32], const Fe& in) {
  Fe h = carry(in);  // limbs 1..4 < 2^51, limb 0 < 2^51 + 19·2^12: the value is < 2p
  // q = 1 iff h >= p, i.e. iff h + 19 carries into bit 255.
  u64 q = (h.v[0] + 19) >> 51;
  q = (h.v[1] + q) >> 51;
  q = (h.v[2] + q) >> 51;
  q = (h.v[3] + q) >> 51;
  q = (h.v[4] + q) >> 51;
  h.v[0] += 19 * q;  // h - q·p = h + 19q - q·2^255; the 2^255 is dropped by the masks
  u64 c;
  c = h.v[0] >> 51; h.v[0] &= kMask; h.v[1] += c;
  c = h.v[1] >> 51; h.v[1] &= kMask; h.v[2] += c;
  c = h.v[2] >> 51; h.v[2] &= kMask; h.v[3] += c;
  c = h.v[3] >> 51; h.v[3] &= kMask; h.v[4] += c;
  h.v[4] &= kMask;
  const u64 w[4] = {h.v[0] | (h.v[1] << 51), (h.v[1] >> 13) | (h.v[2] << 38),
                    (h.v[2] >> 26) | (h.v[3] << 25), (h.v[3] >> 39) | (h.v[4] << 12)};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) s[8 * i + j] = static_cast<std::uint8_t>(w[i] >> (8 * j));
}

// The low 255 bits of s, not reduced (RFC 8032 §5.1.3 step 1 ignores bit 255 here).
inline Fe from_bytes(const std::uint8_t s[32]) {
  u64 w[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) w[i] |= static_cast<u64>(s[8 * i + j]) << (8 * j);
  return {{w[0] & kMask, ((w[0] >> 51) | (w[1] << 13)) & kMask, ((w[1] >> 38) | (w[2] << 26)) & kMask,
           ((w[2] >> 25) | (w[3] << 39)) & kMask, (w[3] >> 12) & kMask}};
}

// a ≡ b (mod p). The comparison itself is not constant time: for public values (decoding, tests).
inline bool equal(const Fe& a, const Fe& b) {
  std::uint8_t x[32], y[32];
  to_bytes(x, a);
  to_bytes(y, b);
  return std::memcmp(x, y, 32) == 0;
}

inline bool is_negative(const Fe& a) {  // RFC 8032: x is "negative" iff its canonical value is odd
  std::uint8_t x[32];
  to_bytes(x, a);
  return (x[0] & 1) != 0;
}

// z^(2^250 - 1), the common prefix of the two exponentiations below; also returns z^11.
inline Fe pow2_250_1(const Fe& z, Fe& z11) {
  const Fe z2 = sq(z);
  const Fe z9 = mul(sqn(z2, 2), z);
  z11 = mul(z9, z2);
  const Fe e5 = mul(sq(z11), z9);              // 2^5 - 1
  const Fe e10 = mul(sqn(e5, 5), e5);          // 2^10 - 1
  const Fe e20 = mul(sqn(e10, 10), e10);       // 2^20 - 1
  const Fe e40 = mul(sqn(e20, 20), e20);       // 2^40 - 1
  const Fe e50 = mul(sqn(e40, 10), e10);       // 2^50 - 1
  const Fe e100 = mul(sqn(e50, 50), e50);      // 2^100 - 1
  const Fe e200 = mul(sqn(e100, 100), e100);   // 2^200 - 1
  return mul(sqn(e200, 50), e50);              // 2^250 - 1
}

inline Fe invert(const Fe& z) {  // z^(p-2) = z^(2^255 - 21), Fermat
  Fe z11;
  return mul(sqn(pow2_250_1(z, z11), 5), z11);
}

inline Fe pow22523(const Fe& z) {  // z^((p-5)/8) = z^(2^252 - 3), for square roots (RFC 8032 §5.1.3)
  Fe z11;
  return mul(sqn(pow2_250_1(z, z11), 2), z);
}

// ---- Points (extended twisted Edwards coordinates, Hisil-Wong-Carter-Dawson 2008). ----
struct P3 {  // x = X/Z, y = Y/Z, xy = T/Z
  Fe X, Y, Z, T;
};
struct P2 {  // x = X/Z, y = Y/Z
  Fe X, Y, Z;
};
struct P1 {  // "completed": x = X/Z, y = Y/T
  Fe X, Y, Z, T;
};
struct Niels {  // affine, for mixed addition: y + x, y - x, 2d·x·y
  Fe ypx, ymx, xy2d;
};
struct Cached {  // projective, for general addition: Y + X, Y - X, Z, 2d·T
  Fe ypx, ymx, Z, t2d;
};

// Signed radix-2^kW digits: kDigits of them cover any scalar < 2^253 (S < L, h < L). The comb
// has one row per pair of digit positions: row i holds j·2^(2·kW·i)·P for j = 1..2^(kW-1).
constexpr int kW = 5;
constexpr int kDigits = (253 + kW) / kW;
constexpr int kRows = (kDigits + 1) / 2;
constexpr int kCols = 1 << (kW - 1);
using Comb = Niels[kRows][kCols];  // [i][j-1] = j·2^(2·kW·i)·P
// The top digit, (a >> kW·(kDigits-1)) + a carry, must index the table (see signed_digits).
static_assert((1 << (253 - kW * (kDigits - 1))) <= kCols && kDigits <= 2 * kRows);

struct Constants {
  Fe d, d2, sqrtm1;
  Comb base;  // the comb for B
  Constants();
};

const Constants& constants();  // ed25519_fixed.cc

inline P3 to_p3(const P1& r) {
  return {mul(r.X, r.T), mul(r.Y, r.Z), mul(r.Z, r.T), mul(r.X, r.Y)};
}
inline P2 to_p2(const P1& r) { return {mul(r.X, r.T), mul(r.Y, r.Z), mul(r.Z, r.T)}; }

// 2P (dbl-2008-hwcd with a = -1).
inline P1 dbl(const Fe& X, const Fe& Y, const Fe& Z) {
  const Fe xx = sq(X), yy = sq(Y), zz = sq(Z);
  const Fe y3 = add(yy, xx), z3 = sub(yy, xx);
  return {sub(sq(add(X, Y)), y3), y3, z3, sub(add(zz, zz), z3)};
}

// P + Q and P - Q for an affine Q (madd-2008-hwcd-3, a = -1, k = 2d folded into xy2d).
inline P1 madd(const P3& p, const Niels& q) {
  const Fe a = mul(sub(p.Y, p.X), q.ymx), b = mul(add(p.Y, p.X), q.ypx);
  const Fe c = mul(p.T, q.xy2d), d = add(p.Z, p.Z);
  return {sub(b, a), add(b, a), add(d, c), sub(d, c)};
}
inline P1 msub(const P3& p, const Niels& q) {  // -Q = (ymx, ypx, -xy2d)
  const Fe a = mul(sub(p.Y, p.X), q.ypx), b = mul(add(p.Y, p.X), q.ymx);
  const Fe c = mul(p.T, q.xy2d), d = add(p.Z, p.Z);
  return {sub(b, a), add(b, a), sub(d, c), add(d, c)};
}

// P + Q (add-2008-hwcd-3).
inline P1 add(const P3& p, const Cached& q) {
  const Fe a = mul(sub(p.Y, p.X), q.ymx), b = mul(add(p.Y, p.X), q.ypx);
  const Fe c = mul(p.T, q.t2d), zz = mul(p.Z, q.Z), d = add(zz, zz);
  return {sub(b, a), add(b, a), add(d, c), sub(d, c)};
}

inline Cached to_cached(const P3& p, const Fe& d2) {
  return {carry(add(p.Y, p.X)), sub(p.Y, p.X), p.Z, mul(p.T, d2)};
}

// a = sum e[i]·2^(kW·i) with e[i] in [-2^(kW-1), 2^(kW-1)) except the last, which takes the
// final carry: for a < 2^253 it stays within [0, 2^(kW-1)] (kW = 5: a >> 250 < 8, plus 1).
// kW = 5 is the trade-off chosen by measurement: kW = 4 verifies ~25% slower, kW = 6 only ~5%
// faster for tables 1.7x larger and a key load twice as long.
inline void signed_digits(const std::uint8_t a[32], std::int8_t e[kDigits]) {
  int c = 0;
  for (int i = 0; i < kDigits; ++i) {
    int v = 0;
    for (int k = 0; k < kW; ++k) {
      const int bit = kW * i + k;
      if (bit < 256) v |= ((a[bit >> 3] >> (bit & 7)) & 1) << k;
    }
    v += c;
    if (i == kDigits - 1) {
      e[i] = static_cast<std::int8_t>(v);
      break;
    }
    c = (v + kCols) >> kW;
    e[i] = static_cast<std::int8_t>(v - (c << kW));
  }
}

}  // namespace pqmcp::crypto::eddsa::ed25519_detail
