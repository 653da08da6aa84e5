// The gateway-side policy check: src/policy's stateless evaluation, then its rate limiter, for
// each verified request. (Where the token is libpqhsm, the same policy is evaluated again inside
// the token before it signs; this check is the one that also works with any other HSM.)
#pragma once

#include <memory>
#include <string>

#include "gateway/gate.h"
#include "policy/policy.h"

namespace pqmcp::gateway {

class PolicyGate final : public PolicyCheck {
 public:
  static Result<std::unique_ptr<PolicyGate>, std::string> parse(std::string_view toml_text) noexcept;
  PolicyVerdict check(const json::Value& msg, const std::string& agent, const std::string& kid,
                      std::int64_t now_ms) noexcept override;
  const policy::Policy& policy() const { return policy_; }

 private:
  explicit PolicyGate(policy::Policy p) : policy_(std::move(p)), limiter_(policy_) {}
  policy::Policy policy_;
  policy::RateLimiter limiter_;
};

}  // namespace pqmcp::gateway
