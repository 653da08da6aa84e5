// In-process fixtures for the gateway filters: in-process keys for an agent, a server and an
// outsider, a stepped clock, an audit sink that keeps every record, output queues read back as
// lines, and a connect + wrap pair wired back to back (client → connect → wrap → server).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/connect_filter.h"
#include "gateway/policy_gate.h"
#include "gateway/wrap_filter.h"
#include "mcp/envelope.h"
#include "mcp/verifier.h"

namespace pqmcp::gateway::testing {

using json::Value;

inline constexpr std::int64_t kNow = 1'790'000'000'000;  // 2026-09, a fixed start

struct Clock {
  std::int64_t t = kNow;
  std::function<std::int64_t()> fn() {
    return [this] { return t; };
  }
};

// Keeps every record. A filter queues its records until idle() (Side::audit); with `from` set,
// every look at `records` first writes what that filter has queued, so the tests read decisions
// as soon as the filter has handled a line. AuditIsWrittenByIdle checks the queueing itself.
// `from` must be cleared before its filter is destroyed.
class CaptureSink final : public AuditSink {
 public:
  struct Records {
    std::vector<AuditRecord> v;
    Side* from = nullptr;
    const std::vector<AuditRecord>& get() const {
      if (from) from->flush_audit();
      return v;
    }
    std::size_t size() const { return get().size(); }
    bool empty() const { return get().empty(); }
    const AuditRecord& back() const { return get().back(); }
    const AuditRecord& operator[](std::size_t i) const { return get()[i]; }
    auto begin() const { return get().begin(); }
    auto end() const { return get().end(); }
  };
  void record(const AuditRecord& r) noexcept override {  // as every sink does: digest_of hashed
    records.v.push_back(r);
    resolve_digest(records.v.back());
  }
  Records records;
};

// Private key bytes i + salt (reproducible, distinct per party).
inline std::unique_ptr<mcp::LocalSigner> signer(mcp::Algorithm a, const std::string& kid, std::uint8_t salt) {
  std::vector<std::uint8_t> k(mcp::private_key_size(a));
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i + salt);
  auto s = mcp::LocalSigner::create(a, kid, k);
  EXPECT_TRUE(s.ok());
  return s.ok() ? std::move(s).value() : nullptr;
}

// The trust bundle of the tests: identities "agent", "server", "mallory" (known, but not the
// session's agent), and "old" (a key past its not-after date). Ed25519 by default: the filters
// do not depend on the algorithm, and the ASan build stays fast; one test uses the composite.
struct Keys {
  explicit Keys(mcp::Algorithm a = mcp::Algorithm::kEd25519) : alg(a) {
    agent = signer(a, "kid-agent", 1);
    server = signer(a, "kid-server", 2);
    mallory = signer(a, "kid-mallory", 3);
    old = signer(a, "kid-old", 4);
    outsider = signer(a, "kid-outsider", 5);
    resolver.add("kid-agent", a, agent->public_key(), "agent");
    resolver.add("kid-server", a, server->public_key(), "server");
    resolver.add("kid-mallory", a, mallory->public_key(), "mallory");
    resolver.add("kid-old", a, old->public_key(), "agent", INT64_MIN, kNow - 1000);
  }
  mcp::VerifierConfig verifier_config(const std::string& self) const {
    mcp::VerifierConfig c;
    c.allowed = {alg};
    c.audiences = {self};
    return c;
  }
  mcp::Algorithm alg;
  std::unique_ptr<mcp::LocalSigner> agent, server, mallory, old, outsider;
  mcp::StaticKeyResolver resolver;
};

// Lines queued toward one side (without their newlines).
inline std::vector<std::string> drain(OutQueue& q) {
  std::vector<std::string> out;
  for (auto& l : q.take()) {
    EXPECT_TRUE(!l.empty() && l.back() == '\n');
    if (!l.empty() && l.back() == '\n') l.pop_back();
    out.push_back(std::move(l));
  }
  return out;
}

inline Value parse(const std::string& line) {
  auto v = json::parse(line);
  EXPECT_TRUE(v.ok()) << line;
  return v.ok() ? *v : Value();
}

struct Wire {
  OutQueue c, s;
  Emit emit{c, s};
  std::vector<std::string> client() { return drain(c); }
  std::vector<std::string> server() { return drain(s); }
};

inline Value request(const Value& id, const std::string& method, Value params = Value::object()) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}
inline Value call(const Value& id, const std::string& tool, Value args = Value::object()) {
  return request(id, "tools/call", {{"name", tool}, {"arguments", std::move(args)}});
}
inline Value result(const Value& id, Value r) { return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(r)}}; }

inline bool has_pqmcp_member(const Value& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      if (it.key().rfind("io.pqmcp/", 0) == 0 || has_pqmcp_member(it.value())) return true;
  } else if (v.is_array()) {
    for (const auto& e : v)
      if (has_pqmcp_member(e)) return true;
  }
  return false;
}

// error.data.pqmcp of a JSON-RPC error response (null when absent).
inline Value pqmcp_data(const Value& m) {
  if (!m.contains("error") || !m["error"].contains("data") || !m["error"]["data"].contains("pqmcp")) return nullptr;
  return m["error"]["data"]["pqmcp"];
}

