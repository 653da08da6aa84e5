// Canonical TOML text of a policy model. Deterministic for a given model (agents sorted by name,
// keys in a fixed order, arguments sorted, every string in basic-string form), so that the
// gateway, `pqmcp policy install` and the token all name a policy by the same digest.
#include <charconv>
#include <cstdio>

#include "policy/model.h"

namespace pqmcp::policy::detail {
namespace {

std::string q(std::string_view s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\b': o += "\\b"; break;
      case '\t': o += "\\t"; break;
      case '\n': o += "\\n"; break;
      case '\f': o += "\\f"; break;
      case '\r': o += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o + "\"";
}

std::string num(double d) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string strings(const std::vector<std::string>& v) {
  std::string o = "[";
  for (std::size_t i = 0; i < v.size(); ++i) o += (i ? ", " : "") + q(v[i]);
  return o + "]";
}

std::string globs(const std::vector<Glob>& v) {
  std::vector<std::string> s;
  for (const auto& g : v) s.push_back(g.text());
  return strings(s);
}

std::string value(const json::Value& v) {
  if (v.is_string()) return q(v.get_ref<const std::string&>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) return num(v.get<double>());
  return v.dump();  // integers
}

std::string window(const Window& w) {
  std::string o = "{ ";
  if (!w.day_specs.empty()) o += "days = " + strings(w.day_specs);
  if (!w.hour_specs.empty()) o += std::string(w.day_specs.empty() ? "" : ", ") + "hours = " + strings(w.hour_specs);
  return o + " }";
}

std::string rate(const Rate& r) {
  return "{ per_" + r.unit + " = " + std::to_string(r.count) + ", burst = " + std::to_string(r.burst) + " }";
}

std::string constraint(const Constraint& c) {
  std::vector<std::string> f;
  if (c.required) f.push_back("required = true");
  if (c.type) f.push_back("type = " + q(*c.type));
  if (c.path_prefix) f.push_back("path_prefix = " + q(*c.path_prefix));
  if (c.prefix) f.push_back("prefix = " + q(*c.prefix));
  if (c.pattern) f.push_back("pattern = " + q(c.pattern->text()));
  if (c.values) {
    std::string v = "values = [";
    for (std::size_t i = 0; i < c.values->size(); ++i) v += (i ? ", " : "") + value((*c.values)[i]);
    f.push_back(v + "]");
  }
  if (c.max_length) f.push_back("max_length = " + std::to_string(*c.max_length));
  if (c.max_bytes) f.push_back("max_bytes = " + std::to_string(*c.max_bytes));
  if (c.min) f.push_back("min = " + num(*c.min));
  if (c.max) f.push_back("max = " + num(*c.max));
  if (f.empty()) f.push_back("required = false");
  std::string o = "{ ";
  for (std::size_t i = 0; i < f.size(); ++i) o += (i ? ", " : "") + f[i];
  return o + " }";
}

void rules(std::string& o, const std::string& agent, std::string_view kind, const std::vector<Rule>& list) {
  for (const auto& r : list) {
    o += "\n[[agents." + q(agent) + "." + std::string(kind) + "]]\n";
    o += std::string(kind == "resources" ? "uri" : "name") + " = " + q(r.pattern.text()) + "\n";
    if (r.deny) o += "deny = true\n";
    if (r.window.present) o += "window = " + window(r.window) + "\n";
    if (r.rate.present) o += "rate = " + rate(r.rate) + "\n";
    if (!r.additional_args) o += "additional_args = false\n";
    if (!r.args.empty()) {
      o += "args = { ";
      for (std::size_t i = 0; i < r.args.size(); ++i)
        o += (i ? ", " : "") + q(r.args[i].arg) + " = " + constraint(r.args[i]);
      o += " }\n";
    }
  }
}

}  // namespace

std::string canonical_text(const Model& m) {
  std::string o = "# pqmcp policy (canonical form)\nversion = " + std::to_string(m.version) + "\n";
  if (m.defaults_given) o += "\n[defaults]\nmethods = " + globs(m.default_methods) + "\n";
  for (const auto& [name, a] : m.agents) {
    o += "\n[agents." + q(name) + "]\n";
    if (!a.kids.empty()) o += "kids = " + strings(a.kids) + "\n";
    if (!a.methods.empty()) o += "methods = " + globs(a.methods) + "\n";
    if (!a.default_methods) o += "default_methods = false\n";
    if (a.window.present) o += "window = " + window(a.window) + "\n";
    if (a.rate.present) o += "rate = " + rate(a.rate) + "\n";
    rules(o, name, "tools", a.tools);
    rules(o, name, "resources", a.resources);
    rules(o, name, "prompts", a.prompts);
  }
  return o;
}

}  // namespace pqmcp::policy::detail
