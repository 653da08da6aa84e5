#include "gateway/relay.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace pqmcp::gateway {

namespace {

using Clock = std::chrono::steady_clock;

// Self-pipe: signal handlers only write a byte; the loop does the work.
int g_sig_pipe[2] = {-1, -1};

extern "C" void on_signal(int s) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(s);
  [[maybe_unused]] auto n = ::write(g_sig_pipe[1], &b, 1);
  errno = saved;
}

void install_signals() {
  if (g_sig_pipe[0] < 0) {
    if (::pipe2(g_sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_sig_pipe[0] = g_sig_pipe[1] = -1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) ::sigaction(s, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

void log(const RelayOptions& o, const std::string& msg) {
  std::string line = o.name + ": " + msg + "\n";
  [[maybe_unused]] auto n = ::write(2, line.data(), line.size());
}

// One read into a fixed buffer (no per-read allocation or zero-fill); data views what was read.
// Returns bytes read, 0 on EOF, -1 on EAGAIN, -2 on error.
struct ReadBuf {
  std::vector<char> mem = std::vector<char>(1 << 16);
  std::string_view data;
};
ssize_t read_some(int fd, ReadBuf& b) {
  b.data = {};
  for (;;) {
    ssize_t n = ::read(fd, b.mem.data(), b.mem.size());
    if (n >= 0) {
      b.data = std::string_view(b.mem.data(), static_cast<std::size_t>(n));
      return n;
    }
    if (errno == EINTR) continue;
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? -1 : -2;
  }
}

}  // namespace

RelayResult run_relay(Child& child, int client_in, int client_out, Filter& f, const RelayOptions& o) {
  install_signals();
  set_nonblocking(client_in);
  set_nonblocking(client_out);
  LineReader rc(o.max_line), rs(o.max_line);
  OutQueue to_client, to_server;
  Emit emit(to_client, to_server);
  std::vector<Frame> frames;
  ReadBuf buf;
  RelayResult res;

  bool client_in_open = true, client_out_ok = true;
  bool child_out_open = true, child_err_open = true;
  enum class Phase { kRunning, kClosing, kTermSent, kKilled } phase = Phase::kRunning;
  Clock::time_point deadline{};
  Clock::time_point exited_at{};
  bool child_gone_notified = false;
  // Whether to ask the kernel about the child (waitpid) on this round: at the start, after a
  // SIGCHLD, once its output pipes close, and on every round of the shutdown. A SIGCHLD that came
  // before our handler was installed is covered by the pipes' EOF. (Not every round: on a
  // request/response path that would be one more system call per message.)
  bool check_child = true;

  auto guarded = [&](auto&& fn) {
    // Last resort only: filters answer bad input themselves (DESIGN.md §3), but an allocation
    // failure must cost one message, not the session.
    try {
      fn();
    } catch (const std::exception& e) {
      log(o, std::string("internal error while relaying a message (dropped): ") + e.what());
    } catch (...) {
      log(o, "internal error while relaying a message (dropped)");
    }
  };
  auto dispatch = [&](bool from_client) {
    for (auto& fr : frames) {
      guarded([&] {
        if (from_client)
          fr.overlong ? f.client_overlong(*fr.overlong, emit) : f.from_client(fr.line, emit);
        else
          fr.overlong ? f.server_overlong(*fr.overlong, emit) : f.from_server(fr.line, emit);
      });
    }
    frames.clear();
  };
  auto begin_close = [&](const char* why) {
    if (phase != Phase::kRunning) return;
    if (res.ended_by.empty()) res.ended_by = why;
    phase = Phase::kClosing;
    deadline = Clock::now() + o.shutdown.after_close;
  };
  // Writes what the filters just queued at once, instead of on the next poll round: on a
  // sequential request/response path each hop would otherwise cost one more poll() wake-up.
  // What the fd does not take now stays queued and goes out on POLLOUT.
  auto flush_now = [&] {
    if (!to_server.empty() && child.stdin_fd() >= 0 && !to_server.flush(child.stdin_fd())) {
      to_server.clear();  // the child closed its stdin: it is going away
      child.close_stdin();
    }
    if (!to_client.empty() && client_out_ok && !to_client.flush(client_out)) {
      client_out_ok = false;
      to_client.clear();
      client_in_open = false;
      begin_close("client-write-error");
    }
  };
  auto server_gone = [&] {
    if (child_gone_notified) return;
    child_gone_notified = true;
    guarded([&] { f.server_gone(emit); });
  };

  for (;;) {
    if (!child.exited() && (check_child || phase != Phase::kRunning || !child_out_open)) child.poll_exit();
    check_child = false;
    if (child.exited() && exited_at == Clock::time_point{}) {
      exited_at = Clock::now();
      if (phase == Phase::kRunning) begin_close("server-exit");
      if (phase == Phase::kClosing && res.child_ended.empty()) res.child_ended = "exited";
    }
    // The client is gone and everything it sent has reached the child: close the child's stdin.
    if (phase == Phase::kClosing && child.stdin_fd() >= 0 &&
        (to_server.empty() || child.exited() || Clock::now() >= deadline))
      child.close_stdin();
    if (phase != Phase::kRunning && !child.exited() && child.stdin_fd() < 0 && Clock::now() >= deadline) {
      if (phase == Phase::kClosing) {
        log(o, "the server did not exit after its stdin was closed; sending SIGTERM");
        ::kill(-child.pid(), SIGTERM), ::kill(child.pid(), SIGTERM);
        phase = Phase::kTermSent;
        deadline = Clock::now() + o.shutdown.after_term;
      } else if (phase == Phase::kTermSent) {
        log(o, "the server ignored SIGTERM; sending SIGKILL");
        ::kill(-child.pid(), SIGKILL), ::kill(child.pid(), SIGKILL);
        phase = Phase::kKilled;
        deadline = Clock::now() + std::chrono::seconds(5);
      }
    }
    if (child.exited()) {
      if (res.child_ended.empty())
        res.child_ended = phase == Phase::kTermSent ? "sigterm" : phase == Phase::kKilled ? "sigkill" : "exited";
      // Done once its output is drained and delivered (a grandchild holding the pipes open, or a
      // client that stopped reading, gets a short grace period, not a hang).
      bool drained = !child_out_open && !child_err_open && (to_client.empty() || !client_out_ok);
      if (drained || Clock::now() - exited_at > std::chrono::milliseconds(1500)) break;
    }

    enum Slot { kSig, kCin, kCout, kSin, kSout, kSerr, kSlots };
    pollfd p[kSlots];
    nfds_t np = 0;
    int idx[kSlots];
    auto add = [&](Slot s, int fd, short ev) {
      idx[s] = -1;
      if (fd < 0 || ev == 0) return;
      idx[s] = static_cast<int>(np);
      p[np++] = pollfd{fd, ev, 0};
    };
    add(kSig, g_sig_pipe[0], POLLIN);
    add(kCin, client_in_open && phase == Phase::kRunning && to_server.size() < o.high_water ? client_in : -1, POLLIN);
    add(kCout, client_out_ok && !to_client.empty() ? client_out : -1, POLLOUT);
    add(kSin, !to_server.empty() ? child.stdin_fd() : -1, POLLOUT);
    add(kSout, child_out_open && to_client.size() < o.high_water ? child.stdout_fd() : -1, POLLIN);
    add(kSerr, child_err_open ? child.stderr_fd() : -1, POLLIN);
    int timeout = -1;
    if (phase != Phase::kRunning || child.exited()) timeout = 50;  // deadlines are checked above
    std::int64_t due = -1;
    const std::size_t queued = to_client.size() + to_server.size();
    guarded([&] { due = f.due(emit); });  // held answers whose wait ended (Filter::due)
    if (to_client.size() + to_server.size() != queued) {
      flush_now();
      due = 0;  // the poll set above was built before these lines: go round once more at once
    }
    if (due >= 0 && (timeout < 0 || due < timeout)) timeout = static_cast<int>(std::min<std::int64_t>(due, 60'000));
    int n = ::poll(p, np, timeout);
    if (n < 0 && errno != EINTR) {
      log(o, std::string("poll: ") + std::strerror(errno));
      begin_close("internal-error");
      continue;
    }
    auto ready = [&](Slot s, short mask) { return idx[s] >= 0 && (p[idx[s]].revents & mask); };
    const short kIn = POLLIN | POLLHUP | POLLERR;

    if (ready(kSig, POLLIN)) {
      unsigned char sigs[64];
      ssize_t k = ::read(g_sig_pipe[0], sigs, sizeof sigs);
      for (ssize_t i = 0; i < k; ++i)
        if (sigs[i] == SIGCHLD) check_child = true;
        else {
          log(o, std::string("received ") + ::strsignal(sigs[i]) + "; shutting the server down");
          begin_close("signal");
          // Whoever signalled us is itself waiting to escalate: skip the stdin grace period and
          // finish within half of it, so that nested gateways end inside-out (no orphans).
          if (phase == Phase::kClosing && !child.exited()) {
            child.close_stdin();
            ::kill(-child.pid(), SIGTERM), ::kill(child.pid(), SIGTERM);
            phase = Phase::kTermSent;
            deadline = Clock::now() + o.shutdown.after_term / 2;
          }
        }
    }
    if (ready(kCin, kIn)) {
      ssize_t r = read_some(client_in, buf);
      if (r > 0) {
        rc.feed(buf.data, frames);
        dispatch(true);
        flush_now();
        guarded([&] { f.idle(); });
      } else if (r == 0 || r == -2) {
        rc.finish(frames);
        dispatch(true);
        client_in_open = false;
        begin_close("client-eof");
      }
    }
    if (ready(kSout, kIn)) {
      ssize_t r = read_some(child.stdout_fd(), buf);
      if (r > 0) {
        rs.feed(buf.data, frames);
        dispatch(false);
        flush_now();
        guarded([&] { f.idle(); });
      } else if (r == 0 || r == -2) {
        rs.finish(frames);
        dispatch(false);
        child_out_open = false;
        child.close_stdout();
        server_gone();
        begin_close("server-exit");
      }
    }
    if (ready(kSerr, kIn)) {
      ssize_t r = read_some(child.stderr_fd(), buf);
      if (r > 0) {
        // The server's stderr is its log (MCP stdio transport); pass it on unchanged.
        std::size_t off = 0;
        while (off < buf.data.size()) {
          ssize_t w = ::write(2, buf.data.data() + off, buf.data.size() - off);
          if (w <= 0 && errno != EINTR) break;
          if (w > 0) off += static_cast<std::size_t>(w);
        }
      } else if (r == 0 || r == -2) {
        child_err_open = false;
        child.close_stderr();
        check_child = true;
      }
    }
    if (ready(kSin, POLLOUT | POLLERR | POLLHUP)) {
      if (!to_server.flush(child.stdin_fd())) {
        // The child closed its stdin: it is going away; its exit ends the session.
        to_server.clear();
        child.close_stdin();
      }
    }
    if (ready(kCout, POLLOUT | POLLERR | POLLHUP)) {
      if (!to_client.flush(client_out)) {
        client_out_ok = false;
        to_client.clear();
        client_in_open = false;
        begin_close("client-write-error");
      }
    }
    if (phase != Phase::kRunning && !child_out_open && !child.exited() && !child_gone_notified) server_gone();
  }
  // Flush what is left for the client (bounded: it may have stopped reading).
  auto until = Clock::now() + std::chrono::milliseconds(500);
  while (client_out_ok && !to_client.empty() && Clock::now() < until) {
    pollfd pf{client_out, POLLOUT, 0};
    if (::poll(&pf, 1, 100) > 0 && !to_client.flush(client_out)) break;
  }
  guarded([&] { f.idle(); });  // the last lines' audit records (Filter::idle)
  if (!child.exited()) child.shutdown({std::chrono::milliseconds(0), std::chrono::milliseconds(200)});
  res.exit_code = res.ended_by == "server-exit" ? child.exit_code() : 0;
  return res;
}

}  // namespace pqmcp::gateway
