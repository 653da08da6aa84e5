// The JSON-lines sink's writer thread (gateway/audit_sink.h): records reach the file in the order
// they were handed over, by the thread itself within its linger time, all of them when the sink is
// destroyed, with their message digests; a full queue makes the caller wait instead of dropping;
// a failing write is counted.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <atomic>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
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

// flush() on an idle sink must not leave the thread unable to be woken: the next record is still
// written by the thread on its own.
TEST(JsonLinesSink, AFlushOnAnIdleSinkKeepsTheThreadWakeable) {
  TempFile f;
  auto sink = open_sink(f, std::chrono::milliseconds(2));
  ASSERT_TRUE(sink);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the thread parks
  sink->flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  sink->record(numbered(7));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (f.lines().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(f.lines().size(), 1u);
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

// The file is a FIFO nobody reads yet: the writer thread blocks in write(), the queue fills, and
// a caller beyond kMaxQueued records must wait (not drop, not grow); once the FIFO is read,
// everything arrives, each producer's records in order.
TEST(JsonLinesSink, AFullQueueMakesTheCallerWaitAndLosesNothing) {
  TempFile f;
  ASSERT_EQ(::mkfifo(f.path.c_str(), 0600), 0);
  const int reader = ::open(f.path.c_str(), O_RDONLY | O_NONBLOCK);  // so the sink's open does not block
  ASSERT_GE(reader, 0);
  const int n = static_cast<int>(JsonLinesSink::kMaxQueued) * 3;
  std::atomic<int> handed{0};
  std::string text;
  {
    auto sink = open_sink(f, std::chrono::milliseconds(1));
    ASSERT_TRUE(sink);
    std::thread a([&] { for (int i = 0; i < n; i += 2) sink->record(numbered(i)), ++handed; });
    std::thread b([&] { for (int i = 1; i < n; i += 2) sink->record(numbered(i)), ++handed; });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    // In flight: what the pipe holds (~64 KiB, under a thousand lines), the batch the thread is
    // blocked writing (at most kMaxQueued) and the queue (kMaxQueued): the callers must be waiting
    // well short of n.
    EXPECT_LT(handed.load(), n);
    EXPECT_LE(handed.load(), 2 * static_cast<int>(JsonLinesSink::kMaxQueued) + 2000);
    char buf[65536];
    while (handed.load() < n || text.size() < 1) {  // drain while the producers finish
      const ssize_t k = ::read(reader, buf, sizeof buf);
      if (k > 0) text.append(buf, static_cast<std::size_t>(k));
      else std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    a.join();
    b.join();
    std::thread drain([&] {
      for (;;) {
        const ssize_t k = ::read(reader, buf, sizeof buf);
        if (k > 0) text.append(buf, static_cast<std::size_t>(k));
        else if (k == 0) break;  // the sink closed its end
        else std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    sink.reset();  // writes the rest, closes the FIFO
    drain.join();
    ::close(reader);
  }
  std::vector<long> ids;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    ids.push_back(std::stol(json::Value::parse(text.substr(pos, nl - pos))["id"].get<std::string>()));
    pos = nl + 1;
  }
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(n));
  long last_even = -2, last_odd = -1;
  for (long id : ids) {
    long& last = id % 2 == 0 ? last_even : last_odd;
    EXPECT_EQ(id, last + 2);
    last = id;
  }
}

// A message too large for what the sink may hold unhashed is hashed when the record is handed
// over; one that fits is kept for the sink's thread and its bytes are given back afterwards.
TEST(DigestBudget, HashesOnTheCallerWhenFull) {
  DigestBudget budget(10);
  AuditRecord r = numbered(1);
  r.digest_of = std::make_shared<const std::string>("abc");
  std::size_t charged = 0;
  AuditRecord kept = budget.admit(r, charged);
  EXPECT_EQ(charged, 3u);
  EXPECT_TRUE(kept.digest.empty());
  ASSERT_TRUE(kept.digest_of);
  AuditRecord big = numbered(2);
  big.digest_of = std::make_shared<const std::string>(std::string(8, 'x'));  // 3 + 8 > 10
  std::size_t charged2 = 0;
  AuditRecord now = budget.admit(big, charged2);
  EXPECT_EQ(charged2, 0u);
  EXPECT_FALSE(now.digest_of);
  EXPECT_EQ(now.digest.rfind("sha256:", 0), 0u);
  budget.give_back(charged);
  std::size_t charged3 = 0;
  AuditRecord later = budget.admit(big, charged3);  // room again
  EXPECT_EQ(charged3, 8u);
  EXPECT_TRUE(later.digest_of);
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
