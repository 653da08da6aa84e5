// Portable backend of arith.h: signed 16-bit coefficients, Montgomery multiplication
// (R = 2^16), Barrett reduction, and lazy reduction in the NTT and the base multiplication.
#include <array>

#include "crypto/ct.h"
#include "crypto/mlkem/arith.h"
#include "crypto/secure.h"

namespace pqmcp::crypto::mlkem::arith {
namespace {

constexpr std::int32_t kQinv = -3327;  // q^-1 mod 2^16, as a signed value

// x * 2^-16 mod q for |x| < q * 2^15; result |r| < q.
inline std::int16_t montgomery_reduce(std::int32_t x) {
  const auto t = static_cast<std::int16_t>(static_cast<std::int16_t>(x) * kQinv);
  return static_cast<std::int16_t>((x - static_cast<std::int32_t>(t) * kQ) >> 16);
}

inline std::int16_t fqmul(std::int16_t a, std::int16_t b) {
  return montgomery_reduce(static_cast<std::int32_t>(a) * b);
}

// Centred representative of x mod q; round(2^26 / q) = 20159.
inline std::int16_t barrett_reduce(std::int16_t x) {
  constexpr std::int32_t v = ((1 << 26) + kQ / 2) / kQ;
  const std::int32_t t = (v * x + (1 << 25)) >> 26;
  return static_cast<std::int16_t>(x - t * kQ);
}

// Maps |x| < q to [0, q) with the sign bit as a mask (no branch).
inline std::uint32_t to_canonical(std::int16_t x) {
  const std::int16_t y = static_cast<std::int16_t>(x + ((x >> 15) & kQ));
  return static_cast<std::uint16_t>(y);
}

// --- Constants, computed rather than pasted, so they are checkable against their definition.

constexpr std::int64_t pow_mod(std::int64_t b, int e) {
  std::int64_t r = 1;
  for (; e > 0; --e) r = r * b % kQ;
  return r;
}

constexpr int bitrev7(int i) {
  int r = 0;
  for (int b = 0; b < 7; ++b) r |= ((i >> b) & 1) << (6 - b);
  return r;
}

constexpr std::int16_t centred(std::int64_t x) {
  x %= kQ;
  if (x < 0) x += kQ;
  return static_cast<std::int16_t>(x > kQ / 2 ? x - kQ : x);
}

// FIPS 203 §4.3: zeta^BitRev7(i) for zeta = 17, in Montgomery form (times 2^16), centred.
constexpr std::array<std::int16_t, 128> make_zetas() {
  std::array<std::int16_t, 128> z{};
  for (int i = 0; i < 128; ++i) z[static_cast<std::size_t>(i)] = centred(pow_mod(17, bitrev7(i)) * 65536);
  return z;
}
constexpr std::array<std::int16_t, 128> kZetas = make_zetas();
static_assert(kZetas[0] == -1044);  // 2^16 mod q, centred: zeta^0 in Montgomery form

// 2^32 mod q: multiplying by it in Montgomery form multiplies by R.
constexpr std::int16_t kMont2 = centred((std::int64_t{1} << 32) % kQ);
// R^2 / 128 mod q: the 1/128 of NTT^-1 (FIPS 203 Algorithm 10, line 14 uses 3303 = 128^-1)
// combined with cancelling the R^-1 of a preceding basemul and of fqmul itself.
constexpr std::int16_t kInvNttF = centred(pow_mod(2, 32) * 3303);
static_assert(kInvNttF == 1441);

// floor(n / q) = (n * kDivM) >> 36 exactly for all n < 2^23 (error n*(kDivM*q - 2^36) < 2^36).
constexpr std::uint64_t kDivM = ((std::uint64_t{1} << 36) + kQ - 1) / kQ;
static_assert((kDivM * kQ - (std::uint64_t{1} << 36)) * (std::uint64_t{1} << 23) < (std::uint64_t{1} << 36));

// Compress_d of a canonical x: round(2^d x / q) mod 2^d = floor((2^d x + (q-1)/2) / q) mod 2^d
// (q is odd, so no tie). Multiply-shift instead of a division by q (KyberSlash).
template <int D>
inline std::uint32_t compress(std::uint32_t x) {
  const std::uint64_t n = (static_cast<std::uint64_t>(x) << D) + (kQ - 1) / 2;
  return static_cast<std::uint32_t>((n * kDivM) >> 36) & ((1u << D) - 1);
}

// Decompress_d: round(q y / 2^d).
template <int D>
inline std::int16_t decompress(std::uint32_t y) {
  return static_cast<std::int16_t>((y * kQ + (1u << (D - 1))) >> D);
}

// Little-endian bit packing of 256 D-bit values (FIPS 203 Algorithm 5), streaming through a
// 64-bit accumulator; the loop shape depends only on D.
template <int D, class Get>
inline void pack(std::uint8_t* out, Get get) {
  std::uint64_t acc = 0;
  int bits = 0;
  std::size_t o = 0;
  for (int i = 0; i < kN; ++i) {
    acc |= static_cast<std::uint64_t>(get(i)) << bits;
    bits += D;
    while (bits >= 8) {
      out[o++] = static_cast<std::uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
}

// FIPS 203 Algorithm 6 without the final reduction; put(i, value) receives each D-bit value.
template <int D, class Put>
inline void unpack(const std::uint8_t* in, Put put) {
  std::uint64_t acc = 0;
  int bits = 0;
  std::size_t o = 0;
  for (int i = 0; i < kN; ++i) {
    while (bits < D) {
      acc |= static_cast<std::uint64_t>(in[o++]) << bits;
      bits += 8;
    }
    put(i, static_cast<std::uint32_t>(acc & ((std::uint64_t{1} << D) - 1)));
    acc >>= D;
    bits -= D;
  }
}

template <int D>
void compress_encode_d(std::uint8_t* out, const Poly& a) {
  pack<D>(out, [&](int i) { return compress<D>(to_canonical(a.c[i])); });
}

template <int D>
void decode_decompress_d(Poly& r, const std::uint8_t* in) {
  unpack<D>(in, [&](int i, std::uint32_t y) { r.c[i] = decompress<D>(y); });
}

inline std::uint32_t load32_le(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

inline std::uint32_t load24_le(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16;
}

// eta = 2: each 4-bit group is x0 + x1 - (y0 + y1); bit-sliced over 32-bit words.
void cbd2(Poly& r, const std::uint8_t* buf) {
  for (int i = 0; i < kN / 8; ++i) {
    const std::uint32_t t = load32_le(buf + 4 * i);
    const std::uint32_t d = (t & 0x55555555u) + ((t >> 1) & 0x55555555u);
    for (int j = 0; j < 8; ++j) {
      const auto a = static_cast<std::int16_t>((d >> (4 * j)) & 3);
      const auto b = static_cast<std::int16_t>((d >> (4 * j + 2)) & 3);
      r.c[8 * i + j] = static_cast<std::int16_t>(a - b);
    }
  }
}

// eta = 3: 6-bit groups from 24-bit words.
void cbd3(Poly& r, const std::uint8_t* buf) {
  for (int i = 0; i < kN / 4; ++i) {
    const std::uint32_t t = load24_le(buf + 3 * i);
    const std::uint32_t d = (t & 0x00249249u) + ((t >> 1) & 0x00249249u) + ((t >> 2) & 0x00249249u);
    for (int j = 0; j < 4; ++j) {
      const auto a = static_cast<std::int16_t>((d >> (6 * j)) & 7);
      const auto b = static_cast<std::int16_t>((d >> (6 * j + 3)) & 7);
      r.c[4 * i + j] = static_cast<std::int16_t>(a - b);
    }
  }
}

}  // namespace

void ntt(Poly& a) noexcept {
  // Cooley-Tukey butterflies without intermediate reduction: each layer grows |x| by < q, so
  // seven layers from |x| < q stay below 8q < 2^15; one Barrett pass at the end.
  int k = 1;
  for (int len = 128; len >= 2; len >>= 1) {
    for (int start = 0; start < kN; start += 2 * len) {
      const std::int16_t zeta = kZetas[static_cast<std::size_t>(k++)];
      for (int j = start; j < start + len; ++j) {
        const std::int16_t t = fqmul(zeta, a.c[j + len]);
        a.c[j + len] = static_cast<std::int16_t>(a.c[j] - t);
        a.c[j] = static_cast<std::int16_t>(a.c[j] + t);
      }
    }
  }
  reduce(a);
}

void invntt_tomont(Poly& a) noexcept {
  // Gentleman-Sande butterflies; the sums are Barrett-reduced each layer so they never grow.
  int k = 127;
  for (int len = 2; len <= 128; len <<= 1) {
    for (int start = 0; start < kN; start += 2 * len) {
      const std::int16_t zeta = kZetas[static_cast<std::size_t>(k--)];
      for (int j = start; j < start + len; ++j) {
        const std::int16_t t = a.c[j];
        a.c[j] = barrett_reduce(static_cast<std::int16_t>(t + a.c[j + len]));
        a.c[j + len] = fqmul(zeta, static_cast<std::int16_t>(a.c[j + len] - t));
      }
    }
  }
  for (auto& x : a.c) x = fqmul(x, kInvNttF);
}

void mulcache_compute(PolyMulCache& cache, const Poly& b) noexcept {
  // Pair i uses gamma_i = zeta^(2 BitRev7(i) + 1) (FIPS 203 Algorithm 11); pairs 2m and 2m+1
  // use +/- zeta^BitRev7(64 + m).
  for (int m = 0; m < 64; ++m) {
    const std::int16_t z = kZetas[static_cast<std::size_t>(64 + m)];
    cache.c[2 * m] = fqmul(b.c[4 * m + 1], z);
    cache.c[2 * m + 1] = fqmul(b.c[4 * m + 3], static_cast<std::int16_t>(-z));
  }
}

void basemul_acc(Poly& r, const Poly* a, const Poly* b, const PolyMulCache* cache, int k) noexcept {
  // FIPS 203 Algorithm 12 per pair: c0 = a0 b0 + a1 b1 gamma, c1 = a0 b1 + a1 b0. With |a|, |b|,
  // |cache| < q the k <= 4 sums stay below 8 q^2 < q 2^15, the Montgomery input bound.
  std::int32_t acc[kN];
  for (int i = 0; i < kN / 2; ++i) {
    const std::int32_t a0 = a[0].c[2 * i], a1 = a[0].c[2 * i + 1];
    acc[2 * i] = a0 * b[0].c[2 * i] + a1 * cache[0].c[i];
    acc[2 * i + 1] = a0 * b[0].c[2 * i + 1] + a1 * b[0].c[2 * i];
  }
  for (int v = 1; v < k; ++v) {
    for (int i = 0; i < kN / 2; ++i) {
      const std::int32_t a0 = a[v].c[2 * i], a1 = a[v].c[2 * i + 1];
      acc[2 * i] += a0 * b[v].c[2 * i] + a1 * cache[v].c[i];
      acc[2 * i + 1] += a0 * b[v].c[2 * i + 1] + a1 * b[v].c[2 * i];
    }
  }
  for (int i = 0; i < kN; ++i) r.c[i] = montgomery_reduce(acc[i]);
  secure_wipe(acc, sizeof acc);
}

void tomont(Poly& a) noexcept {
  for (auto& x : a.c) x = fqmul(x, kMont2);
}

void reduce(Poly& a) noexcept {
  for (auto& x : a.c) x = barrett_reduce(x);
}

void add(Poly& r, const Poly& a) noexcept {
  for (int i = 0; i < kN; ++i) r.c[i] = static_cast<std::int16_t>(r.c[i] + a.c[i]);
}

void sub(Poly& r, const Poly& a) noexcept {
  for (int i = 0; i < kN; ++i) r.c[i] = static_cast<std::int16_t>(a.c[i] - r.c[i]);
}

void encode12(std::uint8_t out[384], const Poly& a) noexcept {
  for (int i = 0; i < kN / 2; ++i) {
    const std::uint32_t t0 = to_canonical(a.c[2 * i]);
    const std::uint32_t t1 = to_canonical(a.c[2 * i + 1]);
    out[3 * i] = static_cast<std::uint8_t>(t0);
    out[3 * i + 1] = static_cast<std::uint8_t>((t0 >> 8) | (t1 << 4));
    out[3 * i + 2] = static_cast<std::uint8_t>(t1 >> 4);
  }
}

void decode12(Poly& r, const std::uint8_t in[384]) noexcept {
  for (int i = 0; i < kN / 2; ++i) {
    const std::uint32_t b0 = in[3 * i], b1 = in[3 * i + 1], b2 = in[3 * i + 2];
    const auto t0 = static_cast<std::int16_t>((b0 | (b1 << 8)) & 0xFFF);
    const auto t1 = static_cast<std::int16_t>((b1 >> 4) | (b2 << 4));
    // "mod q" of Algorithm 6 for values < 2^12 < 2q: subtract q, add it back if negative.
    const auto u0 = static_cast<std::int16_t>(t0 - kQ);
    const auto u1 = static_cast<std::int16_t>(t1 - kQ);
    r.c[2 * i] = static_cast<std::int16_t>(u0 + ((u0 >> 15) & kQ));
    r.c[2 * i + 1] = static_cast<std::int16_t>(u1 + ((u1 >> 15) & kQ));
  }
}

void compress_encode(int d, std::uint8_t* out, const Poly& a) noexcept {
  switch (d) {
    case 4: compress_encode_d<4>(out, a); break;
    case 5: compress_encode_d<5>(out, a); break;
    case 10: compress_encode_d<10>(out, a); break;
    case 11: compress_encode_d<11>(out, a); break;
    default: break;
  }
}

void decode_decompress(int d, Poly& r, const std::uint8_t* in) noexcept {
  switch (d) {
    case 4: decode_decompress_d<4>(r, in); break;
    case 5: decode_decompress_d<5>(r, in); break;
    case 10: decode_decompress_d<10>(r, in); break;
    case 11: decode_decompress_d<11>(r, in); break;
    default: break;
  }
}

void from_msg(Poly& r, const std::uint8_t m[32]) noexcept {
  constexpr std::uint32_t kHalfQ = (kQ + 1) / 2;  // Decompress_1(1) = round(q/2)
  for (int i = 0; i < 32; ++i) {
    for (int j = 0; j < 8; ++j) {
      const std::uint32_t mask = ct::barrier(0u - ((static_cast<std::uint32_t>(m[i]) >> j) & 1u));
      r.c[8 * i + j] = static_cast<std::int16_t>(mask & kHalfQ);
    }
  }
}

void to_msg(std::uint8_t m[32], const Poly& a) noexcept {
  for (int i = 0; i < 32; ++i) {
    std::uint32_t byte = 0;
    for (int j = 0; j < 8; ++j) byte |= compress<1>(to_canonical(a.c[8 * i + j])) << j;
    m[i] = static_cast<std::uint8_t>(byte);
  }
}

void cbd(int eta, Poly& r, const std::uint8_t* buf) noexcept {
  if (eta == 2) {
    cbd2(r, buf);
  } else {
    cbd3(r, buf);
  }
}

int rej_uniform(std::int16_t* r, int ctr, int len, const std::uint8_t* buf, std::size_t buflen) noexcept {
  std::size_t pos = 0;
  while (ctr < len && pos + 3 <= buflen) {
    const std::uint32_t b0 = buf[pos], b1 = buf[pos + 1], b2 = buf[pos + 2];
    pos += 3;
    const std::uint32_t d1 = b0 | ((b1 & 0x0F) << 8);  // Algorithm 7, lines 6-7
    const std::uint32_t d2 = (b1 >> 4) | (b2 << 4);
    if (d1 < static_cast<std::uint32_t>(kQ)) r[ctr++] = static_cast<std::int16_t>(d1);
    if (d2 < static_cast<std::uint32_t>(kQ) && ctr < len) r[ctr++] = static_cast<std::int16_t>(d2);
  }
  return ctr;
}

}  // namespace pqmcp::crypto::mlkem::arith
