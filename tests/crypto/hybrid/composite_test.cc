// Composite ML-DSA + EdDSA: round trips, encodings, and rejection of every kind of bad input.
#include <gtest/gtest.h>

#include "crypto/composite.h"
#include "crypto/eddsa.h"
#include "support/vectors.h"

namespace pqmcp::crypto::composite {
namespace {

using test::Bytes;

const Algorithm kAll[] = {Algorithm::kMlDsa44Ed25519, Algorithm::kMlDsa65Ed25519,
                          Algorithm::kMlDsa87Ed448};

TEST(EdDsa, Rfc8032Ed25519Test1) {
  // RFC 8032 §7.1, TEST 1 (empty message).
  const Bytes sk = test::from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  std::vector<std::uint8_t> pk, sig;
  ASSERT_EQ(eddsa::public_from_private(eddsa::Curve::kEd25519, sk, pk), Status::kOk);
  EXPECT_EQ(test::to_hex(pk), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  ASSERT_EQ(eddsa::sign(eddsa::Curve::kEd25519, sk, {}, sig), Status::kOk);
  EXPECT_EQ(test::to_hex(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_EQ(eddsa::verify(eddsa::Curve::kEd25519, pk, {}, sig), Status::kOk);
  sig[0] ^= 1;
  EXPECT_EQ(eddsa::verify(eddsa::Curve::kEd25519, pk, {}, sig), Status::kVerifyFailed);
}

TEST(Composite, SizesMatchTheDraft) {
  EXPECT_EQ(info(Algorithm::kMlDsa65Ed25519).public_key, 1984u);
  EXPECT_EQ(info(Algorithm::kMlDsa65Ed25519).private_key, 64u);
  EXPECT_EQ(info(Algorithm::kMlDsa65Ed25519).signature, 3373u);
  EXPECT_EQ(info(Algorithm::kMlDsa44Ed25519).signature, 2484u);
  EXPECT_EQ(info(Algorithm::kMlDsa87Ed448).public_key, 2649u);
  EXPECT_EQ(info(Algorithm::kMlDsa87Ed448).private_key, 89u);
  EXPECT_EQ(info(Algorithm::kMlDsa87Ed448).signature, 4741u);
}

TEST(Composite, MessageRepresentativeLayout) {
  const Bytes msg = {'a', 'b', 'c'};
  const Bytes ctx = {1, 2};
  std::vector<std::uint8_t> mp;
  ASSERT_EQ(message_representative(Algorithm::kMlDsa65Ed25519, msg, ctx, mp), Status::kOk);
  const std::string prefix = "CompositeAlgorithmSignatures2025";
  const std::string label = "COMPSIG-MLDSA65-Ed25519-SHA512";
  ASSERT_EQ(mp.size(), prefix.size() + label.size() + 1 + ctx.size() + 64);
  EXPECT_EQ(std::string(mp.begin(), mp.begin() + 32), prefix);
  EXPECT_EQ(std::string(mp.begin() + 32, mp.begin() + 32 + 30), label);
  EXPECT_EQ(mp[62], 2);
  // SHA-512("abc"), FIPS 180-2 example.
  EXPECT_EQ(test::to_hex(std::span(mp).subspan(65)),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(message_representative(Algorithm::kMlDsa65Ed25519, msg, Bytes(256, 0), mp),
            Status::kBadContext);
  EXPECT_TRUE(mp.empty());
}

TEST(Composite, RoundTripAndTampering) {
  for (Algorithm a : kAll) {
    SCOPED_TRACE(std::string(info(a).name));
    std::vector<std::uint8_t> pk, pk2, sig;
    SecureBuffer sk;
    ASSERT_EQ(keygen(a, pk, sk), Status::kOk);
    ASSERT_EQ(pk.size(), info(a).public_key);
    ASSERT_EQ(sk.size(), info(a).private_key);
    ASSERT_EQ(public_from_private(a, sk, pk2), Status::kOk);
    EXPECT_EQ(pk, pk2);
    const Bytes msg = test::test_bytes("composite message", 1000);
    const Bytes ctx = {'p', 'q'};
    ASSERT_EQ(sign(a, sk, msg, ctx, sig), Status::kOk);
    ASSERT_EQ(sig.size(), info(a).signature);
    EXPECT_EQ(verify(a, pk, msg, ctx, sig), Status::kOk);
    EXPECT_EQ(verify(a, pk, msg, {}, sig), Status::kVerifyFailed);
    Bytes other = msg;
    other[5] ^= 0x20;
    EXPECT_EQ(verify(a, pk, other, ctx, sig), Status::kVerifyFailed);
    // A forgery must break both halves: corrupting either one alone fails verification.
    const std::size_t mldsa_len = info(a).signature - info(a).trad_signature;
    for (std::size_t pos : {std::size_t{0}, mldsa_len - 1, mldsa_len, sig.size() - 1}) {
      auto bad = sig;
      bad[pos] ^= 0x01;
      EXPECT_NE(verify(a, pk, msg, ctx, bad), Status::kOk) << pos;
    }
    // Signatures from one algorithm never verify as another's (labels differ).
    std::vector<std::uint8_t> det1, det2;
    ASSERT_EQ(sign(a, sk, msg, ctx, det1, mldsa::Randomness::kDeterministic), Status::kOk);
    ASSERT_EQ(sign(a, sk, msg, ctx, det2, mldsa::Randomness::kDeterministic), Status::kOk);
    EXPECT_EQ(det1, det2);
    std::vector<std::uint8_t> hedged2;
    ASSERT_EQ(sign(a, sk, msg, ctx, hedged2), Status::kOk);
    EXPECT_NE(sig, hedged2);
  }
}

TEST(Composite, BadInputIsRejected) {
  const Algorithm a = Algorithm::kMlDsa65Ed25519;
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  ASSERT_EQ(keygen(a, pk, sk), Status::kOk);
  const Bytes msg = {1, 2, 3};
  ASSERT_EQ(sign(a, sk, msg, {}, sig), Status::kOk);
  EXPECT_EQ(verify(a, Bytes(pk.begin(), pk.end() - 1), msg, {}, sig), Status::kBadLength);
  EXPECT_EQ(verify(a, pk, msg, {}, Bytes(sig.begin(), sig.end() - 1)), Status::kBadLength);
  EXPECT_EQ(verify(a, {}, msg, {}, {}), Status::kBadLength);
  EXPECT_EQ(verify(a, pk, msg, Bytes(256, 1), sig), Status::kBadContext);
  std::vector<std::uint8_t> out = {9};
  EXPECT_EQ(sign(a, Bytes(63, 0), msg, {}, out), Status::kBadLength);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(sign(a, sk, msg, Bytes(256, 0), out), Status::kBadContext);
  EXPECT_TRUE(out.empty());
  // A key of another algorithm has the wrong length.
  EXPECT_EQ(verify(Algorithm::kMlDsa44Ed25519, pk, msg, {}, sig), Status::kBadLength);
  // Random bytes of the right sizes: never accepted, never a crash.
  for (int i = 0; i < 20; ++i) {
    const Bytes rpk = test::test_bytes("rpk" + std::to_string(i), pk.size());
    const Bytes rsig = test::test_bytes("rsig" + std::to_string(i), sig.size());
    EXPECT_NE(verify(a, rpk, msg, {}, rsig), Status::kOk);
    EXPECT_NE(verify(a, pk, msg, {}, rsig), Status::kOk);
  }
}

}  // namespace
}  // namespace pqmcp::crypto::composite
