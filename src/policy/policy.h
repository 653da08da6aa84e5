// MCP access policy: which agent may call which methods, tools, resources and prompts, with
// which arguments, when, and how often (docs/policy.md).
//
// This sits low in the tree, beside crypto and json (DESIGN.md §2): the gateway evaluates it on
// every request, and libpqhsm evaluates the same code on the same canonical text inside the token
// before it signs, so a compromised host cannot talk the key into signing a forbidden request.
// Hence: no dependency above pqmcp_json / the crypto core, no exceptions out of any entry point.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "json/json.h"
#include "json/result.h"

namespace pqmcp::policy {

struct Request {
  std::string agent;                       // verified sender identity name
  std::string kid;                         // key id that signed the request
  std::string method;                      // JSON-RPC method, e.g. "tools/call"
  std::string target;                      // tool name / resource URI / prompt name; "" if none
  const json::Value* arguments = nullptr;  // params.arguments (tools/call, prompts/get) or params
  std::int64_t now_ms = 0;                 // decision time, Unix milliseconds
};

struct Decision {
  bool allow = false;
  std::string rule;    // the rule that decided, e.g. "agents.retail-bot.tools[0]" or "default-deny"
  std::string reason;  // human-readable, no secrets
};

// The methods whose target is named in params and decided by [[agents.X.tools|resources|prompts]]
// rules rather than by the methods lists. Returns "tools", "resources", "prompts" or "".
std::string_view target_kind(std::string_view method) noexcept;

// Builds a Request from a JSON-RPC request or notification: method; target = params.name
// (tools/call, prompts/get) or params.uri (resources/read|subscribe|unsubscribe); arguments =
// params.arguments for tools/call and prompts/get, else params. msg must outlive the Request.
Request request_from_message(const json::Value& msg, std::string agent, std::string kid,
                             std::int64_t now_ms);

namespace detail {
struct Model;
}

class Policy {
 public:
  // Parses and fully validates a TOML policy. Errors name the line, column and key path:
  // "line 12, column 1: agents.retail-bot.tools[0].args.path: unknown constraint 'prefx'".
  static Result<Policy, std::string> parse(std::string_view toml_text) noexcept;

  // Stateless decision: identity, key id, time windows, methods, target globs, argument
  // constraints. Deny by default. Rate limits are the RateLimiter's job.
  Decision evaluate(const Request& r) const noexcept;

  // A canonical TOML text of the policy: parse(canonical()) gives the same policy and the same
  // canonical(). It is what `pqmcp policy install` stores on the token and what digest() hashes.
  std::string canonical() const;
  // "sha3-256:<hex>" of canonical(): names the policy in audit records.
  std::string digest() const;

  bool has_agent(std::string_view name) const noexcept;
  std::size_t agent_count() const noexcept;

  // Internal: the validated model (shared, immutable; copies of a Policy are cheap).
  const detail::Model& model() const noexcept { return *m_; }

 private:
  explicit Policy(std::shared_ptr<const detail::Model> m) : m_(std::move(m)) {}
  std::shared_ptr<const detail::Model> m_;
};

// Per-agent and per-(agent, tool) token buckets from the policy's `rate` settings. Call check()
// for requests that evaluate() allowed; it consumes one token from every bucket that applies, or
// none if any is empty. Thread-safe. Time comes from Request::now_ms (a clock going backwards
// refills nothing).
class RateLimiter {
 public:
  explicit RateLimiter(const Policy& p);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  Decision check(const Request& r) noexcept;  // allow, or deny with rule "rate-limit:<rule>"

 private:
  struct State;
  Policy policy_;
  std::unique_ptr<State> s_;
};

}  // namespace pqmcp::policy
