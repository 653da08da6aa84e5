// RFC 8785 (JCS) serialisation. Written here because no packaged C++ library implements JCS, and
// the two hard parts — ECMAScript number formatting and UTF-16 member ordering — must be exact for
// signatures made here to verify in any other JCS implementation.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <new>
#include <vector>

#include "json/json.h"

namespace pqmcp::json {

namespace {

// Decodes one UTF-8 scalar value at s[i], advancing i. Returns -1 on malformed input, overlong
// forms, surrogates (U+D800..U+DFFF) and values above U+10FFFF (RFC 3629 §3/§4).
long decode_utf8(std::string_view s, std::size_t& i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len;
  long cp;
  long min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (s.size() - i < static_cast<std::size_t>(len)) return -1;
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += len;
  return cp;
}

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    // ASCII needs no decoding; signed messages are mostly a long base64url signature.
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    if (decode_utf8(s, i) < 0) return false;
  }
  return true;
}

// True for the bytes RFC 8785 copies verbatim into a string: everything but the controls,
// '"' and '\\' (UTF-8 sequences are copied as they are, after valid_utf8 accepted them).
inline bool verbatim(unsigned char c) noexcept { return c >= 0x20 && c != '"' && c != '\\'; }

// The UTF-16 code unit at position `unit` of the scalar cp (0 or 1 for astral characters).
unsigned utf16_unit(long cp, int unit) noexcept {
  if (cp < 0x10000) return static_cast<unsigned>(cp);
  const long v = cp - 0x10000;
  return unit == 0 ? static_cast<unsigned>(0xD800 + (v >> 10))
                   : static_cast<unsigned>(0xDC00 + (v & 0x3FF));
}

}  // namespace

bool utf16_less(std::string_view a, std::string_view b) noexcept {
  // UTF-8 byte order equals code point order, but UTF-16 puts U+E000..U+FFFF after the
  // surrogate-encoded astral planes, so compare code units the way ECMAScript's sort does.
  std::size_t i = 0, j = 0;
  long ca = 0, cb = 0;
  int ua = 2, ub = 2;  // next unit index in the current scalar; 2 = need a new scalar
  for (;;) {
    if (ua == 2 || (ua == 1 && ca < 0x10000)) {
      if (i >= a.size()) {
        ca = -1;
      } else {
        ca = decode_utf8(a, i);
        ua = 0;
      }
    }
    if (ub == 2 || (ub == 1 && cb < 0x10000)) {
      if (j >= b.size()) {
        cb = -1;
      } else {
        cb = decode_utf8(b, j);
        ub = 0;
      }
    }
    if (ca < 0 || cb < 0) return ca < 0 && cb >= 0;  // a shorter prefix sorts first
    const unsigned xa = utf16_unit(ca, ua), xb = utf16_unit(cb, ub);
    if (xa != xb) return xa < xb;
    ++ua;
    ++ub;
  }
}

void append_number(double d, std::string& out) {
  // ECMA-262 §6.1.6.1.20 Number::toString, the formatter RFC 8785 §3.2.2.3 mandates.
  if (d == 0) {  // also -0
    out += '0';
    return;
  }
  if (d < 0) {
    out += '-';
    d = -d;
  }
  // Shortest round-trip digits (the "k as small as possible" step) from to_chars, which
  // implements the same shortest-and-closest rule.
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
  const std::size_t epos = sci.find('e');
  std::string digits;
  digits += sci[0];
  if (epos > 1) digits.append(sci.substr(2, epos - 2));
  int exp10 = 0;
  std::from_chars(sci.data() + epos + 1 + (sci[epos + 1] == '+'), sci.data() + sci.size(), exp10);
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // value = 0.digits × 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out += '.';
    out.append(digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
}

bool append_string(std::string_view s, std::string& out) {
  if (!valid_utf8(s)) return false;
  // RFC 8785 §3.2.2.2: the JSON.stringify escapes — the two-character forms for \b \t \n \f \r
  // " and \, \u00xx (lower-case hex) for the other controls, everything else verbatim.
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    // Copy the run of verbatim bytes in one append rather than byte by byte: ASCII runs found
    // 16 bytes at a time, then any UTF-8 sequences (verbatim too) byte by byte.
    std::size_t run = i + verbatim_prefix(s.substr(i));
    while (run < s.size() && verbatim(static_cast<unsigned char>(s[run]))) {
      ++run;
      if (run < s.size() && static_cast<unsigned char>(s[run]) < 0x80) run += verbatim_prefix(s.substr(run));
    }
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      if (i == s.size()) break;
    }
    const char ch = s[i];
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return true;
}

