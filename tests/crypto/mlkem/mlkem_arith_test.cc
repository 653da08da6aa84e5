// The arithmetic interface (src/crypto/mlkem/arith.h) against textbook definitions computed
// with plain division: exhaustive Compress/Decompress, and NTT-based multiplication against
// schoolbook multiplication in Z_q[X]/(X^256 + 1). A SIMD backend must pass the same tests.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "crypto/mlkem/arith.h"
#include "support/vectors.h"

namespace pqmcp::crypto::mlkem::arith {
namespace {

constexpr int q = kQ;

int mod_q(long x) { return static_cast<int>(((x % q) + q) % q); }

// FIPS 203 §4.2.1: Compress_d(x) = round(2^d x / q) mod 2^d, round half up.
unsigned ref_compress(int x, int d) {
  const long num = (2L * (1L << d) * x + q) / (2L * q);  // floor(2^d x / q + 1/2)
  return static_cast<unsigned>(num % (1L << d));
}
int ref_decompress(unsigned y, int d) { return static_cast<int>((2L * q * y + (1L << d)) / (2L << d)); }

// Unpacks 256 d-bit little-endian values (independent of the library's packer).
std::vector<unsigned> unpack_bits(const std::uint8_t* in, int d) {
  std::vector<unsigned> out(256);
  for (int i = 0; i < 256; ++i) {
    unsigned v = 0;
    for (int b = 0; b < d; ++b) {
      const int bit = i * d + b;
      v |= static_cast<unsigned>((in[bit / 8] >> (bit % 8)) & 1) << b;
    }
    out[static_cast<std::size_t>(i)] = v;
  }
  return out;
}

void pack_bits(std::uint8_t* out, const std::vector<unsigned>& v, int d) {
  std::fill(out, out + 32 * d, 0);
  for (int i = 0; i < 256; ++i)
    for (int b = 0; b < d; ++b) {
      const int bit = i * d + b;
      out[bit / 8] |= static_cast<std::uint8_t>(((v[static_cast<std::size_t>(i)] >> b) & 1) << (bit % 8));
    }
}

TEST(MlKemArith, CompressIsExactForEveryInputAndBothSigns) {
  int checked = 0;
  for (int d : {4, 5, 10, 11}) {
    for (int base = -(q - 1); base < q; base += 256) {
      Poly a;
      for (int i = 0; i < 256; ++i) a.c[i] = static_cast<std::int16_t>(std::min(base + i, q - 1));
      std::uint8_t buf[32 * 11];
      compress_encode(d, buf, a);
      const auto got = unpack_bits(buf, d);
      for (int i = 0; i < 256; ++i) {
        ASSERT_EQ(got[static_cast<std::size_t>(i)], ref_compress(mod_q(a.c[i]), d)) << "d=" << d << " x=" << a.c[i];
        ++checked;
      }
    }
  }
  ASSERT_GE(checked, 4 * (2 * q - 1));
}

TEST(MlKemArith, CompressOneIsExact) {
  for (int base = -(q - 1); base < q; base += 256) {
    Poly a;
    for (int i = 0; i < 256; ++i) a.c[i] = static_cast<std::int16_t>(std::min(base + i, q - 1));
    std::uint8_t m[32];
    to_msg(m, a);
    const auto got = unpack_bits(m, 1);
    for (int i = 0; i < 256; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)], ref_compress(mod_q(a.c[i]), 1)) << a.c[i];
  }
  // Decompress_1: 0 -> 0, 1 -> round(q/2) = 1665.
  std::uint8_t m[32];
  for (int i = 0; i < 32; ++i) m[i] = static_cast<std::uint8_t>(0x5A ^ i);
  Poly r;
  from_msg(r, m);
  const auto bits = unpack_bits(m, 1);
  for (int i = 0; i < 256; ++i) ASSERT_EQ(r.c[i], bits[static_cast<std::size_t>(i)] ? 1665 : 0);
}

TEST(MlKemArith, DecompressIsExactForEveryInput) {
  for (int d : {4, 5, 10, 11}) {
    for (unsigned base = 0; base < (1u << d); base += 256) {
      std::vector<unsigned> v(256);
      for (unsigned i = 0; i < 256; ++i) v[i] = (base + i) % (1u << d);
      std::uint8_t buf[32 * 11];
      pack_bits(buf, v, d);
      Poly r;
      decode_decompress(d, r, buf);
      for (int i = 0; i < 256; ++i)
        ASSERT_EQ(r.c[i], ref_decompress(v[static_cast<std::size_t>(i)], d)) << "d=" << d;
    }
  }
}

TEST(MlKemArith, Encode12RoundTripsAndDecodeReducesModQ) {
  std::vector<unsigned> v(256);
  for (unsigned x = 0; x < 4096; x += 256) {
    for (unsigned i = 0; i < 256; ++i) v[i] = x + i;
    std::uint8_t buf[384], again[384];
    pack_bits(buf, v, 12);
    Poly r;
    decode12(r, buf);
    for (int i = 0; i < 256; ++i) ASSERT_EQ(r.c[i], static_cast<int>(v[static_cast<std::size_t>(i)] % q));
    // Negative (centred) inputs encode to their canonical value.
    for (int i = 0; i < 256; ++i) r.c[i] = static_cast<std::int16_t>(r.c[i] > q / 2 ? r.c[i] - q : r.c[i]);
    encode12(again, r);
    const auto back = unpack_bits(again, 12);
    for (int i = 0; i < 256; ++i) ASSERT_EQ(back[static_cast<std::size_t>(i)], v[static_cast<std::size_t>(i)] % q);
  }
}

