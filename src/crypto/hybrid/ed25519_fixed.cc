// Ed25519 fixed-base verification; see ed25519_fixed.h. Curve: -x^2 + y^2 = 1 + d x^2 y^2 over
// GF(p), p = 2^255 - 19 (RFC 8032 §5.1). VARIABLE TIME throughout: only public data (public
// key, message, signature) ever reaches this file.
#include "crypto/hybrid/ed25519_fixed.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "crypto/simd.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define PQMCP_ED25519_HAVE_IFMA 1
#else
#define PQMCP_ED25519_HAVE_IFMA 0
#endif

namespace pqmcp::crypto::eddsa::ed25519_fixed {
namespace {

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

// Canonical little-endian encoding (value mod p, bit 255 clear).
void to_bytes(std::uint8_t s[32], const Fe& in) {
  Fe h = carry(in);  // limbs 1..4 < 2^51, limb 0 < 2^51 + 19·2^4: the value is < 2p
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
Fe from_bytes(const std::uint8_t s[32]) {
  u64 w[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) w[i] |= static_cast<u64>(s[8 * i + j]) << (8 * j);
  return {{w[0] & kMask, ((w[0] >> 51) | (w[1] << 13)) & kMask, ((w[1] >> 38) | (w[2] << 26)) & kMask,
           ((w[2] >> 25) | (w[3] << 39)) & kMask, (w[3] >> 12) & kMask}};
}

bool equal(const Fe& a, const Fe& b) {
  std::uint8_t x[32], y[32];
  to_bytes(x, a);
  to_bytes(y, b);
  return std::memcmp(x, y, 32) == 0;
}

bool is_negative(const Fe& a) {  // RFC 8032: x is "negative" iff its canonical value is odd
  std::uint8_t x[32];
  to_bytes(x, a);
  return (x[0] & 1) != 0;
}

// z^(2^250 - 1), the common prefix of the two exponentiations below; also returns z^11.
Fe pow2_250_1(const Fe& z, Fe& z11) {
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

Fe invert(const Fe& z) {  // z^(p-2) = z^(2^255 - 21), Fermat
  Fe z11;
  return mul(sqn(pow2_250_1(z, z11), 5), z11);
}

Fe pow22523(const Fe& z) {  // z^((p-5)/8) = z^(2^252 - 3), for square roots (RFC 8032 §5.1.3)
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

const Constants& constants();

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

// RFC 8032 §5.1.3 decoding, with a canonical y required (y < p); false if not a curve point.
bool decode(const std::uint8_t s[32], const Constants& k, P3& out) {
  const Fe y = from_bytes(s);
  std::uint8_t canon[32];
  to_bytes(canon, y);
  canon[31] |= s[31] & 0x80;
  if (std::memcmp(canon, s, 32) != 0) return false;  // y >= p
  const Fe yy = sq(y);
  const Fe u = sub(yy, kOne);                  // y^2 - 1
  const Fe v = carry(add(mul(yy, k.d), kOne));  // d y^2 + 1
  const Fe v3 = mul(sq(v), v);
  const Fe uv3 = mul(u, v3);
  Fe x = mul(uv3, pow22523(mul(uv3, mul(v3, v))));  // u v^3 (u v^7)^((p-5)/8)
  const Fe vxx = mul(v, sq(x));
  if (!equal(vxx, u)) {
    if (!equal(vxx, neg(u))) return false;  // u/v is not a square: no such x
    x = mul(x, k.sqrtm1);
  }
  const bool sign = (s[31] >> 7) != 0;
  if (sign && equal(x, kZero)) return false;  // §5.1.3 step 4: x = 0 with sign bit 1
  if (is_negative(x) != sign) x = neg(x);
  out = {x, y, kOne, mul(x, y)};
  return true;
}

// The comb for P in affine Niels form, with one batched inversion (Montgomery's trick) for
// all the Z coordinates.
void build_comb(const P3& p, const Fe& d2, Comb& comb) {
  constexpr int kPoints = kRows * kCols;
  std::vector<P3> pts(kPoints);
  std::vector<Fe> prefix(kPoints);
  P3 base = p;  // 2^(2·kW·i)·P
  for (int i = 0; i < kRows; ++i) {
    const Cached c = to_cached(base, d2);
    P3* row = &pts[kCols * i];
    row[0] = base;
    for (int j = 1; j < kCols; ++j) row[j] = to_p3(add(row[j - 1], c));
    if (i == kRows - 1) break;
    // 2^(2·kW) = 2^(kW-1) · 2^(kW+1): kW + 1 doublings of the row's last entry.
    P2 q{row[kCols - 1].X, row[kCols - 1].Y, row[kCols - 1].Z};
    for (int n = 0; n < kW; ++n) q = to_p2(dbl(q.X, q.Y, q.Z));
    base = to_p3(dbl(q.X, q.Y, q.Z));
  }
  Fe acc = kOne;
  for (int n = 0; n < kPoints; ++n) {
    prefix[n] = acc;  // Z_0 ··· Z_(n-1)
    acc = mul(acc, pts[n].Z);
  }
  Fe inv = invert(acc);  // (Z_0 ··· Z_last)^-1; no Z is 0 (the formulas are complete)
  for (int n = kPoints - 1; n >= 0; --n) {
    const Fe zinv = mul(inv, prefix[n]);
    inv = mul(inv, pts[n].Z);
    const Fe x = mul(pts[n].X, zinv), y = mul(pts[n].Y, zinv);
    comb[n / kCols][n % kCols] = {carry(add(y, x)), sub(y, x), mul(mul(x, y), d2)};
  }
}

Constants::Constants() {
  const Fe n121666{{121666, 0, 0, 0, 0}}, n121665{{121665, 0, 0, 0, 0}};
  d = mul(neg(n121665), invert(n121666));  // d = -121665/121666 (RFC 8032 §5.1)
  d2 = carry(add(d, d));
  const Fe two{{2, 0, 0, 0, 0}};
  sqrtm1 = mul(sq(pow22523(two)), two);  // 2^((p-1)/4): 2 is a non-square as p ≡ 5 (mod 8)
  std::uint8_t b[32];  // B: y = 4/5, x even (RFC 8032 §5.1)
  const Fe four{{4, 0, 0, 0, 0}}, five{{5, 0, 0, 0, 0}};
  to_bytes(b, mul(four, invert(five)));
  P3 bp;
  if (!decode(b, *this, bp)) std::abort();  // cannot happen: B is on the curve
  build_comb(bp, d2, base);
}

// Built once, at first use, thread-safely (C++11 static initialisation); ~49 KiB.
const Constants& constants() {
  static const Constants* k = new Constants();
  return *k;
}

// s < L = 2^252 + 27742317777372353535851937790883648493 (RFC 8032 §5.1.7 step 1), as
// libsodium's sc25519_is_canonical.
bool scalar_canonical(const std::uint8_t s[32]) {
  static constexpr std::uint8_t kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                         0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
  for (int i = 31; i >= 0; --i) {
    if (s[i] != kL[i]) return s[i] < kL[i];
  }
  return false;  // s == L
}

// libsodium 1.0.18's ge25519_has_small_order blocklist: the y-coordinates of the points of
// order 1, 2, 4 and 8 plus the non-canonical encodings p and p + 1 (of y = 0 and y = 1),
// compared with the sign bit (bit 255) ignored.
bool small_order_encoding(const std::uint8_t s[32]) {
  static constexpr std::uint8_t kList[7][32] = {
      {0},                                                          // y = 0 (order 4)
      {1},                                                          // y = 1 (identity)
      {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
       0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},  // order 8
      {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
       0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},  // order 8
      {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},  // p-1
      {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},  // p
      {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},  // p+1
  };
  for (const auto& e : kList) {
    if (std::memcmp(e, s, 31) == 0 && e[31] == (s[31] & 0x7f)) return true;
  }
  return false;
}

// a = sum e[i]·2^(kW·i) with e[i] in [-2^(kW-1), 2^(kW-1)) except the last, which takes the
// final carry: for a < 2^253 it stays within [0, 2^(kW-1)] (kW = 5: a >> 250 < 8, plus 1).
// kW = 5 is the trade-off chosen by measurement: kW = 4 verifies ~25% slower, kW = 6 only ~5%
// faster for tables 1.7x larger and a key load twice as long.
void signed_digits(const std::uint8_t a[32], std::int8_t e[kDigits]) {
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

// Starts loading the table entries the digits will pick. A verifier usually runs with cold
// caches (a gateway wakes for one message and then sleeps), and the comb's lookups depend on the
// digits, so the hardware cannot predict them: issued together up front the misses overlap
// instead of stalling one addition each (measured in docs/notes.md, "session 6").
template <typename Entry>
void prefetch_digits(const Entry (&comb)[kRows][kCols], const std::int8_t e[kDigits]) {
  for (int i = 0; i < kDigits; ++i) {
    if (e[i] == 0) continue;
    const char* p = reinterpret_cast<const char*>(&comb[i / 2][(e[i] > 0 ? e[i] : -e[i]) - 1]);
    for (std::size_t off = 0; off < sizeof(Entry); off += 64) __builtin_prefetch(p + off);
    __builtin_prefetch(p + sizeof(Entry) - 1);
  }
}

inline void add_digit(P3& acc, const Niels (&row)[kCols], int e) {
  if (e > 0) acc = to_p3(madd(acc, row[e - 1]));
  else if (e < 0) acc = to_p3(msub(acc, row[-e - 1]));
}

// R' = [s]B + [h](-A) with both combs at once: sum over the odd digit positions, times 2^kW
// (kW doublings), then the even positions (2^(kW·(2i+1)) = 2^kW · 2^(2·kW·i)).
P3 combine(const Comb& base, const Comb& neg_a, const std::int8_t es[kDigits], const std::int8_t eh[kDigits]) {
  P3 acc{kZero, kOne, kOne, kZero};
  for (int i = 1; i < kDigits; i += 2) {
    add_digit(acc, base[i / 2], es[i]);
    add_digit(acc, neg_a[i / 2], eh[i]);
  }
  P2 q{acc.X, acc.Y, acc.Z};
  for (int n = 0; n < kW - 1; ++n) q = to_p2(dbl(q.X, q.Y, q.Z));
  acc = to_p3(dbl(q.X, q.Y, q.Z));
  for (int i = 0; i < kDigits; i += 2) {
    add_digit(acc, base[i / 2], es[i]);
    add_digit(acc, neg_a[i / 2], eh[i]);
  }
  return acc;
}


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

bool ifma_active() noexcept {
  static const bool active = [] {
    __builtin_cpu_init();
    return simd_allowed(true) && __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512vl") != 0 &&
           __builtin_cpu_supports("avx512ifma") != 0;
  }();
  return active;
}

void to_entry4(const Niels& n, Entry4& e) {
  for (int i = 0; i < 5; ++i) {
    e.l[i][0] = n.ymx.v[i];
    e.l[i][1] = n.ypx.v[i];
    e.l[i][2] = n.xy2d.v[i];
    e.l[i][3] = i == 0 ? 2 : 0;
  }
}

void to_comb4(const Comb& c, Comb4& out) {
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

PQMCP_IFMA inline void add_digit4(F4& acc, const Entry4 (&row)[kCols], int e) {
  if (e > 0) acc = madd4(acc, load4(row[e - 1]));
  else if (e < 0) acc = madd4(acc, neg_entry4(load4(row[-e - 1])));
}

PQMCP_IFMA P3 to_p3_scalar(const F4& a) {
  alignas(32) u64 v[5][4];
  for (int i = 0; i < 5; ++i) _mm256_store_si256(reinterpret_cast<__m256i*>(v[i]), a.l[i]);
  P3 r;
  for (int i = 0; i < 5; ++i) r.X.v[i] = v[i][0], r.Y.v[i] = v[i][1], r.Z.v[i] = v[i][2], r.T.v[i] = v[i][3];
  return r;
}

PQMCP_IFMA F4 from_p3_scalar(const P3& p) {
  F4 r;
  for (int i = 0; i < 5; ++i)
    r.l[i] = _mm256_set_epi64x(static_cast<long long>(p.T.v[i]), static_cast<long long>(p.Z.v[i]),
                               static_cast<long long>(p.Y.v[i]), static_cast<long long>(p.X.v[i]));
  return r;
}

// R' = [s]B + [h](-A) as combine() below does it, with the additions on IFMA; the kW doublings
// stay scalar (five per verification).
PQMCP_IFMA P3 combine4(const Comb4& base, const Comb4& neg_a, const std::int8_t es[kDigits], const std::int8_t eh[kDigits]) {
  F4 acc = from_p3_scalar({kZero, kOne, kOne, kZero});
  for (int i = 1; i < kDigits; i += 2) {
    add_digit4(acc, base[i / 2], es[i]);
    add_digit4(acc, neg_a[i / 2], eh[i]);
  }
  const P3 odd = to_p3_scalar(acc);
  P2 q{odd.X, odd.Y, odd.Z};
  for (int n = 0; n < kW - 1; ++n) q = to_p2(dbl(q.X, q.Y, q.Z));
  acc = from_p3_scalar(to_p3(dbl(q.X, q.Y, q.Z)));
  for (int i = 0; i < kDigits; i += 2) {
    add_digit4(acc, base[i / 2], es[i]);
    add_digit4(acc, neg_a[i / 2], eh[i]);
  }
  return to_p3_scalar(acc);
}

// The comb for B in the IFMA layout, built at first use like constants().
const Comb4& base4() {
  static const Comb4Box* c = [] {
    auto* b = new Comb4Box;
    to_comb4(constants().base, b->c);
    return b;
  }();
  return c->c;
}
#else
bool ifma_active() noexcept { return false; }
#endif
}  // namespace

struct Table {
  std::uint8_t pk[32];
  // The comb for -A in the layout the CPU's path uses: exactly one is set.
  struct CombBox {
    Comb c;
  };
  std::unique_ptr<CombBox> neg_a;
#if PQMCP_ED25519_HAVE_IFMA
  std::unique_ptr<Comb4Box> neg_a4;
#endif
};

Status prepare(std::span<const std::uint8_t, 32> pk, std::shared_ptr<const Table>& out) noexcept {
  out.reset();
  try {
    const Constants& k = constants();
    P3 a;
    if (!decode(pk.data(), k, a)) return Status::kBadEncoding;
    const P3 na{neg(a.X), a.Y, a.Z, neg(a.T)};
    auto t = std::make_shared<Table>();
    std::memcpy(t->pk, pk.data(), 32);
    auto comb = std::make_unique<Table::CombBox>();
    build_comb(na, k.d2, comb->c);
#if PQMCP_ED25519_HAVE_IFMA
    if (ifma_active()) {
      (void)base4();  // built here, where an allocation failure can be reported, not in verify()
      t->neg_a4 = std::make_unique<Comb4Box>();
      to_comb4(comb->c, t->neg_a4->c);
      comb.reset();
    }
#endif
    t->neg_a = std::move(comb);
    out = std::move(t);
    return Status::kOk;
  } catch (...) {  // std::bad_alloc
    return Status::kInternal;
  }
}

bool verify(const Table& t, std::span<const std::uint8_t> msg, std::span<const std::uint8_t, 64> sig) noexcept {
  const std::uint8_t* r = sig.data();
  const std::uint8_t* s = sig.data() + 32;
  // The same early rejections as libsodium's _crypto_sign_ed25519_verify_detached; the key's
  // checks (canonical, not small order, decodable) were made when it was prepared.
  if (!scalar_canonical(s) || small_order_encoding(r)) return false;
  const Constants& k = constants();
  std::int8_t es[kDigits], eh[kDigits];
  signed_digits(s, es);
#if PQMCP_ED25519_HAVE_IFMA
  if (t.neg_a4) prefetch_digits(base4(), es);  // while SHA-512 runs
  else
#endif
    prefetch_digits(k.base, es);

  // h = SHA-512(R ‖ A ‖ M) mod L (RFC 8032 §5.1.7 step 2).
  crypto_hash_sha512_state st;
  std::uint8_t digest[64], h[32];
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, r, 32);
  crypto_hash_sha512_update(&st, t.pk, 32);
  crypto_hash_sha512_update(&st, msg.data(), msg.size());
  crypto_hash_sha512_final(&st, digest);
  crypto_core_ed25519_scalar_reduce(h, digest);
  signed_digits(h, eh);

  P3 acc;
#if PQMCP_ED25519_HAVE_IFMA
  if (t.neg_a4) {
    prefetch_digits(t.neg_a4->c, eh);
    acc = combine4(base4(), t.neg_a4->c, es, eh);
  } else
#endif
  {
    prefetch_digits(t.neg_a->c, eh);
    acc = combine(k.base, t.neg_a->c, es, eh);
  }

  // encode(R') == R, byte for byte (libsodium's final comparison).
  const Fe zinv = invert(acc.Z);
  std::uint8_t check[32];
  to_bytes(check, mul(acc.Y, zinv));
  check[31] |= static_cast<std::uint8_t>(is_negative(mul(acc.X, zinv)) << 7);
  return std::memcmp(check, r, 32) == 0;
}

}  // namespace pqmcp::crypto::eddsa::ed25519_fixed
