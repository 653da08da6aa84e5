// Ed25519 signing (SigningKey, on crypto/hybrid/ed25519_sign): RFC 8032 is deterministic, so
// every signature must equal libsodium 1.0.18's crypto_sign_ed25519_detached byte for byte —
// the RFC's own vectors, 20,000 random keys and messages, long messages, concurrent use. Built
// into ed25519_fixed_test, so ctest runs it on the IFMA path and again on the portable one
// (ed25519_fixed_test_scalar).
#include <gtest/gtest.h>
#include <sodium.h>

#include <random>
#include <thread>

#include "crypto/eddsa.h"
#include "support/vectors.h"

namespace pqmcp::crypto::eddsa {
namespace {

using test::Bytes;
const bool kSodiumReady = sodium_init() >= 0;

Bytes our_sign(const Bytes& seed, const Bytes& msg) {
  SigningKey k;
  EXPECT_EQ(SigningKey::load(Curve::kEd25519, seed, k), Status::kOk);
  std::vector<std::uint8_t> sig;
  EXPECT_EQ(k.sign(msg, sig), Status::kOk);
  return Bytes(sig.begin(), sig.end());
}

Bytes sodium_sign(const Bytes& seed, const Bytes& msg) {
  std::uint8_t pk[32], sk[64];
  EXPECT_EQ(crypto_sign_ed25519_seed_keypair(pk, sk, seed.data()), 0);
  Bytes sig(64);
  EXPECT_EQ(crypto_sign_ed25519_detached(sig.data(), nullptr, msg.data(), msg.size(), sk), 0);
  return sig;
}

TEST(Ed25519Sign, Rfc8032Vectors) {
  ASSERT_TRUE(kSodiumReady);
  struct V {
    const char *sk, *msg, *sig;
  };
  // RFC 8032 §7.1 TEST 1, 2 and 3.
  const V vs[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  for (const auto& v : vs) EXPECT_EQ(test::to_hex(our_sign(test::from_hex(v.sk), test::from_hex(v.msg))), v.sig);
}

// 20,000 random keys, messages of 0..300 bytes: the nonces' digits take every value at every
// position of the comb many times over, including 0 (the identity entry) and the extremes.
TEST(Ed25519Sign, ByteIdenticalToLibsodium) {
  std::mt19937_64 g(0xed25519'5167);
  auto bytes = [&](std::size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(g());
    return b;
  };
  int differ = 0;
  for (int i = 0; i < 20000; ++i) {
    const Bytes seed = bytes(32), msg = bytes(static_cast<std::size_t>(i % 301));
    if (our_sign(seed, msg) != sodium_sign(seed, msg) && ++differ <= 3) ADD_FAILURE() << "differs at " << i;
  }
  EXPECT_EQ(differ, 0);
  // Long messages (several SHA-512 blocks, unaligned lengths) and the all-zero and all-0xff seeds.
  for (std::size_t n : {1023u, 4096u, 65537u}) {
    const Bytes msg = bytes(n);
    for (const Bytes& seed : {bytes(32), Bytes(32, 0), Bytes(32, 0xff)})
      EXPECT_EQ(our_sign(seed, msg), sodium_sign(seed, msg)) << n;
  }
}

// One key signing on four threads at once: each thread's signatures are the expected ones.
TEST(Ed25519Sign, ConcurrentUse) {
  const Bytes seed = test::from_hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  SigningKey k;
  ASSERT_EQ(SigningKey::load(Curve::kEd25519, seed, k), Status::kOk);
  std::vector<std::thread> ts;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const Bytes msg{static_cast<std::uint8_t>(t), static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)};
        std::vector<std::uint8_t> sig;
        if (k.sign(msg, sig) != Status::kOk || Bytes(sig.begin(), sig.end()) != sodium_sign(seed, msg)) ++bad[t];
      }
    });
  for (auto& t : ts) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(bad[t], 0) << t;
}

}  // namespace
}  // namespace pqmcp::crypto::eddsa
