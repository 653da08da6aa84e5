// RFC 8785 conformance: the RFC's own examples and number table, plus the strict parser's
// rejections (RFC 8785 §3.1 requires I-JSON input, RFC 7493).
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "json/json.h"

namespace pqmcp::json {
namespace {

std::string canon(std::string_view text) {
  auto v = parse(text);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message);
  if (!v.ok()) return "<parse error>";
  auto c = canonicalize(*v);
  EXPECT_TRUE(c.ok());
  return c.ok() ? *c : "<canon error>";
}

// RFC 8785 §3.2.2 / §3.2.4: the "primitive data types" example and its canonical output.
TEST(Jcs, Rfc8785PrimitivesExample) {
  const char* in = R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })";
  EXPECT_EQ(canon(in),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 §3.2.3: sorting by UTF-16 code units puts U+1F600 (D83D DE00) before U+FB33.
TEST(Jcs, Rfc8785SortingExample) {
  const char* in = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })";
  EXPECT_EQ(canon(in),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
            "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
            "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\","
            "\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

// RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
TEST(Jcs, Rfc8785AppendixBNumbers) {
  const std::pair<std::uint64_t, const char*> table[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& [bits, want] : table) {
    std::string got;
    append_number(std::bit_cast<double>(bits), got);
    EXPECT_EQ(got, want) << std::hex << bits;
    // The same value must also survive parse → canonicalize (as a text literal).
    if (bits != 0x8000000000000000) {
      EXPECT_EQ(canon(want), want);
    }
  }
  // Appendix B's NaN and Infinity rows: JCS has no form for them.
  for (std::uint64_t bits : {0x7fffffffffffffffULL, 0x7ff0000000000000ULL}) {
    auto c = canonicalize(Value(std::bit_cast<double>(bits)));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, ErrorCode::kNonFinite);
  }
}

TEST(Jcs, NumberFormattingBoundaries) {
  EXPECT_EQ(canon("[1.0, -0, -0.0, 1e21, 1e20, 123e-7, 1e-6, 1.5e-7, 100, 9007199254740993]"),
            "[1,0,0,1e+21,100000000000000000000,0.0000123,0.000001,1.5e-7,100,9007199254740992]");
  // Integers outside int64/uint64 arrive as doubles and format like ECMAScript does.
  EXPECT_EQ(canon("[18446744073709551616, -9223372036854775809]"),
            "[18446744073709552000,-9223372036854776000]");
}

TEST(Jcs, StringEscapes) {
  // Controls other than \b\t\n\f\r use lower-case \u00xx; DEL, U+2028 and '/' stay verbatim.
  EXPECT_EQ(canon(R"(["\u0000\u001f\b\t\n\f\r\u007f\u2028\/"])"),
            "[\"\\u0000\\u001f\\b\\t\\n\\f\\r\x7F\xE2\x80\xA8/\"]");
}

// Escaping is found 16 bytes at a time (verbatim_prefix): a byte to escape or a UTF-8 sequence at
// every offset of a long run must come out exactly as the byte-by-byte rule writes it.
TEST(Jcs, LongStringsEscapeAtEveryOffset) {
  auto slow = [](std::string_view s) {
    std::string o = "\"";
    for (unsigned char c : s) {
      if (c == '"') o += "\\\"";
      else if (c == '\\') o += "\\\\";
      else if (c == '\n') o += "\\n";
      else if (c == 0x01) o += "\\u0001";
      else o += static_cast<char>(c);
    }
    return o + "\"";
  };
  for (std::string_view special : {"\"", "\\", "\n", "\x01", "\xC3\xA9", "\xF0\x9F\x98\x80", "\xC3\xA9\"", "\xC3\xA9x\xC3\xA9\\"}) {
    for (std::size_t at = 0; at < 40; ++at) {
      std::string s(40, 'x');
      s.insert(at, special);
      std::string out;
      ASSERT_TRUE(append_string(s, out));
      EXPECT_EQ(out, slow(s)) << "special at offset " << at;
      EXPECT_EQ(verbatim_prefix(s), at) << "offset " << at;
    }
  }
  EXPECT_EQ(verbatim_prefix(""), 0u);
  EXPECT_EQ(verbatim_prefix(std::string(100, 'a')), 100u);
  EXPECT_EQ(verbatim_prefix("abc\x7f"), 4u);  // DEL is written verbatim by every serialiser
  std::string bad(33, 'a');
  bad[20] = '\xC3';  // a truncated sequence inside a long run is still refused
  std::string out;
  EXPECT_FALSE(append_string(bad, out));
}

