// The JSON-lines audit record (gateway/audit_sink.h): the line written directly must be exactly
// what serialising the record as a JSON object gives, for any bytes from the wire.
#include <gtest/gtest.h>

#include <random>

#include "gateway/audit_sink.h"
#include "json/json.h"

namespace pqmcp::gateway {
namespace {

// The reference: the record as a JSON object (sorted members), serialised with replacement.
std::string reference(const AuditRecord& r) {
  json::Value v = json::Value::object();
  v["ts"] = r.ts_ms;
  v["side"] = r.side;
  v["dir"] = r.direction;
  v["kind"] = r.kind;
  auto put = [&](const char* k, const std::string& s) {
    if (!s.empty()) v[k] = s;
  };
  put("method", r.method);
  put("id", r.id);
  put("target", r.target);
  put("agent", r.agent);
  put("sender", r.sender);
  put("kid", r.kid);
  put("digest", r.digest);
  put("verification", r.verification);
  put("decision", r.decision);
  put("reason", r.reason);
  put("rule", r.rule);
  return v.dump(-1, ' ', false, json::Value::error_handler_t::replace);
}

TEST(AuditLine, TypicalRecord) {
  AuditRecord r;
  r.ts_ms = 1764979200123;
  r.side = "wrap";
  r.direction = "c2s";
  r.kind = "request";
  r.method = "tools/call";
  r.id = "7";
  r.target = "echo";
  r.agent = "agent";
  r.sender = "agent";
  r.digest = "sha256:00ff";
  r.verification = "ok";
  r.decision = "allow";
  EXPECT_EQ(to_json_line(r), reference(r));
  EXPECT_EQ(to_json_line(r).find('\n'), std::string::npos);
}

TEST(AuditLine, EmptyAndHostileStrings) {
  AuditRecord r;  // everything empty: ts, side, dir and kind are still written
  EXPECT_EQ(to_json_line(r), reference(r));
  std::mt19937 rng(7);
  const std::string pieces[] = {"\"", "\\", "\n", "\x01", "\x7f", "é", "𝄞", "\xff", "\xc3", "a", "</script>", "\xed\xa0\x80"};
  for (int i = 0; i < 500; ++i) {
    auto text = [&] {
      std::string s;
      for (int n = static_cast<int>(rng() % 6); n > 0; --n) s += pieces[rng() % std::size(pieces)];
      return s;
    };
    r.ts_ms = static_cast<std::int64_t>(rng()) - (1LL << 31);
    r.side = text(), r.direction = text(), r.kind = text(), r.method = text(), r.id = text();
    r.target = text(), r.agent = text(), r.sender = text(), r.kid = text(), r.digest = text();
    r.verification = text(), r.decision = text(), r.reason = text(), r.rule = text();
    ASSERT_EQ(to_json_line(r), reference(r)) << i;
  }
}

}  // namespace
}  // namespace pqmcp::gateway
