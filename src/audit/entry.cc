#include "audit/entry.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

namespace pqmcp::audit {

namespace {

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (std::size_t j = 1; j < n; ++j) {
      const unsigned char d = static_cast<unsigned char>(s[i + j]);
      if ((d >> 6) != 2) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8 (RFC 3629 §3).
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n;
  }
  return true;
}

// RFC 8785 §3.2.2.2: the short escapes, \u00xx (lower-case hex) for other controls, the rest as is.
void put_string(std::string& o, std::string_view s) {
  o += '"';
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\b': o += "\\b"; break;
      case '\f': o += "\\f"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += ch;
        }
    }
  }
  o += '"';
}

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool one_of(std::string_view v, std::initializer_list<std::string_view> set) {
  for (auto s : set)
    if (v == s) return true;
  return false;
}

// --- The verifier's fast path (Entry::check_canonical) ---
//
// A canonical entry has one possible layout: the twelve members in sorted order, each string in
// put_string's escaping, "v":1 between "time" and "verify". Recognising that layout byte by byte proves everything
// from_canonical would establish (valid JSON, known members of the right types, valid UTF-8, a
// well-formed digest, direction and decision, and bytes identical to the re-serialisation), so
// it may accept on its own. It never rejects on its own: whatever it does not recognise goes to
// from_canonical, which is the single source of error messages.

// One string value at s[i] (the opening quote) in exactly put_string's form; on success i is
// past the closing quote, `value` is the raw bytes between the quotes and `escaped` says whether
// they hold an escape (the members whose content is checked below are escape-free when valid).
bool fast_string(std::string_view s, std::size_t& i, std::string_view& value, bool& escaped) {
  if (i >= s.size() || s[i] != '"') return false;
  const std::size_t start = ++i;
  escaped = false;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      value = s.substr(start, i - start);
      ++i;
      return true;
    }
    if (c < 0x20) return false;  // a raw control character is never canonical (nor JSON)
    if (c == '\\') {
      escaped = true;
      if (i + 1 >= s.size()) return false;
      const char e = s[i + 1];
      if (e == '"' || e == '\\' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
        i += 2;
        continue;
      }
      // \u00xx with lower-case hex, only for the controls that have no short escape.
      if (e != 'u' || i + 6 > s.size() || s[i + 2] != '0' || s[i + 3] != '0') return false;
      auto hx = [](char h) { return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1; };
      const int a = hx(s[i + 4]), b = hx(s[i + 5]);
      if (a < 0 || b < 0) return false;
      const int v = a * 16 + b;
      if (v >= 0x20 || v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t') return false;
      i += 6;
      continue;
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    // A multi-byte sequence: the same RFC 3629 rules as valid_utf8, one code point at a time.
    std::size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || !valid_utf8(s.substr(i, n))) return false;
    i += n;
  }
  return false;
}

bool lit(std::string_view s, std::size_t& i, std::string_view l) {
  if (s.substr(i, l.size()) != l) return false;
  i += l.size();
  return true;
}

// "YYYY-MM-DDTHH:MM:SS.mmmZ" exactly as rfc3339_ms prints it, for a date that survives the
// parse_rfc3339_ms -> rfc3339_ms round trip unchanged. Only years 1970..9999 are taken here
// (the others are legal but rare and are left to the slow path, which decides them exactly).
bool fast_time(std::string_view t) {
  if (t.size() != 24 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != '.' ||
      t[23] != 'Z')
    return false;
  int v[7] = {};
  static constexpr int kPos[7][2] = {{0, 4}, {5, 2}, {8, 2}, {11, 2}, {14, 2}, {17, 2}, {20, 3}};
  for (int f = 0; f < 7; ++f)
    for (int k = 0; k < kPos[f][1]; ++k) {
      const char c = t[static_cast<std::size_t>(kPos[f][0] + k)];
      if (c < '0' || c > '9') return false;
      v[f] = v[f] * 10 + (c - '0');
    }
  const int Y = v[0], M = v[1], D = v[2];
  if (Y < 1970 || M < 1 || M > 12 || D < 1 || v[3] > 23 || v[4] > 59 || v[5] > 59) return false;
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
  // Day 29..31 past the month's end would be normalised into the next month by timegm.
  return D <= kDays[M - 1] + (M == 2 && leap ? 1 : 0);
}

bool fast_canonical(std::string_view s) {
  std::size_t i = 0;
  std::string_view v;
  bool esc = false;
  // Members whose content matters are checked on their raw bytes: an escape inside them would
  // already make them invalid (the allowed values and hex digits contain none).
  auto plain = [&](std::string_view key) { return lit(s, i, key) && fast_string(s, i, v, esc); };
  if (!lit(s, i, "{")) return false;
  if (!plain("\"agent\":")) return false;
  if (!plain(",\"decision\":") || esc || !one_of(v, {"allow", "deny", "error"})) return false;
  if (!plain(",\"direction\":") || esc || !one_of(v, {"request", "response", "notification", "key-op"})) return false;
  if (!plain(",\"kid\":") || !plain(",\"method\":")) return false;
  if (!plain(",\"msg_sha256\":") || esc || (!v.empty() && !is_hex64(v))) return false;
  if (!plain(",\"name\":") || !plain(",\"rule\":") || !plain(",\"source\":")) return false;
  if (!plain(",\"time\":") || esc || !fast_time(v)) return false;
  // "v" sorts before "verify".
  if (!lit(s, i, ",\"v\":1") || !plain(",\"verify\":")) return false;
  return lit(s, i, "}") && i == s.size();
}

}  // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string rfc3339_ms(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buf;
}

