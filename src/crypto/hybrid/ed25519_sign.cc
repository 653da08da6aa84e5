// Ed25519 signing; see ed25519_sign.h. Everything below runs on secret data unless it says
// otherwise: no branch and no memory index may depend on a value.
#include "crypto/hybrid/ed25519_sign.h"

#include <sodium.h>

#include "crypto/ct.h"
#include "crypto/hybrid/ed25519_curve.h"
#include "crypto/hybrid/ed25519_ifma.h"

namespace pqmcp::crypto::eddsa::ed25519_sign {
namespace {

using namespace ed25519_detail;

// All ones if a == b, else 0 (a, b < 2^63). The barrier on the result keeps the compiler from
// knowing it is a mask, so it cannot turn its use into a branch or a masked load.
inline u64 eq_mask(u64 a, u64 b) {
  const u64 x = a ^ b;
  return ct::barrier(((x | (0 - x)) >> 63) - 1);
}

// A signed digit's sign (1 if negative) and magnitude, without a branch.
struct SignedDigit {
  u64 negative, magnitude;
};
inline SignedDigit split(std::int8_t e) {
  const u64 v = static_cast<u64>(static_cast<std::int64_t>(e));
  const u64 n = ct::barrier(v >> 63);
  return {n, (v ^ (0 - n)) + n};
}

inline void cmov(Fe& a, const Fe& b, u64 mask) {
  for (int i = 0; i < 5; ++i) a.v[i] ^= mask & (a.v[i] ^ b.v[i]);
}

// e·(row's point) for a digit e in [-kCols, kCols]: row[|e| - 1], the identity for 0, negated for
// e < 0 (-Q = (y - x, y + x, -2dxy)). Reads all kCols entries.
Niels select(const Niels (&row)[kCols], std::int8_t e) {
  const SignedDigit d = split(e);
  Niels t{kOne, kOne, kZero};  // the identity: y + x = y - x = 1, 2dxy = 0
  for (int j = 0; j < kCols; ++j) {
    const u64 m = eq_mask(d.magnitude, static_cast<u64>(j + 1));
    cmov(t.ypx, row[j].ypx, m);
    cmov(t.ymx, row[j].ymx, m);
    cmov(t.xy2d, row[j].xy2d, m);
  }
  const u64 m = ct::barrier(0 - d.negative);
  const Fe ypx = t.ypx, minus = neg(t.xy2d);
  cmov(t.ypx, t.ymx, m);
  cmov(t.ymx, ypx, m);
  cmov(t.xy2d, minus, m);
  return t;
}

// [a]B from a's signed digits on the comb for B: the odd digit positions, kW doublings, then the
// even ones (as the verifier's combine(), with one comb and masked lookups).
P3 base_mul(const Comb& comb, const std::int8_t e[kDigits]) {
  P3 acc{kZero, kOne, kOne, kZero};
  for (int i = 1; i < kDigits; i += 2) acc = to_p3(madd(acc, select(comb[i / 2], e[i])));
  P2 q{acc.X, acc.Y, acc.Z};
  for (int n = 0; n < kW - 1; ++n) q = to_p2(dbl(q.X, q.Y, q.Z));
  acc = to_p3(dbl(q.X, q.Y, q.Z));
  for (int i = 0; i < kDigits; i += 2) acc = to_p3(madd(acc, select(comb[i / 2], e[i])));
  return acc;
}

#if PQMCP_ED25519_HAVE_IFMA
// select() on the IFMA layout: lanes (y - x, y + x, 2dxy, 2).
PQMCP_IFMA F4 select4(const Entry4 (&row)[kCols], std::int8_t e) {
  const SignedDigit d = split(e);
  F4 t;
  t.l[0] = _mm256_set_epi64x(2, 0, 1, 1);  // the identity
  for (int i = 1; i < 5; ++i) t.l[i] = _mm256_setzero_si256();
  for (int j = 0; j < kCols; ++j) {
    // The mask comes from the scalar eq_mask, not from a vector compare: a compiler that sees a
    // compare result may turn the select into loads under a mask register (clang does), and a
    // masked-off load need not touch memory, so its timing could depend on the digit.
    const __m256i m = _mm256_set1_epi64x(static_cast<long long>(eq_mask(d.magnitude, static_cast<u64>(j + 1))));
    const F4 x = load4(row[j]);
    for (int i = 0; i < 5; ++i) t.l[i] = _mm256_xor_si256(t.l[i], _mm256_and_si256(m, _mm256_xor_si256(t.l[i], x.l[i])));
  }
  const __m256i m = _mm256_set1_epi64x(static_cast<long long>(ct::barrier(0 - d.negative)));
  const F4 n = neg_entry4(t);
  for (int i = 0; i < 5; ++i) t.l[i] = _mm256_xor_si256(t.l[i], _mm256_and_si256(m, _mm256_xor_si256(t.l[i], n.l[i])));
  return t;
}

PQMCP_IFMA P3 base_mul4(const Comb4& comb, const std::int8_t e[kDigits]) {
  F4 acc = from_p3_scalar({kZero, kOne, kOne, kZero});
  for (int i = 1; i < kDigits; i += 2) acc = madd4(acc, select4(comb[i / 2], e[i]));
  const P3 odd = to_p3_scalar(acc);
  P2 q{odd.X, odd.Y, odd.Z};
  for (int n = 0; n < kW - 1; ++n) q = to_p2(dbl(q.X, q.Y, q.Z));
  acc = from_p3_scalar(to_p3(dbl(q.X, q.Y, q.Z)));
  for (int i = 0; i < kDigits; i += 2) acc = madd4(acc, select4(comb[i / 2], e[i]));
  return to_p3_scalar(acc);
}
#endif

// RFC 8032 §5.1.2 encoding of a projective point.
void encode(const P3& p, std::uint8_t out[32]) {
  const Fe zinv = invert(p.Z);
  to_bytes(out, mul(p.Y, zinv));
  out[31] |= static_cast<std::uint8_t>(is_negative(mul(p.X, zinv)) << 7);
}

}  // namespace

void prepare_tables() {
#if PQMCP_ED25519_HAVE_IFMA
  if (ifma_active()) {
    (void)base4();
    return;
  }
#endif
  (void)constants();
}

Status sign(std::span<const std::uint8_t, 64> expanded, std::span<const std::uint8_t> msg,
            std::span<std::uint8_t, 64> sig) noexcept {
  static const bool sodium_ok = sodium_init() >= 0;  // once: it takes a global lock per call
  if (!sodium_ok) return Status::kInternal;
  const std::uint8_t* seed = expanded.data();
  const std::uint8_t* pk = expanded.data() + 32;
  // RFC 8032 §5.1.6 step 1: h = SHA-512(seed); s = the clamped lower half, prefix = the upper.
  std::uint8_t az[64], nonce[64], r[32], hram[64], k[32], ka[32];
  crypto_hash_sha512(az, seed, 32);
  az[0] &= 248;
  az[31] &= 127;
  az[31] |= 64;
  // Step 2: r = SHA-512(prefix ‖ M) mod L.
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, az + 32, 32);
  crypto_hash_sha512_update(&st, msg.data(), msg.size());
  crypto_hash_sha512_final(&st, nonce);
  crypto_core_ed25519_scalar_reduce(r, nonce);
  // Step 3: R = [r]B.
  std::int8_t digits[kDigits];
  signed_digits(r, digits);
  P3 point;
#if PQMCP_ED25519_HAVE_IFMA
  if (ifma_active()) point = base_mul4(base4(), digits);
  else
#endif
    point = base_mul(constants().base, digits);
  std::uint8_t* rb = sig.data();
  encode(point, rb);
  // R is the first half of the signature: public from here on.
  PQMCP_CT_DECLASSIFY(rb, 32);
  // Step 4: k = SHA-512(R ‖ A ‖ M) mod L.
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, rb, 32);
  crypto_hash_sha512_update(&st, pk, 32);
  crypto_hash_sha512_update(&st, msg.data(), msg.size());
  crypto_hash_sha512_final(&st, hram);
  crypto_core_ed25519_scalar_reduce(k, hram);
  // Step 5: S = (r + k·s) mod L.
  crypto_core_ed25519_scalar_mul(ka, k, az);
  crypto_core_ed25519_scalar_add(sig.data() + 32, ka, r);
  PQMCP_CT_DECLASSIFY(sig.data() + 32, 32);  // the signature is the output
  sodium_memzero(az, sizeof az);
  sodium_memzero(nonce, sizeof nonce);
  sodium_memzero(r, sizeof r);
  sodium_memzero(ka, sizeof ka);
  sodium_memzero(digits, sizeof digits);
  sodium_memzero(&point, sizeof point);
  sodium_memzero(&st, sizeof st);
  return Status::kOk;
}

}  // namespace pqmcp::crypto::eddsa::ed25519_sign
