// Token buckets for `rate` settings (docs/policy.md "Rate limits"). One mutex: a check is a few
// map look-ups, far below the cost of the signature verification that precedes it.
#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "policy/model.h"
#include "policy/policy.h"

namespace pqmcp::policy {
namespace detail {
const Rule* deciding_rule(const Agent& a, const Request& r, Decision& out);
}

namespace {
// Keys include attacker-chosen tool names (any name a glob allows), so the table is bounded;
// when it is full, buckets that have refilled completely are dropped (a full bucket and a fresh
// one behave the same, so nothing is forgiven by dropping them).
constexpr std::size_t kMaxBuckets = 100'000;

struct Bucket {
  double tokens = 0;
  std::int64_t last_ms = 0;
  const detail::Rate* rate = nullptr;
};

void refill(Bucket& b, std::int64_t now) {
  if (now > b.last_ms) {
    const double add = static_cast<double>(now - b.last_ms) * static_cast<double>(b.rate->count) /
                       static_cast<double>(b.rate->period_ms);
    b.tokens = std::min(static_cast<double>(b.rate->burst), b.tokens + add);
    b.last_ms = now;
  }
}
}  // namespace

struct RateLimiter::State {
  std::mutex mu;
  std::unordered_map<std::string, Bucket> buckets;

  Bucket& get(const std::string& key, const detail::Rate& rate, std::int64_t now) {
    auto it = buckets.find(key);
    if (it == buckets.end()) {
      if (buckets.size() >= kMaxBuckets) {
        for (auto i = buckets.begin(); i != buckets.end();) {
          refill(i->second, now);
          i = i->second.tokens >= static_cast<double>(i->second.rate->burst) ? buckets.erase(i) : std::next(i);
        }
      }
      it = buckets.emplace(key, Bucket{static_cast<double>(rate.burst), now, &rate}).first;
    }
    refill(it->second, now);
    return it->second;
  }
};

RateLimiter::RateLimiter(const Policy& p) : policy_(p), s_(std::make_unique<State>()) {}
RateLimiter::~RateLimiter() = default;

Decision RateLimiter::check(const Request& r) noexcept {
  try {
    const auto& agents = policy_.model().agents;
    const auto it = agents.find(r.agent);
    if (it == agents.end()) return {true, "no-rate-limit", "no policy for agent"};
    const detail::Agent& a = it->second;
    const detail::Rule* rule = nullptr;
    if (!target_kind(r.method).empty()) {
      Decision ignored;
      rule = detail::deciding_rule(a, r, ignored);
    }
    // The agent's bucket and the rule's per-target bucket are taken together or not at all, so a
    // refused tool call does not also use up the agent's budget.
    std::lock_guard lk(s_->mu);
    Bucket* agent_b = nullptr;
    Bucket* rule_b = nullptr;
    if (a.rate.present) agent_b = &s_->get(std::string(1, '\x01') + a.name, a.rate, r.now_ms);
    if (rule && rule->rate.present) {
      std::string key = std::string(1, '\x02') + rule->id;
      key += '\0';
      key += r.target;
      rule_b = &s_->get(key, rule->rate, r.now_ms);
    }
    if (rule_b && rule_b->tokens < 1.0)
      return {false, "rate-limit:" + rule->id + ".rate",
              "rate limit of " + std::to_string(rule->rate.count) + " per " + rule->rate.unit + " for " +
                  a.name + " on '" + r.target.substr(0, 200) + "' exceeded"};
    if (agent_b && agent_b->tokens < 1.0)
      return {false, "rate-limit:agents." + a.name + ".rate",
              "rate limit of " + std::to_string(a.rate.count) + " per " + a.rate.unit + " for " + a.name + " exceeded"};
    if (agent_b) agent_b->tokens -= 1.0;
    if (rule_b) rule_b->tokens -= 1.0;
    return {true, agent_b || rule_b ? "rate-limit" : "no-rate-limit", "within rate limits"};
  } catch (...) {
    return {false, "rate-limit:error", "internal error in the rate limiter"};
  }
}

}  // namespace pqmcp::policy
