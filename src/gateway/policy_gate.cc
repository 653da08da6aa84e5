#include "gateway/policy_gate.h"

namespace pqmcp::gateway {

Result<std::unique_ptr<PolicyGate>, std::string> PolicyGate::parse(std::string_view toml_text) noexcept {
  try {
    auto p = policy::Policy::parse(toml_text);
    if (!p) return unexpected(p.error());
    return std::unique_ptr<PolicyGate>(new PolicyGate(std::move(p.value())));
  } catch (const std::exception& e) {
    return unexpected(std::string("policy: ") + e.what());
  }
}

PolicyVerdict PolicyGate::check(const json::Value& msg, const std::string& agent, const std::string& kid,
                                std::int64_t now_ms) noexcept {
  try {
    auto req = policy::request_from_message(msg, agent, kid, now_ms);
    auto d = policy_.evaluate(req);
    if (!d.allow) return {false, false, d.rule, d.reason};
    // Only allowed requests consume rate-limit tokens (a denied flood must not starve the agent).
    auto r = limiter_.check(req);
    if (!r.allow) return {false, true, r.rule, r.reason};
    return {true, false, d.rule, d.reason};
  } catch (...) {
    return {false, false, "internal", "policy evaluation failed"};  // fail closed
  }
}

}  // namespace pqmcp::gateway
