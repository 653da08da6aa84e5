#include "parse_support.h"

#include <cstring>
#include <iterator>

#include "parse_oracle.h"

namespace pqmcp::json::test {

bool same_dom(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::value_t::number_float: {
      const double x = a.get<double>(), y = b.get<double>();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case Value::value_t::array: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i)
        if (!same_dom(a[i], b[i])) return false;
      return true;
    }
    case Value::value_t::object: {
      if (a.size() != b.size()) return false;
      for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
        if (i.key() != j.key() || !same_dom(*i, *j)) return false;
      return true;
    }
    default:
      return a == b;
  }
}

std::string disagreement(std::string_view text, const Limits& limits) {
  const auto got = parse(text, limits);
  const auto want = oracle_parse(text, limits);
  // Documented difference: nlohmann's lexer takes a 0x00 byte for the end of the input (it
  // also parses C strings), so it accepted a JSON text followed by 0x00 and then anything, e.g.
  // "{}\0garbage". RFC 8259 has no place for a raw 0x00 outside a string, where it is refused as a
  // control character anyway, so the new parser rejects every text that contains one. The oracle
  // must then have accepted exactly the prefix before the 0x00, with the DOM the new parser
  // builds for that prefix.
  if (!got.ok() && want.ok() && got.error().code == ErrorCode::kSyntax) {
    const auto nul = text.find('\0');
    if (nul != std::string_view::npos) {
      const auto prefix = parse(text.substr(0, nul), limits);
      if (prefix.ok() && same_dom(*prefix, *want)) return "";
    }
  }
  if (got.ok() != want.ok()) {
    return std::string(got.ok() ? "new accepts, oracle refuses (" + want.error().message + ")"
                                : "new refuses (" + got.error().message + "), oracle accepts") +
           " for " + printable(text);
  }
  if (got.ok()) {
    if (same_dom(*got, *want)) return "";
    return "DOMs differ: new " + got->dump() + " oracle " + want->dump() + " for " + printable(text);
  }
  if (got.error().code == want.error().code) return "";
  return std::string("error codes differ: new ") + error_code_name(got.error().code) + " (" +
         got.error().message + "), oracle " + error_code_name(want.error().code) + " (" +
         want.error().message + ") for " + printable(text);
}

std::string printable(std::string_view bytes, std::size_t max_len) {
  std::string out;
  for (unsigned char c : bytes) {
    if (out.size() >= max_len) return out + "...(" + std::to_string(bytes.size()) + " bytes)";
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string signed_mcp_request() {
  // ML-DSA-65 (3309 bytes) + Ed25519 (64 bytes) signature, base64url without padding.
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string sig;
  std::uint32_t x = 12345;
  for (std::size_t i = 0; i < (3309 + 64) * 4 / 3 + 1; ++i) {
    x = x * 1103515245u + 12345u;
    sig.push_back(b64[(x >> 16) & 63]);
  }
  return R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"message":"m7"},)"
         R"("_meta":{"io.pqmcp/sig":{"v":1,"alg":"mldsa65-ed25519","kid":"kid-agent","iat":1796601600123,)"
         R"("nonce":"q3X9Zb0mH1kz8w2PqL7sVA","aud":"server","sid":"f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d",)"
         R"("seq":1,"sig":")" +
         sig + R"("}}}})";
}

void DocGenerator::ws(std::string& out) {
  if (!one_in(4)) return;
  static const char kWs[] = {' ', '\t', '\n', '\r'};
  for (std::size_t n = 1 + below(3); n > 0; --n) out.push_back(kWs[below(4)]);
}

void DocGenerator::digits(std::string& out, std::size_t n, bool nonzero_first) {
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(static_cast<char>('0' + (i == 0 && nonzero_first ? 1 + below(9) : below(10))));
}

