// Running two independent halves of one operation at the same time: the calling thread does one,
// a single process-wide helper thread the other. Used for the two component signatures of a
// composite key, which are separate PKCS#11 operations on separate keys (and sessions): the
// Ed25519 half, with its C_SignInit and C_Sign round trips into the module, then costs no time
// on the caller's path while the ML-DSA half runs.
//
// When the helper is already busy (another thread of the process got there first), the side task
// simply runs on the calling thread after the main one: under load there is no idle core to win,
// and no caller ever waits for another caller's work.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace pqmcp::p11 {

// Runs main() on this thread and side() on the helper thread if it is free (else here, after
// main), and returns once both have finished; if main() throws, after side() has finished too.
// side() must not throw (an exception escaping it on the helper terminates the process). In a
// forked child both run inline.
void run_beside(const std::function<void()>& main, const std::function<void()>& side);

// Whether running beside pays off depends on the machine: with a free core that wakes at once it
// saves the side task's time; on a small VM, waking an idle vCPU can cost more than the side task
// itself (measured on a 2-vCPU guest without guest halt-polling: a composite signature through
// libpqhsm took 136 µs beside vs 119 µs in sequence in a tight loop, and 250-380 µs vs
// 150-190 µs on average inside the stdio gateway, where each signature finds the helper asleep). So one call site measures both ways and keeps the faster: after
// kWarmup calls of each, it runs the way with the lower moving average and tries the other one
// call in kExplore, so that a change of load is noticed. Thread-safe; the averages are only a
// heuristic, so racing updates are harmless.
class BesideChooser {
 public:
  static constexpr int kWarmup = 16;
  static constexpr int kExplore = 128;
  // True: run the next call beside; false: in sequence.
  bool beside();
  // The wall time of a call made the way beside() chose.
  void record(bool beside, std::int64_t ns);

 private:
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::int64_t> avg_ns_[2] = {0, 0};  // [0] in sequence, [1] beside
  std::atomic<int> samples_[2] = {0, 0};
};

// run_beside or main() then side(), as `chooser` decides, timing the call for it. If main()
// throws on the sequential path, side() does not run (on the beside path it has run or is waited
// for, as with run_beside).
void run_adaptive(BesideChooser& chooser, const std::function<void()>& main, const std::function<void()>& side);

}  // namespace pqmcp::p11
