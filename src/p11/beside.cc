#include "p11/beside.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace pqmcp::p11 {
namespace {

// One helper thread and one job slot. Started on first use; never stopped (a process-lifetime
// object like the module itself: at exit it is blocked on its condition variable, holding nothing).
class Helper {
 public:
  static Helper& get() {
    static Helper* h = new Helper;  // leaked on purpose: no destructor races an exiting process
    return *h;
  }

  // Hands fn to the helper and returns its job number, or 0 if the helper is busy with another
  // caller's job.
  std::uint64_t try_start(const std::function<void()>* fn) {
    std::lock_guard l(mu_);
    if (job_ != nullptr) return 0;
    if (!thread_started_) {
      std::thread([this] { loop(); }).detach();
      thread_started_ = true;
    }
    job_ = fn;
    cv_.notify_all();
    return ++started_;
  }

  // Returns once job number n has finished (later callers' jobs do not hold it up).
  void wait(std::uint64_t n) {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return finished_ >= n; });
  }

 private:
  void loop() {
    std::unique_lock l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return job_ != nullptr; });
      const std::function<void()>* fn = job_;
      l.unlock();
      (*fn)();
      l.lock();
      job_ = nullptr;
      ++finished_;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()>* job_ = nullptr;  // the job running or about to run
  std::uint64_t started_ = 0, finished_ = 0;    // jobs run one at a time, in order
  bool thread_started_ = false;
};

// Set in a forked child: it has the parent's Helper state but not its thread, so it runs
// everything inline (pqmcp forks only to exec, but a library must not hang a child that uses it).
std::atomic<bool> g_forked{false};

}  // namespace

void run_beside(const std::function<void()>& main, const std::function<void()>& side) {
  static const bool registered = [] {
    ::pthread_atfork(nullptr, nullptr, [] { g_forked.store(true, std::memory_order_relaxed); });
    return true;
  }();
  (void)registered;
  if (g_forked.load(std::memory_order_relaxed)) {
    main();
    side();
    return;
  }
  Helper& h = Helper::get();
  std::uint64_t job = 0;
  try {
    job = h.try_start(&side);
  } catch (...) {  // std::thread could not start: run both here
    job = 0;
  }
  if (job == 0) {
    main();
    side();
    return;
  }
  // side() refers to the caller's frame: whatever main() does, wait for it before leaving.
  try {
    main();
  } catch (...) {
    h.wait(job);
    throw;
  }
  h.wait(job);
}

bool BesideChooser::beside() {
  const std::uint64_t n = calls_.fetch_add(1, std::memory_order_relaxed);
  const int seq = samples_[0].load(std::memory_order_relaxed), bes = samples_[1].load(std::memory_order_relaxed);
  if (seq < kWarmup || bes < kWarmup) return seq >= bes;  // alternate until both are measured
  const bool best = avg_ns_[1].load(std::memory_order_relaxed) < avg_ns_[0].load(std::memory_order_relaxed);
  return n % kExplore == 0 ? !best : best;
}

void BesideChooser::record(bool beside, std::int64_t ns) {
  const int i = beside ? 1 : 0;
  // Counted only up to the warm-up (a counter of every call would wrap after 2^31 signatures).
  const int k = samples_[i].load(std::memory_order_relaxed);
  if (k < kWarmup) samples_[i].fetch_add(1, std::memory_order_relaxed);
  const std::int64_t old = avg_ns_[i].load(std::memory_order_relaxed);
  // The plain mean while warming up, then an exponential average (weight 1/16: one slow outlier,
  // such as an ML-DSA signature that needed many rejection rounds, moves it little). A sample is
  // counted as at most four times the average, so that one pause of the whole process (a
  // suspended VM) does not bar a way for thousands of calls.
  if (k >= kWarmup && old > 0) ns = std::min(ns, 4 * old);
  const std::int64_t next = k <= 0 ? ns : k < kWarmup ? old + (ns - old) / (k + 1) : old + (ns - old) / 16;
  avg_ns_[i].store(next, std::memory_order_relaxed);
}

void run_adaptive(BesideChooser& chooser, const std::function<void()>& main, const std::function<void()>& side) {
  const bool b = chooser.beside();
  const auto t0 = std::chrono::steady_clock::now();
  if (b) {
    run_beside(main, side);
  } else {
    main();
    side();
  }
  chooser.record(b, std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace pqmcp::p11
