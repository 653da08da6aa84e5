// Helpers for tests that read vector files: hex, locating ../shared/vectors, JSON loading and
// iteration over the ACVP and Wycheproof formats.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace pqmcp::test {

using Bytes = std::vector<std::uint8_t>;
using Json = nlohmann::json;

Bytes from_hex(std::string_view hex);  // accepts upper and lower case; throws on bad input
std::string to_hex(std::span<const std::uint8_t> bytes);
Bytes from_base64(std::string_view b64);

// The official vectors folder, or nullopt when it is absent. Tests call require_vectors():
// without the folder they skip, except under CI=true where a missing folder is a failure.
std::optional<std::filesystem::path> vectors_dir();

// Reads a whole file (gzip-compressed files, *.gz, are inflated).
std::string read_file(const std::filesystem::path& p);
Json load_json(const std::filesystem::path& p);

// Joins ACVP prompt.json and expectedResults.json of one folder by (tgId, tcId), calling fn
// with the group (from prompt) and the test case merged with its expected outputs.
// Returns the number of cases visited.
std::size_t for_each_acvp_case(const std::filesystem::path& folder,
                               const std::function<void(const Json& group, const Json& tc)>& fn);

// Visits every test of a Wycheproof file: fn(group, test). Returns the count.
std::size_t for_each_wycheproof_test(const std::filesystem::path& file,
                                     const std::function<void(const Json& group, const Json& t)>& fn);

// A deterministic byte stream for tests: SHAKE128 of the label.
Bytes test_bytes(std::string_view label, std::size_t n);

}  // namespace pqmcp::test

// Inside a TEST: binds `dir` to the vectors folder, or skips/fails as described above.
#define PQMCP_REQUIRE_VECTORS(dir)                                                    \
  auto dir##_opt = ::pqmcp::test::vectors_dir();                                      \
  if (!dir##_opt) {                                                                   \
    if (::pqmcp::test::ci_mode()) FAIL() << "official vectors missing and CI=true";  \
    GTEST_SKIP() << "official vectors folder not found (../shared/vectors)";          \
  }                                                                                   \
  const std::filesystem::path dir = *dir##_opt

namespace pqmcp::test {
bool ci_mode();
}
