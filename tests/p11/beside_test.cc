// run_beside (p11/beside.h): both halves always run, exactly once, and the call returns only
// after both have finished; a busy helper makes the side task run on the caller's thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "p11/beside.h"

namespace pqmcp::p11 {
namespace {

TEST(RunBeside, SideRunsOnTheHelperWhenItIsFree) {
  std::thread::id main_id, side_id;
  run_beside([&] { main_id = std::this_thread::get_id(); }, [&] { side_id = std::this_thread::get_id(); });
  EXPECT_EQ(main_id, std::this_thread::get_id());
  EXPECT_NE(side_id, std::thread::id());
  EXPECT_NE(side_id, main_id);
}

TEST(RunBeside, ReturnsOnlyAfterASlowSideTask) {
  std::atomic<bool> side_done{false};
  run_beside([] {}, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    side_done = true;
  });
  EXPECT_TRUE(side_done.load());
}

TEST(RunBeside, ConcurrentCallersEachGetTheirOwnResults) {
  constexpr int kThreads = 6, kRounds = 400;
  std::atomic<int> inline_sides{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        int main_out = -1, side_out = -1;
        std::thread::id side_id;
        run_beside([&] { main_out = t * 100000 + r; },
                   [&] {
                     side_id = std::this_thread::get_id();
                     side_out = t * 100000 + r + 1;
                   });
        if (main_out != t * 100000 + r || side_out != t * 100000 + r + 1) ++bad;
        if (side_id == std::this_thread::get_id()) ++inline_sides;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  // With six callers and one helper, some side tasks must have run inline rather than queued.
  EXPECT_GT(inline_sides.load(), 0);
}

// The chooser measures both ways first, then keeps the faster one and still tries the other one
// call in kExplore, so that it follows the machine when the cheaper way changes.
TEST(BesideChooser, KeepsTheFasterWayAndFollowsAChange) {
  BesideChooser c;
  auto run = [&](int calls, std::int64_t seq_ns, std::int64_t beside_ns) {
    int beside = 0;
    for (int i = 0; i < calls; ++i) {
      const bool b = c.beside();
      beside += b;
      c.record(b, b ? beside_ns : seq_ns);
    }
    return beside;
  };
  // Warm-up alternates: both ways get kWarmup samples.
  EXPECT_EQ(run(2 * BesideChooser::kWarmup, 100'000, 80'000), BesideChooser::kWarmup);
  // Beside is faster: all but the exploring calls run beside.
  const int n = 32 * BesideChooser::kExplore;
  EXPECT_EQ(run(n, 100'000, 80'000), n - n / BesideChooser::kExplore);
  // The machine changes (the second core is busy now): beside costs more, and within a few
  // exploring calls the chooser has moved over to running in sequence.
  run(n, 100'000, 130'000);
  EXPECT_EQ(run(n, 100'000, 130'000), n / BesideChooser::kExplore);
}

// Long-lived processes: the averages must not drift or fail after many calls, and one huge
// outlier (a pause of the whole process) must not bar a way for long.
TEST(BesideChooser, ManyCallsAndOutliers) {
  BesideChooser c;
  for (int i = 0; i < 2 * BesideChooser::kWarmup; ++i) {
    const bool b = c.beside();
    c.record(b, b ? 80'000 : 100'000);
  }
  for (int i = 0; i < 200'000; ++i) c.record(true, 80'000);
  c.record(true, 5'000'000'000);  // a 5-second stall
  int beside = 0;
  for (int i = 0; i < 4 * BesideChooser::kExplore; ++i) {
    const bool b = c.beside();
    beside += b;
    c.record(b, b ? 80'000 : 100'000);
  }
  EXPECT_GT(beside, 2 * BesideChooser::kExplore);  // still mostly beside
}

TEST(BesideChooser, RunAdaptiveRunsBothHalvesEitherWay) {
  BesideChooser c;
  for (int i = 0; i < 4 * BesideChooser::kWarmup; ++i) {
    int a = 0, b = 0;
    run_adaptive(c, [&] { a = 1; }, [&] { b = 2; });
    ASSERT_EQ(a + b, 3);
  }
}

}  // namespace
}  // namespace pqmcp::p11
