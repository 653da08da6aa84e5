#include "http/client_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <vector>

#include "gateway/child.h"
#include "gateway/framing.h"
#include "gateway/gate.h"

namespace pqmcp::http {

namespace {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using gateway::Frame;
using gateway::OutQueue;

constexpr std::size_t kHighWater = 32u << 20;

class Relay {
 public:
  Relay(ClientConfig cfg, gateway::Filter& f, int in, int out, const HttpRelayOptions& o)
      : f_(f), in_(in), out_(out), o_(o), emit_(to_client_, to_server_), from_client_(o.max_line),
sig_(ioc_, SIGINT, SIGTERM, SIGHUP),
        drain_timer_(ioc_), due_timer_(ioc_) {
    cfg_ = std::move(cfg);
  }

  HttpRelayResult run() {
    ::signal(SIGPIPE, SIG_IGN);
    gateway::set_nonblocking(out_);
    struct stat st {};
    in_regular_ = ::fstat(in_, &st) == 0 && S_ISREG(st.st_mode);
    if (!in_regular_) {
      gateway::set_nonblocking(in_);
      in_desc_.emplace(ioc_, ::dup(in_));
    }
    struct stat so {};
    out_regular_ = ::fstat(out_, &so) == 0 && S_ISREG(so.st_mode);
    if (!out_regular_) out_desc_.emplace(ioc_, ::dup(out_));
    cfg_.log_name = o_.name;
    open_client();
    sig_.async_wait([this](const error_code& ec, int s) {
      if (ec) return;
      gateway::warn(o_.name, std::string("received ") + ::strsignal(s) + "; closing the session");
      end("signal", false);
    });
    read_client();
    ioc_.run();
    flush_rest();
    res_.stats = client_->stats();
    client_->detach();
    client_.reset();
    return res_;
  }

 private:
  void open_client() {
    Client::Events ev;
    ev.on_message = [this](std::string m) { on_message(std::move(m)); };
    ev.on_failure = [this](const json::Value& id, const std::string& why) { on_failure(id, why); };
    ev.on_gone = [this](const std::string& why) { on_gone(why); };
    client_ = Client::create(ioc_.get_executor(), cfg_, std::move(ev));
  }

  // The client's initialize request and initialized notification, kept as received so that a
  // new session can be opened with them (reopen()).
  void remember(std::string_view line) {
    if (line.find("initialize") == std::string_view::npos) return;
    auto v = json::parse(line);
    if (!v || !v->is_object() || !v->contains("method") || !(*v)["method"].is_string()) return;
    const auto& m = (*v)["method"].get_ref<const std::string&>();
    if (m == "initialize" && v->contains("id")) init_line_ = std::string(line);
    else if (m == "notifications/initialized") initialized_line_ = std::string(line);
  }

  // MCP 2025-11-25 basic/transports "Session Management": a client that gets 404 for its session
  // MUST start a new session with a new InitializeRequest. The MCP client on our stdin knows
  // nothing of HTTP sessions, so the relay does it: the requests in flight are answered with an
  // error (as when a stdio server exits), the client's own initialize is replayed under a fresh
  // id and signed afresh, its InitializeResult is consumed here, the initialized notification
  // follows, and the client's next requests go to the new session. At most kMaxReopens times in
  // a row without a successful initialize, so a server that keeps refusing ends the relay.
  bool reopen() {
    if (init_line_.empty() || ending_ || reopens_ >= kMaxReopens) return false;
    auto v = json::parse(init_line_);
    if (!v) return false;
    ++reopens_;
    reinit_id_ = "pqmcp-reinitialize-" + std::to_string(++reinit_seq_);
    (*v)["id"] = reinit_id_;
    reopening_ = true;  // lines from the client wait in to_server_ meanwhile (pump)
    // Posted: the old client is inside its own on_gone callback now.
    asio::post(ioc_, [this, init = gateway::dump(*v)] {
      guarded([&] { f_.server_gone(emit_); });
      client_->detach();
      open_client();
      gateway::warn(o_.name, "the server ended the session (HTTP 404); opening a new one");
      // initialize, then initialized, ahead of anything the client sent meanwhile: the HTTP
      // client holds every other message until the initialize is answered, then keeps order.
      OutQueue first;
      gateway::Emit e(to_client_, first);
      guarded([&] { f_.from_client(init, e); });
      if (!initialized_line_.empty()) guarded([&] { f_.from_client(initialized_line_, e); });
      for (auto& line : first.take()) {
        if (!line.empty() && line.back() == '\n') line.pop_back();
        if (!line.empty()) client_->send(std::move(line));
      }
      reopening_ = false;
      pump();
    });
    return true;
  }

