// TOML → validated policy model (docs/policy.md). Validation is strict: an unknown key, a bad
// pattern or an impossible constraint is an error naming its line, column and key path, because a
// typo that silently loosens or tightens an access policy is worse than a refusal to load.
#include <cmath>
#include <exception>
#include <set>

#include <toml++/toml.h>

#include "policy/model.h"
#include "policy/policy.h"

namespace pqmcp::policy {
namespace detail {

const std::vector<std::string>& builtin_default_methods() {
  // Protocol plumbing of both MCP eras: handshake, liveness, cancellation and progress, and the
  // listings an agent needs before it can call anything. Listing is not calling: every call,
  // read and get still needs a rule of its own.
  static const std::vector<std::string> k = {
      "initialize",          "notifications/initialized", "notifications/cancelled",
      "notifications/progress", "notifications/roots/list_changed", "ping",
      "server/discover",     "tools/list",                "resources/list",
      "resources/templates/list", "prompts/list"};
  return k;
}

}  // namespace detail

namespace {

using detail::Agent;
using detail::Constraint;
using detail::Glob;
using detail::Model;
using detail::Rate;
using detail::Rule;
using detail::Window;

// Thrown only inside this file and caught in Policy::parse: it carries the first validation
// error out of the recursive walk.
struct Invalid {
  std::string message;
};

[[noreturn]] void fail_at(const toml::source_region& r, const std::string& path, const std::string& msg) {
  const auto& b = r.begin;
  throw Invalid{"line " + std::to_string(b.line) + ", column " + std::to_string(b.column) + ": " +
                path + ": " + msg};
}

[[noreturn]] void fail(const toml::node& n, const std::string& path, const std::string& msg) {
  fail_at(n.source(), path, msg);
}

void only_keys(const toml::table& t, const std::string& path, std::initializer_list<std::string_view> ok) {
  for (auto&& [k, v] : t) {
    bool known = false;
    for (auto o : ok) known |= k.str() == o;
    if (!known) fail_at(k.source(), path, "unknown key '" + std::string(k.str()) + "'");
  }
}

const toml::table& need_table(const toml::node& n, const std::string& path) {
  if (!n.is_table()) fail(n, path, "must be a table");
  return *n.as_table();
}

std::string need_string(const toml::node& n, const std::string& path) {
  if (!n.is_string()) fail(n, path, "must be a string");
  return n.as_string()->get();
}

bool need_bool(const toml::node& n, const std::string& path) {
  if (!n.is_boolean()) fail(n, path, "must be true or false");
  return n.as_boolean()->get();
}

std::int64_t need_int(const toml::node& n, const std::string& path, std::int64_t lo, std::int64_t hi) {
  if (!n.is_integer()) fail(n, path, "must be an integer");
  const std::int64_t v = n.as_integer()->get();
  if (v < lo || v > hi)
    fail(n, path, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return v;
}

double need_number(const toml::node& n, const std::string& path) {
  if (n.is_integer()) return static_cast<double>(n.as_integer()->get());
  if (n.is_floating_point() && std::isfinite(n.as_floating_point()->get()))
    return n.as_floating_point()->get();
  fail(n, path, "must be a finite number");
}

std::vector<std::string> need_strings(const toml::node& n, const std::string& path, bool allow_empty) {
  if (!n.is_array()) fail(n, path, "must be an array of strings");
  std::vector<std::string> out;
  std::size_t i = 0;
  for (const auto& e : *n.as_array()) out.push_back(need_string(e, path + "[" + std::to_string(i++) + "]"));
  if (out.empty() && !allow_empty) fail(n, path, "must not be empty");
  return out;
}

Glob need_glob(const toml::node& n, const std::string& path) {
  auto g = Glob::compile(need_string(n, path));
  if (!g.ok()) fail(n, path, "bad pattern: " + g.error());
  return std::move(g.value());
}

int parse_day(std::string_view d) {
  static constexpr std::string_view k[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  for (int i = 0; i < 7; ++i)
    if (d == k[i]) return i;
  return -1;
}

int parse_hhmm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return -1;
  for (int i : {0, 1, 3, 4})
    if (s[i] < '0' || s[i] > '9') return -1;
  const int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

Window parse_window(const toml::node& n, const std::string& path) {
  const auto& t = need_table(n, path);
  only_keys(t, path, {"days", "hours"});
  Window w;
  w.present = true;
  if (const auto* d = t.get("days")) {
    w.days = 0;
    w.day_specs = need_strings(*d, path + ".days", false);
    for (const auto& s : w.day_specs) {
      const auto dash = s.find('-');
      const int a = parse_day(s.substr(0, dash));
      const int b = dash == std::string::npos ? a : parse_day(s.substr(dash + 1));
      if (a < 0 || b < 0) fail(*d, path + ".days", "'" + s + "' is not a day (mon…sun) or range (mon-fri)");
      for (int i = a;; i = (i + 1) % 7) {
        w.days |= static_cast<std::uint8_t>(1u << i);
        if (i == b) break;
      }
    }
  }
  if (const auto* h = t.get("hours")) {
    w.hour_specs = need_strings(*h, path + ".hours", false);
    for (const auto& s : w.hour_specs) {
      const int a = s.size() == 11 && s[5] == '-' ? parse_hhmm(s.substr(0, 5)) : -1;
      const int b = a >= 0 ? parse_hhmm(s.substr(6)) : -1;
      if (a < 0 || b < 0 || a == b || a == 1440)
        fail(*h, path + ".hours", "'" + s + "' is not a range HH:MM-HH:MM (UTC, end exclusive, start != end)");
      w.minutes.emplace_back(a, b == 1440 ? 0 : b);
    }
  }
  if (!t.get("days") && !t.get("hours")) fail(n, path, "needs days and/or hours");
  return w;
}

Rate parse_rate(const toml::node& n, const std::string& path) {
  const auto& t = need_table(n, path);
  only_keys(t, path, {"per_second", "per_minute", "per_hour", "per_day", "burst"});
  Rate r;
  r.present = true;
  static constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"second", 1000}, {"minute", 60'000}, {"hour", 3'600'000}, {"day", 86'400'000}};
  for (auto [u, ms] : kUnits) {
    if (const auto* v = t.get("per_" + std::string(u))) {
      if (!r.unit.empty()) fail(*v, path, "give exactly one of per_second, per_minute, per_hour, per_day");
      r.unit = u;
      r.count = need_int(*v, path + ".per_" + std::string(u), 1, 1'000'000'000);
      r.period_ms = ms;
    }
  }
  if (r.unit.empty()) fail(n, path, "needs one of per_second, per_minute, per_hour, per_day");
  r.burst = r.count;
  if (const auto* b = t.get("burst")) r.burst = need_int(*b, path + ".burst", 1, 1'000'000'000);
  return r;
}

json::Value scalar_value(const toml::node& n, const std::string& path) {
  if (n.is_string()) return n.as_string()->get();
  if (n.is_integer()) return n.as_integer()->get();
  if (n.is_boolean()) return n.as_boolean()->get();
  if (n.is_floating_point() && std::isfinite(n.as_floating_point()->get()))
    return n.as_floating_point()->get();
  fail(n, path, "values must be strings, numbers or booleans");
}

Constraint parse_constraint(std::string arg, const toml::node& n, const std::string& path) {
  const auto& t = need_table(n, path);
  for (auto&& [k, v] : t) {
    static constexpr std::string_view ok[] = {"required", "type",   "path_prefix", "prefix", "pattern",
                                              "values",   "max_length", "max_bytes", "min",  "max"};
    if (std::find(std::begin(ok), std::end(ok), k.str()) == std::end(ok))
      fail_at(k.source(), path, "unknown constraint '" + std::string(k.str()) + "'");
  }
  Constraint c;
  c.arg = std::move(arg);
  if (const auto* v = t.get("required")) c.required = need_bool(*v, path + ".required");
  if (const auto* v = t.get("type")) {
    c.type = need_string(*v, path + ".type");
    static const std::set<std::string> kTypes = {"string", "number", "integer", "boolean", "object", "array", "null"};
    if (!kTypes.count(*c.type)) fail(*v, path + ".type", "unknown type '" + *c.type + "'");
  }
  if (const auto* v = t.get("path_prefix")) {
    std::string p = need_string(*v, path + ".path_prefix");
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    if (!detail::canonical_path(p))
      fail(*v, path + ".path_prefix", "must be a canonical path (no empty, '.' or '..' segments)");
    c.path_prefix = p;
  }
  if (const auto* v = t.get("prefix")) {
    c.prefix = need_string(*v, path + ".prefix");
    if (c.prefix->empty()) fail(*v, path + ".prefix", "must not be empty");
  }
  if (const auto* v = t.get("pattern")) c.pattern = need_glob(*v, path + ".pattern");
  if (const auto* v = t.get("values")) {
    if (!v->is_array() || v->as_array()->empty()) fail(*v, path + ".values", "must be a non-empty array");
    c.values.emplace();
    std::size_t i = 0;
    for (const auto& e : *v->as_array())
      c.values->push_back(scalar_value(e, path + ".values[" + std::to_string(i++) + "]"));
  }
  if (const auto* v = t.get("max_length")) c.max_length = need_int(*v, path + ".max_length", 0, INT64_MAX);
  if (const auto* v = t.get("max_bytes")) c.max_bytes = need_int(*v, path + ".max_bytes", 1, INT64_MAX);
  if (const auto* v = t.get("min")) c.min = need_number(*v, path + ".min");
  if (const auto* v = t.get("max")) c.max = need_number(*v, path + ".max");
  if (c.min && c.max && *c.min > *c.max) fail(n, path, "min is greater than max");
  const bool stringy = c.path_prefix || c.prefix || c.pattern;
  if (stringy && c.type && *c.type != "string")
    fail(n, path, "path_prefix/prefix/pattern need type \"string\"");
  if ((c.min || c.max) && c.type && *c.type != "number" && *c.type != "integer")
    fail(n, path, "min/max need a numeric type");
  if (stringy && (c.min || c.max)) fail(n, path, "string and numeric constraints cannot be combined");
  if (t.empty()) fail(n, path, "an empty constraint allows anything; say what is required");
  return c;
}

Rule parse_rule(const toml::node& n, const std::string& path, std::string_view kind) {
  const auto& t = need_table(n, path);
  const bool has_args = kind != "resources";
  const std::string_view key = kind == "resources" ? "uri" : "name";
  if (has_args)
    only_keys(t, path, {"name", "deny", "window", "rate", "args", "additional_args"});
  else
    only_keys(t, path, {"uri", "deny", "window", "rate"});
  Rule r;
  r.id = path;
  const auto* p = t.get(key);
  if (!p) fail(n, path, "needs '" + std::string(key) + "' (a pattern)");
  r.pattern = need_glob(*p, path + "." + std::string(key));
  if (const auto* v = t.get("deny")) r.deny = need_bool(*v, path + ".deny");
  if (const auto* v = t.get("window")) r.window = parse_window(*v, path + ".window");
  if (const auto* v = t.get("rate")) r.rate = parse_rate(*v, path + ".rate");
  if (const auto* v = t.get("additional_args")) r.additional_args = need_bool(*v, path + ".additional_args");
  if (const auto* v = t.get("args")) {
    for (auto&& [k, c] : need_table(*v, path + ".args"))
      r.args.push_back(parse_constraint(std::string(k.str()), c, path + ".args." + std::string(k.str())));
  }
  if (r.deny && (!r.args.empty() || r.rate.present || t.get("additional_args")))
    fail(n, path, "a deny rule takes only a pattern and a window");
  return r;
}

void check_agent_name(const toml::node& n, const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128;
  for (unsigned char c : name) ok &= c >= 0x20 && c != 0x7f && c != '"' && c != '\\';
  if (!ok) fail(n, "agents", "agent name '" + name + "' must be 1-128 printable characters without quotes");
}

Agent parse_agent(const std::string& name, const toml::node& n) {
  const std::string path = "agents." + name;
  check_agent_name(n, name);
  const auto& t = need_table(n, path);
  only_keys(t, path, {"kids", "methods", "default_methods", "window", "rate", "tools", "resources", "prompts"});
  Agent a;
  a.name = name;
  if (const auto* v = t.get("kids")) {
    a.kids = need_strings(*v, path + ".kids", false);
    for (const auto& k : a.kids)
      if (k.empty() || k.size() > 256) fail(*v, path + ".kids", "a key id is 1-256 characters");
  }
  if (const auto* v = t.get("methods")) {
    if (!v->is_array()) fail(*v, path + ".methods", "must be an array of patterns");
    std::size_t i = 0;
    for (const auto& e : *v->as_array()) {
      const std::string p = path + ".methods[" + std::to_string(i++) + "]";
      Glob g = need_glob(e, p);
      if (!target_kind(g.text()).empty())
        fail(e, p, "'" + g.text() + "' is decided by the agent's " + std::string(target_kind(g.text())) +
                       " rules, not by methods");
      a.methods.push_back(std::move(g));
    }
  }
  if (const auto* v = t.get("default_methods")) a.default_methods = need_bool(*v, path + ".default_methods");
  if (const auto* v = t.get("window")) a.window = parse_window(*v, path + ".window");
  if (const auto* v = t.get("rate")) a.rate = parse_rate(*v, path + ".rate");
  for (std::string_view kind : {"tools", "resources", "prompts"}) {
    const auto* v = t.get(kind);
    if (!v) continue;
    const std::string kp = path + "." + std::string(kind);
    if (!v->is_array_of_tables()) fail(*v, kp, "must be an array of tables ([[" + kp + "]])");
    auto& list = kind == "tools" ? a.tools : kind == "resources" ? a.resources : a.prompts;
    std::size_t i = 0;
    for (const auto& e : *v->as_array()) list.push_back(parse_rule(e, kp + "[" + std::to_string(i++) + "]", kind));
  }
  return a;
}

Model parse_model(const toml::table& root) {
  only_keys(root, "policy", {"version", "defaults", "agents"});
  Model m;
  const auto* ver = root.get("version");
  if (!ver) fail(root, "version", "missing; this format is version = 1");
  m.version = need_int(*ver, "version", 1, 1);
  if (const auto* d = root.get("defaults")) {
    const auto& t = need_table(*d, "defaults");
    only_keys(t, "defaults", {"methods"});
    if (const auto* v = t.get("methods")) {
      m.defaults_given = true;
      if (!v->is_array()) fail(*v, "defaults.methods", "must be an array of patterns");
      std::size_t i = 0;
      for (const auto& e : *v->as_array()) {
        const std::string p = "defaults.methods[" + std::to_string(i++) + "]";
        Glob g = need_glob(e, p);
        if (!target_kind(g.text()).empty()) fail(e, p, "'" + g.text() + "' needs an agent rule");
        m.default_methods.push_back(std::move(g));
      }
    }
  }
  if (!m.defaults_given)
    for (const auto& s : detail::builtin_default_methods()) m.default_methods.push_back(Glob::compile(s).value());
  if (const auto* a = root.get("agents")) {
    for (auto&& [k, v] : need_table(*a, "agents")) {
      std::string name(k.str());
      m.agents.emplace(name, parse_agent(name, v));
    }
  }
  return m;
}

}  // namespace

Result<Policy, std::string> Policy::parse(std::string_view text) noexcept {
  try {
    if (text.size() > 1024 * 1024) return unexpected(std::string("policy larger than 1 MiB"));
    toml::table root;
    try {
      root = toml::parse(text);
    } catch (const toml::parse_error& e) {
      const auto& b = e.source().begin;
      return unexpected("line " + std::to_string(b.line) + ", column " + std::to_string(b.column) +
                        ": TOML syntax: " + std::string(e.description()));
    }
    auto m = std::make_shared<Model>(parse_model(root));
    return Policy(std::move(m));
  } catch (const Invalid& e) {
    return unexpected(e.message);
  } catch (const std::exception& e) {
    return unexpected(std::string("internal error: ") + e.what());
  } catch (...) {
    return unexpected(std::string("internal error"));
  }
}

}  // namespace pqmcp::policy
