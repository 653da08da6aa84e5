// The pieces of `pqmcp serve` in process: Origin/Host checks, SSE event ids and the replay
// buffer, SEP-2243 header mirroring, the session table.
#include <gtest/gtest.h>

#include <set>

#include "http/mirror.h"
#include "http/origin.h"
#include "http/session.h"
#include "http/sse.h"

namespace pqmcp::http {
namespace {

TEST(Origin, LoopbackOriginsOnlyByDefault) {
  OriginCheck c({}, {});
  EXPECT_TRUE(c.origin_ok(std::nullopt));  // not a browser
  EXPECT_TRUE(c.origin_ok("http://localhost:3000"));
  EXPECT_TRUE(c.origin_ok("https://127.0.0.1"));
  EXPECT_TRUE(c.origin_ok("http://[::1]:8443"));
  EXPECT_FALSE(c.origin_ok("https://evil.example"));
  EXPECT_FALSE(c.origin_ok("http://localhost.evil.example"));
  EXPECT_FALSE(c.origin_ok("null"));
  EXPECT_FALSE(c.origin_ok("file://"));
  EXPECT_FALSE(c.origin_ok("http://localhost:80/path"));
  EXPECT_FALSE(c.origin_ok("http://localhost:abc"));
}

TEST(Origin, ExplicitListReplacesLoopback) {
  OriginCheck c({"https://app.example.com"}, {});
  EXPECT_TRUE(c.origin_ok("https://app.example.com"));
  EXPECT_TRUE(c.origin_ok("HTTPS://APP.example.com"));
  EXPECT_FALSE(c.origin_ok("http://app.example.com"));
  EXPECT_FALSE(c.origin_ok("http://localhost:3000"));
}

TEST(Origin, HostHeader) {
  OriginCheck c({}, {"mcp.example.com"});
  EXPECT_TRUE(c.host_ok("localhost:8443"));
  EXPECT_TRUE(c.host_ok("127.0.0.1"));
  EXPECT_TRUE(c.host_ok("[::1]:8443"));
  EXPECT_TRUE(c.host_ok("mcp.example.com:443"));
  EXPECT_FALSE(c.host_ok("evil.example:8443"));  // a rebound name
  EXPECT_FALSE(c.host_ok(std::nullopt));
  EXPECT_FALSE(c.host_ok("localhost:x"));
  EXPECT_FALSE(c.host_ok("[::1"));
}

TEST(Sse, EventIdRoundTrip) {
  EventId id{3, 17};
  EXPECT_EQ(id.str(), "3-17");
  auto p = EventId::parse("3-17");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->stream, 3u);
  EXPECT_EQ(p->seq, 17u);
  EXPECT_FALSE(EventId::parse("317"));
  EXPECT_FALSE(EventId::parse("3-"));
  EXPECT_FALSE(EventId::parse("-3"));
  EXPECT_FALSE(EventId::parse("a-1"));
  EXPECT_FALSE(EventId::parse("1-99999999999999999999999"));
}

TEST(Sse, Format) {
  EXPECT_EQ(sse_message(EventId{1, 2}, "{\"a\":1}"), "id: 1-2\nevent: message\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(sse_priming(EventId{1, 1}, 500), "id: 1-1\nretry: 500\ndata: \n\n");
}

TEST(Sse, ReplayIsPerStreamAndOrdered) {
  EventLog log(100, 1 << 20);
  auto a1 = log.add(1, "a1");
  auto b1 = log.add(2, "b1");
  auto a2 = log.add(1, "a2");
  auto a3 = log.add(1, "a3");
  EXPECT_LT(a1.seq, b1.seq);  // ids unique across the session's streams
  bool complete = false;
  auto r = log.after(a1, &complete);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].second, "a2");
  EXPECT_EQ(r[1].second, "a3");
  EXPECT_TRUE(complete);
  EXPECT_TRUE(log.after(a3).empty());
  auto rb = log.after(EventId{2, 0});
  ASSERT_EQ(rb.size(), 1u);
  EXPECT_EQ(rb[0].second, "b1");  // never another stream's messages
  (void)a2;
}

