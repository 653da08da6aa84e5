// The stateless decision (docs/policy.md "How a request is decided").
#include <array>

#include "crypto/sha3.h"
#include "policy/model.h"
#include "policy/policy.h"

namespace pqmcp::policy {

using detail::Agent;
using detail::Rule;

std::string_view target_kind(std::string_view m) noexcept {
  if (m == "tools/call") return "tools";
  if (m == "prompts/get") return "prompts";
  if (m == "resources/read" || m == "resources/subscribe" || m == "resources/unsubscribe") return "resources";
  return "";
}

Request request_from_message(const json::Value& msg, std::string agent, std::string kid, std::int64_t now_ms) {
  Request r;
  r.agent = std::move(agent);
  r.kid = std::move(kid);
  r.now_ms = now_ms;
  if (!msg.is_object()) return r;
  if (auto m = msg.find("method"); m != msg.end() && m->is_string()) r.method = m->get<std::string>();
  auto p = msg.find("params");
  if (p == msg.end() || !p->is_object()) return r;
  const std::string_view kind = target_kind(r.method);
  const char* key = kind == "resources" ? "uri" : "name";
  if (!kind.empty()) {
    // A target of the wrong type stays "" and is refused by evaluate(): never guessed.
    if (auto t = p->find(key); t != p->end() && t->is_string()) r.target = t->get<std::string>();
  }
  if (kind == "tools" || kind == "prompts") {
    if (auto a = p->find("arguments"); a != p->end()) r.arguments = &*a;
  } else {
    r.arguments = &*p;
  }
  return r;
}

namespace {

Decision deny(std::string rule, std::string reason) { return {false, std::move(rule), std::move(reason)}; }
Decision allow(std::string rule, std::string reason) { return {true, std::move(rule), std::move(reason)}; }

std::string printable(std::string_view s) {
  std::string out(s.substr(0, 200));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s.size() > 200 ? out + "..." : out;
}

// A resource URI with a dot segment (also percent-encoded) or a backslash could name something
// outside what a pattern like "file:///data/retail/**" appears to allow once the server
// normalises it, so such URIs are never matched.
bool uri_is_plain(std::string_view u) {
  std::string low;
  for (std::size_t i = 0; i < u.size(); ++i) {
    char c = u[i];
    if (c == '\\' || c == '\0') return false;
    if (c == '%' && i + 2 < u.size() && u[i + 1] == '2' && (u[i + 2] == 'e' || u[i + 2] == 'E')) {
      low += '.';
      i += 2;
      continue;
    }
    if (c == '%' && i + 2 < u.size() &&
        ((u[i + 1] == '2' && (u[i + 2] == 'f' || u[i + 2] == 'F')) ||
         (u[i + 1] == '5' && (u[i + 2] == 'c' || u[i + 2] == 'C'))))
      return false;
    low += c;
  }
  std::size_t i = 0;
  while (i <= low.size()) {
    std::size_t j = low.find_first_of("/?#", i);
    if (j == std::string::npos) j = low.size();
    const std::string_view seg = std::string_view(low).substr(i, j - i);
    if (seg == "." || seg == "..") return false;
    if (j < low.size() && low[j] != '/') break;  // query/fragment: not a path any more
    i = j + 1;
  }
  return true;
}

// Arguments checked against a rule's constraints; "" if they pass.
std::string check_args(const Rule& rule, const json::Value* args) {
  if (rule.args.empty() && rule.additional_args) return "";
  const bool is_obj = args != nullptr && args->is_object();
  if (args != nullptr && !args->is_null() && !is_obj) return "arguments are not an object";
  std::string why;
  for (const auto& c : rule.args) {
    const json::Value* v = nullptr;
    if (is_obj)
      if (auto it = args->find(c.arg); it != args->end()) v = &*it;
    if (!detail::check_constraint(c, v, why)) return why;
  }
  if (!rule.additional_args && is_obj) {
    for (auto it = args->begin(); it != args->end(); ++it) {
      bool known = false;
      for (const auto& c : rule.args) known |= c.arg == it.key();
      if (!known) return "argument '" + printable(it.key()) + "' is not allowed";
    }
  }
  return "";
}

}  // namespace

namespace detail {
// The rule that allows r, or nullptr (shared with the rate limiter). deny_out gets the decision
// when the answer is no.
const Rule* deciding_rule(const Agent& a, const Request& r, Decision& out) {
  const std::string_view kind = target_kind(r.method);
  const auto& rules = kind == "tools" ? a.tools : kind == "prompts" ? a.prompts : a.resources;
  const std::string what = kind == "tools" ? "tool" : kind == "prompts" ? "prompt" : "resource";
  if (r.target.empty()) {
    out = deny("default-deny", r.method + " without a " + what + (kind == "resources" ? " uri" : " name"));
    return nullptr;
  }
  if (kind == "resources" && !uri_is_plain(r.target)) {
    out = deny("default-deny", "resource uri with a dot segment or encoded separator: " + printable(r.target));
    return nullptr;
  }
  const Rule* failed = nullptr;
  std::string failed_why;
  for (const Rule& rule : rules) {
    if (!rule.pattern.match(r.target)) continue;
    if (rule.deny) {
      if (!rule.window.contains(r.now_ms)) continue;
      out = deny(rule.id, what + " '" + printable(r.target) + "' is denied for agent " + a.name);
      return nullptr;
    }
    std::string why;
    if (!rule.window.contains(r.now_ms))
      why = "outside the rule's time window";
    else
      why = check_args(rule, r.arguments);
    if (why.empty()) {
      out = allow(rule.id, what + " '" + printable(r.target) + "' allowed for agent " + a.name);
      return &rule;
    }
    if (!failed) failed = &rule, failed_why = std::move(why);
  }
  if (failed)
    out = deny(failed->id, what + " '" + printable(r.target) + "': " + failed_why);
  else
    out = deny("default-deny", "no " + what + " rule of agent " + a.name + " matches '" + printable(r.target) + "'");
  return nullptr;
}
}  // namespace detail

Decision Policy::evaluate(const Request& r) const noexcept {
  try {
    const auto it = m_->agents.find(r.agent);
    if (it == m_->agents.end()) return deny("default-deny", "no policy for agent '" + printable(r.agent) + "'");
    const Agent& a = it->second;
    const std::string base = "agents." + a.name;
    if (!a.kids.empty()) {
      bool ok = false;
      for (const auto& k : a.kids) ok |= k == r.kid;
      if (!ok) return deny(base + ".kids", "key id '" + printable(r.kid) + "' is not listed for agent " + a.name);
    }
    if (!a.window.contains(r.now_ms)) return deny(base + ".window", "outside agent " + a.name + "'s time window");
    if (r.method.empty()) return deny("default-deny", "no method");
    if (!target_kind(r.method).empty()) {
      Decision d;
      detail::deciding_rule(a, r, d);
      return d;
    }
    for (std::size_t i = 0; i < a.methods.size(); ++i)
      if (a.methods[i].match(r.method))
        return allow(base + ".methods[" + std::to_string(i) + "]", "method " + r.method + " allowed");
    if (a.default_methods) {
      const std::string src = m_->defaults_given ? "defaults.methods" : "builtin-default-methods";
      for (std::size_t i = 0; i < m_->default_methods.size(); ++i)
        if (m_->default_methods[i].match(r.method))
          return allow(src + "[" + std::to_string(i) + "]", "method " + printable(r.method) + " is a default method");
    }
    return deny("default-deny", "method " + printable(r.method) + " is not allowed for agent " + a.name);
  } catch (...) {
    return deny("default-deny", "internal error while evaluating");
  }
}

bool Policy::has_agent(std::string_view name) const noexcept { return m_->agents.find(name) != m_->agents.end(); }

std::size_t Policy::agent_count() const noexcept { return m_->agents.size(); }

std::string Policy::canonical() const { return detail::canonical_text(*m_); }

std::string Policy::digest() const {
  const std::string c = canonical();
  std::array<std::uint8_t, 32> h{};
  crypto::sha3_256({reinterpret_cast<const std::uint8_t*>(c.data()), c.size()}, h);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha3-256:";
  for (auto b : h) out += kHex[b >> 4], out += kHex[b & 15];
  return out;
}

}  // namespace pqmcp::policy
