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

#include "crypto/hybrid/ed25519_curve.h"
#include "crypto/hybrid/ed25519_ifma.h"
#include "crypto/hybrid/ed25519_invert_vartime.h"

namespace pqmcp::crypto::eddsa::ed25519_detail {
namespace {

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
  Fe inv = invert_vartime(acc);  // (Z_0 ··· Z_last)^-1; no Z is 0 (the formulas are complete)
  for (int n = kPoints - 1; n >= 0; --n) {
    const Fe zinv = mul(inv, prefix[n]);
    inv = mul(inv, pts[n].Z);
    const Fe x = mul(pts[n].X, zinv), y = mul(pts[n].Y, zinv);
    comb[n / kCols][n % kCols] = {carry(add(y, x)), sub(y, x), mul(mul(x, y), d2)};
  }
}

}  // namespace

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

#if PQMCP_ED25519_HAVE_IFMA
// The comb for B in the IFMA layout, built at first use like constants().
const Comb4& base4() {
  static const Comb4Box* c = [] {
    auto* b = new Comb4Box;
    to_comb4(constants().base, b->c);
    return b;
  }();
  return c->c;
}
#endif

}  // namespace pqmcp::crypto::eddsa::ed25519_detail

namespace pqmcp::crypto::eddsa::ed25519_fixed {
using namespace ed25519_detail;
namespace {

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
PQMCP_IFMA inline void add_digit4(F4& acc, const Entry4 (&row)[kCols], int e) {
  if (e > 0) acc = madd4(acc, load4(row[e - 1]));
  else if (e < 0) acc = madd4(acc, neg_entry4(load4(row[-e - 1])));
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
  const Fe zinv = invert_vartime(acc.Z);
  std::uint8_t check[32];
  to_bytes(check, mul(acc.Y, zinv));
  check[31] |= static_cast<std::uint8_t>(is_negative(mul(acc.X, zinv)) << 7);
  return std::memcmp(check, r, 32) == 0;
}

}  // namespace pqmcp::crypto::eddsa::ed25519_fixed
