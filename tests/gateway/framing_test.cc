// Newline framing of the stdio gateway (MCP stdio transport: one message per line, no embedded
// newline): chunk boundaries anywhere, CRLF, the bound on the line length at exactly the limit,
// the id of an overlong message, and the non-blocking output queue under backpressure.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/framing.h"

namespace pqmcp::gateway {
namespace {

std::vector<std::string> lines_of(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(f.overlong ? "<overlong " + std::to_string(f.overlong->bytes) + ">" : f.line);
  return out;
}

std::vector<std::string> feed_chunks(std::size_t max, const std::vector<std::string>& chunks, bool finish = true) {
  LineReader r(max);
  std::vector<Frame> frames;
  for (const auto& c : chunks) r.feed(c, frames);
  if (finish) r.finish(frames);
  return lines_of(frames);
}

const std::string kStream =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"
    "\n"
    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\r\n"
    "\r\n"
    "{\"a\":\"x\\ny\"}\n"
    "last";
const std::vector<std::string> kExpected = {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
                                            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                                            "{\"a\":\"x\\ny\"}", "last"};

TEST(LineReader, SameFramesWhereverTheChunksSplit) {
  EXPECT_EQ(feed_chunks(1 << 20, {kStream}), kExpected);
  for (std::size_t i = 0; i <= kStream.size(); ++i) {
    EXPECT_EQ(feed_chunks(1 << 20, {kStream.substr(0, i), kStream.substr(i)}), kExpected) << "split at " << i;
    for (std::size_t j = i; j <= kStream.size(); j += 7)
      EXPECT_EQ(feed_chunks(1 << 20, {kStream.substr(0, i), kStream.substr(i, j - i), kStream.substr(j)}), kExpected)
          << "split at " << i << " and " << j;
  }
  std::vector<std::string> bytes;
  for (char c : kStream) bytes.emplace_back(1, c);
  EXPECT_EQ(feed_chunks(1 << 20, bytes), kExpected);
}

TEST(LineReader, CrlfIsADelimiterButALoneCrIsData) {
  EXPECT_EQ(feed_chunks(100, {"a\r", "\n", "b\r\r\n", "c\rd\n"}), (std::vector<std::string>{"a", "b\r", "c\rd"}));
  // Only blank lines (LF or CRLF): nothing is a message.
  EXPECT_TRUE(feed_chunks(100, {"\n\r\n\n", "\r", "\n"}).empty());
  // Without a final newline the last line is complete only at the end of input.
  EXPECT_TRUE(feed_chunks(100, {"partial"}, false).empty());
  EXPECT_EQ(feed_chunks(100, {"partial\r"}), (std::vector<std::string>{"partial"}));
}

TEST(LineReader, LineOfExactlyTheLimitPassesOneMoreIsOverlong) {
  constexpr std::size_t kMax = 64;
  const std::string at(kMax, 'x'), over(kMax + 1, 'y');
  for (const char* nl : {"\n", "\r\n"}) {
    // Split everywhere: the limit must not depend on where a read() ended.
    const std::string data = at + nl + over + nl + "after" + nl;
    for (std::size_t i = 0; i <= data.size(); ++i) {
      auto got = feed_chunks(kMax, {data.substr(0, i), data.substr(i)});
      ASSERT_EQ(got.size(), 3u) << "split at " << i;
      EXPECT_EQ(got[0], at);
      EXPECT_EQ(got[1], "<overlong " + std::to_string(kMax + 1 + (nl[0] == '\r' ? 1 : 0)) + ">") << "split at " << i;
      EXPECT_EQ(got[2], "after");
    }
  }
  // At the end of input, without a newline.
  EXPECT_EQ(feed_chunks(kMax, {at}), (std::vector<std::string>{at}));
  EXPECT_EQ(feed_chunks(kMax, {over}), (std::vector<std::string>{"<overlong 65>"}));
}

TEST(LineReader, OverlongLineCostsBoundedMemoryAndKeepsBothEnds) {
  constexpr std::size_t kMax = 1000;
  LineReader r(kMax);
  std::vector<Frame> frames;
  const std::string head = "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"blob\":\"";
  const std::string tail = "\"},\"id\":42}";
  r.feed(head, frames);
  std::string chunk(4096, 'a');
  for (int i = 0; i < 1000; ++i) {
    r.feed(chunk, frames);
    ASSERT_LE(r.buffered(), kMax + 1);
  }
  r.feed(tail + "\n{\"next\":1}\n", frames);
  ASSERT_EQ(frames.size(), 2u);
  ASSERT_TRUE(frames[0].overlong);
  const Overlong& o = *frames[0].overlong;
  EXPECT_EQ(o.bytes, head.size() + 1000 * chunk.size() + tail.size());
  EXPECT_EQ(o.head.size(), Overlong::kHeadBytes);
  EXPECT_EQ(o.head.substr(0, head.size()), head);
  EXPECT_EQ(o.tail.size(), Overlong::kTailBytes);
  EXPECT_EQ(o.tail.substr(o.tail.size() - tail.size()), tail);
  EXPECT_EQ(overlong_id(o), json::Value(42));
  EXPECT_EQ(frames[1].line, "{\"next\":1}");
}

TEST(OverlongId, FromTheHeadOrTheTailOnlyAtTopLevel) {
  Overlong o;
  o.head = R"({"jsonrpc":"2.0","id":"req-7","method":"tools/call","params":{"x":")";
  EXPECT_EQ(overlong_id(o), json::Value("req-7"));
  o.head = R"({"jsonrpc":"2.0","params":{"id":5,"x":")";  // nested "id" is not the message's
  EXPECT_TRUE(overlong_id(o).is_null());
  o.head = R"({"jsonrpc":"2.0","params":{"note":"\"id\":3","x":")";  // inside a string
  EXPECT_TRUE(overlong_id(o).is_null());
  o.tail = R"(aaaa"}},"id":-12})";
  EXPECT_EQ(overlong_id(o), json::Value(-12));
  o.tail = R"(aaaa"}},"id":12,"x":1})";  // not the last member: unknown
  EXPECT_TRUE(overlong_id(o).is_null());
  o.tail = R"(aaaa","id":12)";  // truncated, no closing brace
  EXPECT_TRUE(overlong_id(o).is_null());
  o.tail = R"(a"},"id":"a\"b"})";  // escaped id: not guessed
  EXPECT_TRUE(overlong_id(o).is_null());
  o.tail = R"(a"},"id":99999999999999999999999})";  // too many digits: not guessed
  EXPECT_TRUE(overlong_id(o).is_null());
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

