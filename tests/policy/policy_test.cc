// Policy parsing, validation errors, decisions, canonical form and rate limits (docs/policy.md).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "policy/policy.h"

namespace pqmcp::policy {
namespace {

constexpr std::int64_t kMon10 = 1795428000000;  // Monday 2026-11-23 10:00 UTC
constexpr std::int64_t kSun10 = 1795341600000;  // Sunday 2026-11-22 10:00 UTC
constexpr std::int64_t kMon20 = 1795464000000;  // Monday 20:00 UTC
constexpr std::int64_t kTue02 = 1795485600000;  // Tuesday 02:00 UTC
constexpr std::int64_t kMon0659 = 1795417140000;

std::string example() {
  std::ifstream f(POLICY_TEST_DATA "/retail_healthcare.toml");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Policy load(const std::string& text) {
  auto p = Policy::parse(text);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error());
  return std::move(p.value());
}

json::Value call(const std::string& tool, json::Value args) {
  return {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
          {"params", {{"name", tool}, {"arguments", std::move(args)}}}};
}

Decision decide(const Policy& p, const json::Value& msg, const std::string& agent = "retail-bot",
                std::int64_t now = kMon10, const std::string& kid = "kid-r") {
  return p.evaluate(request_from_message(msg, agent, kid, now));
}

TEST(PolicyParse, ExampleIsValidAndCanonicalRoundTrips) {
  Policy p = load(example());
  const std::string c = p.canonical();
  Policy q = load(c);
  EXPECT_EQ(q.canonical(), c);
  EXPECT_EQ(q.digest(), p.digest());
  EXPECT_EQ(p.digest().rfind("sha3-256:", 0), 0u);
  EXPECT_EQ(p.digest().size(), 9u + 64u);
  // The canonical form decides like the original.
  auto m = call("retail_lookup", {{"path", "/data/retail/x.csv"}, {"region", "eu"}, {"qty", 3}});
  EXPECT_TRUE(decide(q, m).allow);
  EXPECT_FALSE(decide(q, call("patient_read", {{"patient_id", "P1234"}})).allow);
}

TEST(PolicyParse, DifferentPoliciesHaveDifferentDigests) {
  Policy a = load("version = 1\n[[agents.a.tools]]\nname = \"x\"\n");
  Policy b = load("version = 1\n[[agents.a.tools]]\nname = \"y\"\n");
  EXPECT_NE(a.digest(), b.digest());
}

struct BadCase {
  const char* text;
  const char* expect;  // substring of the error
};

TEST(PolicyParse, StrictValidationNamesTheLocation) {
  const BadCase cases[] = {
      {"version = 1\nfoo = 1\n", "line 2, column 1: policy: unknown key 'foo'"},
      {"[agents.a]\n", "version: missing"},
      {"version = 2\n", "version: must be between 1 and 1"},
      {"version = 1\n[agents.a]\nmethod = [\"ping\"]\n", "line 3, column 1: agents.a: unknown key 'method'"},
      {"version = 1\n[[agents.a.tools]]\nname = \"x[\"\n", "agents.a.tools[0].name: bad pattern: unterminated '['"},
      {"version = 1\n[[agents.a.tools]]\nname = \"***\"\n", "'***' is not a pattern"},
      {"version = 1\n[[agents.a.tools]]\nname = \"\"\n", "empty pattern"},
      {"version = 1\n[[agents.a.tools]]\nname = \"a\\\\\"\n", "pattern ends with"},
      {"version = 1\n[[agents.a.tools]]\nname = \"[z-a]\"\n", "reversed range"},
      {"version = 1\n[[agents.a.tools]]\nargs.p = {prefix = \"/x\"}\n", "agents.a.tools[0]: needs 'name'"},
      {"version = 1\n[[agents.a.tools]]\nname = \"x\"\nargs.path = { prefx = \"/a\" }\n",
       "line 4, column 15: agents.a.tools[0].args.path: unknown constraint 'prefx'"},
      {"version = 1\n[[agents.a.tools]]\nname = \"x\"\nargs.n = { min = 5, max = 1 }\n", "min is greater than max"},
      {"version = 1\n[[agents.a.tools]]\nname = \"x\"\nargs.p = { path_prefix = \"/a/../b\" }\n", "canonical path"},
      {"version = 1\n[[agents.a.tools]]\nname = \"x\"\nargs.p = { values = [] }\n", "non-empty array"},
      {"version = 1\n[[agents.a.tools]]\nname = \"x\"\nargs.p = { values = [[1]] }\n", "strings, numbers or booleans"},
      {"version = 1\n[[agents.a.tools]]\nname = \"x\"\nargs.p = { type = \"str\" }\n", "unknown type 'str'"},
      {"version = 1\n[[agents.a.tools]]\nname = \"x\"\nargs.p = { type = \"integer\", prefix = \"a\" }\n", "need type \"string\""},
      {"version = 1\n[[agents.a.tools]]\nname = \"x\"\nargs.p = {}\n", "empty constraint"},
      {"version = 1\n[[agents.a.tools]]\nname = \"x\"\ndeny = true\nrate = { per_second = 1 }\n", "deny rule takes only"},
      {"version = 1\n[agents.a]\nrate = { per_second = 1, per_minute = 2 }\n", "exactly one of"},
      {"version = 1\n[agents.a]\nrate = { burst = 2 }\n", "needs one of per_second"},
      {"version = 1\n[agents.a]\nrate = { per_second = 0 }\n", "must be between 1"},
      {"version = 1\n[agents.a]\nwindow = { days = [\"mon-fry\"] }\n", "not a day"},
      {"version = 1\n[agents.a]\nwindow = { hours = [\"8:00-18:00\"] }\n", "HH:MM-HH:MM"},
      {"version = 1\n[agents.a]\nwindow = { hours = [\"08:00-08:00\"] }\n", "start != end"},
      {"version = 1\n[agents.a]\nwindow = {}\n", "needs days and/or hours"},
      {"version = 1\n[agents.a]\nmethods = [\"tools/call\"]\n", "decided by the agent's tools rules"},
      {"version = 1\n[agents.a]\ntools = 3\n", "array of tables"},
      {"version = 1\n[agents.a]\nkids = []\n", "must not be empty"},
      {"version = 1\n[defaults]\nmethods = [\"resources/read\"]\n", "needs an agent rule"},
      {"version = 1\n[[agents.a.resources]]\nuri = \"x\"\nargs.p = { required = true }\n", "unknown key 'args'"},
      {"version = 1\n[agents.\"a\\\"b\"]\n", "printable characters without quotes"},
      {"version = 1\nagents = [\n", "TOML syntax"},
  };
  for (const auto& c : cases) {
    auto p = Policy::parse(c.text);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_NE(p.error().find(c.expect), std::string::npos) << "policy:\n" << c.text << "\nerror: " << p.error();
    EXPECT_EQ(p.error().rfind("line ", 0), 0u) << p.error();
  }
}

TEST(PolicyEval, DenyByDefault) {
  Policy p = load("version = 1\n");
  auto d = decide(p, {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}});
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule, "default-deny");
  Policy ex = load(example());
  d = decide(ex, call("retail_lookup", json::Value::object()), "mallory");
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule, "default-deny");
  EXPECT_NE(d.reason.find("no policy for agent 'mallory'"), std::string::npos);
}