std::vector<int> schoolbook(const Poly& a, const Poly& b) {
  std::vector<long> c(256, 0);
  for (int i = 0; i < 256; ++i)
    for (int j = 0; j < 256; ++j) {
      const long prod = static_cast<long>(a.c[i]) * b.c[j];
      if (i + j < 256) c[static_cast<std::size_t>(i + j)] += prod;
      else c[static_cast<std::size_t>(i + j - 256)] -= prod;  // X^256 = -1
    }
  std::vector<int> out(256);
  for (int i = 0; i < 256; ++i) out[static_cast<std::size_t>(i)] = mod_q(c[static_cast<std::size_t>(i)]);
  return out;
}

TEST(MlKemArith, NttMultiplicationEqualsSchoolbook) {
  // Also sums k = 1..4 products, the shape basemul_acc is used in, at its input bounds.
  for (int trial = 0; trial < 8; ++trial) {
    const int k = 1 + trial % 4;
    const auto bytes = test::test_bytes("ntt-" + std::to_string(trial), 2 * 4 * 256 * 2);
    Poly a[4], b[4], a_ntt[4], b_ntt[4];
    PolyMulCache cache[4];
    std::vector<int> expected(256, 0);
    for (int v = 0; v < k; ++v) {
      for (int i = 0; i < 256; ++i) {
        const std::size_t o = static_cast<std::size_t>((v * 256 + i) * 4);
        // a: canonical [0, q) as decoded keys are; b: |b| < q, as small CBD values are.
        a[v].c[i] = static_cast<std::int16_t>((bytes[o] | bytes[o + 1] << 8) % q);
        b[v].c[i] = static_cast<std::int16_t>(trial < 4 ? (bytes[o + 2] | bytes[o + 3] << 8) % (2 * q - 1) - (q - 1)
                                                        : (bytes[o + 2] % 7) - 3);
      }
      const auto prod = schoolbook(a[v], b[v]);
      for (int i = 0; i < 256; ++i) expected[static_cast<std::size_t>(i)] = mod_q(expected[static_cast<std::size_t>(i)] + prod[static_cast<std::size_t>(i)]);
      // a enters basemul_acc in the NTT domain but canonical, as a decoded t-hat / s-hat does.
      a_ntt[v] = a[v];
      ntt(a_ntt[v]);
      for (auto& x : a_ntt[v].c) x = static_cast<std::int16_t>(mod_q(x));
      b_ntt[v] = b[v];
      ntt(b_ntt[v]);
      mulcache_compute(cache[v], b_ntt[v]);
    }
    Poly r;
    basemul_acc(r, a_ntt, b_ntt, cache, k);
    invntt_tomont(r);
    for (int i = 0; i < 256; ++i) {
      ASSERT_LT(std::abs(r.c[i]), q);
      ASSERT_EQ(mod_q(r.c[i]), expected[static_cast<std::size_t>(i)]) << "trial " << trial << " i " << i;
    }
  }
}

TEST(MlKemArith, CbdMatchesDefinition) {
  for (int eta : {2, 3}) {
    const auto buf = test::test_bytes("cbd", static_cast<std::size_t>(64 * eta));
    Poly r;
    cbd(eta, r, buf.data());
    for (int i = 0; i < 256; ++i) {  // FIPS 203 Algorithm 8, bit by bit
      int x = 0, y = 0;
      for (int j = 0; j < eta; ++j) {
        const int bx = 2 * i * eta + j, by = 2 * i * eta + eta + j;
        x += (buf[static_cast<std::size_t>(bx / 8)] >> (bx % 8)) & 1;
        y += (buf[static_cast<std::size_t>(by / 8)] >> (by % 8)) & 1;
      }
      ASSERT_EQ(r.c[i], x - y) << "eta " << eta << " i " << i;
    }
  }
}

TEST(MlKemArith, RejUniformFollowsAlgorithm7) {
  // 0xFFF (rejected), q (rejected), q - 1 (kept), 0 (kept), then refill across calls.
  const std::uint8_t buf[] = {0xFF, 0x1F, 0xD0, 0x00, 0x0D, 0x00, 0x00, 0x00, 0x00};
  std::int16_t r[4] = {-1, -1, -1, -1};
  // Candidates: (0xFFF, 0xD01 = 3329), (0xD00 = 3328, 0x000), (0x000, 0x000)
  int ctr = rej_uniform(r, 0, 4, buf, 3);
  EXPECT_EQ(ctr, 0);
  ctr = rej_uniform(r, ctr, 4, buf + 3, 3);
  EXPECT_EQ(ctr, 2);
  EXPECT_EQ(r[0], 3328);
  EXPECT_EQ(r[1], 0);
  ctr = rej_uniform(r, ctr, 3, buf + 6, 3);  // stops at len even with a candidate left
  EXPECT_EQ(ctr, 3);
  EXPECT_EQ(r[3], -1);
}

}  // namespace
}  // namespace pqmcp::crypto::mlkem::arith