  // The answer to a replayed initialize: consumed (the client already has one). Returns false
  // for every other message.
  bool consume_reinit(const std::string& m) {
    if (reinit_id_.empty() || m.find(reinit_id_) == std::string::npos) return false;
    auto v = json::parse(m);
    if (!v || !v->is_object() || !v->contains("id") || !(*v)["id"].is_string() ||
        (*v)["id"].get_ref<const std::string&>() != reinit_id_)
      return false;
    OutQueue scratch_client;
    gateway::Emit scratch(scratch_client, to_server_);
    guarded([&] { f_.from_server(m, scratch); });  // verified like every answer
    // A rejected answer leaves the request held for a verified one (ConnectFilter::hold); this
    // relay decides now, and the client never sent this id.
    guarded([&] { f_.forget((*v)["id"]); });
    reinit_id_.clear();
    const bool ok = v->contains("result") && scratch_client.size() > 0 && scratch_client.take().front().find("\"result\"") != std::string::npos;
    if (!ok) {
      gateway::warn(o_.name, "the new session could not be initialised; ending");
      end("session-ended", false);
      res_.exit_code = 1;
      return true;
    }
    reopens_ = 0;
    ++res_.sessions_reopened;
    pump();
    return true;
  }

  void guarded(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      gateway::warn(o_.name, std::string("internal error while relaying a message (dropped): ") + e.what());
    } catch (...) {
      gateway::warn(o_.name, "internal error while relaying a message (dropped)");
    }
  }

