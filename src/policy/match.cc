// Pattern, time-window and argument matching (docs/policy.md "Patterns", "Time windows",
// "Argument constraints").
#include <algorithm>
#include <cmath>

#include "policy/model.h"

namespace pqmcp::policy::detail {

Result<Glob, std::string> Glob::compile(std::string_view p) {
  if (p.empty()) return unexpected(std::string("empty pattern"));
  if (p.size() > 1024) return unexpected(std::string("pattern longer than 1024 bytes"));
  Glob g;
  g.text_ = std::string(p);
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    Tok t{};
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return unexpected(std::string("control character in pattern"));
    if (c == '*') {
      std::size_t n = 1;
      while (i + n < p.size() && p[i + n] == '*') ++n;
      if (n > 2) return unexpected(std::string("'***' is not a pattern (use '*' or '**')"));
      t.op = n == 2 ? Op::kStarStar : Op::kStar;
      i += n - 1;
    } else if (c == '?') {
      t.op = Op::kAny1;
    } else if (c == '\\') {
      if (i + 1 == p.size()) return unexpected(std::string("pattern ends with '\\'"));
      t.op = Op::kLiteral;
      t.c = p[++i];
    } else if (c == '[') {
      t.op = Op::kClass;
      std::size_t j = i + 1;
      if (j < p.size() && p[j] == '!') t.negate = true, ++j;
      const std::size_t first = j;
      bool closed = false;
      for (; j < p.size(); ++j) {
        unsigned char a = static_cast<unsigned char>(p[j]);
        if (a == ']' && j > first) {
          closed = true;
          break;
        }
        if (a == '\\') {
          if (j + 1 == p.size()) break;
          a = static_cast<unsigned char>(p[++j]);
        }
        unsigned char b = a;
        if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
          b = static_cast<unsigned char>(p[j + 2]);
          j += 2;
          if (b < a) return unexpected(std::string("reversed range in '[...]'"));
        }
        if (a >= 0x80 || b >= 0x80) return unexpected(std::string("'[...]' may hold ASCII only"));
        for (unsigned x = a; x <= b; ++x) t.bits[x >> 6] |= std::uint64_t{1} << (x & 63);
      }
      if (!closed) return unexpected(std::string("unterminated '['"));
      i = j;
    } else {
      t.op = Op::kLiteral;
      t.c = c;
    }
    g.toks_.push_back(t);
  }
  return g;
}

bool Glob::match(std::string_view s) const noexcept {
  // reach[i]: the tokens consumed so far can end at text position i.
  std::vector<char> reach(s.size() + 1, 0), next(s.size() + 1, 0);
  reach[0] = 1;
  auto cont = [](unsigned char b) { return (b & 0xC0) == 0x80; };
  for (const Tok& t : toks_) {
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (!reach[i]) continue;
      switch (t.op) {
        case Op::kLiteral:
          if (i < s.size() && s[i] == t.c) next[i + 1] = 1;
          break;
        case Op::kAny1:
          if (i < s.size() && s[i] != '/') {
            std::size_t j = i + 1;
            while (j < s.size() && cont(static_cast<unsigned char>(s[j]))) ++j;
            next[j] = 1;
          }
          break;
        case Op::kClass:
          if (i < s.size()) {
            const auto b = static_cast<unsigned char>(s[i]);
            const bool in = b < 0x80 && ((t.bits[b >> 6] >> (b & 63)) & 1);
            if (in != t.negate && b != '/' && b < 0x80) next[i + 1] = 1;
          }
          break;
        case Op::kStar:
          for (std::size_t j = i;; ++j) {
            next[j] = 1;
            if (j == s.size() || s[j] == '/') break;
          }
          break;
        case Op::kStarStar:
          for (std::size_t j = i; j <= s.size(); ++j) next[j] = 1;
          i = s.size();  // every later position is already reachable
          break;
      }
    }
    reach.swap(next);
    for (char r : reach) any |= r != 0;
    if (!any) return false;
  }
  return reach[s.size()] != 0;
}

