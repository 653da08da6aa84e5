// One C function call on the calling thread, opened by the shim's guard() (shim/common.h).
// Token::refresh checks the database for other processes' commits (PRAGMA data_version, a read
// transaction: file-lock syscalls) before each object lookup. Within one C call a second check
// adds nothing a client could rely on: a commit that lands between two lookups of the same call
// races with the call itself, exactly as one landing just after its first lookup does. So a token
// is checked at most once per call (Token::refresh), and a C_SignInit that looks its key up for
// the key-operation log, the operation and the policy pays for one check, not three. Outside any
// call (library-internal threads, tests that drive Token directly) current() is 0 and every
// refresh checks.
#pragma once

#include <atomic>
#include <cstdint>

namespace pqmcp::token {

class CallScope {
 public:
  CallScope() noexcept {
    // Nested C calls (one C function implemented by another) share the outer call's id.
    if (depth_++ == 0) id_ = next_.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  ~CallScope() {
    if (--depth_ == 0) id_ = 0;
  }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // A process-wide unique id of the call running on this thread, or 0 outside any call.
  static std::uint64_t current() noexcept { return id_; }

 private:
  static inline thread_local unsigned depth_ = 0;
  static inline thread_local std::uint64_t id_ = 0;
  static inline std::atomic<std::uint64_t> next_{0};
};

}  // namespace pqmcp::token
