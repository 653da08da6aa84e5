#include "p11/beside.h"

#include <pthread.h>

#include <atomic>
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

}  // namespace pqmcp::p11
