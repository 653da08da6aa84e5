// `pqmcp wrap` (the server side) driven directly: what passes, what is refused and with which
// JSON-RPC error (docs/gateway.md "Errors"), observe mode, policy and rate limits, overlong
// messages, a server that exits with requests pending, and the audit records of each decision.
#include <map>
#include <set>

#include "gateway/rig.h"

namespace pqmcp::gateway {
namespace {

using namespace testing;

const AuditRecord& last(const CaptureSink& s) {
  static const AuditRecord none;
  EXPECT_FALSE(s.records.empty());
  return s.records.empty() ? none : s.records.back();
}

TEST(WrapFilter, SignedRequestPassesAndTheResponseIsSignedAndBound) {
  WrapRig r;
  Value req = call(7, "echo", {{"message", "hi"}});
  auto digest = r.sign(req);
  const std::string sent = dump(req);
  r.wrap->from_client(sent, r.w.emit);
  EXPECT_TRUE(r.w.client().empty());
  auto at_server = r.w.server();
  ASSERT_EQ(at_server.size(), 1u);
  Value delivered = parse(at_server[0]);
  EXPECT_FALSE(has_pqmcp_member(delivered)) << at_server[0];  // the server sees plain MCP
  EXPECT_EQ(delivered["params"]["arguments"]["message"], "hi");
  EXPECT_EQ(delivered["id"], 7);
  {
    const AuditRecord& a = last(r.audit);
    EXPECT_EQ(a.side, "wrap");
    EXPECT_EQ(a.direction, "c2s");
    EXPECT_EQ(a.kind, "request");
    EXPECT_EQ(a.method, "tools/call");
    EXPECT_EQ(a.id, "7");
    EXPECT_EQ(a.target, "echo");
    EXPECT_EQ(a.agent, "agent");
    EXPECT_EQ(a.sender, "agent");
    EXPECT_EQ(a.kid, "kid-agent");
    EXPECT_EQ(a.verification, "ok");
    EXPECT_EQ(a.decision, "allow");
    EXPECT_EQ(a.digest, sha256_hex(sent));
    EXPECT_EQ(a.ts_ms, kNow);
  }
  EXPECT_EQ(r.wrap->agent(), "agent");

  r.clock.t += 5;
  r.from_server(result(7, {{"content", Value::array({{{"type", "text"}, {"text", "Echo: hi"}}})}}));
  EXPECT_TRUE(r.w.server().empty());
  auto at_client = r.w.client();
  ASSERT_EQ(at_client.size(), 1u);
  Value resp = parse(at_client[0]);
  auto v = r.agent_verifies(resp, digest);
  ASSERT_TRUE(v.ok()) << v.error().detail;
  EXPECT_EQ(v->identity, "server");
  EXPECT_EQ(v->message["result"]["content"][0]["text"], "Echo: hi");
  // Bound to this request: with any other request digest it does not verify.
  mcp::Verifier fresh(r.keys.verifier_config("agent"), r.keys.resolver);
  auto other = digest;
  other[0] ^= 1;
  auto bad = fresh.verify(resp, r.clock.t, other);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, mcp::Reason::kRequestMismatch);
  const AuditRecord& a = last(r.audit);
  EXPECT_EQ(a.direction, "s2c");
  EXPECT_EQ(a.kind, "result");
  EXPECT_EQ(a.method, "tools/call");  // the request's method, for responses
  EXPECT_EQ(a.target, "echo");
  EXPECT_EQ(a.verification, "signed");
  EXPECT_EQ(a.sender, "server");
  EXPECT_EQ(a.agent, "agent");
  EXPECT_EQ(a.decision, "allow");
}

TEST(WrapFilter, CompositeSignaturesEndToEnd) {
  WrapRig r(Mode::kRequire, nullptr, mcp::Algorithm::kMlDsa65Ed25519);
  Value req = call(1, "echo");
  auto digest = r.sign(req);
  r.from_client(req);
  ASSERT_EQ(r.w.server().size(), 1u);
  r.from_server(result(1, Value::object()));
  auto out = r.w.client();
  ASSERT_EQ(out.size(), 1u);
  auto v = r.agent_verifies(parse(out[0]), digest);
  ASSERT_TRUE(v.ok()) << v.error().detail;
  EXPECT_EQ(v->algorithm, mcp::Algorithm::kMlDsa65Ed25519);
}

// One bad request: how it is made, and the reason wrap must give.
struct BadCase {
  const char* name;
  const char* reason;
  std::function<void(WrapRig&, Value&)> make;  // turns a plain request into the bad one
};

std::vector<BadCase> bad_cases() {
  return {
      {"tampered", "bad-signature",
       [](WrapRig& r, Value& m) {
         r.sign(m);
         m["params"]["arguments"]["message"] = "changed in transit";
       }},
      {"unsigned", "missing-signature", [](WrapRig&, Value&) {}},
      {"wrong audience", "wrong-audience", [](WrapRig& r, Value& m) { r.sign(m, nullptr, "another-server"); }},
      {"stale", "stale",
       [](WrapRig& r, Value& m) {
         r.sign(m);
         r.clock.t += 10 * 60 * 1000;  // beyond the 5-minute skew
       }},
      {"expired key", "expired", [](WrapRig& r, Value& m) { r.sign(m, r.keys.old.get()); }},
      {"unknown key", "unknown-key", [](WrapRig& r, Value& m) { r.sign(m, r.keys.outsider.get()); }},
      {"second agent on the session", "unexpected-sender",
       [](WrapRig& r, Value& m) {
         // The session's agent is fixed by the first verified request.
         Value first = request(100, "ping");
         r.sign(first);
         r.from_client(first);
         EXPECT_EQ(r.w.server().size(), 1u);
         r.sign(m, r.keys.mallory.get());
       }},
  };
}

TEST(WrapFilter, RequireModeRejectsEachBadRequestWithItsReason) {
  for (const auto& c : bad_cases()) {
    SCOPED_TRACE(c.name);
    WrapRig r(Mode::kRequire);
    Value m = call(9, "echo", {{"message", "x"}});
    c.make(r, m);
    const std::string line = dump(m);
    r.wrap->from_client(line, r.w.emit);
    EXPECT_TRUE(r.w.server().empty()) << "forwarded to the server";
    auto out = r.w.client();
    ASSERT_EQ(out.size(), 1u);
    Value e = parse(out[0]);
    EXPECT_EQ(e["id"], 9);
    EXPECT_EQ(e["error"]["code"], code::kSignatureRejected);
    EXPECT_EQ(pqmcp_data(e)["reason"], c.reason) << out[0];
    EXPECT_EQ(pqmcp_data(e)["side"], "wrap");
    // The refusal is signed by the server and bound to the request as received (its JCS form,
    // protocol §4.4), so connect can tell the agent why without trusting the wire.
    auto rd = mcp::received_request_digest(m);
    ASSERT_TRUE(rd.ok());
    // (Without a known key there is no one to address it to: an unsigned request, an unknown
    // kid. Then only the error code tells the client, which is all connect passes on anyway.)
    auto ev = r.agent_verifies(e, *rd);
    const std::string reason = c.reason;
    if (reason == "missing-signature" || reason == "unknown-key")
      EXPECT_EQ(ev.error().reason, mcp::Reason::kWrongAudience);
    else
      EXPECT_TRUE(ev.ok()) << (ev.ok() ? "" : ev.error().detail);
    const AuditRecord& a = last(r.audit);
    EXPECT_EQ(a.decision, "deny");
    EXPECT_EQ(a.verification, c.reason);
    EXPECT_EQ(a.reason, c.reason);
    EXPECT_EQ(a.digest, sha256_hex(line));
    EXPECT_EQ(a.method, "tools/call");
    EXPECT_EQ(a.target, "echo");
  }
}

TEST(WrapFilter, ObserveModePassesAndRecordsEachBadRequest) {
  for (const auto& c : bad_cases()) {
    SCOPED_TRACE(c.name);
    WrapRig r(Mode::kObserve);
    Value m = call(9, "echo", {{"message", "x"}});
    c.make(r, m);
    r.from_client(m);
    EXPECT_TRUE(r.w.client().empty());
    auto at_server = r.w.server();
    ASSERT_EQ(at_server.size(), 1u);
    Value d = parse(at_server[0]);
    EXPECT_FALSE(has_pqmcp_member(d));
    EXPECT_EQ(d["params"]["name"], "echo");
    const AuditRecord& a = last(r.audit);
    EXPECT_EQ(a.decision, "observe");
    EXPECT_EQ(a.verification, c.reason);
    // The server's answer still reaches the client, signed.
    r.from_server(result(9, Value::object()));
    EXPECT_EQ(r.w.client().size(), 1u);
  }
}

// A refused copy (signature not even base64url) of a request still in flight gets no answer: one would end
// the genuine request's wait at connect and its real result would be lost. Once that request is
// answered, a refused request under the id is answered again (nothing is in flight under it).
TEST(WrapFilter, ARefusedRequestWhoseIdIsInFlightGetsNoAnswer) {
  WrapRig r(Mode::kRequire);
  Value m = call(8, "echo", {{"message", "x"}});
  r.sign(m);
  // Not base64url: refused as a malformed envelope, before the replay check would see its nonce.
  Value copy = m;
  copy["params"]["_meta"][std::string(mcp::kSigKey)]["sig"] = "!";
  r.from_client(m);
  ASSERT_EQ(r.w.server().size(), 1u);
  r.from_client(copy);
  EXPECT_TRUE(r.w.client().empty()) << "answered a refused copy of a request in flight";
  EXPECT_TRUE(r.w.server().empty());
  EXPECT_EQ(last(r.audit).decision, "deny");
  r.wrap->from_server(dump(result(8, {{"n", 1}})), r.w.emit);
  EXPECT_EQ(r.w.client().size(), 1u);  // the genuine answer
  Value later = call(8, "echo", {{"message", "y"}});  // a new request (nonce) under the same id
  r.sign(later);
  later["params"]["_meta"][std::string(mcp::kSigKey)]["sig"] = "AAAA";
  r.from_client(later);
  auto out = r.w.client();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse(out[0])["error"]["code"], code::kSignatureRejected);
}

