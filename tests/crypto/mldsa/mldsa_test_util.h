// Small helpers shared by the ML-DSA tests.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/mldsa.h"
#include "crypto/random_testing.h"
#include "support/vectors.h"

namespace pqmcp::crypto::mldsa::testutil {

using test::Bytes;

inline constexpr ParamSet kAllSets[] = {ParamSet::kMlDsa44, ParamSet::kMlDsa65, ParamSet::kMlDsa87};

inline std::optional<ParamSet> param_set_from_name(std::string_view n) {
  if (n == "ML-DSA-44") return ParamSet::kMlDsa44;
  if (n == "ML-DSA-65") return ParamSet::kMlDsa65;
  if (n == "ML-DSA-87") return ParamSet::kMlDsa87;
  return std::nullopt;
}

// ACVP hashAlg names (liboqs / ACVP spec spelling) to PreHash.
inline std::optional<PreHash> prehash_from_name(std::string_view n) {
  static const std::pair<std::string_view, PreHash> kMap[] = {
      {"SHA2-224", PreHash::kSha224},       {"SHA2-256", PreHash::kSha256},
      {"SHA2-384", PreHash::kSha384},       {"SHA2-512", PreHash::kSha512},
      {"SHA2-512/224", PreHash::kSha512_224}, {"SHA2-512/256", PreHash::kSha512_256},
      {"SHA3-224", PreHash::kSha3_224},     {"SHA3-256", PreHash::kSha3_256},
      {"SHA3-384", PreHash::kSha3_384},     {"SHA3-512", PreHash::kSha3_512},
      {"SHAKE-128", PreHash::kShake128},    {"SHAKE-256", PreHash::kShake256},
  };
  for (const auto& [k, v] : kMap)
    if (k == n) return v;
  return std::nullopt;
}

inline Bytes sha256(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {}) {
  Bytes out(32);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, b.data(), b.size());
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &n);
  EVP_MD_CTX_free(ctx);
  return out;
}

// Feeds exactly the given bytes to the next random_bytes() calls of this thread, so the
// randomized APIs can be driven with a known rnd or ξ.
class FixedRandom {
 public:
  explicit FixedRandom(Bytes bytes)
      : bytes_(std::move(bytes)), guard_([this](std::span<std::uint8_t> out) {
          for (auto& b : out) b = pos_ < bytes_.size() ? bytes_[pos_] : 0, ++pos_;
        }) {}
  // Bytes requested so far (may exceed the supply; extra bytes were zero).
  std::size_t consumed() const { return pos_; }

 private:
  Bytes bytes_;
  std::size_t pos_ = 0;
  testing::ScopedRandomSource guard_;
};

inline Bytes hex(const test::Json& j, const char* key) {
  return j.contains(key) && !j.at(key).is_null() ? test::from_hex(j.at(key).get<std::string>()) : Bytes{};
}

}  // namespace pqmcp::crypto::mldsa::testutil
