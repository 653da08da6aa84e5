// The text/event-stream parser against WHATWG HTML §9.2.6: field parsing, line endings, BOM,
// dispatch rules, last event ID, retry, and the same results wherever the input is split.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/sse_parser.h"

namespace pqmcp::http {
namespace {

std::vector<SseEvent> parse_all(std::string_view s, SseParser* p = nullptr) {
  SseParser local;
  SseParser& pp = p ? *p : local;
  std::vector<SseEvent> out;
  EXPECT_EQ(pp.feed(s, out), SseStatus::kOk);
  return out;
}

TEST(SseParser, MultiLineDataAndEventType) {
  auto ev = parse_all("event: add\ndata: 73857293\ndata\ndata: x\n\n");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, "add");
  EXPECT_EQ(ev[0].data, "73857293\n\nx");  // "data" without colon appends an empty line
}

TEST(SseParser, DefaultTypeAndSingleLeadingSpace) {
  auto ev = parse_all("data:  two spaces\n\ndata:none\n\n");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].type, "message");
  EXPECT_EQ(ev[0].data, " two spaces");  // only one space is removed
  EXPECT_EQ(ev[1].data, "none");
}

TEST(SseParser, CommentsAndUnknownFieldsIgnored) {
  auto ev = parse_all(": keep-alive\nfoo: bar\ndata: a\n:another\n\n");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].data, "a");
}

TEST(SseParser, NoDispatchWithoutData) {
  // An event with only a type or only an id dispatches nothing, but the id persists.
  SseParser p;
  auto ev = parse_all("event: x\n\nid: 7\n\ndata: y\n\n", &p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, "message");  // the type buffer was reset by the first blank line
  EXPECT_EQ(ev[0].id, "7");
  EXPECT_EQ(p.last_event_id(), "7");
}

TEST(SseParser, McpPrimingEventHasEmptyData) {
  // MCP 2025-11-25: an event ID and an empty data field prime the client to reconnect.
  SseParser p;
  auto ev = parse_all("id: abc\ndata:\n\n", &p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].data, "");
  EXPECT_EQ(p.last_event_id(), "abc");
}

TEST(SseParser, IdWithNulIgnoredAndEmptyIdResets) {
  SseParser p;
  parse_all("id: one\ndata: a\n\n", &p);
  parse_all(std::string("id: t\0wo\ndata: b\n\n", 18), &p);
  EXPECT_EQ(p.last_event_id(), "one");
  auto ev = parse_all("id\ndata: c\n\n", &p);
  EXPECT_EQ(p.last_event_id(), "");
  EXPECT_EQ(ev[0].id, "");
}

TEST(SseParser, Retry) {
  SseParser p;
  parse_all("retry: 3000\n\n", &p);
  EXPECT_EQ(p.retry_ms().value_or(0), 3000u);
  parse_all("retry: 12a\nretry: -5\nretry:\n\n", &p);  // ignored: not only digits
  EXPECT_EQ(p.retry_ms().value_or(0), 3000u);
  parse_all("retry: 99999999999999999999999\n\n", &p);  // saturates, no overflow
  EXPECT_GT(p.retry_ms().value_or(0), 1'000'000'000'000ULL);
}

TEST(SseParser, LineEndings) {
  auto ev = parse_all("data: a\r\ndata: b\rdata: c\n\r\n");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].data, "a\nb\nc");
}

TEST(SseParser, ByteOrderMarkOnlyAtStart) {
  auto ev = parse_all("\xEF\xBB\xBF" "data: x\n\n\xEF\xBB\xBF" "data: y\n\n");
  ASSERT_EQ(ev.size(), 1u);  // the second BOM makes a field named "\xEF\xBB\xBFdata": ignored
  EXPECT_EQ(ev[0].data, "x");
}

TEST(SseParser, IncompleteEventAtEndIsNotDispatched) {
  SseParser p;
  std::vector<SseEvent> out;
  ASSERT_EQ(p.feed("data: half", out), SseStatus::kOk);
  ASSERT_EQ(p.feed("\n", out), SseStatus::kOk);
  EXPECT_TRUE(out.empty());
  p.reset_event();
  ASSERT_EQ(p.feed("data: whole\n\n", out), SseStatus::kOk);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "whole");
}

// Every split of the input into two and three chunks gives the same events as one feed,
// including splits between CR and LF and inside the BOM and multi-byte UTF-8.
TEST(SseParser, ChunkBoundariesAnywhere) {
  const std::string in =
      "\xEF\xBB\xBF: c\r\nevent: e1\r\nid: 1\r\ndata: {\"jsonrpc\":\"2.0\"}\r\n\r\n"
      "data: h\xC3\xA9llo\rdata: two\r\rretry: 50\nid: 2\ndata\n\n";
  SseParser whole;
  auto expect = parse_all(in, &whole);
  ASSERT_EQ(expect.size(), 3u);
  auto same = [&](const std::vector<SseEvent>& got, const SseParser& p) {
    ASSERT_EQ(got.size(), expect.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k].type, expect[k].type);
      EXPECT_EQ(got[k].data, expect[k].data);
      EXPECT_EQ(got[k].id, expect[k].id);
    }
    EXPECT_EQ(p.last_event_id(), whole.last_event_id());
    EXPECT_EQ(p.retry_ms(), whole.retry_ms());
  };
  for (std::size_t i = 0; i <= in.size(); ++i)
    for (std::size_t j = i; j <= in.size(); ++j) {
      SseParser p;
      std::vector<SseEvent> got;
      ASSERT_EQ(p.feed(std::string_view(in).substr(0, i), got), SseStatus::kOk);
      ASSERT_EQ(p.feed(std::string_view(in).substr(i, j - i), got), SseStatus::kOk);
      ASSERT_EQ(p.feed(std::string_view(in).substr(j), got), SseStatus::kOk);
      same(got, p);
    }
  SseParser bytewise;
  std::vector<SseEvent> got;
  for (char c : in) ASSERT_EQ(bytewise.feed(std::string_view(&c, 1), got), SseStatus::kOk);
  same(got, bytewise);
}

TEST(SseParser, LineLimit) {
  SseParser p(SseLimits{16, 1024});
  std::vector<SseEvent> out;
  EXPECT_EQ(p.feed("data: 0123456789", out), SseStatus::kOk);  // exactly 16
  EXPECT_EQ(p.feed("x", out), SseStatus::kLineTooLong);
  EXPECT_EQ(p.feed("\n\n", out), SseStatus::kLineTooLong);  // stays failed
  EXPECT_TRUE(out.empty());
}

TEST(SseParser, EventLimitCountsAllDataLines) {
  SseParser p(SseLimits{64, 10});
  std::vector<SseEvent> out;
  EXPECT_EQ(p.feed("data: 1234\ndata: 1234\n", out), SseStatus::kOk);  // 10 with the LFs
  EXPECT_EQ(p.feed("data: 1\n", out), SseStatus::kEventTooLarge);
  EXPECT_TRUE(out.empty());
}

TEST(SseParser, ManyEventsMemoryStaysBounded) {
  SseParser p(SseLimits{64, 64});
  std::vector<SseEvent> out;
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(p.feed("id: " + std::to_string(i) + "\ndata: x\n\n", out), SseStatus::kOk);
    out.clear();
  }
  EXPECT_EQ(p.last_event_id(), "9999");
}

}  // namespace
}  // namespace pqmcp::http
