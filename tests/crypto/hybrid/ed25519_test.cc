// Ed25519 (crypto/eddsa.h, on libsodium): RFC 8032 vectors, byte-for-byte agreement with an
// independent implementation (OpenSSL's), and refusal of malleable or degenerate signatures.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>

#include "crypto/eddsa.h"
#include "crypto/random.h"
#include "support/vectors.h"

namespace pqmcp::crypto::eddsa {
namespace {

using test::Bytes;
constexpr Curve k25519 = Curve::kEd25519;

struct Rfc8032 {
  const char *sk, *pk, *msg, *sig;
};
// RFC 8032 §7.1, TEST 2 and TEST 3 (TEST 1 is in composite_test.cc).
const Rfc8032 kRfc[] = {
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(Ed25519, Rfc8032Vectors) {
  for (const auto& v : kRfc) {
    const Bytes sk = test::from_hex(v.sk), msg = test::from_hex(v.msg);
    std::vector<std::uint8_t> pk, sig;
    ASSERT_EQ(public_from_private(k25519, sk, pk), Status::kOk);
    EXPECT_EQ(test::to_hex(pk), v.pk);
    ASSERT_EQ(sign(k25519, sk, msg, sig), Status::kOk);
    EXPECT_EQ(test::to_hex(sig), v.sig);
    EXPECT_EQ(verify(k25519, pk, msg, sig), Status::kOk);
  }
}

// OpenSSL as the reference: Ed25519 signing is deterministic, so both must give the same bytes.
Bytes openssl_sign(const Bytes& sk, const Bytes& msg, Bytes* pk) {
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, sk.data(), sk.size());
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  Bytes sig(64);
  std::size_t n = sig.size(), m = 32;
  pk->assign(32, 0);
  EXPECT_EQ(EVP_DigestSignInit(md, nullptr, nullptr, nullptr, key), 1);
  EXPECT_EQ(EVP_DigestSign(md, sig.data(), &n, msg.data(), msg.size()), 1);
  EXPECT_EQ(EVP_PKEY_get_raw_public_key(key, pk->data(), &m), 1);
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  return sig;
}

bool openssl_verify(const Bytes& pk, const Bytes& msg, const Bytes& sig) {
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pk.data(), pk.size());
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const bool ok = EVP_DigestVerifyInit(md, nullptr, nullptr, nullptr, key) == 1 &&
                  EVP_DigestVerify(md, sig.data(), sig.size(), msg.data(), msg.size()) == 1;
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  return ok;
}

TEST(Ed25519, AgreesWithOpenSsl) {
  std::mt19937 rng(20261206);
  for (int i = 0; i < 300; ++i) {
    Bytes sk(32), msg(rng() % 400);
    for (auto& b : sk) b = static_cast<std::uint8_t>(rng());
    for (auto& b : msg) b = static_cast<std::uint8_t>(rng());
    Bytes ref_pk;
    const Bytes ref_sig = openssl_sign(sk, msg, &ref_pk);
    SigningKey key;
    ASSERT_EQ(SigningKey::load(k25519, sk, key), Status::kOk);
    std::vector<std::uint8_t> pk, sig;
    ASSERT_EQ(key.public_key(pk), Status::kOk);
    ASSERT_EQ(key.sign(msg, sig), Status::kOk);
    ASSERT_EQ(pk, ref_pk) << i;
    ASSERT_EQ(sig, ref_sig) << i;
    VerifyingKey vk;
    ASSERT_EQ(VerifyingKey::load(k25519, pk, vk), Status::kOk);
    EXPECT_EQ(vk.verify(msg, ref_sig), Status::kOk);
    // A changed message or signature fails on both sides.
    Bytes bad = ref_sig;
    bad[rng() % 64] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    EXPECT_EQ(vk.verify(msg, bad), Status::kVerifyFailed) << i;
    EXPECT_FALSE(openssl_verify(pk, msg, bad)) << i;
    if (!msg.empty()) {
      Bytes other = msg;
      other[rng() % other.size()] ^= 0x80;
      EXPECT_EQ(vk.verify(other, ref_sig), Status::kVerifyFailed) << i;
    }
  }
}

TEST(Ed25519, KeygenSignsAndVerifies) {
  std::vector<std::uint8_t> pk, pk2, sig;
  SecureBuffer sk;
  ASSERT_EQ(keygen(k25519, pk, sk), Status::kOk);
  ASSERT_EQ(sk.size(), 32u);
  ASSERT_EQ(public_from_private(k25519, std::span(sk.data(), sk.size()), pk2), Status::kOk);
  EXPECT_EQ(pk, pk2);
  const Bytes msg = {1, 2, 3};
  ASSERT_EQ(sign(k25519, std::span(sk.data(), sk.size()), msg, sig), Status::kOk);
  EXPECT_TRUE(openssl_verify(pk, msg, sig));
  SecureBuffer sk2;
  ASSERT_EQ(keygen(k25519, pk2, sk2), Status::kOk);
  EXPECT_NE(pk, pk2);
}

// S + L encodes the same scalar: RFC 8032 §5.1.7 requires S < L, or signatures are malleable.
TEST(Ed25519, RejectsNonCanonicalS) {
  const Bytes sk = test::from_hex(kRfc[0].sk), msg = test::from_hex(kRfc[0].msg);
  std::vector<std::uint8_t> pk, sig;
  ASSERT_EQ(public_from_private(k25519, sk, pk), Status::kOk);
  ASSERT_EQ(sign(k25519, sk, msg, sig), Status::kOk);
  const Bytes order = test::from_hex("edd3f55c1a631258d69cf7a2def9de140000000000000000000000000000001" "0");
  unsigned carry = 0;
  for (int i = 0; i < 32; ++i) {
    const unsigned t = sig[32 + i] + order[i] + carry;
    sig[32 + i] = static_cast<std::uint8_t>(t);
    carry = t >> 8;
  }
  ASSERT_EQ(carry, 0u);
  EXPECT_EQ(verify(k25519, pk, msg, sig), Status::kVerifyFailed);
}

// With the neutral element as public key, R = neutral and S = 0 satisfy [S]B = R + [k]A for
// every message: a "signature" anyone can make. Refused, as is any small-order key or R.
TEST(Ed25519, RejectsSmallOrderKeysAndR) {
  const Bytes neutral = test::from_hex("0100000000000000000000000000000000000000000000000000000000000000");
  Bytes forged = neutral;
  forged.resize(64, 0);
  for (const char* m : {"", "00", "7b226d6574686f64223a22746f6f6c732f63616c6c227d"})
    EXPECT_EQ(verify(k25519, neutral, test::from_hex(m), forged), Status::kBadEncoding) << m;
  VerifyingKey vk;
  EXPECT_EQ(VerifyingKey::load(k25519, neutral, vk), Status::kBadEncoding);
  EXPECT_TRUE(vk.empty());
  // The point of order 2, (0, -1), as key; and a real key with a small-order R.
  const Bytes order2 = test::from_hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  EXPECT_EQ(verify(k25519, order2, {}, forged), Status::kBadEncoding);
  const Bytes sk = test::from_hex(kRfc[1].sk);
  std::vector<std::uint8_t> pk;
  ASSERT_EQ(public_from_private(k25519, sk, pk), Status::kOk);
  EXPECT_EQ(verify(k25519, pk, {}, forged), Status::kVerifyFailed);
}

TEST(Ed25519, RejectsNonCanonicalAndOffCurveKeys) {
  const Bytes sk = test::from_hex(kRfc[1].sk), msg = test::from_hex(kRfc[1].msg);
  std::vector<std::uint8_t> sig;
  ASSERT_EQ(sign(k25519, sk, msg, sig), Status::kOk);
  // y = p (a non-canonical encoding of y = 0), and a y whose x² is not a square.
  for (const char* bad : {"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                          "0200000000000000000000000000000000000000000000000000000000000000"})
    EXPECT_EQ(verify(k25519, test::from_hex(bad), msg, sig), Status::kBadEncoding) << bad;
}

TEST(Ed25519, BadLengthsAndEmptyKeys) {
  std::vector<std::uint8_t> sig, pk;
  EXPECT_EQ(sign(k25519, Bytes(31), {}, sig), Status::kBadLength);
  EXPECT_EQ(verify(k25519, Bytes(32, 9), {}, Bytes(63)), Status::kBadLength);
  EXPECT_EQ(verify(k25519, Bytes(33), {}, Bytes(64)), Status::kBadLength);
  SigningKey empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.sign({}, sig), Status::kBadKey);
  EXPECT_EQ(empty.public_key(pk), Status::kBadKey);
  VerifyingKey none;
  EXPECT_EQ(none.verify({}, Bytes(64)), Status::kBadKey);
}

}  // namespace
}  // namespace pqmcp::crypto::eddsa