TEST(Sse, ReplayBufferIsBounded) {
  EventLog log(3, 1 << 20);
  EventId first = log.add(1, "m0");
  for (int i = 1; i < 10; ++i) log.add(1, std::string("m").append(std::to_string(i)));
  EXPECT_EQ(log.size(), 3u);
  bool complete = true;
  auto r = log.after(first, &complete);
  EXPECT_EQ(r.size(), 3u);
  EXPECT_FALSE(complete);  // the gap is reported
  EventLog bytes(1000, 10);
  for (int i = 0; i < 10; ++i) bytes.add(1, "xxxx");
  EXPECT_LE(bytes.bytes(), 10u);
}

json::Value call(const char* name) {
  return json::Value{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
                     {"params", {{"name", name}, {"_meta", {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"}}}}}};
}

TEST(Mirror, MatchingHeadersPass) {
  MirroredHeaders h{"2026-07-28", "tools/call", "echo", {}};
  EXPECT_TRUE(check_mirrored(h, call("echo")).ok);
}

TEST(Mirror, MismatchesAreHeaderMismatch) {
  auto expect_mismatch = [](MirroredHeaders h, const json::Value& body) {
    auto c = check_mirrored(h, body);
    EXPECT_FALSE(c.ok);
    EXPECT_EQ(c.http_status, 400);
    EXPECT_EQ(c.code, -32020);
  };
  expect_mismatch({"2026-07-28", "tools/call", "other", {}}, call("echo"));
  expect_mismatch({"2026-07-28", "tools/list", "echo", {}}, call("echo"));
  expect_mismatch({"2026-07-28", std::nullopt, "echo", {}}, call("echo"));
  expect_mismatch({"2026-07-28", "tools/call", std::nullopt, {}}, call("echo"));
  expect_mismatch({std::nullopt, "tools/call", "echo", {}}, call("echo"));
  json::Value b = call("echo");
  b["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2026-01-01";
  expect_mismatch({"2026-07-28", "tools/call", "echo", {}}, b);
  json::Value r = {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "resources/read"}, {"params", {{"uri", "file:///a"}}}};
  expect_mismatch({"2026-07-28", "resources/read", "file:///b", {}}, r);
  EXPECT_TRUE(check_mirrored({"2026-07-28", "resources/read", "file:///a", {}}, r).ok);
}

TEST(Mirror, UnsupportedVersion) {
  auto c = check_mirrored({"2030-01-01", "tools/call", "echo", {}}, call("echo"));
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.code, -32022);
  auto body = json::parse(mirror_error_body(1, c));
  ASSERT_TRUE(body);
  EXPECT_TRUE(body.value()["error"]["data"]["supported"].is_array());
}

TEST(Mirror, Base64HeaderValues) {
  // "héllo" in UTF-8, base64.
  EXPECT_EQ(decode_header_value("=?base64?aMOpbGxv?="), std::optional<std::string>("h\xc3\xa9llo"));
  EXPECT_EQ(decode_header_value("plain"), std::optional<std::string>("plain"));
  EXPECT_FALSE(decode_header_value("=?base64?***?="));
  EXPECT_FALSE(decode_header_value("tab\there"));
  MirroredHeaders h{"2026-07-28", "tools/call", "=?base64?aMOpbGxv?=", {}};
  EXPECT_TRUE(check_mirrored(h, call("h\xc3\xa9llo")).ok);
}

TEST(SessionTable, IdsAreRandomVisibleAscii) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    auto id = SessionTable::new_id();
    ASSERT_EQ(id.size(), 32u);
    for (char c : id) ASSERT_TRUE(c >= 0x21 && c <= 0x7e);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace pqmcp::http
