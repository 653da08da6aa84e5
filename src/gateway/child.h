// The MCP server (or the next gateway hop) as a child process on three pipes, and its shutdown
// as the stdio transport prescribes (MCP 2026-07-28 basic/transports/stdio.mdx "Shutdown":
// close stdin, wait, SIGTERM, wait, SIGKILL), always reaped so that no zombie is left behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "json/result.h"

namespace pqmcp::gateway {

struct ShutdownTimeouts {
  std::chrono::milliseconds after_close{2000};    // stdin closed → SIGTERM
  std::chrono::milliseconds after_term{2000};     // SIGTERM → SIGKILL
};

class Child {
 public:
  // Starts argv[0] (searched in PATH) with stdin/stdout/stderr on pipes. The child gets its own
  // process group so that shutdown signals reach helpers it starts itself (sh -c, npx).
  static Result<Child, std::string> spawn(const std::vector<std::string>& argv) noexcept;

  Child(Child&& o) noexcept;
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  ~Child();  // shuts down (with the default timeouts) if still running

  pid_t pid() const { return pid_; }
  int stdin_fd() const { return in_; }
  int stdout_fd() const { return out_; }
  int stderr_fd() const { return err_; }
  void close_stdin() noexcept;
  void close_stdout() noexcept;
  void close_stderr() noexcept;

  // Non-blocking reap. True once the child has exited; status() then holds the wait status.
  bool poll_exit() noexcept;
  bool exited() const { return exited_; }
  int status() const { return status_; }
  // Shell-style exit code of the reaped child: its exit status, or 128 + signal.
  int exit_code() const;

  // Close stdin → wait → SIGTERM → wait → SIGKILL, then reap. Returns the step that ended it:
  // "exited", "sigterm" or "sigkill". Bounded by the two timeouts (plus the kill itself).
  const char* shutdown(const ShutdownTimeouts& t = {}) noexcept;

 private:
  Child() = default;
  bool wait_for(std::chrono::milliseconds d) noexcept;
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  bool exited_ = false;
  int status_ = 0;
};

// Sets O_NONBLOCK (and FD_CLOEXEC) on fd.
bool set_nonblocking(int fd) noexcept;

}  // namespace pqmcp::gateway
