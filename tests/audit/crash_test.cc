// Crash safety: kill -9 the writer 200 times in the middle of batches (bounded: at most ~60 s),
// then the log must verify and every index the writer acknowledged (printed after the commit was
// durable) must be present with its entry.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <set>

#include "audit/signers.h"
#include "audit/verifier.h"

using namespace pqmcp::audit;

TEST(Crash, Kill9TwoHundredTimes) {
  const std::string dir = std::filesystem::temp_directory_path() / ("audit_crash_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = dir + "/log.db";
  std::set<std::uint64_t> acked;
  std::mt19937 rng(42);
  const auto start = std::chrono::steady_clock::now();
  int kills = 0;
  for (; kills < 200 && std::chrono::steady_clock::now() - start < std::chrono::seconds(55); ++kills) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::dup2(p[1], 1);
      ::close(p[0]);
      ::close(p[1]);
      ::execl(AUDIT_CRASH_WRITER, AUDIT_CRASH_WRITER, db.c_str(), std::to_string(kills).c_str(), nullptr);
      ::_exit(127);
    }
    ::close(p[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 120));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited by itself: " << status;
    // Only complete lines are acknowledgements (a kill can cut the last one).
    std::string buf;
    char tmp[4096];
    ssize_t n;
    while ((n = ::read(p[0], tmp, sizeof tmp)) > 0) buf.append(tmp, static_cast<std::size_t>(n));
    ::close(p[0]);
    std::size_t i = 0;
    for (std::size_t nl; (nl = buf.find('\n', i)) != std::string::npos; i = nl + 1) acked.insert(std::stoull(buf.substr(i, nl - i)));
  }
  EXPECT_GE(kills, 100);
  ASSERT_FALSE(acked.empty());
  auto s = open_sqlite(db);
  ASSERT_TRUE(s);
  const std::uint8_t seed[32] = {7};
  auto signer = std::move(signer_from_seed(SigType::kMlDsa44, seed).value());
  VerifyOptions o;
  o.keys = {{"pqmcp.test/crash", SigType::kMlDsa44, signer->public_key(), "crash key"}};
  o.require_mldsa = true;
  auto rep = verify_log(**s, o);
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_TRUE(rep->ok) << rep->problem;
  EXPECT_GT(rep->checkpoints, 10u);
  std::set<std::uint64_t> present;
  (void)(*s)->scan(0, UINT64_MAX, [&](std::uint64_t i, std::string_view, std::span<const std::uint8_t>) { return present.insert(i), true; });
  std::size_t missing = 0;
  for (auto a : acked) missing += !present.count(a);
  EXPECT_EQ(missing, 0u) << "acknowledged entries lost";
  std::printf("%d kills, %zu acknowledged, %llu entries, %llu checkpoints\n", kills, acked.size(),
              static_cast<unsigned long long>(rep->entries), static_cast<unsigned long long>(rep->checkpoints));
  std::filesystem::remove_all(dir);
}