TEST(WrapFilter, ReplayIsDroppedWithoutASecondAnswer) {
  for (Mode mode : {Mode::kRequire, Mode::kObserve}) {
    WrapRig r(mode);
    Value m = call(3, "echo");
    r.sign(m);
    r.from_client(m);
    EXPECT_EQ(r.w.server().size(), 1u);
    r.from_client(m);
    EXPECT_TRUE(r.w.client().empty());
    const AuditRecord& a = last(r.audit);
    EXPECT_TRUE(a.verification == "replayed-nonce" || a.verification == "replayed-sequence") << a.verification;
    if (mode == Mode::kRequire) {
      EXPECT_TRUE(r.w.server().empty());
      EXPECT_EQ(a.decision, "deny");
    } else {
      EXPECT_EQ(r.w.server().size(), 1u);
      EXPECT_EQ(a.decision, "observe");
    }
  }
}

TEST(WrapFilter, NotificationsAreVerifiedAndBadOnesDroppedSilently) {
  WrapRig r;
  Value n = {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}};
  Value good = n;
  r.sign(good);
  r.from_client(good);
  EXPECT_EQ(r.w.server().size(), 1u);
  r.from_client(n);  // unsigned
  EXPECT_TRUE(r.w.server().empty());
  EXPECT_TRUE(r.w.client().empty());  // a notification has no one to answer
  EXPECT_EQ(last(r.audit).reason, "missing-signature");
  EXPECT_EQ(last(r.audit).kind, "notification");
}