TEST(PolicyEval, DefaultMethodsAndOverrides) {
  Policy ex = load(example());
  auto d = decide(ex, {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}});
  EXPECT_TRUE(d.allow);
  EXPECT_EQ(d.rule, "builtin-default-methods[7]");
  d = decide(ex, {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  EXPECT_TRUE(d.allow);
  d = decide(ex, {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "logging/setLevel"}, {"params", {{"level", "info"}}}});
  EXPECT_TRUE(d.allow);
  EXPECT_EQ(d.rule, "agents.retail-bot.methods[0]");
  d = decide(ex, {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "sampling/createMessage"}});
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule, "default-deny");

  Policy own = load("version = 1\n[defaults]\nmethods = [\"ping\"]\n[agents.a]\n[agents.b]\ndefault_methods = false\n");
  EXPECT_TRUE(decide(own, {{"method", "ping"}}, "a").allow);
  EXPECT_EQ(decide(own, {{"method", "ping"}}, "a").rule, "defaults.methods[0]");
  EXPECT_FALSE(decide(own, {{"method", "tools/list"}}, "a").allow);
  EXPECT_FALSE(decide(own, {{"method", "ping"}}, "b").allow);
}

TEST(PolicyEval, ToolGlobsAndArgumentConstraints) {
  Policy p = load(example());
  const json::Value good = {{"path", "/data/retail/q3/sales.csv"}, {"region", "eu"}, {"qty", 100}, {"note", "ok"}};
  auto d = decide(p, call("retail_lookup", good));
  EXPECT_TRUE(d.allow) << d.reason;
  EXPECT_EQ(d.rule, "agents.retail-bot.tools[0]");

  struct Case {
    json::Value args;
    const char* why;
  };
  const Case bad[] = {
      {{{"path", "/data/retail/../../etc/passwd"}}, "not a canonical path"},
      {{{"path", "/data/retailer/x"}}, "is not under /data/retail"},
      {{{"path", "/data/retail//x"}}, "not a canonical path"},
      {{{"path", 7}}, "must be a string"},
      {{{"region", "cn"}}, "not an allowed value"},
      {{{"qty", 101}}, "out of range"},
      {{{"qty", 0}}, "out of range"},
      {{{"qty", 2.5}}, "not of type integer"},
      {{{"note", std::string(201, 'x')}}, "longer than 200"},
      {json::Value::array({1}), "arguments are not an object"},
  };
  for (const auto& c : bad) {
    d = decide(p, call("retail_lookup", c.args));
    EXPECT_FALSE(d.allow) << c.args.dump();
    EXPECT_EQ(d.rule, "agents.retail-bot.tools[0]") << c.args.dump();
    EXPECT_NE(d.reason.find(c.why), std::string::npos) << d.reason;
  }
  // Absent optional arguments pass; '*' does not cross '/'.
  EXPECT_TRUE(decide(p, call("retail_x", json::Value::object())).allow);
  EXPECT_FALSE(decide(p, call("retail_x/y", json::Value::object())).allow);
  EXPECT_TRUE(decide(p, call("echo", {{"message", "hi"}})).allow);
  d = decide(p, call("patient_read", {{"patient_id", "P1234"}}));
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule, "default-deny");
  // A tools/call without a name is refused, never matched as "".
  d = decide(p, {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"}, {"params", {{"name", 5}}}});
  EXPECT_FALSE(d.allow);
  EXPECT_NE(d.reason.find("without a tool name"), std::string::npos);
}

TEST(PolicyEval, KidsWindowsDenyRulesAndStrictArgs) {
  Policy p = load(example());
  const auto rec = call("patient_read", {{"patient_id", "P0042"}, {"fields", {"name", "dob"}}});
  const std::string hc = "healthcare-assistant";
  auto d = decide(p, rec, hc, kMon10, "kid-hc-2");
  EXPECT_TRUE(d.allow) << d.reason;
  EXPECT_EQ(d.rule, "agents.healthcare-assistant.tools[1]");
  d = decide(p, rec, hc, kMon10, "kid-stolen");
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule, "agents.healthcare-assistant.kids");
  for (auto t : {kSun10, kMon20, kTue02, kMon0659}) {
    d = decide(p, rec, hc, t, "kid-hc-1");
    EXPECT_FALSE(d.allow) << t;
    EXPECT_EQ(d.rule, "agents.healthcare-assistant.window");
  }
  d = decide(p, call("patient_records_delete", {{"patient_id", "P0042"}}), hc, kMon10, "kid-hc-1");
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule, "agents.healthcare-assistant.tools[0]");
  d = decide(p, call("patient_read", {{"patient_id", "P0042"}, {"sql", "drop"}}), hc, kMon10, "kid-hc-1");
  EXPECT_FALSE(d.allow);
  EXPECT_NE(d.reason.find("argument 'sql' is not allowed"), std::string::npos);
  d = decide(p, call("patient_read", {{"fields", {"a"}}}), hc, kMon10, "kid-hc-1");
  EXPECT_FALSE(d.allow);
  EXPECT_NE(d.reason.find("'patient_id' is required"), std::string::npos);
  d = decide(p, call("patient_read", {{"patient_id", "P004"}}), hc, kMon10, "kid-hc-1");
  EXPECT_FALSE(d.allow);
  json::Value big = json::Value::array();
  for (int i = 0; i < 10; ++i) big.push_back(std::string(60, 'f'));
  d = decide(p, call("patient_read", {{"patient_id", "P0042"}, {"fields", big}}), hc, kMon10, "kid-hc-1");
  EXPECT_FALSE(d.allow);
  EXPECT_NE(d.reason.find("larger than 512 bytes"), std::string::npos);
}

