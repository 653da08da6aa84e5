// String and number tokens for the strict parser (see lex.h).
//
// Speed matters mostly for long strings: a signed MCP message is ~5 KB, ~4.5 KB of which is one
// base64url signature string. So plain ASCII runs are found 16 bytes at a time (SSE2, part of
// the x86-64 baseline) or 8 at a time (SWAR, elsewhere and for tails) and appended in one go.
#include "json/lex.h"

#include <charconv>
#include <cstring>
#include <system_error>

#include "json/json.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pqmcp::json::lex {

namespace {

// A byte needs a closer look inside a string if it ends it ('"'), starts an escape ('\\'), is a
// control character (RFC 8259 §7: U+0000..U+001F must be escaped) or starts a multi-byte UTF-8
// sequence (>= 0x80).
inline bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

// Non-zero iff some byte of w is not plain(): the classic "has a zero byte" / "has a byte less
// than n" bit tricks, which never miss but may also flag a byte next to a flagged one; so this
// is only a yes/no filter and the exact byte is then found bytewise.
inline std::uint64_t swar_special(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  const std::uint64_t ctl = (w - ones * 0x20) & ~w;                 // bytes < 0x20
  const std::uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');  // zero bytes where '"' / '\\'
  const std::uint64_t zq = (q - ones) & ~q, zb = (b - ones) & ~b;
  return (ctl | zq | zb | w) & highs;
}

// Length of the well-formed UTF-8 sequence at p (first byte >= 0x80), or 0. The table is
// RFC 3629 §4's UTF8-2/3/4 productions: the narrowed second-byte ranges after E0, ED, F0 and F4
// exclude overlong forms, UTF-16 surrogates (U+D800..DFFF) and code points above U+10FFFF.
inline std::size_t utf8_length(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = p[0];
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;  // 0x80..0xC1 (continuation or overlong lead) and 0xF5..0xFF never start a sequence
  }
  if (static_cast<std::size_t>(end - p) < n) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (p[k] < 0x80 || p[k] > 0xBF) return 0;
  }
  return n;
}

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at p (caller checked they exist), or -1.
inline long hex4(const char* p) {
  long v = 0;
  for (int k = 0; k < 4; ++k) {
    const int h = hex_value(p[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

void append_utf8(unsigned long cp, std::string& out) {
  char b[4];
  std::size_t n;
  if (cp < 0x80) {
    b[0] = static_cast<char>(cp), n = 1;
  } else if (cp < 0x800) {
    b[0] = static_cast<char>(0xC0 | (cp >> 6)), b[1] = static_cast<char>(0x80 | (cp & 0x3F)), n = 2;
  } else if (cp < 0x10000) {
    b[0] = static_cast<char>(0xE0 | (cp >> 12)), b[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    b[2] = static_cast<char>(0x80 | (cp & 0x3F)), n = 3;
  } else {
    b[0] = static_cast<char>(0xF0 | (cp >> 18)), b[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    b[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), b[3] = static_cast<char>(0x80 | (cp & 0x3F)), n = 4;
  }
  out.append(b, n);
}

// p is at the backslash. RFC 8259 §7: the two-character escapes plus \uXXXX, where a character
// outside the BMP is a UTF-16 surrogate pair written as two \u escapes. A high surrogate not
// followed by an escaped low one, or a low one on its own, is not a character (RFC 7493 §2.1).
const char* unescape(const char* p, const char* end, std::string& out, Error& err) {
  if (end - p < 2) return err = {end, "unterminated string"}, nullptr;
  char c;
  switch (p[1]) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': {
      if (end - p < 6) return err = {end, "unterminated \\u escape"}, nullptr;
      long cp = hex4(p + 2);
      if (cp < 0) return err = {p, "\\u must be followed by four hex digits"}, nullptr;
      p += 6;
      if (cp >= 0xDC00 && cp <= 0xDFFF) return err = {p - 6, "lone low surrogate escape"}, nullptr;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
          return err = {p - 6, "high surrogate escape not followed by a low surrogate"}, nullptr;
        const long lo = hex4(p + 2);
        if (lo < 0) return err = {p, "\\u must be followed by four hex digits"}, nullptr;
        if (lo < 0xDC00 || lo > 0xDFFF)
          return err = {p - 6, "high surrogate escape not followed by a low surrogate"}, nullptr;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
      }
      append_utf8(static_cast<unsigned long>(cp), out);
      return p;
    }
    default:
      return err = {p, "invalid escape"}, nullptr;
  }
  out.push_back(c);
  return p + 2;
}

inline bool digit(const char* p, const char* end) { return p < end && *p >= '0' && *p <= '9'; }

// std::from_chars reports result_out_of_range without a value for both overflow and underflow.
// The two are ~600 decades apart, so the position of the first non-zero digit plus the exponent
// tells them apart: overflow iff the value is >= 1 in magnitude.
bool overflows(const char* p, const char* end) {
  if (*p == '-') ++p;
  // Before the exponent the value lies in [10^(mag-1), 10^mag).
  long mag = 0;
  if (*p != '0') {
    while (digit(p, end)) ++p, ++mag;  // no leading zeros here (RFC 8259 §6)
    while (p < end && *p != 'e' && *p != 'E') ++p;
  } else {
    ++p;
    if (p < end && *p == '.') {
      for (++p; p < end && *p == '0'; ++p) --mag;
      if (!digit(p, end)) return false;  // all zeros: the value is 0, never out of range
      while (digit(p, end)) ++p;
    } else {
      return false;
    }
  }
  long e = 0;
  bool neg = false;
  if (p < end) {  // at 'e' or 'E'
    ++p;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    // Saturates: only the sign of mag + e matters, and mag is at most a few million.
    for (; p < end; ++p) e = e > 100000000 ? e : e * 10 + (*p - '0');
  }
  return mag + (neg ? -e : e) > 0;
}

}  // namespace

const char* skip_plain_portable(const char* p, const char* end) {
  while (end - p >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if (swar_special(w) != 0) break;
    p += 8;
  }
  while (p < end && plain(static_cast<unsigned char>(*p))) ++p;
  return p;
}

#if defined(__SSE2__)
const char* skip_plain_sse2(const char* p, const char* end) {
  const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1F);
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // x <= 0x1F (unsigned) exactly when max(x, 0x1F) == 0x1F; bytes >= 0x80 show in the sign mask.
    const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                         _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special) | _mm_movemask_epi8(x));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
  return skip_plain_portable(p, end);  // the last < 16 bytes
}
#endif