constexpr const char* kPolicy = R"(version = 1
[agents.agent]
[[agents.agent.tools]]
name = "echo"
[[agents.agent.tools]]
name = "get-sum"
rate = { per_minute = 1 }
)";

TEST(WrapFilter, PolicyDeniesWithTheRuleInTheError) {
  WrapRig r(Mode::kRequire, kPolicy);
  Value ok = call(1, "echo");
  r.sign(ok);
  r.from_client(ok);
  EXPECT_EQ(r.w.server().size(), 1u);
  EXPECT_EQ(last(r.audit).rule, "agents.agent.tools[0]");

  Value no = call(2, "get-env");
  auto digest = r.sign(no);
  r.from_client(no);
  EXPECT_TRUE(r.w.server().empty());
  auto out = r.w.client();
  ASSERT_EQ(out.size(), 1u);
  Value e = parse(out[0]);
  EXPECT_EQ(e["error"]["code"], code::kPolicyDenied);
  EXPECT_EQ(pqmcp_data(e)["reason"], "policy-denied");
  EXPECT_EQ(pqmcp_data(e)["rule"], "default-deny");
  EXPECT_TRUE(r.agent_verifies(e, digest).ok());
  const AuditRecord& a = last(r.audit);
  EXPECT_EQ(a.decision, "deny");
  EXPECT_EQ(a.rule, "default-deny");
  EXPECT_EQ(a.verification, "ok");
  EXPECT_EQ(a.target, "get-env");
}

