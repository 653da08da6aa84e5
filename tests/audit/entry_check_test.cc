// Entry::check_canonical (the verifier's fast check) must give exactly the verdict and the error
// message of Entry::from_canonical (the reference: full JSON parse, re-serialise, compare) on
// valid entries and on every kind of damage: random byte flips, insertions, deletions and
// truncations, plus hand-picked near-misses of the canonical form (other escapes, upper-case
// hex, raw controls, bad UTF-8, impossible dates, leap days, v:01, duplicate or extra members).
#include <gtest/gtest.h>

#include <random>

#include "audit/entry.h"

using namespace pqmcp::audit;

namespace {

// Same verdict, same message; returns whether it was accepted (for the counts below).
bool same(const std::string& bytes) {
  auto ref = Entry::from_canonical(bytes);
  auto fast = Entry::check_canonical(bytes);
  EXPECT_EQ(ref.ok(), fast.ok()) << "input: " << bytes;
  if (!ref.ok() && !fast.ok()) {
    EXPECT_EQ(ref.error().message, fast.error().message) << "input: " << bytes;
  }
  return ref.ok();
}

std::vector<Entry> bases() {
  std::vector<Entry> v;
  Entry e;
  e.time_ms = 1767225600123;
  e.source = "gw-1";
  e.agent = "agent-7";
  e.kid = "k1";
  e.direction = "request";
  e.method = "tools/call";
  e.name = "read_file";
  e.decision = "allow";
  e.rule = "r1";
  e.verify = "ok";
  e.msg_sha256 = std::string(64, 'a');
  v.push_back(e);
  e.msg_sha256 = "";  // empty digest is allowed
  e.direction = "key-op";
  e.decision = "error";
  e.agent = "";
  e.kid = "";
  v.push_back(e);
  // Every escape put_string produces, non-ASCII text, and DEL (which stays raw).
  e.name = std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f x", 16) + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  e.name += std::string(1, '\0');
  e.rule = "\xed\x9f\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf";  // U+D7FF, U+FFFF, U+10FFFF: the edges
  e.direction = "notification";
  e.decision = "deny";
  e.time_ms = 0;
  v.push_back(e);
  e.time_ms = -1;  // 1969: legal, outside the fast path's years (taken by the slow path)
  v.push_back(e);
  e.time_ms = 253402300799999;  // 9999-12-31T23:59:59.999Z
  e.direction = "response";
  v.push_back(e);
  e.time_ms = 951782400000;  // 2000-02-29 (a leap day in a century year)
  v.push_back(e);
  return v;
}

}  // namespace

TEST(EntryCheck, ValidEntriesAgree) {
  for (const Entry& e : bases()) {
    auto c = e.canonical();
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_TRUE(same(*c)) << *c;
  }
}

