// The JSON-lines sink's writer thread (gateway/audit_sink.h): records reach the file in the order
// they were handed over, by the thread itself within its linger time, all of them when the sink is
// destroyed, with their message digests; a full queue makes the caller wait instead of dropping;
// a failing write is counted.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "gateway/audit_sink.h"
#include "json/json.h"

namespace pqmcp::gateway {
namespace {

struct TempFile {
  std::string path;
  TempFile() {
    char tmpl[] = "/tmp/pqmcp-audit-sink-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    ::close(fd);
    ::unlink(tmpl);  // the sink creates it
    path = tmpl;
  }
  ~TempFile() { ::unlink(path.c_str()); }
  std::vector<json::Value> lines() const {
    std::vector<json::Value> out;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);) out.push_back(json::Value::parse(l));
    return out;
  }
};

AuditRecord numbered(int i) {
  AuditRecord r;
  r.ts_ms = i;
  r.side = "wrap";
  r.direction = "c2s";
  r.kind = "request";
  r.id = std::to_string(i);
  return r;
}

std::unique_ptr<JsonLinesSink> open_sink(const TempFile& f, std::chrono::milliseconds linger) {
  auto s = JsonLinesSink::open(f.path, linger);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error());
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(JsonLinesSink, EveryRecordInOrderWhenTheSinkCloses) {
  TempFile f;
  {
    auto sink = open_sink(f, std::chrono::milliseconds(50));
    ASSERT_TRUE(sink);
    for (int i = 0; i < 3000; ++i) sink->record(numbered(i));
  }  // destroyed at once: the queued records are written by the destructor
  const auto lines = f.lines();
  ASSERT_EQ(lines.size(), 3000u);
  for (int i = 0; i < 3000; ++i) EXPECT_EQ(lines[i]["id"], std::to_string(i));
}

TEST(JsonLinesSink, TheThreadWritesWithinItsLingerWithoutBeingAsked) {
  TempFile f;
  auto sink = open_sink(f, std::chrono::milliseconds(5));
  ASSERT_TRUE(sink);
  sink->record(numbered(1));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (f.lines().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(f.lines().size(), 1u);
  // After a pause (the thread parked), the next record is written by itself as well.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  sink->record(numbered(2));
  while (f.lines().size() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(f.lines().size(), 2u);
  EXPECT_EQ(sink->failures(), 0u);
}

TEST(JsonLinesSink, FlushWaitsForWhatWasHandedOver) {
  TempFile f;
  auto sink = open_sink(f, std::chrono::hours(1));  // only flush() or the destructor writes
  ASSERT_TRUE(sink);
  for (int i = 0; i < 10; ++i) sink->record(numbered(i));
  sink->flush();
  EXPECT_EQ(f.lines().size(), 10u);
  sink->record(numbered(10));
  sink->flush();
  EXPECT_EQ(f.lines().size(), 11u);
}

TEST(JsonLinesSink, TheMessageDigestIsComputedByTheSink) {
  TempFile f;
  {
    auto sink = open_sink(f, std::chrono::milliseconds(1));
    ASSERT_TRUE(sink);
    AuditRecord r = numbered(1);
    r.digest_of = std::make_shared<const std::string>("abc");
    sink->record(r);
    AuditRecord kept = numbered(2);  // a digest already set is kept as it is
    kept.digest = "sha256:given";
    kept.digest_of = std::make_shared<const std::string>("abc");
    sink->record(kept);
  }
  const auto lines = f.lines();
  ASSERT_EQ(lines.size(), 2u);
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  EXPECT_EQ(lines[0]["digest"], "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(lines[1]["digest"], "sha256:given");
}

TEST(JsonLinesSink, AFullQueueMakesTheCallerWaitAndLosesNothing) {
  TempFile f;
  const int n = static_cast<int>(JsonLinesSink::kMaxQueued) * 3;
  {
    auto sink = open_sink(f, std::chrono::milliseconds(20));
    ASSERT_TRUE(sink);
    std::thread a([&] { for (int i = 0; i < n; i += 2) sink->record(numbered(i)); });
    std::thread b([&] { for (int i = 1; i < n; i += 2) sink->record(numbered(i)); });
    a.join();
    b.join();
    EXPECT_EQ(sink->failures(), 0u);
  }
  const auto lines = f.lines();
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(n));
  // Each producer's records keep their order.
  long last_even = -2, last_odd = -1;
  for (const auto& l : lines) {
    const long id = std::stol(l["id"].get<std::string>());
    long& last = id % 2 == 0 ? last_even : last_odd;
    EXPECT_EQ(id, last + 2);
    last = id;
  }
}

TEST(JsonLinesSink, AFailingWriteIsCounted) {
  // /dev/full refuses every write with ENOSPC.
  auto s = JsonLinesSink::open("/dev/full", std::chrono::milliseconds(1));
  ASSERT_TRUE(s.ok()) << s.error();
  auto& sink = *s.value();
  sink.record(numbered(1));
  sink.flush();
  EXPECT_GE(sink.failures(), 1u);
}

TEST(JsonLinesSink, AnUnwritablePathIsAnError) {
  auto s = JsonLinesSink::open("/nonexistent-dir/audit.jsonl");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("cannot open audit file"), std::string::npos);
}

}  // namespace
}  // namespace pqmcp::gateway