bool Window::contains(std::int64_t now_ms) const noexcept {
  if (!present) return true;
  constexpr std::int64_t kDay = 86'400'000;
  std::int64_t day = now_ms / kDay, rem = now_ms % kDay;
  if (rem < 0) rem += kDay, --day;
  const int minute = static_cast<int>(rem / 60'000);
  // 1970-01-01 was a Thursday (weekday 4).
  auto weekday = [](std::int64_t d) { return static_cast<int>(((d + 4) % 7 + 7) % 7); };
  if (minutes.empty()) return (days >> weekday(day)) & 1;
  for (auto [a, b] : minutes) {
    if (a < b) {
      if (minute >= a && minute < b && ((days >> weekday(day)) & 1)) return true;
    } else {
      // Wraps midnight: the part after midnight belongs to the previous day's window.
      if (minute >= a && ((days >> weekday(day)) & 1)) return true;
      if (minute < b && ((days >> weekday(day - 1)) & 1)) return true;
    }
  }
  return false;
}

bool canonical_path(std::string_view p) noexcept {
  if (p.empty()) return false;
  if (p.find('\0') != std::string_view::npos || p.find('\\') != std::string_view::npos)
    return false;
  std::size_t i = p[0] == '/' ? 1 : 0;
  if (p == "/") return true;
  while (i <= p.size()) {
    std::size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    const std::string_view seg = p.substr(i, j - i);
    if (seg.empty() || seg == "." || seg == "..") return false;
    i = j + 1;
  }
  return true;
}

namespace {

std::string short_value(const json::Value& v) {
  std::string s = v.is_string() ? v.get_ref<const std::string&>() : v.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  return s;
}

bool type_is(const json::Value& v, std::string_view t) {
  if (t == "string") return v.is_string();
  if (t == "number") return v.is_number();
  if (t == "integer")
    return v.is_number_integer() ||
           (v.is_number_float() && std::nearbyint(v.get<double>()) == v.get<double>());
  if (t == "boolean") return v.is_boolean();
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  return v.is_null();
}

}  // namespace

bool check_constraint(const Constraint& c, const json::Value* v, std::string& why) {
  const std::string name = "argument '" + c.arg + "'";
  if (v == nullptr) {
    if (c.required) why = name + " is required";
    return !c.required;
  }
  if (c.type && !type_is(*v, *c.type)) return why = name + " is not of type " + *c.type, false;
  const bool needs_string = c.path_prefix || c.prefix || c.pattern;
  if (needs_string && !v->is_string()) return why = name + " must be a string", false;
  if (c.path_prefix) {
    const std::string& s = v->get_ref<const std::string&>();
    if (!canonical_path(s))
      return why = name + " is not a canonical path (empty, '.' or '..' segment): " +
                   short_value(*v), false;
    const std::string& pre = *c.path_prefix;
    const bool under = pre == "/" ? s[0] == '/'
                                  : s == pre || (s.size() > pre.size() && s.compare(0, pre.size(), pre) == 0 &&
                                                 s[pre.size()] == '/');
    if (!under) return why = name + " " + short_value(*v) + " is not under " + pre, false;
  }
  if (c.prefix) {
    const std::string& s = v->get_ref<const std::string&>();
    if (s.rfind(*c.prefix, 0) != 0)
      return why = name + " " + short_value(*v) + " does not start with " + *c.prefix, false;
  }
  if (c.pattern && !c.pattern->match(v->get_ref<const std::string&>()))
    return why = name + " " + short_value(*v) + " does not match " + c.pattern->text(), false;
  if (c.values) {
    bool found = false;
    for (const auto& x : *c.values) found |= x == *v;
    if (!found) return why = name + " " + short_value(*v) + " is not an allowed value", false;
  }
  if (c.max_length) {
    std::int64_t n = -1;
    if (v->is_string()) n = static_cast<std::int64_t>(v->get_ref<const std::string&>().size());
    if (v->is_array()) n = static_cast<std::int64_t>(v->size());
    if (n < 0) return why = name + " has no length (not a string or array)", false;
    if (n > *c.max_length)
      return why = name + " is longer than " + std::to_string(*c.max_length), false;
  }
  if (c.max_bytes) {
    auto jcs = json::canonicalize(*v);
    if (!jcs.ok()) return why = name + " has no canonical form", false;
    if (static_cast<std::int64_t>(jcs->size()) > *c.max_bytes)
      return why = name + " is larger than " + std::to_string(*c.max_bytes) + " bytes", false;
  }
  if (c.min || c.max) {
    if (!v->is_number()) return why = name + " must be a number", false;
    const double d = v->get<double>();
    if ((c.min && d < *c.min) || (c.max && d > *c.max) || std::isnan(d))
      return why = name + " " + short_value(*v) + " is out of range", false;
  }
  return true;
}

}  // namespace pqmcp::policy::detail