TEST(WrapFilter, RateLimitAnswersWithItsOwnCode) {
  WrapRig r(Mode::kRequire, kPolicy);
  Value first = call(1, "get-sum", {{"a", 1}, {"b", 2}});
  r.sign(first);
  r.from_client(first);
  EXPECT_EQ(r.w.server().size(), 1u);
  Value second = call(2, "get-sum", {{"a", 1}, {"b", 2}});
  r.sign(second);
  r.from_client(second);
  EXPECT_TRUE(r.w.server().empty());
  auto out = r.w.client();
  ASSERT_EQ(out.size(), 1u);
  Value e = parse(out[0]);
  EXPECT_EQ(e["error"]["code"], code::kRateLimited);
  EXPECT_EQ(pqmcp_data(e)["reason"], "rate-limited");
  EXPECT_EQ(pqmcp_data(e)["rule"], "rate-limit:agents.agent.tools[1].rate");
  EXPECT_EQ(last(r.audit).rule, "rate-limit:agents.agent.tools[1].rate");
  // Another tool is not limited, and a minute later the bucket has refilled.
  Value other = call(3, "echo");
  r.sign(other);
  r.from_client(other);
  EXPECT_EQ(r.w.server().size(), 1u);
  r.clock.t += 61'000;
  Value later = call(4, "get-sum", {{"a", 1}, {"b", 2}});
  r.sign(later);
  r.from_client(later);
  EXPECT_EQ(r.w.server().size(), 1u);
}

TEST(WrapFilter, ObserveModeRecordsAPolicyDenialButForwards) {
  WrapRig r(Mode::kObserve, kPolicy);
  Value no = call(2, "get-env");
  r.sign(no);
  r.from_client(no);
  EXPECT_EQ(r.w.server().size(), 1u);
  EXPECT_TRUE(r.w.client().empty());
  EXPECT_EQ(last(r.audit).decision, "observe");
  EXPECT_EQ(last(r.audit).rule, "default-deny");
}

TEST(WrapFilter, OverlongMessagesGetTooLarge) {
  WrapRig r;
  Overlong o;
  o.bytes = 5'000'000;
  o.head = R"({"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"x":")";
  r.wrap->client_overlong(o, r.w.emit);
  auto out = r.w.client();
  ASSERT_EQ(out.size(), 1u);
  Value e = parse(out[0]);
  EXPECT_EQ(e["id"], 11);
  EXPECT_EQ(e["error"]["code"], code::kTooLarge);
  EXPECT_EQ(pqmcp_data(e)["reason"], "too-large");
  EXPECT_EQ(last(r.audit).decision, "drop");
  EXPECT_EQ(last(r.audit).id, "11");

  // The server's answer to a pending request is too large: the request gets -32014, signed.
  Value req = call(12, "echo");
  auto digest = r.sign(req);
  r.from_client(req);
  r.w.server();
  Overlong big;
  big.bytes = 9'000'000;
  big.tail = R"(aaaa"}]},"id":12})";
  r.wrap->server_overlong(big, r.w.emit);
  out = r.w.client();
  ASSERT_EQ(out.size(), 1u);
  e = parse(out[0]);
  EXPECT_EQ(e["error"]["code"], code::kTooLarge);
  EXPECT_TRUE(r.agent_verifies(e, digest).ok());
  EXPECT_EQ(last(r.audit).method, "tools/call");
  // An overlong line naming no pending request is only recorded.
  r.wrap->server_overlong(big, r.w.emit);
  EXPECT_TRUE(r.w.client().empty());
  EXPECT_EQ(last(r.audit).reason, "too-large");
}

TEST(WrapFilter, ServerGoneAnswersEveryPendingRequest) {
  WrapRig r;
  std::map<std::string, std::array<std::uint8_t, 32>> digests;
  for (Value id : {Value(1), Value("two"), Value(3)}) {
    Value m = call(id, "echo");
    digests[dump(id)] = r.sign(m);
    r.from_client(m);
  }
  EXPECT_EQ(r.w.server().size(), 3u);
  r.from_server(result(1, Value::object()));  // answered before the crash
  EXPECT_EQ(r.w.client().size(), 1u);
  r.wrap->server_gone(r.w.emit);
  auto out = r.w.client();
  ASSERT_EQ(out.size(), 2u);
  std::set<std::string> ids;
  for (const auto& l : out) {
    Value e = parse(l);
    ids.insert(dump(e["id"]));
    EXPECT_EQ(e["error"]["code"], code::kServerUnavailable);
    EXPECT_EQ(pqmcp_data(e)["reason"], "server-exited");
    EXPECT_TRUE(r.agent_verifies(e, digests[dump(e["id"])]).ok()) << l;
  }
  EXPECT_EQ(ids, (std::set<std::string>{"\"two\"", "3"}));
  r.wrap->server_gone(r.w.emit);  // nothing twice
  EXPECT_TRUE(r.w.client().empty());
}

