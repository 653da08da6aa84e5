// C2SP Wycheproof ML-KEM files: every verdict must be right. Valid tests reproduce the exact
// outputs; invalid tests must end in an error status with cleared outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include "mlkem_test_util.h"

namespace pqmcp::crypto::mlkem {
namespace {

using namespace testutil;
using test::from_hex;
using test::Json;

Bytes hex_field(const Json& t, const char* k) { return t.contains(k) ? from_hex(t.at(k).get<std::string>()) : Bytes{}; }

struct Tally {
  std::size_t total = 0, valid_ok = 0, invalid_rejected = 0;
  void count(bool valid, bool ok) {
    ++total;
    if (ok) (valid ? valid_ok : invalid_rejected)++;
  }
  std::size_t right() const { return valid_ok + invalid_rejected; }
};

std::filesystem::path file(const std::filesystem::path& dir, int bits, const char* kind) {
  return dir / "wycheproof/testvectors_v1" / ("mlkem_" + std::to_string(bits) + "_" + kind + ".json");
}

constexpr int kBits[] = {512, 768, 1024};

TEST(MlKemWycheproof, KeygenSeed) {
  PQMCP_REQUIRE_VECTORS(dir);
  Tally all;
  for (int bits : kBits) {
    Tally t;
    const std::size_t n = test::for_each_wycheproof_test(file(dir, bits, "keygen_seed_test"), [&](const Json& g, const Json& tc) {
      const ParamSet p = param_from_name(g.at("parameterSet").get<std::string>());
      const Bytes seed = hex_field(tc, "seed");
      const bool valid = tc.at("result") == "valid";
      std::vector<std::uint8_t> ek;
      SecureBuffer dk;
      const bool ok = seed.size() == kSeedBytes && keygen_from_seed(p, fixed<64>(seed), ek, dk) == Status::kOk &&
                      ek == hex_field(tc, "ek") && to_bytes(dk) == hex_field(tc, "dk");
      EXPECT_TRUE(ok == valid) << bits << " tcId " << tc.at("tcId");
      t.count(valid, ok == valid);
    });
    std::printf("[ wycheproof ] mlkem_%d_keygen_seed: %zu/%zu right\n", bits, t.right(), n);
    EXPECT_EQ(n, 100u);
    EXPECT_EQ(t.right(), n);
    all.total += t.total;
    all.valid_ok += t.valid_ok;
  }
  ASSERT_EQ(all.valid_ok, 300u);
}

// Seed -> KeyGen -> Decaps. Invalid cases: a seed of the wrong length (which the API's
// fixed-size seed type refuses: a caller cannot even form the call) or a ciphertext of the wrong
// length (kBadLength from decaps).
TEST(MlKemWycheproof, SeedKeygenThenDecaps) {
  PQMCP_REQUIRE_VECTORS(dir);
  std::size_t total_right = 0;
  for (int bits : kBits) {
    Tally t;
    const std::size_t n = test::for_each_wycheproof_test(file(dir, bits, "test"), [&](const Json& g, const Json& tc) {
      const ParamSet p = param_from_name(g.at("parameterSet").get<std::string>());
      const bool valid = tc.at("result") == "valid";
      const Bytes seed = hex_field(tc, "seed");
      bool ok = false;
      if (seed.size() == kSeedBytes) {
        std::vector<std::uint8_t> ek;
        SecureBuffer dk;
        SharedSecret k;
        std::memset(k.data(), 0xAA, k.size());
        EXPECT_EQ(keygen_from_seed(p, fixed<64>(seed), ek, dk), Status::kOk);
        if (tc.contains("ek") && !tc.at("ek").get<std::string>().empty()) {
          EXPECT_EQ(ek, hex_field(tc, "ek"));
        }
        const Status s = decaps(p, dk, hex_field(tc, "c"), k);
        if (valid) {
          ok = s == Status::kOk && to_bytes(k) == hex_field(tc, "K");
        } else {
          ok = s == Status::kBadLength && all_zero(k);
        }
      } else {
        ok = !valid;  // rejected by the type check of the seed span
      }
      EXPECT_TRUE(ok) << bits << " tcId " << tc.at("tcId") << " " << tc.value("comment", "");
      t.count(valid, ok);
    });
    std::printf("[ wycheproof ] mlkem_%d_test: %zu/%zu right (%zu valid reproduced, %zu invalid rejected)\n", bits,
                t.right(), n, t.valid_ok, t.invalid_rejected);
    EXPECT_EQ(n, 193u);
    EXPECT_EQ(t.valid_ok, 153u);
    EXPECT_EQ(t.invalid_rejected, 40u);
    total_right += t.right();
  }
  ASSERT_EQ(total_right, 3u * 193u);
}

TEST(MlKemWycheproof, Encaps) {
  PQMCP_REQUIRE_VECTORS(dir);
  const std::map<int, std::pair<std::size_t, std::size_t>> expected = {
      {512, {133, 128}}, {768, {133, 132}}, {1024, {133, 136}}};
  std::size_t total_right = 0;
  for (int bits : kBits) {
    Tally t;
    const std::size_t n = test::for_each_wycheproof_test(file(dir, bits, "encaps_test"), [&](const Json& g, const Json& tc) {
      const ParamSet p = param_from_name(g.at("parameterSet").get<std::string>());
      const bool valid = tc.at("result") == "valid";
      const Bytes ek = hex_field(tc, "ek");
      const Bytes m = hex_field(tc, "m");
      std::vector<std::uint8_t> ct{1, 2, 3};
      SharedSecret k;
      std::memset(k.data(), 0xAA, k.size());
      const Status s = encaps_derand(p, ek, fixed<32>(m), ct, k);
      const Status chk = check_encaps_key(p, ek);
      bool ok;
      if (valid) {
        ok = s == Status::kOk && chk == Status::kOk && ct == hex_field(tc, "c") && to_bytes(k) == hex_field(tc, "K");
      } else {
        // Wrong length -> kBadLength; unreduced coefficient (ModulusOverflow) -> kBadEncoding.
        const Status want = ek.size() != sizes(p).encaps_key ? Status::kBadLength : Status::kBadEncoding;
        ok = s == want && chk == want && ct.empty() && all_zero(k);
      }
      EXPECT_TRUE(ok) << bits << " tcId " << tc.at("tcId") << " " << tc.value("comment", "");
      t.count(valid, ok);
    });
    std::printf("[ wycheproof ] mlkem_%d_encaps: %zu/%zu right (%zu valid reproduced, %zu invalid rejected)\n", bits,
                t.right(), n, t.valid_ok, t.invalid_rejected);
    EXPECT_EQ(t.valid_ok, expected.at(bits).first);
    EXPECT_EQ(t.invalid_rejected, expected.at(bits).second);
    EXPECT_EQ(n, expected.at(bits).first + expected.at(bits).second);
    total_right += t.right();
  }
  ASSERT_EQ(total_right, 261u + 265u + 269u);
}

TEST(MlKemWycheproof, SemiExpandedDecaps) {
  PQMCP_REQUIRE_VECTORS(dir);
  std::size_t total_right = 0;
  for (int bits : kBits) {
    Tally t;
    const std::size_t n = test::for_each_wycheproof_test(file(dir, bits, "semi_expanded_decaps_test"), [&](const Json& g, const Json& tc) {
      const ParamSet p = param_from_name(g.at("parameterSet").get<std::string>());
      const bool valid = tc.at("result") == "valid";
      const Bytes dk = hex_field(tc, "dk");
      const Bytes c = hex_field(tc, "c");
      SharedSecret k;
      std::memset(k.data(), 0xAA, k.size());
      const Status s = decaps(p, dk, c, k);
      bool ok;
      if (valid) {
        ok = s == Status::kOk && to_bytes(k) == hex_field(tc, "K") && check_decaps_key(p, dk) == Status::kOk;
      } else {
        ok = s != Status::kOk && all_zero(k);
        const auto& flags = tc.at("flags");
        auto has = [&](const char* f) { return std::find(flags.begin(), flags.end(), f) != flags.end(); };
        if (has("IncorrectCiphertextLength") || has("IncorrectDecapsulationKeyLength")) ok = ok && s == Status::kBadLength;
        if (has("InvalidDecapsulationKey")) ok = ok && s == Status::kBadKey && check_decaps_key(p, dk) != Status::kOk;
        if (has("IncorrectDecapsulationKeyLength")) ok = ok && check_decaps_key(p, dk) == Status::kBadLength;
      }
      EXPECT_TRUE(ok) << bits << " tcId " << tc.at("tcId") << " " << tc.value("comment", "");
      t.count(valid, ok);
    });
    std::printf("[ wycheproof ] mlkem_%d_semi_expanded_decaps: %zu/%zu right (%zu valid, %zu invalid rejected)\n", bits,
                t.right(), n, t.valid_ok, t.invalid_rejected);
    EXPECT_EQ(n, 9u);
    EXPECT_EQ(t.valid_ok, 3u);
    EXPECT_EQ(t.invalid_rejected, 6u);
    total_right += t.right();
  }
  ASSERT_EQ(total_right, 27u);
}

}  // namespace
}  // namespace pqmcp::crypto::mlkem