// `pqmcp wrap` driven directly, with the agent signing in the test.
struct WrapRig {
  explicit WrapRig(Mode mode = Mode::kRequire, const char* policy_toml = nullptr,
                   mcp::Algorithm alg = mcp::Algorithm::kEd25519)
      : keys(alg), verifier(keys.verifier_config("server"), keys.resolver),
        agent_view(keys.verifier_config("agent"), keys.resolver) {
    if (policy_toml) {
      auto p = PolicyGate::parse(policy_toml);
      EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error());
      if (p.ok()) policy = std::move(p).value();
    }
    FilterConfig cfg;
    cfg.mode = mode;
    cfg.self = "server";
    cfg.log_name = "wrap-test";
    cfg.now_ms = clock.fn();
    cfg.max_line = 1 << 16;
    wrap = std::make_unique<WrapFilter>(cfg, *keys.server, verifier, audit, policy.get());
    audit.records.from = wrap.get();
    session = mcp::SigningSession::create(*keys.agent, "server").value();
  }
  // Signs as the agent (toward `aud`); returns the request digest a response must carry.
  std::array<std::uint8_t, 32> sign(Value& m, const mcp::Signer* by = nullptr, const std::string& aud = "server") {
    std::unique_ptr<mcp::SigningSession> other;
    mcp::SigningSession* s = session.get();
    if (by || aud != "server") {
      other = mcp::SigningSession::create(by ? *by : *keys.agent, aud).value();
      s = other.get();
    }
    auto d = s->sign(m, clock.t);
    EXPECT_TRUE(d.ok());
    auto rd = mcp::request_digest(m);
    return d.ok() && rd.ok() ? *rd : std::array<std::uint8_t, 32>{};
  }
  void from_client(const Value& m) { wrap->from_client(dump(m), w.emit); }
  void from_server(const Value& m) { wrap->from_server(dump(m), w.emit); }
  // Verifies a message wrap sent to the client, as the agent would.
  Result<mcp::Verified, mcp::Failure> agent_verifies(const Value& m,
                                                     std::optional<std::array<std::uint8_t, 32>> answers) {
    return agent_view.verify(m, clock.t, answers);
  }

  Clock clock;
  Keys keys;
  CaptureSink audit;
  mcp::Verifier verifier, agent_view;
  std::unique_ptr<PolicyGate> policy;
  std::unique_ptr<WrapFilter> wrap;
  std::unique_ptr<mcp::SigningSession> session;
  Wire w;
};

// connect and wrap back to back; the test plays the MCP client and the MCP server.
struct PairRig {
  explicit PairRig(std::string pins_path = "", const char* policy_toml = nullptr,
                   std::int64_t answer_wait_ms = kDefaultAnswerWaitMs)
      : keys(), wrap_verifier(keys.verifier_config("server"), keys.resolver),
        connect_verifier(keys.verifier_config("agent"), keys.resolver) {
    if (policy_toml) policy = PolicyGate::parse(policy_toml).value();
    FilterConfig wc;
    wc.self = "server";
    wc.log_name = "wrap-test";
    wc.now_ms = clock.fn();
    wrap = std::make_unique<WrapFilter>(wc, *keys.server, wrap_verifier, wrap_audit, policy.get());
    FilterConfig cc;
    cc.self = "agent";
    cc.peer = "server";
    cc.log_name = "connect-test";
    cc.now_ms = clock.fn();
    connect = std::make_unique<ConnectFilter>(cc, *keys.agent, connect_verifier, connect_audit,
                                              PinConfig{std::move(pins_path), true}, answer_wait_ms);
    wrap_audit.records.from = wrap.get();
    connect_audit.records.from = connect.get();
  }
  // Moves lines across the middle until nothing is in flight; what reached the ends is kept.
  // Each filter's idle() runs after it handled a line, as the stdio relay does once it has
  // written; with run_idle false, request digests are computed on first use instead.
  void pump() {
    for (bool moved = true; moved;) {
      moved = false;
      for (auto& l : mid_c2s.server()) wrap->from_client(tamper_c2s ? tamper_c2s(l) : l, mid_s2c.emit), idle(*wrap), moved = true;
      for (auto& l : mid_s2c.client()) connect->from_server(tamper_s2c ? tamper_s2c(l) : l, mid_c2s.emit), idle(*connect), moved = true;
      for (auto& l : mid_s2c.server()) at_server.push_back(parse(l));
      for (auto& l : mid_c2s.client()) at_client.push_back(parse(l));
    }
  }
  void idle(Filter& f) {
    if (run_idle) f.idle();
  }
  void client_sends(const Value& m) {
    connect->from_client(dump(m), mid_c2s.emit);
    idle(*connect);
    pump();
  }
  void server_sends(const Value& m) {
    wrap->from_server(dump(m), mid_s2c.emit);
    idle(*wrap);
    pump();
  }
  // Lets connect's waits for a verified answer run out (ConnectFilter::due, which the
  // transports call on every turn of their loop).
  void waits_end() {
    clock.t += kDefaultAnswerWaitMs;
    connect->due(mid_c2s.emit);
    pump();
  }
  bool run_idle = true;
  Value take_client() {
    EXPECT_EQ(at_client.size(), 1u);
    Value v = at_client.empty() ? Value() : at_client.front();
    at_client.clear();
    return v;
  }
  Value take_server() {
    EXPECT_EQ(at_server.size(), 1u);
    Value v = at_server.empty() ? Value() : at_server.front();
    at_server.clear();
    return v;
  }

  Clock clock;
  Keys keys;
  CaptureSink wrap_audit, connect_audit;
  mcp::Verifier wrap_verifier, connect_verifier;
  std::unique_ptr<PolicyGate> policy;
  std::unique_ptr<WrapFilter> wrap;
  std::unique_ptr<ConnectFilter> connect;
  // mid_c2s: connect's output (to_server = toward wrap, to_client = to the MCP client);
  // mid_s2c: wrap's output (to_client = toward connect, to_server = to the MCP server).
  Wire mid_c2s, mid_s2c;
  std::function<std::string(const std::string&)> tamper_c2s, tamper_s2c;
  std::vector<Value> at_client, at_server;
};

}  // namespace pqmcp::gateway::testing