void DocGenerator::number(std::string& out) {
  static const char* kEdges[] = {
      "0", "-0", "-0.0", "0.0", "1E5", "1e-400", "18446744073709551615", "18446744073709551616",
      "-9223372036854775808", "-9223372036854775809", "9223372036854775807", "9223372036854775808",
      "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "4.9e-324",
      "2.4703282292062327e-324", "2.4703282292062328e-324", "2.2250738585072011e-308", "1e308",
      "1e309", "-1e309", "0e99999999999", "-0E-0", "123456789012345678901234567890", "1e+2", "5e-1"};
  switch (below(6)) {
    case 0:
      out += kEdges[below(std::size(kEdges))];
      return;
    case 1:  // small integer
      if (one_in(3)) out.push_back('-');
      out += std::to_string(below(1000));
      return;
    case 2:  // integer of 15..25 digits, around the 64-bit limits
      if (one_in(2)) out.push_back('-');
      digits(out, 15 + below(11), true);
      return;
    default: {  // float
      if (one_in(2)) out.push_back('-');
      if (one_in(3)) out.push_back('0');
      else digits(out, 1 + below(20), true);
      if (!one_in(4)) {
        out.push_back('.');
        digits(out, 1 + below(one_in(10) ? 40 : 17), false);
      }
      if (one_in(2)) {
        out.push_back(one_in(2) ? 'e' : 'E');
        if (!one_in(3)) out.push_back(one_in(2) ? '+' : '-');
        digits(out, 1 + below(3), false);
      }
      return;
    }
  }
}

void DocGenerator::string(std::string& out) {
  out.push_back('"');
  static const char* kEscapes[] = {"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
                                   "\\u0000", "\\u001F", "\\u00e9", "\\u00E9", "\\u20AC", "\\uFFFF",
                                   "\\uD83D\\uDE00", "\\udbff\\udfff", "\\uD800\\uDC00", "\\u007f"};
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t pieces = below(6); pieces > 0; --pieces) {
    switch (below(6)) {
      case 0:
        out += kEscapes[below(std::size(kEscapes))];
        break;
      case 1: {  // a raw code point of 2, 3 or 4 UTF-8 bytes (never a surrogate)
        std::uint32_t cp;
        switch (below(3)) {
          case 0: cp = 0x80 + static_cast<std::uint32_t>(below(0x780)); break;
          case 1: cp = 0x800 + static_cast<std::uint32_t>(below(0xF800)); break;
          default: cp = 0x10000 + static_cast<std::uint32_t>(below(0x100000)); break;
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        if (cp < 0x800) {
          out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        } else if (cp < 0x10000) {
          out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        } else {
          out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        }
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        break;
      }
      case 2: {  // \u escape of a random non-surrogate BMP code point
        std::uint32_t cp = static_cast<std::uint32_t>(below(0x10000));
        if (cp >= 0xD800 && cp <= 0xDFFF) cp -= 0x1000;
        static const char* hex = "0123456789abcdef0123456789ABCDEF";
        const std::size_t upper = one_in(2) ? 16 : 0;
        out += "\\u";
        for (int s = 12; s >= 0; s -= 4) out.push_back(hex[upper + ((cp >> s) & 15)]);
        break;
      }
      default: {  // printable ASCII / base64url runs, sometimes long ones
        const std::size_t n = one_in(50) ? 100 + below(5000) : below(40);
        for (std::size_t i = 0; i < n; ++i) {
          out.push_back(one_in(2) ? b64[below(64)] : static_cast<char>(0x20 + below(0x60)));
          if (out.back() == '"' || out.back() == '\\') out.back() = '.';
        }
      }
    }
  }
  out.push_back('"');
}

void DocGenerator::value(std::string& out, int depth) {
  const std::size_t kind = depth > 0 ? below(9) : 2 + below(7);
  if (kind < 2) {
    const bool object = kind == 0;
    out.push_back(object ? '{' : '[');
    ws(out);
    const std::size_t n = below(6);
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) out.push_back(','), ws(out);
      if (object) {
        // Short names from a small alphabet collide now and then: duplicates at any depth.
        std::string name = "\"";
        name.push_back(static_cast<char>('a' + below(one_in(20) ? 3 : 26)));
        if (!one_in(3)) name.push_back(static_cast<char>('a' + below(26)));
        if (one_in(15)) name += "\\u00e9";
        name.push_back('"');
        out += name;
        ws(out);
        out.push_back(':');
        ws(out);
      }
      value(out, depth - 1);
      ws(out);
    }
    out.push_back(object ? '}' : ']');
    return;
  }
  switch (kind) {
    case 2: out += one_in(2) ? "true" : "false"; break;
    case 3: out += "null"; break;
    case 4: case 5: number(out); break;
    default: string(out); break;
  }
}

std::string DocGenerator::document(int max_depth) {
  std::string out;
  ws(out);
  value(out, max_depth);
  ws(out);
  return out;
}

}  // namespace pqmcp::json::test