TEST(Jcs, Utf16OrderTraps) {
  // U+FFFD (UTF-16 FFFD) sorts after U+10000 (D800 DC00) though its UTF-8 bytes sort first.
  EXPECT_TRUE(utf16_less("\xF0\x90\x80\x80", "\xEF\xBF\xBD"));
  EXPECT_FALSE(utf16_less("\xEF\xBF\xBD", "\xF0\x90\x80\x80"));
  EXPECT_TRUE(utf16_less("a", "ab"));
  EXPECT_FALSE(utf16_less("ab", "ab"));
  EXPECT_EQ(canon(R"({"\uffff":1,"\ud800\udc00":2,"\ue000":3,"z":4})"),
            "{\"z\":4,\"\xF0\x90\x80\x80\":2,\"\xEE\x80\x80\":3,\"\xEF\xBF\xBF\":1}");
}

TEST(StrictParse, RejectsDuplicateKeys) {
  for (const char* t : {R"({"a":1,"a":2})", R"({"x":{"b":1,"b":1}})", R"({"a":1,"\u0061":2})",
                        R"([{"k":[],"k":{}}])"}) {
    auto v = parse(t);
    ASSERT_FALSE(v.ok()) << t;
    EXPECT_EQ(v.error().code, ErrorCode::kDuplicateKey) << t;
  }
  EXPECT_TRUE(parse(R"({"a":{"a":1},"b":{"a":1}})").ok());
}

TEST(StrictParse, RejectsLoneSurrogatesAndBadUtf8) {
  for (const char* t : {R"(["\ud800"])", R"(["\udc00"])", R"(["\ud800\u0041"])",
                        R"(["\udc00\ud800"])", R"({"\udfff":1})", "[\"\xED\xA0\x80\"]",
                        "[\"\xC0\xAF\"]", "[\"\xFF\"]", "[\"\xF4\x90\x80\x80\"]"}) {
    auto v = parse(t);
    ASSERT_FALSE(v.ok()) << t;
    EXPECT_EQ(v.error().code, ErrorCode::kSyntax) << t;
  }
  EXPECT_TRUE(parse(R"(["\ud83d\ude00"])").ok());
}

TEST(StrictParse, RejectsNonFiniteAndNonJson) {
  for (const char* t : {"[1e400]", "[-1e400]", "1e309"}) {
    auto v = parse(t);
    ASSERT_FALSE(v.ok()) << t;
    EXPECT_EQ(v.error().code, ErrorCode::kNonFinite) << t;
  }
  for (const char* t : {"[NaN]", "[Infinity]", "{} x", "[1,]", "/*c*/{}", "", "'a'", "[01]"}) {
    auto v = parse(t);
    ASSERT_FALSE(v.ok()) << t;
    EXPECT_EQ(v.error().code, ErrorCode::kSyntax) << t;
  }
  // An underflow to zero is finite and accepted (ECMAScript parses it as 0 too).
  EXPECT_EQ(canon("[1e-400]"), "[0]");
}

TEST(StrictParse, EnforcesLimits) {
  std::string deep(65, '[');
  deep += std::string(65, ']');
  auto v = parse(deep, Limits{1 << 20, 64});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, ErrorCode::kTooDeep);
  EXPECT_TRUE(parse(deep, Limits{1 << 20, 65}).ok());
  auto big = parse("[1,2,3]", Limits{6, 64});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kTooLarge);
  // Deep input beyond any stack-risky depth is refused cheaply, not by recursion.
  std::string very_deep(1'000'000, '[');
  auto vd = parse(very_deep);
  ASSERT_FALSE(vd.ok());
  EXPECT_EQ(vd.error().code, ErrorCode::kTooDeep);
}

TEST(Canonicalize, RejectsUnrepresentableDom) {
  Value v = Value::object();
  v["k"] = std::string("\xED\xA0\x80");  // an encoded surrogate built in memory
  auto c = canonicalize(v);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidString);
  Value nan = Value::array({std::numeric_limits<double>::quiet_NaN()});
  EXPECT_FALSE(canonicalize(nan).ok());
  Value deep = Value::array();
  Value* p = &deep;
  for (int i = 0; i < 300; ++i) {
    p->push_back(Value::array());
    p = &p->back();
  }
  auto d = canonicalize(deep, 256);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kTooDeep);
}

}  // namespace
}  // namespace pqmcp::json