bool parse_rfc3339_ms(std::string_view s, std::int64_t& ms) {
  int Y, M, D, h, m, sec, n = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) != 6 || n != 19) {
    // A bare date ("2026-01-31") is accepted by --since.
    if (std::sscanf(str.c_str(), "%4d-%2d-%2d%n", &Y, &M, &D, &n) != 3 || n != 10 || str.size() != 10) return false;
    h = m = sec = 0;
  }
  int frac = 0;
  std::size_t i = static_cast<std::size_t>(n);
  if (n == 19) {
    if (i < str.size() && str[i] == '.') {
      int digits = 0;
      for (++i; i < str.size() && str[i] >= '0' && str[i] <= '9'; ++i, ++digits)
        if (digits < 3) frac = frac * 10 + (str[i] - '0');
      if (digits == 0) return false;
      for (; digits < 3; ++digits) frac *= 10;
    }
    if (i + 1 != str.size() || (str[i] != 'Z' && str[i] != 'z')) return false;
  }
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return false;
  std::tm tm{};
  tm.tm_year = Y - 1900, tm.tm_mon = M - 1, tm.tm_mday = D, tm.tm_hour = h, tm.tm_min = m, tm.tm_sec = sec;
  ms = static_cast<std::int64_t>(timegm(&tm)) * 1000 + frac;
  return true;
}

Result<std::string> Entry::canonical() const {
  // The twelve members sorted by UTF-16 code unit (RFC 8785 §3.2.3); all keys are ASCII, so byte
  // order is that order. A fixed table: this runs once per logged key operation, on the caller's
  // thread, and building sorted maps for it cost more than writing the bytes.
  struct Member {
    std::string_view key;
    const std::string* value;  // nullptr: "time" or "v"
  };
  const Member members[] = {{"agent", &agent},   {"decision", &decision},     {"direction", &direction},
                            {"kid", &kid},       {"method", &method},         {"msg_sha256", &msg_sha256},
                            {"name", &name},     {"rule", &rule},             {"source", &source},
                            {"time", nullptr},   {"v", nullptr},              {"verify", &verify}};
  std::size_t size = 64;
  for (const Member& m : members) {
    if (!m.value) continue;
    if (!valid_utf8(*m.value)) return make_error(Error::Kind::kInput, "entry field '" + std::string(m.key) + "' is not valid UTF-8");
    size += m.key.size() + m.value->size() + 8;
  }
  if (!msg_sha256.empty() && !is_hex64(msg_sha256))
    return make_error(Error::Kind::kInput, "entry field 'msg_sha256' must be 64 lower-case hex digits");
  if (!one_of(direction, {"request", "response", "notification", "key-op"}))
    return make_error(Error::Kind::kInput, "entry field 'direction' must be request, response, notification or key-op");
  if (!one_of(decision, {"allow", "deny", "error"}))
    return make_error(Error::Kind::kInput, "entry field 'decision' must be allow, deny or error");
  std::string o;
  o.reserve(size);
  o += '{';
  for (const Member& m : members) {
    if (o.size() > 1) o += ',';
    put_string(o, m.key);
    o += ':';
    if (m.value) put_string(o, *m.value);
    else if (m.key == "time") put_string(o, rfc3339_ms(time_ms));
    else o += '1';
  }
  o += '}';
  return o;
}

Result<Entry> Entry::from_json(std::string_view text) {
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(Error::Kind::kInput, "an entry must be one JSON object");
  Entry e;
  std::map<std::string, std::string*> fields = {
      {"agent", &e.agent}, {"decision", &e.decision}, {"direction", &e.direction}, {"kid", &e.kid},
      {"method", &e.method}, {"msg_sha256", &e.msg_sha256}, {"name", &e.name}, {"rule", &e.rule},
      {"source", &e.source}, {"verify", &e.verify}};
  for (auto& [k, v] : j.items()) {
    if (k == "v") {
      if (!v.is_number_integer() || v.get<std::int64_t>() != 1)
        return make_error(Error::Kind::kInput, "entry version 'v' must be 1");
    } else if (k == "time") {
      if (!v.is_string() || !parse_rfc3339_ms(v.get_ref<const std::string&>(), e.time_ms))
        return make_error(Error::Kind::kInput, "entry field 'time' must be an RFC 3339 UTC time");
    } else if (auto it = fields.find(k); it != fields.end()) {
      if (!v.is_string()) return make_error(Error::Kind::kInput, "entry field '" + k + "' must be a string");
      *it->second = v.get<std::string>();
    } else {
      return make_error(Error::Kind::kInput, "unknown entry field '" + k + "'");
    }
  }
  return e;
}

Result<Entry> Entry::from_canonical(std::string_view bytes) {
  auto e = from_json(bytes);
  if (!e) return e;
  auto c = e->canonical();
  if (!c) return c.error();
  if (*c != bytes) return make_error(Error::Kind::kInput, "entry bytes are not in canonical form");
  return e;
}

Status Entry::check_canonical(std::string_view bytes) {
  if (fast_canonical(bytes)) return {};
  auto e = from_canonical(bytes);
  if (!e) return e.error();
  // Only reached for canonical entries outside the fast path's time range (years before 1970).
  return {};
}

}  // namespace pqmcp::audit
