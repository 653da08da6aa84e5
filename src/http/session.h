// One Streamable HTTP session (MCP 2025-11-25 basic/transports "Session Management") in front of
// one upstream: the filter (verification, policy, signing) and the routing of the upstream's
// messages onto the HTTP streams of the session — the POST that asked, or the GET stream — with
// event ids and replay for resumption. Everything in a Session runs on its strand.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "gateway/relay.h"
#include "http/metrics.h"
#include "http/sse.h"
#include "http/upstream.h"
#include "json/json.h"

namespace pqmcp::http {

// One HTTP response being produced for a session. Implemented by the HTTP connection; the
// session calls these from its strand, the connection does the I/O on its own.
class Sink {
 public:
  virtual ~Sink() = default;
  // A whole response: status, Content-Type application/json (empty body: no Content-Type).
  virtual void json(int status, std::string body) = 0;
  // 200 with Content-Type text/event-stream; events follow; sse_close ends the response.
  virtual void sse_open() = 0;
  virtual void sse_write(std::string event) = 0;
  virtual void sse_close() = 0;
  // False once the client is gone (a write failed or the connection closed).
  virtual bool alive() const = 0;
};
using SinkPtr = std::shared_ptr<Sink>;

// Makes the per-session filter (a gateway::WrapFilter for `pqmcp serve`).
using FilterFactory = std::function<std::unique_ptr<gateway::Filter>()>;

struct SessionLimits {
  std::size_t replay_events = 512;       // events kept per session for Last-Event-ID
  std::size_t replay_bytes = 4u << 20;
  std::size_t backlog = 256;             // server-initiated messages held while no GET stream
  unsigned retry_ms = 1000;              // SSE `retry` advice
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;
  Session(std::string id, Strand strand, std::unique_ptr<gateway::Filter> filter, SessionLimits lim,
          Metrics& metrics, std::string log_name);
  ~Session();

  const std::string& id() const { return id_; }
  Strand& strand() { return strand_; }
  std::chrono::steady_clock::time_point last_active() const {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(last_active_.load()));
  }
  void touch();

  // --- on the strand ---
  // Attaches the upstream and starts it; on_end runs once when the session is over (upstream gone
  // or closed), with the reason.
  void start(std::unique_ptr<Upstream> up, std::function<void(const std::string&)> on_end);
  // A JSON-RPC request from the client (id_key = gateway::id_key(id)); its response and the
  // messages routed to it go to sink.
  void request(std::string line, std::string id_key, std::string progress_key, SinkPtr sink);
  // A notification or response from the client (answered 202 by the caller).
  void message(std::string line);
  // GET: the standalone SSE stream, or the resumption of a stream after `last`.
  void open_get(SinkPtr sink, std::optional<EventId> last);
  // DELETE or expiry: ends the upstream; on_end follows.
  void close(const std::string& why);
  // Keep-alive comment on idle streams (finds dead clients); true if a stream is open.
  bool heartbeat();
  bool ended() const { return ended_.load(); }
  // For a client that does not sign (accepted in observe mode): pqmcp's envelopes are removed
  // from what it receives — it cannot check them, and a strict client may refuse a result that
  // carries members it did not expect. The audit log still records every message as signed.
  void strip_signatures(bool on) { strip_ = on; }

 private:
  struct Stream {
    SinkPtr sink;
    bool sse = false, is_get = false, done = false;
    std::string id_key, progress_key;
  };
  void run_filter(bool from_client, std::string_view line, const gateway::Overlong* o, std::uint64_t current);
  void route(std::string line, std::uint64_t current);
  void deliver(std::uint64_t stream, std::string line, bool final);
  void to_sse(Stream& s, std::uint64_t no);
  void upstream_gone(const std::string& why);
  std::uint64_t newest_pending() const;

  std::string id_;
  Strand strand_;
  std::unique_ptr<gateway::Filter> filter_;
  std::unique_ptr<Upstream> up_;
  SessionLimits lim_;
  Metrics& metrics_;
  std::string log_name_;
  std::function<void(const std::string&)> on_end_;
  EventLog log_;
  std::map<std::uint64_t, Stream> streams_;                 // live streams by number
  std::unordered_map<std::string, std::uint64_t> by_id_;    // pending requests → stream
  std::unordered_map<std::string, std::uint64_t> by_token_; // progress tokens → stream
  std::uint64_t next_stream_ = 1, get_stream_ = 0;
  std::deque<std::string> backlog_;
  std::atomic<std::int64_t> last_active_{0};
  std::atomic<bool> ended_{false};
  bool gone_ = false, strip_ = false;
};

// The sessions of a server: bounded, keyed by a cryptographically random id, with a memory of
// recently ended ones so that their clients get a 404 that says why.
class SessionTable {
 public:
  explicit SessionTable(std::size_t max_sessions) : max_(max_sessions) {}
  // 32 hex digits from the OS CSPRNG: 128 bits, visible ASCII as MCP requires.
  static std::string new_id();
  bool insert(const std::shared_ptr<Session>& s);  // false when full
  std::shared_ptr<Session> find(const std::string& id, std::string* ended_why = nullptr) const;
  // Removes the session and remembers why (bounded memory of ended ids).
  void remove(const std::string& id, const std::string& why);
  std::vector<std::shared_ptr<Session>> all() const;
  std::size_t size() const;
  std::size_t capacity() const { return max_; }

 private:
  std::size_t max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Session>> live_;
  std::unordered_map<std::string, std::string> ended_;
  std::deque<std::string> ended_order_;
};

}  // namespace pqmcp::http