namespace {
inline const char* skip_plain(const char* p, const char* end) {
#if defined(__SSE2__)
  return skip_plain_sse2(p, end);
#else
  return skip_plain_portable(p, end);
#endif
}
}  // namespace

const char* scan_string(const char* p, const char* end, std::string& out, Error& err) {
  const char* run = p;  // first byte not yet appended to out
  for (;;) {
    p = skip_plain(p, end);
    if (p == end) return err = {end, "unterminated string"}, nullptr;
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') {
      out.append(run, static_cast<std::size_t>(p - run));
      return p + 1;
    }
    if (c == '\\') {
      out.append(run, static_cast<std::size_t>(p - run));
      p = unescape(p, end, out, err);
      if (p == nullptr) return nullptr;
      run = p;
      continue;
    }
    if (c < 0x20) return err = {p, "control character in string (must be escaped)"}, nullptr;
    const std::size_t n = utf8_length(reinterpret_cast<const unsigned char*>(p),
                                      reinterpret_cast<const unsigned char*>(end));
    if (n == 0) return err = {p, "invalid UTF-8 in string"}, nullptr;
    p += n;
  }
}

const char* scan_number(const char* p, const char* end, Number& n, Error& err) {
  // RFC 8259 §6: number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT ).
  const char* const start = p;
  const bool negative = *p == '-';
  if (negative) ++p;
  if (!digit(p, end)) return err = {p, "expected a digit"}, nullptr;
  std::uint64_t u = 0;
  bool fits = true;
  if (*p == '0') {
    ++p;  // a leading zero ends the int part: "01" is "0" followed by a stray "1"
  } else {
    for (; digit(p, end); ++p) {
      const auto d = static_cast<unsigned>(*p - '0');
      fits = fits && !__builtin_mul_overflow(u, 10u, &u) && !__builtin_add_overflow(u, d, &u);
    }
  }
  bool is_float = false;
  if (p < end && *p == '.') {
    ++p;
    if (!digit(p, end)) return err = {p, "expected a digit after the decimal point"}, nullptr;
    while (digit(p, end)) ++p;
    is_float = true;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (!digit(p, end)) return err = {p, "expected a digit in the exponent"}, nullptr;
    while (digit(p, end)) ++p;
    is_float = true;
  }
  if (!is_float && fits) {
    if (!negative) {
      n.kind = NumberKind::kUnsigned, n.u = u;
      return p;
    }
    if (u <= (std::uint64_t{1} << 63)) {
      // Modular negation, well defined for unsigned; C++20 defines the conversion to int64.
      n.kind = NumberKind::kInteger, n.i = static_cast<std::int64_t>(0 - u);
      return p;
    }
  }
  // Fractions, exponents and integers beyond 64 bits: the correctly rounded double (from_chars
  // is locale-independent and, in libstdc++ >= 12, correctly rounded like glibc's strtod).
  double d = 0;
  const auto r = std::from_chars(start, p, d, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    if (overflows(start, p)) {
      n.kind = NumberKind::kNonFinite;
      return p;
    }
    d = negative ? -0.0 : 0.0;  // underflow: strtod (and so nlohmann) gives a signed zero
  } else if (r.ec != std::errc() || r.ptr != p) {
    return err = {start, "number not understood"}, nullptr;  // unreachable for a checked literal
  }
  n.kind = NumberKind::kFloat, n.d = d;
  return p;
}

}  // namespace pqmcp::json::lex

namespace pqmcp::json {

// (Declared in json.h: the serialisers use the string scanner's fast path too.)
std::size_t verbatim_prefix(std::string_view s) noexcept {
  return static_cast<std::size_t>(lex::skip_plain(s.data(), s.data() + s.size()) - s.data());
}

}  // namespace pqmcp::json
