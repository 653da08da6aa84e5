// FIPS 202 functions against OpenSSL's SHA-3 on every input length 0..1000 and a few large
// inputs, and the incremental absorb/squeeze API against the one-shot stream.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "crypto/sha3.h"
#include "support/vectors.h"

namespace pqmcp::crypto {
namespace {

using test::Bytes;

Bytes openssl_digest(const EVP_MD* md, const Bytes& in, std::size_t out_len) {
  Bytes out(out_len);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EXPECT_EQ(EVP_DigestInit_ex(ctx, md, nullptr), 1);
  EXPECT_EQ(EVP_DigestUpdate(ctx, in.data(), in.size()), 1);
  if (EVP_MD_flags(md) & EVP_MD_FLAG_XOF) {
    EXPECT_EQ(EVP_DigestFinalXOF(ctx, out.data(), out.size()), 1);
  } else {
    unsigned int n = 0;
    EXPECT_EQ(EVP_DigestFinal_ex(ctx, out.data(), &n), 1);
    EXPECT_EQ(n, out_len);
  }
  EVP_MD_CTX_free(ctx);
  return out;
}

std::vector<std::size_t> lengths() {
  std::vector<std::size_t> v;
  for (std::size_t i = 0; i <= 1000; ++i) v.push_back(i);
  for (std::size_t n : {4095u, 65536u, 1000003u}) v.push_back(n);
  return v;
}

TEST(Keccak, Sha3AndShakeMatchOpenSsl) {
  const Bytes data = test::test_bytes("keccak-inputs", 1000003);
  for (std::size_t len : lengths()) {
    const Bytes in(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(len));
    std::array<std::uint8_t, 32> h256;
    sha3_256(in, h256);
    ASSERT_EQ(Bytes(h256.begin(), h256.end()), openssl_digest(EVP_sha3_256(), in, 32)) << len;
    std::array<std::uint8_t, 28> h224;
    sha3_224(in, h224);
    ASSERT_EQ(Bytes(h224.begin(), h224.end()), openssl_digest(EVP_sha3_224(), in, 28)) << len;
    std::array<std::uint8_t, 48> h384;
    sha3_384(in, h384);
    ASSERT_EQ(Bytes(h384.begin(), h384.end()), openssl_digest(EVP_sha3_384(), in, 48)) << len;
    std::array<std::uint8_t, 64> h512;
    sha3_512(in, h512);
    ASSERT_EQ(Bytes(h512.begin(), h512.end()), openssl_digest(EVP_sha3_512(), in, 64)) << len;
    // XOF output lengths vary with the input length so that squeezing crosses block edges.
    const std::size_t out_len = 1 + (len * 7) % 700;
    Bytes s128(out_len), s256(out_len);
    shake128(in, s128);
    shake256(in, s256);
    ASSERT_EQ(s128, openssl_digest(EVP_shake128(), in, out_len)) << len;
    ASSERT_EQ(s256, openssl_digest(EVP_shake256(), in, out_len)) << len;
  }
}

TEST(Keccak, IncrementalAbsorbAndSqueezeEqualOneShot) {
  const Bytes in = test::test_bytes("incremental", 3000);
  Bytes expected(2000);
  shake128(in, expected);
  // Split absorption and squeezing at many different points.
  for (std::size_t step : {1u, 7u, 167u, 168u, 169u, 500u}) {
    Shake128 x;
    for (std::size_t off = 0; off < in.size(); off += step)
      x.absorb(std::span(in).subspan(off, std::min(step, in.size() - off)));
    Bytes out(expected.size());
    for (std::size_t off = 0; off < out.size(); off += step)
      x.squeeze(std::span(out).subspan(off, std::min(step, out.size() - off)));
    EXPECT_EQ(out, expected) << "step " << step;
  }
}

TEST(Keccak, EmptyInputKnownAnswers) {
  // FIPS 202 example values (NIST CSRC "SHA3-256 / SHAKE128 of the empty message").
  std::array<std::uint8_t, 32> h;
  sha3_256({}, h);
  EXPECT_EQ(test::to_hex(h), "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
  Bytes s(16);
  shake128({}, s);
  EXPECT_EQ(test::to_hex(s), "7f9c2ba4e88f827d616045507605853e");
}

}  // namespace
}  // namespace pqmcp::crypto
