// The IETF LAMPS composite-signature draft's own vectors (../shared/vectors/composite-sigs):
// every ML-DSA + EdDSA composite and every pure ML-DSA entry verifies, private keys derive the
// published public keys, and our signatures over the draft's message verify.
#include <gtest/gtest.h>

#include <map>

#include "crypto/composite.h"
#include "crypto/mldsa.h"
#include "support/vectors.h"

namespace pqmcp::crypto {
namespace {

using test::Bytes;

TEST(CompositeVectors, DraftVectorsVerify) {
  PQMCP_REQUIRE_VECTORS(dir);
  const auto j = test::load_json(dir / "composite-sigs" / "testvectors.json");
  const Bytes m = test::from_base64(j.at("m").get<std::string>());
  const Bytes ctx = test::from_base64(j.at("ctx").get<std::string>());
  const std::map<std::string, composite::Algorithm> composites = {
      {"id-MLDSA44-Ed25519-SHA512", composite::Algorithm::kMlDsa44Ed25519},
      {"id-MLDSA65-Ed25519-SHA512", composite::Algorithm::kMlDsa65Ed25519},
      {"id-MLDSA87-Ed448-SHAKE256", composite::Algorithm::kMlDsa87Ed448},
  };
  const std::map<std::string, mldsa::ParamSet> pure = {
      {"id-ML-DSA-44", mldsa::ParamSet::kMlDsa44},
      {"id-ML-DSA-65", mldsa::ParamSet::kMlDsa65},
      {"id-ML-DSA-87", mldsa::ParamSet::kMlDsa87},
  };
  int composite_checked = 0, pure_checked = 0;
  for (const auto& t : j.at("tests")) {
    const std::string id = t.at("tcId").get<std::string>();
    const Bytes pk = test::from_base64(t.at("pk").get<std::string>());
    const Bytes sk = test::from_base64(t.at("sk").get<std::string>());
    const Bytes s = test::from_base64(t.at("s").get<std::string>());
    const Bytes sctx = test::from_base64(t.at("sWithContext").get<std::string>());
    if (auto it = composites.find(id); it != composites.end()) {
      SCOPED_TRACE(id);
      const auto a = it->second;
      EXPECT_EQ(composite::verify(a, pk, m, {}, s), Status::kOk);
      EXPECT_EQ(composite::verify(a, pk, m, ctx, sctx), Status::kOk);
      EXPECT_EQ(composite::verify(a, pk, m, ctx, s), Status::kVerifyFailed);
      std::vector<std::uint8_t> derived, ours;
      ASSERT_EQ(composite::public_from_private(a, sk, derived), Status::kOk);
      EXPECT_EQ(derived, pk);
      ASSERT_EQ(composite::sign(a, sk, m, ctx, ours), Status::kOk);
      EXPECT_EQ(composite::verify(a, pk, m, ctx, ours), Status::kOk);
      ++composite_checked;
    } else if (auto pit = pure.find(id); pit != pure.end()) {
      SCOPED_TRACE(id);
      // Pure ML-DSA entries: sk is the 32-byte seed ξ.
      std::vector<std::uint8_t> derived;
      SecureBuffer expanded;
      ASSERT_EQ(sk.size(), mldsa::kSeedBytes);
      ASSERT_EQ(mldsa::keygen_from_seed(pit->second, std::span<const std::uint8_t, 32>(sk.data(), 32),
                                        derived, expanded),
                Status::kOk);
      EXPECT_EQ(derived, pk);
      EXPECT_EQ(mldsa::verify(pit->second, pk, m, {}, s), Status::kOk);
      EXPECT_EQ(mldsa::verify(pit->second, pk, m, ctx, sctx), Status::kOk);
      ++pure_checked;
    }
  }
  std::printf("composite-sigs: %d composite and %d pure ML-DSA entries verified\n",
              composite_checked, pure_checked);
  EXPECT_EQ(composite_checked, 3);
  EXPECT_EQ(pure_checked, 3);
}

}  // namespace
}  // namespace pqmcp::crypto
