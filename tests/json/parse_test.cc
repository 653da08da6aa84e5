// json::parse against hand-picked edge cases: the new parser must accept and reject exactly what
// the nlohmann-based parser it replaced did (oracle_parse), build the same DOM, and report the
// same ErrorCode. Where the expected outcome is clear from RFC 8259 / RFC 7493 it is asserted
// directly as well, so that the oracle is not the only judge.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "json/json.h"
#include "json/lex.h"
#include "parse_oracle.h"
#include "parse_support.h"

namespace pqmcp::json::test {
namespace {

using namespace std::string_literals;

void expect_agree(std::string_view text, const Limits& limits = {}) {
  const std::string d = disagreement(text, limits);
  EXPECT_TRUE(d.empty()) << d;
}

void expect_ok(std::string_view text) {
  expect_agree(text);
  const auto r = parse(text);
  EXPECT_TRUE(r.ok()) << printable(text) << ": " << (r.ok() ? "" : r.error().message);
}

void expect_fail(std::string_view text, ErrorCode code, const Limits& limits = {}) {
  expect_agree(text, limits);
  const auto r = parse(text, limits);
  ASSERT_FALSE(r.ok()) << printable(text);
  EXPECT_EQ(error_code_name(r.error().code), std::string(error_code_name(code))) << printable(text);
  if (code == ErrorCode::kSyntax) {
    EXPECT_EQ(r.error().message.rfind("at byte ", 0), 0u) << r.error().message;
    EXPECT_LT(r.error().message.size(), 120u) << r.error().message;
  }
}

Value::value_t type_of(std::string_view text) { return parse(text).value().type(); }

TEST(JsonParse, Literals) {
  for (const char* t : {"true", "false", "null", " true", "true ", "\t\n\r true \r\n\t"}) expect_ok(t);
  for (const char* t : {"", " ", "tru", "True", "nul", "nulll", "falsey", "true false", "NaN", "Infinity",
                        "-Infinity", "undefined", "'a'", "\x0b" "1", "\x0c" "1", "1\x0c", "\xa0" "1"})
    expect_fail(t, ErrorCode::kSyntax);
  EXPECT_TRUE(parse("true")->get<bool>());
  EXPECT_TRUE(parse("null")->is_null());
}

TEST(JsonParse, ByteOrderMark) {
  // RFC 8259 §8.1 allows a parser to ignore a leading BOM; nlohmann did, so the new parser must.
  expect_ok("\xEF\xBB\xBF{}");
  expect_ok("\xEF\xBB\xBF 1");
  expect_fail(" \xEF\xBB\xBF{}", ErrorCode::kSyntax);
  expect_fail("\xEF\xBB\xBF\xEF\xBB\xBF{}", ErrorCode::kSyntax);
  expect_fail("\xEF\xBB{}", ErrorCode::kSyntax);
  expect_fail("\xEF\xBB\xBF", ErrorCode::kSyntax);
}

TEST(JsonParse, NumberTypesMatchNlohmann) {
  for (const char* t :
       {"0", "-0", "-0.0", "0.0", "1E5", "1e5", "1e+5", "1e-5", "1E-400", "1e-400", "-1e-400", "18446744073709551615",
        "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "9223372036854775807",
        "9223372036854775808", "123456789012345678901234567890", "-123456789012345678901234567890", "4.9e-324",
        "2.4703282292062327e-324", "2.4703282292062328e-324", "1.7976931348623157e308", "1.7976931348623158e308",
        "0e99999999999999999999", "0.000e-99999999999999", "1e-99999999999999999999", "0.1", "0.30000000000000004",
        "2.2250738585072011e-308", "2.2250738585072014e-308", "9007199254740993", "9007199254740993.0",
        "[-0,0,-0.0,1.5e3]"})
    expect_ok(t);
  // What nlohmann produced, pinned: unsigned without '-', signed with '-', double otherwise.
  EXPECT_EQ(type_of("0"), Value::value_t::number_unsigned);
  EXPECT_EQ(type_of("-0"), Value::value_t::number_integer);
  EXPECT_EQ(parse("-0")->get<std::int64_t>(), 0);
  EXPECT_EQ(type_of("-0.0"), Value::value_t::number_float);
  EXPECT_TRUE(std::signbit(parse("-0.0")->get<double>()));
  EXPECT_EQ(type_of("1E5"), Value::value_t::number_float);
  EXPECT_EQ(parse("1E5")->get<double>(), 100000.0);
  EXPECT_EQ(parse("1e-400")->get<double>(), 0.0);
  EXPECT_TRUE(std::signbit(parse("-1e-400")->get<double>()));
  EXPECT_EQ(type_of("18446744073709551615"), Value::value_t::number_unsigned);
  EXPECT_EQ(parse("18446744073709551615")->get<std::uint64_t>(), UINT64_MAX);
  EXPECT_EQ(type_of("18446744073709551616"), Value::value_t::number_float);
  EXPECT_EQ(parse("18446744073709551616")->get<double>(), 18446744073709551616.0);
  EXPECT_EQ(type_of("-9223372036854775808"), Value::value_t::number_integer);
  EXPECT_EQ(parse("-9223372036854775808")->get<std::int64_t>(), INT64_MIN);
  EXPECT_EQ(type_of("-9223372036854775809"), Value::value_t::number_float);
  EXPECT_EQ(type_of("9223372036854775808"), Value::value_t::number_unsigned);
  EXPECT_EQ(parse("4.9e-324")->get<double>(), 4.9406564584124654e-324);
  EXPECT_EQ(parse("1.7976931348623158e308")->get<double>(), 1.7976931348623157e308);
}

TEST(JsonParse, NumbersOutOfRangeOrMalformed) {
  // RFC 7493 §2.2: beyond the double range is an error of its own (nlohmann's error 406).
  for (const char* t : {"1e400", "-1e400", "1E309", "1.7976931348623159e308", "[1e99999999999999999999]",
                        "{\"a\":-1e400}", "1e400 garbage", "[1e400", "1000000000000000000000000000000000000000000000000"
                        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"})
    expect_fail(t, ErrorCode::kNonFinite);
  // RFC 8259 §6 grammar.
  for (const char* t : {"01", "-01", "00", "+1", "-", "1.", ".5", "1.e5", "1e", "1e+", "1E-", "-.5", "0x10", "1_000",
                        "--1", "1.5.5", "1e5e5", "[01]", "[1.]", "-a", "0.", "1ee5", "\xef\xbc\x91"})
    expect_fail(t, ErrorCode::kSyntax);
}

TEST(JsonParse, Strings) {
  for (const char* t : {R"("")", R"("abc")", R"("\"\\\/\b\f\n\r\t")", R"("\u0000")", R"("\u001f\u001F")",
                        R"("\u00e9\u00E9")", R"("\uD83D\uDE00")", R"("\udbff\udfff")", R"("\uD800\uDC00")",
                        R"("\uFFFF\uFFFE\uFDD0")", "\"\x7f\"", "\"\xc2\x80\"", "\"\xdf\xbf\"", "\"\xe0\xa0\x80\"",
                        "\"\xed\x9f\xbf\"", "\"\xee\x80\x80\"", "\"\xef\xbf\xbf\"", "\"\xf0\x90\x80\x80\"",
                        "\"\xf4\x8f\xbf\xbf\"", "\"\xf3\xbf\xbf\xbf\"", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""})
    expect_ok(t);
  EXPECT_EQ(parse(R"("\uD83D\uDE00")")->get<std::string>(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(parse(R"("\u0000")")->get<std::string>(), std::string(1, '\0'));
  EXPECT_EQ(parse(R"("a\/b\"c")")->get<std::string>(), "a/b\"c");

  for (const char* t : {
           // escapes
           R"("\a")", R"("\x41")", R"("\U0041")", R"("\u12")", R"("\u12G4")", R"("\)", R"("\u)", R"("\u00)",
           R"("\')", "\"\\\n\"", R"("\0")",
           // lone and mis-ordered surrogates (RFC 7493 §2.1)
           R"("\uD800")", R"("\uDBFF")", R"("\uDC00")", R"("\uDFFF")", R"("\uD800x")", R"("\uD800\n")",
           R"("\uD800\u0041")", R"("\uD800\uD800")", R"("\uDC00\uD800")", R"("\uD800\uDBFF")", R"("\uD800\")",
           R"("\uD800\u")", R"("\uD800\uDC0")", R"("\uD800\uDCxx")",
           // raw control characters (RFC 8259 §7)
           "\"\x01\"", "\"\x1f\"", "\"a\nb\"", "\"\t\"",
           // ill-formed UTF-8 (RFC 3629 §4): stray continuation, overlongs, surrogates, > U+10FFFF,
           // invalid lead bytes, truncated and interrupted sequences
           "\"\x80\"", "\"\xbf\"", "\"\xc0\x80\"", "\"\xc1\xbf\"", "\"\xe0\x80\x80\"", "\"\xe0\x9f\xbf\"",
           "\"\xf0\x80\x80\x80\"", "\"\xf0\x8f\xbf\xbf\"", "\"\xed\xa0\x80\"", "\"\xed\xbf\xbf\"",
           "\"\xed\xa0\xbd\xed\xb8\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"", "\"\xf8\x88\x80\x80\x80\"",
           "\"\xfe\"", "\"\xff\"", "\"\xc3\"", "\"\xe2\x82\"", "\"\xf0\x9f\x98\"", "\"\xc3x\"", "\"\xe2\x82x\"",
           "\"\xf0\x9f\x98x\"", "\"\xc3", "\"\xe2\x82", "\"\xf0\x9f", "\"\xc3\xa9\xa9\"",
           // unterminated
           "\"", "\"abc", "\"abc\\\"", "'abc'"})
    expect_fail(t, ErrorCode::kSyntax);
}

TEST(JsonParse, LongStringsCrossEveryScannerBoundary) {
  // Special bytes at every offset of a run, so the 16-byte, 8-byte and bytewise paths all see
  // them, first or last in a block.
  for (std::size_t len = 0; len < 70; ++len) {
    for (std::size_t at = 0; at <= len; ++at) {
      for (const char* special : {"\\n", "\xc3\xa9", "\xf0\x9f\x98\x80", "\x01", "\xc3", "\xed\xa0\x80", "\\uD800"}) {
        // Built with append only: GCC 12 warns (-Wrestrict) about insert() and operator+ here.
        std::string s(1, '"');
        s.append(at, 'x').append(special).append(len - at, 'x');
        expect_agree(s);
        s.push_back('"');
        expect_agree(s);
      }
      std::string t(1, '"');
      t.append(at, 'y').append(1, '"').append(len - at, ' ');
      expect_agree(t);
    }
  }
}

TEST(JsonParse, ScannersAgree) {
  // Both implementations of skip_plain are built and tested (DESIGN.md §3).
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20000; ++round) {
    std::string buf(rng() % 80, 'a');
    for (char& c : buf) c = static_cast<char>(0x20 + rng() % 0x5f);
    if (!buf.empty() && rng() % 4 != 0) {
      static const unsigned char kSpecial[] = {'"', '\\', 0x00, 0x1f, 0x80, 0xff, 0xc3, 0x7f, 0x20};
      buf[rng() % buf.size()] = static_cast<char>(kSpecial[rng() % std::size(kSpecial)]);
    }
    const char* b = buf.data();
    const char* e = b + buf.size();
    const char* want = b;
    while (want < e) {
      const auto c = static_cast<unsigned char>(*want);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
      ++want;
    }
    ASSERT_EQ(lex::skip_plain_portable(b, e), want) << printable(buf);
#if defined(__SSE2__)
    ASSERT_EQ(lex::skip_plain_sse2(b, e), want) << printable(buf);
#endif
  }
}

TEST(JsonParse, Structure) {
  for (const char* t : {"{}", "[]", " { } ", "[ ]", "[[]]", "[{}]", "{\"a\":{}}", "{\"a\":[]}", "[1,2,3]",
                        "{\"a\":1,\"b\":2}", "{ \"a\" : 1 , \"b\" : [ true , null ] }", "\n[\r\n1\t]\n",
                        "{\"\":0}", "[\"\"]", "{\"a\":{\"a\":{\"a\":1}}}", "[1,[2,[3,[4]]]]"})
    expect_ok(t);
  for (const char* t : {"[", "]", "{", "}", "[1,]", "[,1]", "[1,,2]", "[1 2]", "{\"a\"}", "{\"a\":}", "{\"a\" 1}",
                        "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}", "{1:2}", "{a:1}", "{'a':1}", "[1]]", "{}}", "[}",
                        "{]", "[1}", "{\"a\":1]", "[] []", "{}{}", "1 2", "[/**/]", "[1]//c", "# c\n1", "[\"a\"\"b\"]", "{\"a\"::1}", "{\"a\":1:2}"})
    expect_fail(t, ErrorCode::kSyntax);
}

TEST(JsonParse, NulBytes) {
  // The one deliberate difference from the old parser: nlohmann stopped at a 0x00 byte as if the
  // input ended there, so "[1]\0anything" was accepted. A raw 0x00 has no place in a JSON text
  // (RFC 8259 §2, §7), and accepting trailing bytes lets two parsers disagree about a message.
  for (const std::string& t : {"[1]\0"s, "[1]\0garbage"s, "{} \0{\"a\":1}"s, "1\0"s, "\"a\"\0\"b\""s}) {
    const auto r = parse(t);
    ASSERT_FALSE(r.ok()) << printable(t);
    EXPECT_EQ(r.error().code, ErrorCode::kSyntax);
    EXPECT_TRUE(oracle_parse(t).ok()) << "the oracle changed: " << printable(t);
  }
  for (const std::string& t : {"\0"s, "\0[1]"s, "[\0]"s, "[1,\0]"s, "\"a\0\""s, "{\"a\0\":1}"s, " \0"s})
    expect_fail(t, ErrorCode::kSyntax);
  EXPECT_EQ(parse("\"\\u0000\""s)->get<std::string>(), std::string(1, '\0'));  // escaped, it is fine
}

TEST(JsonParse, DuplicateMembers) {
  for (const char* t : {"{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":1}", "[{\"x\":{\"y\":1,\"y\":[]}}]", "{\"\\u0061\":1,\"a\":2}",
                        "{\"\xc3\xa9\":1,\"\\u00e9\":2}", "{\"a\":1,\"b\":2,\"a\"", "{\"a\":1,\"a\"}",
                        "{\"a\":1,\"a\":1e400}", "{\"a\":{},\"a\":[[[["})
    expect_fail(t, ErrorCode::kDuplicateKey);
  const auto r = parse("{\"k\":1,\"k\":2}");
  EXPECT_EQ(r.error().message, "duplicate member name \"k\"");
  // The name goes to logs: escaped (no raw newline to forge a log line) and cut at 64 bytes on
  // a UTF-8 boundary.
  EXPECT_EQ(parse("{\"a\\nb\":1,\"a\\nb\":2}").error().message, "duplicate member name \"a\\nb\"");
  const std::string long_name = std::string(63, 'x') + "\xc3\xa9" + std::string(100, 'y');
  const auto cut = parse("{\"" + long_name + "\":1,\"" + long_name + "\":2}");
  EXPECT_EQ(cut.error().message, "duplicate member name \"" + std::string(63, 'x') + "\" (cut)");
  expect_ok("{\"a\":{\"a\":1},\"b\":{\"a\":2}}");  // same name in different objects is fine
  expect_ok("{\"a\":1,\"A\":2,\"a \":3}");
  expect_fail("{\"a\":1e400,\"a\":1}", ErrorCode::kNonFinite);  // the first problem in reading order
  const auto v = parse("{\"b\":1,\"a\":2,\"c\":3}");
  EXPECT_EQ(v->dump(), "{\"a\":2,\"b\":1,\"c\":3}");  // nlohmann's std::map order
}

TEST(JsonParse, Depth) {
  auto nested = [](std::size_t n, char open, char close) {
    return std::string(n, open) + std::string(n, close);
  };
  expect_ok(nested(64, '[', ']'));
  expect_fail(nested(65, '[', ']'), ErrorCode::kTooDeep);
  expect_fail(std::string(65, '['), ErrorCode::kTooDeep);  // refused on opening, before the truncation
  std::string objects;
  for (int i = 0; i < 64; ++i) objects += "{\"a\":";
  expect_ok(objects + "1" + std::string(64, '}'));
  expect_fail(objects + "{}" + std::string(64, '}'), ErrorCode::kTooDeep);
  EXPECT_EQ(parse(nested(65, '[', ']')).error().message, "nesting deeper than 64");
  for (std::size_t max : {0u, 1u, 2u, 5u}) {
    Limits l;
    l.max_depth = max;
    expect_agree("1", l);
    expect_agree("[]", l);
    expect_agree("{\"a\":[{}]}", l);
    for (std::size_t n = 0; n <= max + 1; ++n) {
      expect_agree(nested(n, '[', ']'), l);
      expect_agree(nested(n, '[', ']').substr(0, n + 1), l);
    }
  }
  // A deep limit does not turn into deep recursion: the parser keeps an explicit stack.
  Limits deep;
  deep.max_depth = 1'000'000;
  EXPECT_TRUE(parse(nested(200'000, '[', ']'), deep).ok());
  expect_fail("[[1e400,[[[[[", ErrorCode::kNonFinite, Limits{1 << 20, 3});
  expect_fail("[[[[[1e400", ErrorCode::kTooDeep, Limits{1 << 20, 3});
}

TEST(JsonParse, Size) {
  Limits l;
  l.max_bytes = 10;
  expect_fail("[1,2,3,4,5]", ErrorCode::kTooLarge, l);
  expect_fail("\"too long!!\"", ErrorCode::kTooLarge, l);
  expect_agree("[1,2,3,4]", l);
  EXPECT_EQ(parse("[1,2,3,4,5]", l).error().message, "document of 11 bytes exceeds 10");
}

TEST(JsonParse, SignedMcpMessage) {
  const std::string msg = signed_mcp_request();
  ASSERT_GT(msg.size(), 4500u);
  expect_ok(msg);
  const auto v = parse(msg);
  EXPECT_EQ(v.value()["params"]["_meta"]["io.pqmcp/sig"]["sig"].get_ref<const std::string&>().size(), 4498u);
  // Every truncation, and a syntax error at the very end, with a short message.
  for (std::size_t n = 0; n < msg.size(); ++n) {
    const auto r = parse(std::string_view(msg).substr(0, n));
    ASSERT_FALSE(r.ok()) << n;
    ASSERT_EQ(r.error().code, ErrorCode::kSyntax) << n;
    ASSERT_LT(r.error().message.size(), 120u) << r.error().message;
  }
  for (std::size_t n = 0; n < msg.size(); ++n) {
    const std::string d = disagreement(std::string_view(msg).substr(0, n));
    ASSERT_TRUE(d.empty()) << d;
  }
  expect_fail(msg + "x", ErrorCode::kSyntax);
  EXPECT_EQ(parse(msg + "x").error().message.rfind("at byte " + std::to_string(msg.size()) + ": ", 0), 0u);
}

TEST(JsonParse, TruncationsOfValidDocuments) {
  const std::vector<std::string> docs = {
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":null}})",
      R"([1,-0,0.5e-3,18446744073709551616,"\u00e9\uD83D\uDE00",true,false,null,{"a":[{}]}])",
      "{\"caf\xc3\xa9\":\"\xf0\x9f\x98\x80\xe2\x82\xac\",\"n\":-9223372036854775808}",
      " [ 1 , { \"x\" : \"\\n\\t\\\"\" } ] ",
  };
  for (const auto& d : docs) {
    expect_ok(d);
    for (std::size_t n = 0; n <= d.size(); ++n) expect_agree(std::string_view(d).substr(0, n));
  }
}

}  // namespace
}  // namespace pqmcp::json::test
