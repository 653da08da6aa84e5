// NIST ACVP (ACVP-Server v1.1.0.35, FIPS 203 final): ML-KEM keyGen and encapDecap.
#include <gtest/gtest.h>

#include <cstdio>

#include "mlkem_test_util.h"

namespace pqmcp::crypto::mlkem {
namespace {

using namespace testutil;
using test::from_hex;
using test::Json;

TEST(MlKemAcvp, KeyGen) {
  PQMCP_REQUIRE_VECTORS(dir);
  std::size_t passed = 0;
  const std::size_t n = test::for_each_acvp_case(dir / "acvp/ML-KEM-keyGen-FIPS203", [&](const Json& g, const Json& tc) {
    const ParamSet p = param_from_name(g.at("parameterSet").get<std::string>());
    Bytes seed = from_hex(tc.at("d").get<std::string>());  // Algorithm 16 takes d, z
    const Bytes z = from_hex(tc.at("z").get<std::string>());
    seed.insert(seed.end(), z.begin(), z.end());
    std::vector<std::uint8_t> ek;
    SecureBuffer dk;
    ASSERT_EQ(keygen_from_seed(p, fixed<64>(seed), ek, dk), Status::kOk);
    EXPECT_EQ(ek, from_hex(tc.at("ek").get<std::string>())) << "tcId " << tc.at("tcId");
    EXPECT_EQ(to_bytes(dk), from_hex(tc.at("dk").get<std::string>())) << "tcId " << tc.at("tcId");
    EXPECT_EQ(check_seed_matches(p, fixed<64>(seed), dk), Status::kOk);
    if (!::testing::Test::HasFailure()) ++passed;
  });
  std::printf("[ acvp ] ML-KEM keyGen: %zu/%zu passed\n", passed, n);
  RecordProperty("keygen_passed", static_cast<int>(passed));
  ASSERT_EQ(n, 75u);
  ASSERT_EQ(passed, 75u);
}

TEST(MlKemAcvp, EncapDecap) {
  PQMCP_REQUIRE_VECTORS(dir);
  std::size_t enc = 0, dec = 0, ek_check = 0, dk_check = 0;
  const std::size_t n = test::for_each_acvp_case(dir / "acvp/ML-KEM-encapDecap-FIPS203", [&](const Json& g, const Json& tc) {
    const ParamSet p = param_from_name(g.at("parameterSet").get<std::string>());
    const std::string fn = g.at("function").get<std::string>();
    const auto id = tc.at("tcId").get<int>();
    // Key material sits in the test case in newer revisions and in the group in v1.1.0.35.
    auto field = [&](const char* k) { return from_hex((tc.contains(k) ? tc : g).at(k).get<std::string>()); };
    if (fn == "encapsulation") {
      std::vector<std::uint8_t> ct;
      SharedSecret k;
      ASSERT_EQ(encaps_derand(p, field("ek"), fixed<32>(field("m")), ct, k), Status::kOk) << id;
      EXPECT_EQ(ct, field("c")) << id;
      EXPECT_EQ(to_bytes(k), field("k")) << id;
      if (!::testing::Test::HasFailure()) ++enc;
    } else if (fn == "decapsulation") {
      // Includes the "modify ciphertext" cases, whose expected k is the implicit-rejection key.
      const Bytes dk = field("dk");
      ASSERT_EQ(check_decaps_key(p, dk), Status::kOk) << id;
      SharedSecret k;
      ASSERT_EQ(decaps(p, dk, field("c"), k), Status::kOk) << id;
      EXPECT_EQ(to_bytes(k), field("k")) << id;
      if (!::testing::Test::HasFailure()) ++dec;
    } else if (fn == "encapsulationKeyCheck") {
      const bool expect = tc.at("testPassed").get<bool>();
      EXPECT_EQ(check_encaps_key(p, field("ek")) == Status::kOk, expect) << id;
      if (!::testing::Test::HasFailure()) ++ek_check;
    } else if (fn == "decapsulationKeyCheck") {
      const bool expect = tc.at("testPassed").get<bool>();
      EXPECT_EQ(check_decaps_key(p, field("dk")) == Status::kOk, expect) << id;
      if (!::testing::Test::HasFailure()) ++dk_check;
    } else {
      ADD_FAILURE() << "unknown ACVP function " << fn;
    }
  });
  std::printf("[ acvp ] ML-KEM encapDecap: %zu cases; encapsulation %zu, decapsulation %zu, ek check %zu, dk check %zu passed\n",
              n, enc, dec, ek_check, dk_check);
  RecordProperty("encapdecap_passed", static_cast<int>(enc + dec + ek_check + dk_check));
  // v1.1.0.35: 3 x 25 encapsulation + 3 x 10 decapsulation (15 of them implicit rejection).
  ASSERT_EQ(n, 105u);
  ASSERT_EQ(enc, 75u);
  ASSERT_EQ(dec, 30u);
  ASSERT_EQ(enc + dec + ek_check + dk_check, n);
}

}  // namespace
}  // namespace pqmcp::crypto::mlkem