namespace {

bool write(const Value& v, std::string& out, std::size_t depth, std::size_t max_depth,
           Error& err) {
  switch (v.type()) {
    case Value::value_t::null: out += "null"; return true;
    case Value::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return true;
    // RFC 8785 §3.2.2.3: every number is an IEEE 754 double, so integers go through the
    // same formatter (large ones lose precision exactly as in ECMAScript).
    case Value::value_t::number_integer:
      append_number(static_cast<double>(v.get<std::int64_t>()), out);
      return true;
    case Value::value_t::number_unsigned:
      append_number(static_cast<double>(v.get<std::uint64_t>()), out);
      return true;
    case Value::value_t::number_float: {
      const double d = v.get<double>();
      if (!std::isfinite(d)) {
        err = {ErrorCode::kNonFinite, "NaN or Infinity has no JSON form"};
        return false;
      }
      append_number(d, out);
      return true;
    }
    case Value::value_t::string:
      if (!append_string(v.get_ref<const std::string&>(), out)) {
        err = {ErrorCode::kInvalidString, "string is not well-formed UTF-8"};
        return false;
      }
      return true;
    case Value::value_t::array: {
      if (depth >= max_depth) {
        err = {ErrorCode::kTooDeep, "nesting too deep"};
        return false;
      }
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        if (!write(e, out, depth + 1, max_depth, err)) return false;
      }
      out += ']';
      return true;
    }
    case Value::value_t::object: {
      if (depth >= max_depth) {
        err = {ErrorCode::kTooDeep, "nesting too deep"};
        return false;
      }
      // RFC 8785 §3.2.3 orders members by UTF-16 code units. The DOM keeps them in UTF-8 byte
      // order (std::map), which is the same order unless a name holds a code point above U+FFFF
      // (a four-byte sequence, lead byte 0xF0-0xF4): only then are the names sorted again.
      bool astral = false;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!valid_utf8(it.key())) {
          err = {ErrorCode::kInvalidString, "member name is not well-formed UTF-8"};
          return false;
        }
        for (unsigned char c : it.key()) astral |= c >= 0xF0;
      }
      if (!astral) {
        out += '{';
        for (auto it = v.begin(); it != v.end(); ++it) {
          if (it != v.begin()) out += ',';
          append_string(it.key(), out);
          out += ':';
          if (!write(it.value(), out, depth + 1, max_depth, err)) return false;
        }
        out += '}';
        return true;
      }
      std::vector<const std::string*> keys;
      keys.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(&it.key());
      std::sort(keys.begin(), keys.end(),
                [](const std::string* a, const std::string* b) { return utf16_less(*a, *b); });
      out += '{';
      bool first = true;
      for (const std::string* k : keys) {
        if (!first) out += ',';
        first = false;
        append_string(*k, out);
        out += ':';
        if (!write(v.at(*k), out, depth + 1, max_depth, err)) return false;
      }
      out += '}';
      return true;
    }
    case Value::value_t::binary:
    case Value::value_t::discarded:
      break;
  }
  err = {ErrorCode::kInvalidString, "value has no JSON form"};
  return false;
}

}  // namespace

JsonResult<std::string> canonicalize(const Value& v, std::size_t max_depth) noexcept {
  try {
    std::string out;
    Error err{ErrorCode::kInternal, ""};
    if (!write(v, out, 0, max_depth, err)) return unexpected(std::move(err));
    return out;
  } catch (const std::bad_alloc&) {
    return unexpected(Error{ErrorCode::kInternal, "out of memory"});
  } catch (...) {
    return unexpected(Error{ErrorCode::kInternal, "unexpected failure"});
  }
}

}  // namespace pqmcp::json