TEST(OutQueue, BackpressureKeepsOrderAndNeverBlocks) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  ::fcntl(p[1], F_SETPIPE_SZ, 4096);  // small pipe (rounded up to a page by the kernel)
  OutQueue q;
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    std::string line = "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(500, 'p') + "\"}";
    expected += line + "\n";
    q.push(line);
  }
  q.push_raw("raw-bytes\n");
  q.push_raw("");
  expected += "raw-bytes\n";
  EXPECT_EQ(q.size(), expected.size());
  std::string got;
  int rounds = 0;
  while (!q.empty()) {
    ASSERT_TRUE(q.flush(p[1]));  // returns at EAGAIN instead of blocking
    got += read_all(p[0]);
    ASSERT_LT(++rounds, 10000);
  }
  EXPECT_GT(rounds, 1);  // the pipe really was full in between
  EXPECT_EQ(got, expected);
  ::close(p[0]);
  // A reader that went away is a write error (EPIPE with SIGPIPE ignored), not a hang.
  auto old = ::signal(SIGPIPE, SIG_IGN);
  q.push("x");
  EXPECT_FALSE(q.flush(p[1]));
  ::signal(SIGPIPE, old);
  q.clear();
  EXPECT_TRUE(q.empty());
  ::close(p[1]);
}

}  // namespace
}  // namespace pqmcp::gateway