TEST(EntryCheck, NearMissesAgree) {
  const std::string c = bases()[0].canonical().value();
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = c;
    auto p = s.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    if (p != std::string::npos) s.replace(p, from.size(), to);
    return s;
  };
  const std::vector<std::string> cases = {
      with("read_file", "read\\/file"),           // a legal JSON escape put_string never writes
      with("read_file", "read\\u0041file"),       // \u escape of a printable character
      with("read_file", "read\\u001Ffile"),       // upper-case hex
      with("read_file", "read\\u001ffile"),       // the canonical \u escape: accepted
      with("read_file", "read\\u000afile"),       // \n written long-hand
      with("read_file", "read\\u007ffile"),       // DEL escaped (canonical is raw)
      with("read_file", std::string("read\x01" "file")),  // raw control
      with("read_file", "read\xc3" "file"),          // truncated UTF-8
      with("read_file", "read\xc0\xaf" "file"),       // overlong
      with("read_file", "read\xed\xa0\x80" "file"),  // surrogate
      with("read_file", "read\xf4\x90\x80\x80" "file"),  // past U+10FFFF
      with("read_file", "read\\ud83d\\ude00file"),    // surrogate pair escape
      with("2026-01-01T00:00:00.123Z", "2026-01-01T00:00:00.12Z"),
      with("2026-01-01T00:00:00.123Z", "2026-01-01T00:00:00.1234Z"),
      with("2026-01-01T00:00:00.123Z", "2026-01-01T00:00:00Z"),
      with("2026-01-01T00:00:00.123Z", "2026-01-01T00:00:00.123z"),
      with("2026-01-01T00:00:00.123Z", "2026-01-01T00:00:60.123Z"),
      with("2026-01-01T00:00:00.123Z", "2026-02-29T00:00:00.123Z"),
      with("2026-01-01T00:00:00.123Z", "2024-02-29T00:00:00.123Z"),  // accepted
      with("2026-01-01T00:00:00.123Z", "2100-02-29T00:00:00.123Z"),
      with("2026-01-01T00:00:00.123Z", "2026-04-31T00:00:00.123Z"),
      with("2026-01-01T00:00:00.123Z", "2026-13-01T00:00:00.123Z"),
      with("2026-01-01T00:00:00.123Z", "2026-00-01T00:00:00.123Z"),
      with("2026-01-01T00:00:00.123Z", "2026-01-01T24:00:00.123Z"),
      with("2026-01-01T00:00:00.123Z", "+026-01-01T00:00:00.123Z"),
      with("2026-01-01T00:00:00.123Z", " 026-01-01T00:00:00.123Z"),
      with("2026-01-01T00:00:00.123Z", "1969-12-31T23:59:59.999Z"),  // accepted (slow path)
      with("2026-01-01T00:00:00.123Z", "0000-01-01T00:00:00.000Z"),  // accepted (slow path)
      with("2026-01-01T00:00:00.123Z", "2026-01-01"),
      with("\"v\":1,", "\"v\":01,"),
      with("\"v\":1,", "\"v\":1.0,"),
      with("\"v\":1,", "\"v\":2,"),
      with("\"v\":1,", "\"v\":\"1\","),
      with("\"v\":1,", "\"v\":1,\"x\":\"\","),
      with("\"v\":1,", "\"v\":1,\"v\":1,"),
      with("\"ok\"}", "\"ok\"} "),
      with("{\"agent\"", "{ \"agent\""),
      with("\"allow\"", "\"Allow\""),
      with("\"allow\"", "\"deny\""),  // accepted
      with("\"request\"", "\"req\\u0075est\""),
      with("\"request\"", "\"requests\""),
      with(std::string(64, 'a'), std::string(64, 'A')),
      with(std::string(64, 'a'), std::string(63, 'a')),
      with(std::string(64, 'a'), std::string(63, 'a') + "g"),
      with("\"agent\":\"agent-7\",", ""),            // a member missing
      with("\"kid\":\"k1\",\"method\"", "\"method\""),
      with("\"decision\":\"allow\",\"direction\":\"request\"", "\"direction\":\"request\",\"decision\":\"allow\""),
      with("\"rule\":\"r1\"", "\"rule\":1"),
      with("\"rule\":\"r1\"", "\"rule\":null"),
      with("\"rule\":\"r1\"", "\"rule\":\"r1\",\"rule\":\"r1\""),
      "", "{}", "[]", "null", "{\"v\":1}", c.substr(0, c.size() - 1), c + "\n", c + c,
  };
  int accepted = 0;
  for (const std::string& s : cases) accepted += same(s);
  EXPECT_EQ(accepted, 5);  // \u001f, 2024-02-29, 1969 and year 0000 (slow path), deny
}

// Random damage: single and multiple byte replacements (biased to the characters that matter to
// the grammar), insertions, deletions and truncations, on every base entry.
TEST(EntryCheck, RandomMutationsAgree) {
  std::mt19937_64 rng(20260131);
  const std::string interesting = "\"\\{}:,0123456789abcdefuABCDEF-TZ.:tv \x01\x1f\x7f\x80\xbf\xc0\xc3\xe0\xed\xf0\xf4\xff";
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  auto byte = [&]() { return rng() % 3 ? interesting[pick(interesting.size())] : static_cast<char>(rng() & 0xff); };
  int accepted = 0, total = 0;
  for (const Entry& e : bases()) {
    const std::string c = e.canonical().value();
    for (int round = 0; round < 20000; ++round) {
      std::string s = c;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < edits && !s.empty(); ++k) {
        switch (rng() % 4) {
          case 0: s[pick(s.size())] = byte(); break;
          case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(pick(s.size() + 1)), byte()); break;
          case 2: s.erase(pick(s.size()), 1 + pick(3)); break;
          default: s.resize(pick(s.size() + 1)); break;
        }
      }
      accepted += same(s);
      ++total;
      if (::testing::Test::HasFailure()) return;  // the first disagreement is the useful one
    }
  }
  // Most damage must be refused, but some (a digit of the time, a letter of a name) is a
  // different valid entry: both checks have to accept those alike, and the mix covers both.
  EXPECT_GT(accepted, 100);
  EXPECT_LT(accepted, total / 2);
  std::printf("%d mutated entries, %d still canonical, all verdicts and messages identical\n", total, accepted);
}
