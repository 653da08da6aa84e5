#include "gateway/child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace pqmcp::gateway {

bool set_nonblocking(int fd) noexcept {
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return false;
  return true;
}

namespace {
void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}
}  // namespace

Result<Child, std::string> Child::spawn(const std::vector<std::string>& argv) noexcept {
  if (argv.empty()) return unexpected(std::string("no command to start"));
  int in[2], out[2], err[2], exec_err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return unexpected(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]), ::close(in[1]);
    return unexpected(std::string("pipe: ") + std::strerror(errno));
  }
  if (::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(exec_err, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return unexpected(std::string("pipe: ") + std::strerror(errno));
  }
  // Everything the child needs is prepared before fork: after fork only async-signal-safe calls.
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1], exec_err[0], exec_err[1]}) ::close(fd);
    return unexpected(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    // If the gateway itself dies (even by SIGKILL, where no shutdown code runs), the kernel kills
    // the server too: an orphaned server would never see its stdin close if a grandchild kept
    // the pipe open, and nobody would reap it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // The parent ignores SIGPIPE (writes to a vanished peer are errors, not deaths); the server
    // should get the default disposition back.
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execvp(args[0], args.data());
    int e = errno;
    [[maybe_unused]] auto n = ::write(exec_err[1], &e, sizeof e);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent: no race with an early signal
  ::close(in[0]), ::close(out[1]), ::close(err[1]), ::close(exec_err[1]);
  int e = 0;
  ssize_t n;
  do n = ::read(exec_err[0], &e, sizeof e);
  while (n < 0 && errno == EINTR);
  ::close(exec_err[0]);
  Child c;
  c.pid_ = pid;
  c.in_ = in[1];
  c.out_ = out[0];
  c.err_ = err[0];
  if (n == static_cast<ssize_t>(sizeof e)) {
    c.shutdown({std::chrono::milliseconds(0), std::chrono::milliseconds(0)});
    return unexpected("cannot start '" + argv[0] + "': " + std::strerror(e));
  }
  set_nonblocking(c.in_);
  set_nonblocking(c.out_);
  set_nonblocking(c.err_);
  return c;
}

Child::Child(Child&& o) noexcept
    : pid_(o.pid_), in_(o.in_), out_(o.out_), err_(o.err_), exited_(o.exited_), status_(o.status_) {
  o.pid_ = -1;
  o.in_ = o.out_ = o.err_ = -1;
}

Child::~Child() {
  if (pid_ > 0 && !exited_) shutdown();
  close_fd(in_), close_fd(out_), close_fd(err_);
}

void Child::close_stdin() noexcept { close_fd(in_); }
void Child::close_stdout() noexcept { close_fd(out_); }
void Child::close_stderr() noexcept { close_fd(err_); }

bool Child::poll_exit() noexcept {
  if (exited_ || pid_ <= 0) return exited_;
  int st = 0;
  pid_t r;
  do r = ::waitpid(pid_, &st, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exited_ = true;
    status_ = st;
  } else if (r < 0 && errno == ECHILD) {
    exited_ = true;  // reaped elsewhere; nothing left to wait for
  }
  return exited_;
}

int Child::exit_code() const {
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return 1;
}

bool Child::wait_for(std::chrono::milliseconds d) noexcept {
  auto end = std::chrono::steady_clock::now() + d;
  while (!poll_exit()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

const char* Child::shutdown(const ShutdownTimeouts& t) noexcept {
  close_stdin();
  if (pid_ <= 0 || wait_for(t.after_close)) return "exited";
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);
  if (wait_for(t.after_term)) return "sigterm";
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  // SIGKILL cannot be ignored; the blocking wait is bounded by the kernel tearing it down.
  int st = 0;
  pid_t r;
  do r = ::waitpid(pid_, &st, 0);
  while (r < 0 && errno == EINTR);
  exited_ = true;
  status_ = st;
  return "sigkill";
}

}  // namespace pqmcp::gateway
