// json::parse against the oracle (the nlohmann-based parser it replaced) on seeded random input:
// valid documents must give identical DOMs, and mutated ones the same verdict and ErrorCode.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "json/json.h"
#include "parse_support.h"

namespace pqmcp::json::test {
namespace {

// Collects disagreements without a gtest assertion per case (there are hundreds of thousands).
struct Tally {
  std::size_t cases = 0, accepted = 0;
  std::size_t by_code[8] = {};  // refusals by ErrorCode, when both agree
  std::vector<std::string> problems;
  void check(std::string_view text, const Limits& limits = {}) {
    ++cases;
    std::string d = disagreement(text, limits);
    if (!d.empty() && problems.size() < 10) problems.push_back(std::move(d));
    if (!d.empty()) return;
    const auto r = parse(text, limits);
    if (r.ok()) ++accepted;
    else ++by_code[static_cast<int>(r.error().code)];
  }
  std::string report() const {
    std::string s;
    for (const auto& p : problems) s += p + "\n";
    return s;
  }
};

TEST(JsonParseDiff, RandomValidDocumentsGiveTheSameDom) {
  DocGenerator gen(0x5eed'0001);
  Tally t;
  for (int i = 0; i < 20000; ++i) t.check(gen.document(1 + i % 6));
  EXPECT_TRUE(t.problems.empty()) << t.report();
  // The generator only rarely produces duplicates or out-of-range numbers on purpose.
  EXPECT_GT(t.accepted, t.cases * 8 / 10);
  std::printf("%zu random documents, %zu accepted by both with identical DOMs\n", t.cases, t.accepted);
}

TEST(JsonParseDiff, RandomNumbersAndStringsGiveTheSameValue) {
  // Scalars on their own, many more of them than the documents hold: bit-identical doubles
  // (from_chars vs nlohmann's strtod), integer types at the 64-bit limits, decoded strings.
  DocGenerator gen(0x5eed'0003);
  Tally t;
  for (int i = 0; i < 100000; ++i) t.check(gen.number_literal());
  for (int i = 0; i < 20000; ++i) t.check(gen.string_literal());
  EXPECT_TRUE(t.problems.empty()) << t.report();
  EXPECT_GT(t.accepted, t.cases * 9 / 10);
}

TEST(JsonParseDiff, MutatedDocumentsGetTheSameVerdict) {
  const auto t0 = std::chrono::steady_clock::now();
  DocGenerator gen(0x5eed'0002);
  auto& rng = gen.rng();
  // Bytes that matter to some production, plus anything at random.
  static const unsigned char kInteresting[] = {'"', '\\', '{', '}', '[', ']', ',', ':', '0', '1', '9', '-', '+',
                                               '.', 'e', 'E', 'u', 'n', 't', 'f', ' ', '\t', '\n', '\r', 0x00,
                                               0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xe0, 0xed, 0xef, 0xf0, 0xf4,
                                               0xf5, 0xff, 'D', '8', 'C', 'a'};
  auto byte = [&]() -> char {
    return static_cast<char>(rng() % 2 ? kInteresting[rng() % std::size(kInteresting)] : rng() % 256);
  };
  Tally t;
  const std::string mcp = signed_mcp_request();
  for (int i = 0; i < 200'000; ++i) {
    std::string doc = i % 5000 == 0 ? mcp : gen.document(1 + i % 4);
    for (int m = 1 + static_cast<int>(rng() % 3); m > 0 && !doc.empty(); --m) {
      const std::size_t at = rng() % doc.size();
      switch (rng() % 4) {
        case 0: doc[at] = byte(); break;
        case 1: doc.insert(doc.begin() + static_cast<std::ptrdiff_t>(at), byte()); break;
        case 2: doc.erase(at, 1 + rng() % 3); break;
        default: doc.resize(at); break;
      }
    }
    Limits limits;
    if (i % 7 == 0) limits.max_depth = rng() % 4;
    t.check(doc, limits);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(t.problems.empty()) << t.report();
  EXPECT_GT(t.accepted, t.cases / 20);  // the mutations leave a fair share valid
  EXPECT_LT(t.accepted, t.cases * 3 / 4);
  // Every kind of refusal shows up, so the ErrorCode comparison is exercised for each.
  for (ErrorCode c : {ErrorCode::kSyntax, ErrorCode::kTooDeep, ErrorCode::kDuplicateKey, ErrorCode::kNonFinite})
    EXPECT_GT(t.by_code[static_cast<int>(c)], 100u) << error_code_name(c);
  std::printf("%zu mutated documents in %.2f s: %zu accepted by both; refused by both: %zu syntax, %zu too-deep, "
              "%zu duplicate-key, %zu non-finite\n",
              t.cases, seconds, t.accepted, t.by_code[static_cast<int>(ErrorCode::kSyntax)],
              t.by_code[static_cast<int>(ErrorCode::kTooDeep)], t.by_code[static_cast<int>(ErrorCode::kDuplicateKey)],
              t.by_code[static_cast<int>(ErrorCode::kNonFinite)]);
}

}  // namespace
}  // namespace pqmcp::json::test