TEST(WrapFilter, BadLinesFromEitherSide) {
  WrapRig r;
  r.wrap->from_client("not json", r.w.emit);
  auto out = r.w.client();
  ASSERT_EQ(out.size(), 1u);
  Value e = parse(out[0]);
  EXPECT_TRUE(e["id"].is_null());
  EXPECT_EQ(e["error"]["code"], code::kParseError);
  EXPECT_EQ(last(r.audit).reason, "malformed-json");
  r.wrap->from_client(R"({"jsonrpc":"2.0","id":5,"method":7})", r.w.emit);
  out = r.w.client();
  ASSERT_EQ(out.size(), 1u);
  e = parse(out[0]);
  EXPECT_EQ(e["id"], 5);
  EXPECT_EQ(e["error"]["code"], code::kInvalidRequest);
  EXPECT_EQ(last(r.audit).reason, "malformed-message");
  // Duplicate keys are not strict JSON.
  r.wrap->from_client(R"({"jsonrpc":"2.0","id":5,"id":6,"method":"ping"})", r.w.emit);
  EXPECT_EQ(parse(r.w.client().at(0))["error"]["code"], code::kParseError);
  // The server writing junk or answering nothing pending: dropped, never forwarded unsigned.
  r.wrap->from_server("Starting server...", r.w.emit);
  r.from_server(result(99, Value::object()));
  EXPECT_TRUE(r.w.client().empty());
  EXPECT_EQ(last(r.audit).reason, "no-pending-request");
  EXPECT_TRUE(r.w.server().empty());
}

TEST(WrapFilter, ServerRequestsAreSignedAndTheAgentsAnswerVerified) {
  WrapRig r;
  Value first = request(1, "ping");
  r.sign(first);
  r.from_client(first);
  r.w.server();
  r.from_server(request("s1", "sampling/createMessage", {{"messages", Value::array()}}));
  auto out = r.w.client();
  ASSERT_EQ(out.size(), 1u);
  Value sreq = parse(out[0]);
  auto v = r.agent_verifies(sreq, std::nullopt);
  ASSERT_TRUE(v.ok()) << v.error().detail;
  // The agent's answer must be bound to the server's request as the agent received it.
  Value answer = result("s1", {{"role", "assistant"}});
  mcp::SigningSession& s = *r.session;
  const auto sreq_digest = mcp::request_digest(sreq).value();
  ASSERT_TRUE(s.sign(answer, r.clock.t, sreq_digest).ok());
  r.from_client(answer);
  EXPECT_EQ(r.w.server().size(), 1u);
  // An answer bound to something else is refused, and the server is told instead of hanging.
  r.from_server(request("s2", "roots/list"));
  r.w.client();
  Value wrong = result("s2", Value::object());
  ASSERT_TRUE(s.sign(wrong, r.clock.t, sreq_digest).ok());
  r.from_client(wrong);
  out = r.w.server();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse(out[0])["error"]["code"], code::kSignatureRejected);
  EXPECT_EQ(last(r.audit).verification, "request-mismatch");
}

}  // namespace
}  // namespace pqmcp::gateway

namespace pqmcp::gateway {
namespace {

TEST(Dump, SameTextAsTheSerialiser) {
  using json::Value;
  Value v = {{"plain", "abcXYZ-_0123456789 ~!"},
             {"escapes", "quote\" backslash\\ nl\n tab\t ctl\x01 del\x7f"},
             {"unicode", "é ü \u2028 😀"},
             {"bad utf8", std::string("a\xff\xfe" "b")},
             {"k\"ey\\", Value::array({1, -2, 18446744073709551615ull, 0.1, 1e300, -0.0, true, false, nullptr})},
             {"nested", {{"empty object", Value::object()}, {"empty array", Value::array()}, {"", ""}}},
             {"big", std::string(5000, 'Q')}};
  EXPECT_EQ(dump(v), v.dump(-1, ' ', false, Value::error_handler_t::replace));
  for (const Value& s : {Value(7), Value("x"), Value(nullptr), Value::array(), Value(2.5)})
    EXPECT_EQ(dump(s), s.dump(-1, ' ', false, Value::error_handler_t::replace));
}

}  // namespace
}  // namespace pqmcp::gateway