TEST(PolicyEval, WindowWrappingMidnight) {
  Policy p = load("version = 1\n[agents.n]\nwindow = { days = [\"mon\"], hours = [\"22:00-06:00\"] }\n");
  const json::Value ping = {{"method", "ping"}};
  EXPECT_TRUE(decide(p, ping, "n", kTue02).allow);  // Monday night, after midnight
  EXPECT_FALSE(decide(p, ping, "n", kMon10).allow);
  EXPECT_FALSE(decide(p, ping, "n", kTue02 + 86'400'000).allow);  // Wednesday 02:00 (Tuesday night)
}

TEST(PolicyEval, FirstAllowingRuleWinsAndFailuresNameTheirRule) {
  Policy p = load(
      "version = 1\n"
      "[[agents.a.tools]]\nname = \"read\"\nargs.path = { path_prefix = \"/a\" }\n"
      "[[agents.a.tools]]\nname = \"read\"\nargs.path = { path_prefix = \"/b\" }\n");
  EXPECT_EQ(decide(p, call("read", {{"path", "/b/x"}}), "a").rule, "agents.a.tools[1]");
  auto d = decide(p, call("read", {{"path", "/c/x"}}), "a");
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule, "agents.a.tools[0]");
}

TEST(PolicyEval, ResourcesAndPrompts) {
  Policy p = load(example());
  auto rd = [](const std::string& uri) {
    return json::Value{{"jsonrpc", "2.0"}, {"id", 3}, {"method", "resources/read"}, {"params", {{"uri", uri}}}};
  };
  EXPECT_TRUE(decide(p, rd("file:///data/retail/a/b.txt")).allow);
  EXPECT_FALSE(decide(p, rd("file:///data/retail/../health/x")).allow);
  EXPECT_FALSE(decide(p, rd("file:///data/retail/%2e%2E/health/x")).allow);
  EXPECT_FALSE(decide(p, rd("file:///data/retail/a%2Fb")).allow);
  EXPECT_FALSE(decide(p, rd("file:///data/health/x")).allow);
  json::Value sub = {{"jsonrpc", "2.0"}, {"id", 4}, {"method", "resources/subscribe"},
                     {"params", {{"uri", "file:///data/retail/x"}}}};
  EXPECT_TRUE(decide(p, sub).allow);
  json::Value pr = {{"jsonrpc", "2.0"}, {"id", 5}, {"method", "prompts/get"}, {"params", {{"name", "retail-summary"}}}};
  EXPECT_TRUE(decide(p, pr).allow);
  pr["params"]["name"] = "medical-summary";
  EXPECT_FALSE(decide(p, pr).allow);
}

