// Prepared composite keys (composite::SigningKey / VerifyingKey) and prepared EdDSA keys: the
// draft's vectors through VerifyingKey, byte equality with the one-shot functions, many
// messages per key, concurrent signing, tampered signatures, malformed keys.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "crypto/composite.h"
#include "crypto/eddsa.h"
#include "support/vectors.h"

namespace pqmcp::crypto {
namespace {

using test::Bytes;

constexpr composite::Algorithm kAll[] = {composite::Algorithm::kMlDsa44Ed25519,
                                         composite::Algorithm::kMlDsa65Ed25519,
                                         composite::Algorithm::kMlDsa87Ed448};

Bytes message(int i) { return test::test_bytes("composite-prepared-" + std::to_string(i), static_cast<std::size_t>(i * 53)); }

TEST(CompositePrepared, DraftVectorsVerifyWithVerifyingKey) {
  PQMCP_REQUIRE_VECTORS(dir);
  const auto j = test::load_json(dir / "composite-sigs" / "testvectors.json");
  const Bytes m = test::from_base64(j.at("m").get<std::string>());
  const Bytes ctx = test::from_base64(j.at("ctx").get<std::string>());
  const std::map<std::string, composite::Algorithm> composites = {
      {"id-MLDSA44-Ed25519-SHA512", composite::Algorithm::kMlDsa44Ed25519},
      {"id-MLDSA65-Ed25519-SHA512", composite::Algorithm::kMlDsa65Ed25519},
      {"id-MLDSA87-Ed448-SHAKE256", composite::Algorithm::kMlDsa87Ed448},
  };
  int checked = 0;
  for (const auto& t : j.at("tests")) {
    const auto it = composites.find(t.at("tcId").get<std::string>());
    if (it == composites.end()) continue;
    SCOPED_TRACE(it->first);
    const Bytes pk = test::from_base64(t.at("pk").get<std::string>());
    const Bytes sk = test::from_base64(t.at("sk").get<std::string>());
    const Bytes s = test::from_base64(t.at("s").get<std::string>());
    const Bytes sctx = test::from_base64(t.at("sWithContext").get<std::string>());
    composite::VerifyingKey vk;
    ASSERT_EQ(composite::VerifyingKey::load(it->second, pk, vk), Status::kOk);
    EXPECT_EQ(vk.public_key(), pk);
    EXPECT_EQ(vk.verify(m, {}, s), Status::kOk);
    EXPECT_EQ(vk.verify(m, ctx, sctx), Status::kOk);
    EXPECT_EQ(vk.verify(m, ctx, s), Status::kVerifyFailed);
    composite::SigningKey key;
    ASSERT_EQ(composite::SigningKey::load(it->second, sk, key), Status::kOk);
    EXPECT_EQ(key.public_key(), pk);
    std::vector<std::uint8_t> ours;
    ASSERT_EQ(key.sign(m, ctx, ours), Status::kOk);
    EXPECT_EQ(vk.verify(m, ctx, ours), Status::kOk);
    EXPECT_EQ(composite::verify(it->second, pk, m, ctx, ours), Status::kOk);
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

TEST(CompositePrepared, SameSignaturesAsOneShot) {
  for (auto a : kAll) {
    SCOPED_TRACE(composite::info(a).name);
    std::vector<std::uint8_t> pk;
    SecureBuffer sk;
    ASSERT_EQ(composite::keygen(a, pk, sk), Status::kOk);
    composite::SigningKey key;
    composite::VerifyingKey vk;
    ASSERT_EQ(composite::SigningKey::load(a, sk, key), Status::kOk);
    ASSERT_EQ(composite::VerifyingKey::load(a, pk, vk), Status::kOk);
    EXPECT_EQ(key.public_key(), pk);
    const Bytes ctx = test::test_bytes("composite-ctx", 9);
    for (int i = 0; i < 12; ++i) {
      const Bytes msg = message(i);
      std::vector<std::uint8_t> x, y;
      // Deterministic ML-DSA and EdDSA (deterministic by design): whole signatures equal.
      ASSERT_EQ(key.sign(msg, ctx, x, mldsa::Randomness::kDeterministic), Status::kOk);
      ASSERT_EQ(composite::sign(a, sk, msg, ctx, y, mldsa::Randomness::kDeterministic), Status::kOk);
      EXPECT_EQ(x, y) << "message " << i;
      EXPECT_EQ(vk.verify(msg, ctx, y), Status::kOk);
      ASSERT_EQ(key.sign(msg, ctx, x), Status::kOk);  // hedged
      EXPECT_EQ(composite::verify(a, pk, msg, ctx, x), Status::kOk);
      EXPECT_EQ(vk.verify(msg, ctx, x), Status::kOk);
      EXPECT_EQ(vk.verify(msg, {}, x), Status::kVerifyFailed);
    }
  }
}

TEST(CompositePrepared, TamperedSignaturesAreRejected) {
  for (auto a : kAll) {
    SCOPED_TRACE(composite::info(a).name);
    const auto& in = composite::info(a);
    std::vector<std::uint8_t> pk, sig;
    SecureBuffer sk;
    ASSERT_EQ(composite::keygen(a, pk, sk), Status::kOk);
    composite::VerifyingKey vk;
    ASSERT_EQ(composite::VerifyingKey::load(a, pk, vk), Status::kOk);
    const Bytes msg = message(4);
    ASSERT_EQ(composite::sign(a, sk, msg, {}, sig), Status::kOk);
    ASSERT_EQ(vk.verify(msg, {}, sig), Status::kOk);
    const std::size_t mldsa_len = in.signature - in.trad_signature;
    // A flipped bit in the ML-DSA half, then in the EdDSA half: either must fail alone.
    for (std::size_t pos : {std::size_t{3}, mldsa_len / 2, mldsa_len + 1, in.signature - 1}) {
      std::vector<std::uint8_t> bad = sig;
      bad[pos] ^= 0x10;
      EXPECT_FALSE(is_ok(vk.verify(msg, {}, bad))) << "byte " << pos;
      EXPECT_FALSE(is_ok(composite::verify(a, pk, msg, {}, bad))) << "byte " << pos;
    }
    EXPECT_EQ(vk.verify(msg, {}, std::span(sig).first(sig.size() - 1)), Status::kBadLength);
    EXPECT_EQ(vk.verify(msg, Bytes(256), sig), Status::kBadContext);
  }
}

TEST(CompositePrepared, MalformedKeysAreRefused) {
  for (auto a : kAll) {
    SCOPED_TRACE(composite::info(a).name);
    const auto& in = composite::info(a);
    composite::SigningKey key;
    composite::VerifyingKey vk;
    EXPECT_EQ(composite::SigningKey::load(a, Bytes(in.private_key - 1), key), Status::kBadLength);
    EXPECT_TRUE(key.empty());
    EXPECT_EQ(composite::VerifyingKey::load(a, Bytes(in.public_key + 1), vk), Status::kBadLength);
    EXPECT_TRUE(vk.empty());
    std::vector<std::uint8_t> sig;
    EXPECT_EQ(key.sign(message(1), {}, sig), Status::kBadKey);
    EXPECT_TRUE(sig.empty());
    EXPECT_EQ(vk.verify(message(1), {}, Bytes(in.signature)), Status::kBadKey);
  }
}

TEST(CompositePrepared, ConcurrentSigning) {
  const auto a = composite::Algorithm::kMlDsa65Ed25519;
  std::vector<std::uint8_t> pk;
  SecureBuffer sk;
  ASSERT_EQ(composite::keygen(a, pk, sk), Status::kOk);
  composite::SigningKey key;
  composite::VerifyingKey vk;
  ASSERT_EQ(composite::SigningKey::load(a, sk, key), Status::kOk);
  ASSERT_EQ(composite::VerifyingKey::load(a, pk, vk), Status::kOk);
  constexpr int kPerThread = 16;
  std::vector<std::vector<std::uint8_t>> out[2];
  std::vector<Status> verdicts[2];
  auto work = [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      std::vector<std::uint8_t> sig;
      (void)key.sign(message(i), {}, sig, mldsa::Randomness::kDeterministic);
      verdicts[t].push_back(vk.verify(message(i), {}, sig));
      out[t].push_back(std::move(sig));
    }
  };
  std::thread t0(work, 0), t1(work, 1);
  t0.join();
  t1.join();
  for (int i = 0; i < kPerThread; ++i) {
    const auto n = static_cast<std::size_t>(i);
    EXPECT_EQ(verdicts[0][n], Status::kOk);
    EXPECT_EQ(verdicts[1][n], Status::kOk);
    EXPECT_EQ(out[0][n], out[1][n]);
  }
}

TEST(EddsaPrepared, SameAsRawKeyFunctions) {
  for (auto c : {eddsa::Curve::kEd25519, eddsa::Curve::kEd448}) {
    std::vector<std::uint8_t> pk, pk2, a, b;
    SecureBuffer sk;
    ASSERT_EQ(eddsa::keygen(c, pk, sk), Status::kOk);
    eddsa::SigningKey key;
    eddsa::VerifyingKey vk;
    ASSERT_EQ(eddsa::SigningKey::load(c, sk, key), Status::kOk);
    ASSERT_EQ(eddsa::VerifyingKey::load(c, pk, vk), Status::kOk);
    ASSERT_EQ(key.public_key(pk2), Status::kOk);
    EXPECT_EQ(pk2, pk);
    for (int i = 0; i < 8; ++i) {
      const Bytes msg = message(i);
      ASSERT_EQ(key.sign(msg, a), Status::kOk);
      ASSERT_EQ(eddsa::sign(c, sk, msg, b), Status::kOk);
      EXPECT_EQ(a, b);  // EdDSA is deterministic (RFC 8032)
      EXPECT_EQ(vk.verify(msg, a), Status::kOk);
      a[0] ^= 1;
      EXPECT_EQ(vk.verify(msg, a), Status::kVerifyFailed);
    }
    EXPECT_EQ(eddsa::SigningKey::load(c, std::span(sk.data(), sk.size() - 1), key), Status::kBadLength);
    EXPECT_TRUE(key.empty());
    EXPECT_EQ(key.sign(message(1), a), Status::kBadKey);
    EXPECT_EQ(eddsa::VerifyingKey::load(c, Bytes(pk.size() + 1), vk), Status::kBadLength);
  }
}

}  // namespace
}  // namespace pqmcp::crypto
