// The stdio upstream: one gateway::Child per session, its pipes driven by Asio on the session's
// strand. Shutdown follows the stdio transport (MCP 2026-07-28 basic/transports/stdio.mdx
// "Shutdown": close stdin, wait, SIGTERM, wait, SIGKILL) with timers instead of blocking waits,
// so a session ending never stalls the threads serving the others.
#include <signal.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>

#include "gateway/child.h"
#include "gateway/gate.h"
#include "http/upstream.h"

namespace pqmcp::http {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

class Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor ex, gateway::Child child, std::size_t max_line, int shutdown_ms, std::string name)
      : ex_(ex), child_(std::move(child)), in_(ex), out_(ex), err_(ex), timer_(ex), reader_(max_line),
        max_line_(max_line), grace_(shutdown_ms), name_(std::move(name)) {
    // The descriptors own duplicates; Child keeps the pid (and reaps it), not the pipes.
    in_.assign(::dup(child_.stdin_fd()));
    out_.assign(::dup(child_.stdout_fd()));
    err_.assign(::dup(child_.stderr_fd()));
    child_.close_stdin(), child_.close_stdout(), child_.close_stderr();
  }

  void start(Upstream::Events ev) {
    ev_ = std::move(ev);
    read_out();
    read_err();
  }

  void send(std::string line) {
    if (gone_ || shutting_) return;
    // The server is not reading: rather than queue without bound, end it (its session then
    // answers pending requests with server-exited).
    if (queued_ > 4 * max_line_ + (1u << 20)) {
      gateway::warn(name_, "server pid " + std::to_string(child_.pid()) + " is not reading its input; stopping it");
      shutdown();
      return;
    }
    line.push_back('\n');
    queued_ += line.size();
    wq_.push_back(std::move(line));
    if (!writing_) write_next();
  }

  void shutdown() {
    if (shutting_) return;
    shutting_ = true;
    boost::system::error_code ec;
    in_.close(ec);
    started_ = Clock::now();
    poll();
  }

  void detach() {
    ev_ = {};
    shutdown();
  }

  pid_t pid() const { return child_.pid(); }
  const asio::any_io_executor& executor() const { return ex_; }

 private:
  void write_next() {
    if (wq_.empty() || shutting_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    asio::async_write(in_, asio::buffer(wq_.front()), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->queued_ -= self->wq_.front().size();
      self->wq_.pop_front();
      if (ec) {  // EPIPE: the server closed its input; its stdout EOF follows
        self->wq_.clear(), self->queued_ = 0, self->writing_ = false;
        return;
      }
      self->write_next();
    });
  }

  void read_out() {
    out_.async_read_some(asio::buffer(rbuf_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      std::vector<gateway::Frame> frames;
      if (n) self->reader_.feed(std::string_view(self->rbuf_.data(), n), frames);
      if (ec) self->reader_.finish(frames);
      for (auto& f : frames) {
        if (self->gone_ || !self->ev_.on_line) break;
        if (f.overlong) self->ev_.on_overlong(*f.overlong);
        else self->ev_.on_line(std::move(f.line));
      }
      if (ec) {
        self->out_eof_ = true;
        self->shutdown();  // stdout closed: the server is ending (or ended); reap it
        return;
      }
      self->read_out();
    });
  }

  // The server's stderr is passed through unchanged, as `pqmcp wrap` does.
  void read_err() {
    err_.async_read_some(asio::buffer(ebuf_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (n) {
        [[maybe_unused]] auto w = ::write(2, self->ebuf_.data(), n);
      }
      if (!ec) self->read_err();
    });
  }

  void poll() {
    if (child_.poll_exit()) return finish();
    auto elapsed = Clock::now() - started_;
    if (!termed_ && elapsed >= grace_) {
      termed_ = true;
      ::kill(-child_.pid(), SIGTERM);
    } else if (!killed_ && elapsed >= 2 * grace_) {
      killed_ = true;
      ::kill(-child_.pid(), SIGKILL);
    }
    timer_.expires_after(std::chrono::milliseconds(10));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code) { self->poll(); });
  }

  void finish() {
    boost::system::error_code ec;
    out_.close(ec);
    err_.close(ec);
    if (gone_) return;
    gone_ = true;
    std::string why = "the server (pid " + std::to_string(child_.pid()) + ") ";
    int st = child_.status();
    if (WIFSIGNALED(st)) why += "was ended by signal " + std::to_string(WTERMSIG(st));
    else why += "exited with code " + std::to_string(WEXITSTATUS(st));
    if (auto cb = std::move(ev_.on_gone)) {
      ev_ = {};
      cb(why);
    }
  }

  asio::any_io_executor ex_;
  gateway::Child child_;
  asio::posix::stream_descriptor in_, out_, err_;
  asio::steady_timer timer_;
  gateway::LineReader reader_;
  std::size_t max_line_;
  std::chrono::milliseconds grace_;
  std::string name_;
  Upstream::Events ev_;
  std::array<char, 65536> rbuf_;
  std::array<char, 4096> ebuf_;
  std::deque<std::string> wq_;
  std::size_t queued_ = 0;
  bool writing_ = false, shutting_ = false, gone_ = false, out_eof_ = false, termed_ = false, killed_ = false;
  Clock::time_point started_;
};

class StdioUpstream final : public Upstream {
 public:
  explicit StdioUpstream(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  ~StdioUpstream() override {
    // Finish on the strand: the handlers still queued hold the Impl until the child is reaped.
    asio::post(impl_->executor(), [i = impl_] { i->detach(); });
  }
  void start(Events ev) override { impl_->start(std::move(ev)); }
  void send(std::string line) override { impl_->send(std::move(line)); }
  void close() override { impl_->shutdown(); }
  std::string describe() const override { return "pid " + std::to_string(impl_->pid()); }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace

UpstreamFactory stdio_upstream_factory(std::vector<std::string> argv, std::size_t max_line, int shutdown_ms,
                                       std::string log_name) {
  return [argv = std::move(argv), max_line, shutdown_ms, log_name = std::move(log_name)](
             asio::any_io_executor ex) -> Result<std::unique_ptr<Upstream>, std::string> {
    auto child = gateway::Child::spawn(argv);
    if (!child) return unexpected(child.error());
    auto impl = std::make_shared<Impl>(ex, std::move(child.value()), max_line, shutdown_ms, log_name);
    return std::unique_ptr<Upstream>(std::make_unique<StdioUpstream>(std::move(impl)));
  };
}

}  // namespace pqmcp::http