TEST(PolicyRequest, FromMessage) {
  json::Value m = call("t", {{"a", 1}});
  Request r = request_from_message(m, "ag", "k", 42);
  EXPECT_EQ(r.method, "tools/call");
  EXPECT_EQ(r.target, "t");
  ASSERT_NE(r.arguments, nullptr);
  EXPECT_EQ((*r.arguments)["a"], 1);
  EXPECT_EQ(r.now_ms, 42);
  json::Value rd = {{"method", "resources/read"}, {"params", {{"uri", "u://x"}, {"name", "n"}}}};
  r = request_from_message(rd, "ag", "k", 0);
  EXPECT_EQ(r.target, "u://x");
  json::Value junk = json::Value::array();
  r = request_from_message(junk, "ag", "k", 0);
  EXPECT_TRUE(r.method.empty());
  EXPECT_FALSE(Policy::parse("version = 1\n[agents.ag]\n").value().evaluate(r).allow);
}

TEST(PolicyRate, AgentAndToolBuckets) {
  Policy p = load(
      "version = 1\n[agents.a]\nrate = { per_second = 3, burst = 3 }\n"
      "[[agents.a.tools]]\nname = \"t*\"\nrate = { per_minute = 60, burst = 2 }\n");
  RateLimiter rl(p);
  const json::Value t1 = call("t1", json::Value::object()), t2 = call("t2", json::Value::object());
  const std::int64_t t0 = kMon10;
  EXPECT_TRUE(rl.check(request_from_message(t1, "a", "k", t0)).allow);
  EXPECT_TRUE(rl.check(request_from_message(t1, "a", "k", t0)).allow);
  auto d = rl.check(request_from_message(t1, "a", "k", t0));
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule, "rate-limit:agents.a.tools[0].rate");
  // Per tool: t2 has its own bucket; the agent's third token is still there (the refused call
  // did not consume it).
  EXPECT_TRUE(rl.check(request_from_message(t2, "a", "k", t0)).allow);
  d = rl.check(request_from_message({{"method", "ping"}}, "a", "k", t0));
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule, "rate-limit:agents.a.rate");
  // One second later: three agent tokens, one more t1 token.
  EXPECT_TRUE(rl.check(request_from_message(t1, "a", "k", t0 + 1000)).allow);
  EXPECT_FALSE(rl.check(request_from_message(t1, "a", "k", t0 + 1000)).allow);
  // A clock going backwards refills nothing.
  EXPECT_TRUE(rl.check(request_from_message({{"method", "ping"}}, "a", "k", t0)).allow);
  EXPECT_TRUE(rl.check(request_from_message({{"method", "ping"}}, "a", "k", t0)).allow);
  EXPECT_FALSE(rl.check(request_from_message({{"method", "ping"}}, "a", "k", t0)).allow);
}

TEST(PolicyRate, ThreadSafeCount) {
  Policy p = load("version = 1\n[agents.a]\nrate = { per_hour = 1, burst = 1000 }\n");
  RateLimiter rl(p);
  std::atomic<int> allowed{0};
  const json::Value ping = {{"method", "ping"}};
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i)
    ts.emplace_back([&] {
      for (int j = 0; j < 500; ++j) allowed += rl.check(request_from_message(ping, "a", "k", kMon10)).allow;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(PolicyGlob, NoCatastrophicBacktracking) {
  Policy p = load("version = 1\n[[agents.a.tools]]\nname = \"**a**a**a**a**a**a**a**a**b\"\n");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(decide(p, call(std::string(20000, 'a'), json::Value::object()), "a").allow);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  Policy q = load("version = 1\n[[agents.a.tools]]\nname = \"[!x]?\\\\*[a-c]\"\n");
  EXPECT_TRUE(decide(q, call("yé*b", json::Value::object()), "a").allow);
  EXPECT_FALSE(decide(q, call("xé*b", json::Value::object()), "a").allow);
  EXPECT_FALSE(decide(q, call("yé?b", json::Value::object()), "a").allow);
}

}  // namespace
}  // namespace pqmcp::policy