  void read_client() {
    if (reading_ || in_eof_ || ending_) return;
    if (to_client_.size() > kHighWater || client_->in_flight() >= cfg_.max_queued) return;  // resumed by pump()
    reading_ = true;
    if (in_regular_) {
      asio::post(ioc_, [this] { on_readable(); });
      return;
    }
    in_desc_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const error_code& ec) {
      if (ec == asio::error::operation_aborted) return;
      on_readable();
    });
  }

  void on_readable() {
    reading_ = false;
    std::string buf(1 << 16, '\0');
    ssize_t n;
    do n = ::read(in_, buf.data(), buf.size());
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      read_client();
      return;
    }
    std::vector<Frame> frames;
    if (n > 0) {
      buf.resize(static_cast<std::size_t>(n));
      from_client_.feed(buf, frames);
    } else {
      from_client_.finish(frames);
      in_eof_ = true;
    }
    for (auto& fr : frames) {
      if (!fr.overlong && (init_line_.empty() || initialized_line_.empty())) remember(fr.line);
      guarded([&] { fr.overlong ? f_.client_overlong(*fr.overlong, emit_) : f_.from_client(fr.line, emit_); });
    }
    pump();
    guarded([&] { f_.idle(); });  // after the requests are on their way (gateway::Filter::idle)
    check_due();
    if (in_eof_)
      end("client-eof", true);
    else
      read_client();
  }

  void on_message(std::string m) {
    if (consume_reinit(m)) return;
    guarded([&] {
      if (m.size() > o_.max_line) {
        gateway::Overlong ov;
        ov.bytes = m.size();
        ov.head = m.substr(0, gateway::Overlong::kHeadBytes);
        ov.tail = m.substr(m.size() - gateway::Overlong::kTailBytes);
        f_.server_overlong(ov, emit_);
      } else {
        f_.from_server(m, emit_);
      }
    });
    pump();
    guarded([&] { f_.idle(); });
    check_due();
  }

  // gateway::Filter::due: answers the filter held back whose wait has ended go out, and the
  // timer is set for the next one (after every message, since a message may hold or release one).
  void check_due() {
    const std::int64_t next = run_due();
    if (next < 0 || gone_) {
      due_timer_.cancel();
      return;
    }
    due_timer_.expires_after(std::chrono::milliseconds(next));
    due_timer_.async_wait([this](const error_code& ec) {
      if (!ec) check_due();
    });
  }

  void on_failure(const json::Value& id, const std::string& why) {
    const bool big = why.rfind("too-large", 0) == 0;
    guarded([&] { f_.forget(id); });  // answered here: nothing may answer it again
    gateway::warn(o_.name, "request " + gateway::id_key(id) + " failed: " + why);
    to_client_.push(gateway::dump(gateway::error_response(
        id, big ? gateway::code::kTooLarge : gateway::code::kServerUnavailable, o_.name + ": " + why,
        {{"reason", big ? "too-large" : "transport-error"}, {"side", "connect"}})));
    pump();
  }

  void on_gone(const std::string& why) {
    if (why.find("(HTTP 404)") != std::string::npos && reopen()) return;
    if (why != "closed") {
      gateway::warn(o_.name, why);
      if (res_.ended_by.empty()) res_.ended_by = "session-ended", res_.exit_code = 1;
    }
    // Whatever the filter still waits for gets its answer now, also when we closed the session
    // (the client's EOF, a signal): a request held for a verified answer gets its rejection.
    guarded([&] { f_.server_gone(emit_); });
    pump();
    gone_ = true;
    ioc_.stop();
  }

  // Moves what the filter emitted: toward the server into the HTTP client, toward the client
  // onto stdout (as far as it accepts; the rest waits for writability).
  void pump() {
    // OutQueue::take hands over whole lines (each ending in '\n'), in order.
    if (!reopening_)
      for (auto& line : to_server_.take()) {
        if (!line.empty() && line.back() == '\n') line.pop_back();
        if (!gone_ && !line.empty()) client_->send(std::move(line));
      }
    flush_client();
    if (!ending_) read_client();
  }

  void flush_client() {
    if (to_client_.empty() || write_failed_) return;
    if (!to_client_.flush(out_)) {
      write_failed_ = true;
      to_client_.clear();
      end("client-write-error", false);
      return;
    }
    if (!to_client_.empty() && !writing_ && out_desc_) {
      writing_ = true;
      out_desc_->async_wait(asio::posix::stream_descriptor::wait_write, [this](const error_code& ec) {
        writing_ = false;
        if (!ec) flush_client();
      });
    }
  }

  // Ends the session: after the client's EOF, answers still in flight get up to o_.drain.
  void end(const char* why, bool drain) {
    if (ending_) return;
    ending_ = true;
    if (res_.ended_by.empty()) res_.ended_by = why;
    if (in_desc_) in_desc_->cancel();
    if (drain && (client_->in_flight() > 0 || filter_waits())) {
      drain_deadline_ = std::chrono::steady_clock::now() + o_.drain;
      wait_drain();
      return;
    }
    client_->close();
  }

  // Filter::due, with what it emitted moved on: milliseconds until it is next due, -1 for never.
  std::int64_t run_due() {
    std::int64_t next = -1;
    const std::size_t queued = to_client_.size() + to_server_.size();
    guarded([&] { next = f_.due(emit_); });
    if (to_client_.size() + to_server_.size() != queued) pump();
    return next;
  }
  // True while the filter holds a request for a verified answer.
  bool filter_waits() { return run_due() >= 0; }

  void wait_drain() {
    if ((client_->in_flight() == 0 && !filter_waits()) || std::chrono::steady_clock::now() >= drain_deadline_) {
      client_->close();
      return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this](const error_code& ec) {
      if (!ec) wait_drain();
    });
  }

  // What is left for the client after the loop (bounded: it may have stopped reading).
  void flush_rest() {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (!write_failed_ && !to_client_.empty() && std::chrono::steady_clock::now() < until) {
      pollfd pf{out_, POLLOUT, 0};
      if (::poll(&pf, 1, 100) > 0 && !to_client_.flush(out_)) break;
    }
  }

  gateway::Filter& f_;
  int in_, out_;
  HttpRelayOptions o_;
  ClientConfig cfg_;
  asio::io_context ioc_{1};
  OutQueue to_client_, to_server_;
  gateway::Emit emit_;
  gateway::LineReader from_client_;
  asio::signal_set sig_;
  asio::steady_timer drain_timer_, due_timer_;
  std::optional<asio::posix::stream_descriptor> in_desc_, out_desc_;
  std::shared_ptr<Client> client_;
  bool in_regular_ = false, out_regular_ = false;
  bool reading_ = false, writing_ = false, in_eof_ = false, ending_ = false, gone_ = false, write_failed_ = false;
  std::chrono::steady_clock::time_point drain_deadline_{};
  static constexpr int kMaxReopens = 3;
  std::string init_line_, initialized_line_, reinit_id_;
  int reopens_ = 0, reinit_seq_ = 0;
  bool reopening_ = false;
  HttpRelayResult res_;
};

}  // namespace

HttpRelayResult run_http_relay(ClientConfig cfg, gateway::Filter& f, int client_in, int client_out,
                               const HttpRelayOptions& o) {
  Relay r(std::move(cfg), f, client_in, client_out, o);
  return r.run();
}

}  // namespace pqmcp::http
