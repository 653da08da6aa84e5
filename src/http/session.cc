#include "http/session.h"

#include <openssl/rand.h>

#include <boost/asio/post.hpp>

#include "gateway/gate.h"
#include "mcp/message.h"

namespace pqmcp::http {

namespace {
// Lines the filter emits are its own compact serialisations: parse them without the input
// limits meant for the network (they were applied when the message came in).
json::Value parse_own(std::string_view line) {
  json::Limits l;
  l.max_bytes = line.size() + 1;
  l.max_depth = 512;
  auto v = json::parse(line, l);
  return v ? std::move(v.value()) : json::Value();
}
}  // namespace

Session::Session(std::string id, Strand strand, std::unique_ptr<gateway::Filter> filter, SessionLimits lim,
                 Metrics& metrics, std::string log_name)
    : id_(std::move(id)), strand_(std::move(strand)), filter_(std::move(filter)), lim_(lim), metrics_(metrics),
      log_name_(std::move(log_name)), log_(lim.replay_events, lim.replay_bytes) {
  touch();
}

Session::~Session() = default;

void Session::touch() { last_active_.store(std::chrono::steady_clock::now().time_since_epoch().count()); }

void Session::start(std::unique_ptr<Upstream> up, std::function<void(const std::string&)> on_end) {
  up_ = std::move(up);
  on_end_ = std::move(on_end);
  std::weak_ptr<Session> w = weak_from_this();
  Upstream::Events ev;
  ev.on_line = [w](std::string line) {
    if (auto s = w.lock()) s->run_filter(false, line, nullptr, 0);
  };
  ev.on_overlong = [w](const gateway::Overlong& o) {
    if (auto s = w.lock()) s->run_filter(false, {}, &o, 0);
  };
  ev.on_gone = [w](std::string why) {
    if (auto s = w.lock()) s->upstream_gone(why);
  };
  up_->start(std::move(ev));
}

void Session::request(std::string line, std::string id_key, std::string progress_key, SinkPtr sink) {
  touch();
  metrics_.messages_in.fetch_add(1, std::memory_order_relaxed);
  if (gone_) {
    auto e = gateway::error_response(parse_own(id_key), gateway::code::kServerUnavailable, "the MCP server has exited",
                                     {{"reason", "server-exited"}, {"side", "serve"}});
    return sink->json(200, gateway::dump(e));
  }
  if (by_id_.count(id_key)) {
    auto e = gateway::error_response(parse_own(id_key), gateway::code::kInvalidRequest,
                                     "a request with this id is already pending in this session",
                                     {{"reason", "duplicate-id"}, {"side", "serve"}});
    return sink->json(200, gateway::dump(e));
  }
  std::uint64_t no = next_stream_++;
  Stream s;
  s.sink = std::move(sink);
  s.id_key = id_key;
  s.progress_key = progress_key;
  streams_.emplace(no, std::move(s));
  by_id_[id_key] = no;
  if (!progress_key.empty()) by_token_[progress_key] = no;
  run_filter(true, line, nullptr, no);
}

void Session::message(std::string line) {
  touch();
  metrics_.messages_in.fetch_add(1, std::memory_order_relaxed);
  if (!gone_) run_filter(true, line, nullptr, 0);
}

void Session::run_filter(bool from_client, std::string_view line, const gateway::Overlong* o, std::uint64_t current) {
  gateway::OutQueue to_client, to_server;
  gateway::Emit emit(to_client, to_server);
  try {
    if (from_client) filter_->from_client(line, emit);
    else if (o) filter_->server_overlong(*o, emit);
    else filter_->from_server(line, emit);
  } catch (...) {
    gateway::warn(log_name_, "session " + id_.substr(0, 8) + ": filter failed; message dropped");
  }
  for (auto& l : to_server.take()) {
    l.pop_back();
    if (up_ && !gone_) up_->send(std::move(l));
  }
  for (auto& l : to_client.take()) {
    l.pop_back();
    route(std::move(l), current);
  }
  try {
    filter_->idle();  // after the messages are on their way (gateway::Filter::idle)
  } catch (...) {
  }
}

std::uint64_t Session::newest_pending() const {
  for (auto it = streams_.rbegin(); it != streams_.rend(); ++it)
    if (!it->second.is_get && !it->second.done) return it->first;
  return 0;
}

// Where a message from the server goes (MCP 2025-11-25 basic/transports "Sending Messages to
// the Server" and "Listening for Messages from the Server"): a response to the stream of the
// request it answers; a progress notification to the request that carries its token; any other
// notification or server-to-client request to the newest open request stream (the stdio server
// does not say which request a message relates to, and while a tool runs it is that call), else
// to the GET stream, else held until a GET stream opens. Each message goes to exactly one stream.
void Session::route(std::string line, std::uint64_t current) {
  json::Value msg = parse_own(line);
  const bool is_response = msg.is_object() && msg.contains("id") && !msg.contains("method") &&
                           (msg.contains("result") || msg.contains("error"));
  if (is_response) {
    auto it = by_id_.find(gateway::id_key(msg["id"]));
    std::uint64_t no = 0;
    if (it != by_id_.end()) no = it->second, by_id_.erase(it);
    else if (current && streams_.count(current)) {
      no = current;  // an answer the filter made to a request it could not read the id of
      by_id_.erase(streams_[current].id_key);
    }
    if (!no) {
      gateway::warn(log_name_, "session " + id_.substr(0, 8) + ": response to no open request dropped");
      return;
    }
    if (auto& pk = streams_[no].progress_key; !pk.empty()) by_token_.erase(pk);
    return deliver(no, std::move(line), true);
  }
  std::uint64_t no = 0;
  if (msg.is_object() && msg.value("method", "") == "notifications/progress") {
    const auto& p = msg["params"];
    if (p.is_object() && p.contains("progressToken")) {
      auto it = by_token_.find(gateway::id_key(p["progressToken"]));
      if (it != by_token_.end()) no = it->second;
    }
  }
  if (!no) no = newest_pending();
  if (!no && get_stream_ && streams_.count(get_stream_)) no = get_stream_;
  if (!no) {
    if (backlog_.size() >= lim_.backlog) backlog_.pop_front();
    backlog_.push_back(std::move(line));
    return;
  }
  deliver(no, std::move(line), false);
}

void Session::to_sse(Stream& s, std::uint64_t no) {
  s.sse = true;
  if (s.sink->alive()) {
    s.sink->sse_open();
    s.sink->sse_write(sse_priming(log_.reserve(no), lim_.retry_ms));
  }
}

void Session::deliver(std::uint64_t no, std::string line, bool final) {
  auto it = streams_.find(no);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  metrics_.messages_out.fetch_add(1, std::memory_order_relaxed);
  if (strip_ && line.find(mcp::kSigKey) != std::string::npos) {
    json::Value msg = parse_own(line);
    if (auto info = mcp::classify(msg)) line = gateway::dump(mcp::strip_envelope(msg, info->kind));
  }
  if (!s.sse && final) {
    if (s.sink->alive()) s.sink->json(200, std::move(line));
    streams_.erase(it);
    return;
  }
  if (!s.sse) to_sse(s, no);
  // Logged whether or not the client is still connected: it may come back with Last-Event-ID
  // ("Disconnection SHOULD NOT be interpreted as the client cancelling its request").
  EventId id = log_.add(no, line);
  if (s.sink->alive()) s.sink->sse_write(sse_message(id, line));
  if (final) {
    if (s.sink->alive()) s.sink->sse_close();
    streams_.erase(it);
  }
}

void Session::open_get(SinkPtr sink, std::optional<EventId> last) {
  touch();
  if (last) {
    bool complete = true;
    auto events = log_.after(*last, &complete);
    if (!complete)
      gateway::warn(log_name_, "session " + id_.substr(0, 8) + ": resumption after " + last->str() +
                                   " is missing events evicted from the replay buffer");
    sink->sse_open();
    for (auto& [id, json] : events) sink->sse_write(sse_message(id, json));
    auto it = streams_.find(last->stream);
    if (it != streams_.end() && it->second.sse) {
      it->second.sink = std::move(sink);  // the stream continues on this connection
    } else {
      sink->sse_close();
    }
    return;
  }
  if (get_stream_) {
    auto it = streams_.find(get_stream_);
    if (it != streams_.end() && it->second.sink->alive()) {
      json::Value e = gateway::error_response(nullptr, gateway::code::kInvalidRequest,
                                              "this session already has an open GET stream");
      return sink->json(409, gateway::dump(e));
    }
    if (it != streams_.end()) streams_.erase(it);
  }
  std::uint64_t no = next_stream_++;
  Stream s;
  s.sink = std::move(sink);
  s.is_get = true;
  auto& st = streams_.emplace(no, std::move(s)).first->second;
  get_stream_ = no;
  to_sse(st, no);
  while (!backlog_.empty()) {
    std::string l = std::move(backlog_.front());
    backlog_.pop_front();
    deliver(no, std::move(l), false);
  }
}

void Session::close(const std::string& why) {
  if (gone_) return;
  gateway::warn(log_name_, "session " + id_.substr(0, 8) + ": closing (" + why + ")");
  // The session ends for this reason, not for the exit status the upstream reports after it.
  if (auto prev = std::move(on_end_)) on_end_ = [prev = std::move(prev), why](const std::string&) { prev(why); };
  if (up_) up_->close();
  else upstream_gone(why);
}

void Session::upstream_gone(const std::string& why) {
  if (gone_) return;
  gone_ = true;
  metrics_.upstream_exits.fetch_add(1, std::memory_order_relaxed);
  // The filter answers every request still pending with -32015 (signed where it can).
  gateway::OutQueue to_client, to_server;
  gateway::Emit emit(to_client, to_server);
  try {
    filter_->server_gone(emit);
  } catch (...) {
  }
  for (auto& l : to_client.take()) {
    l.pop_back();
    route(std::move(l), 0);
  }
  for (auto& [no, s] : streams_) {
    if (!s.sink->alive()) continue;
    if (s.sse) {
      s.sink->sse_close();
    } else if (!s.is_get) {
      auto e = gateway::error_response(parse_own(s.id_key), gateway::code::kServerUnavailable,
                                       "the MCP server exited before answering: " + why,
                                       {{"reason", "server-exited"}, {"side", "serve"}});
      s.sink->json(200, gateway::dump(e));
    }
  }
  streams_.clear();
  by_id_.clear();
  by_token_.clear();
  ended_.store(true);
  if (auto cb = std::move(on_end_)) cb(why);
}

bool Session::heartbeat() {
  bool any = false;
  for (auto& [no, s] : streams_)
    if (s.sse && s.sink->alive()) {
      s.sink->sse_write(sse_comment("keep-alive"));
      any = true;
    }
  return any;
}

std::string SessionTable::new_id() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) s.push_back(hex[c >> 4]), s.push_back(hex[c & 15]);
  return s;
}

bool SessionTable::insert(const std::shared_ptr<Session>& s) {
  std::lock_guard<std::mutex> l(mu_);
  if (live_.size() >= max_) return false;
  live_.emplace(s->id(), s);
  return true;
}

std::shared_ptr<Session> SessionTable::find(const std::string& id, std::string* ended_why) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = live_.find(id);
  if (it != live_.end()) return it->second;
  if (ended_why) {
    auto e = ended_.find(id);
    *ended_why = e == ended_.end() ? "" : e->second;
  }
  return nullptr;
}

void SessionTable::remove(const std::string& id, const std::string& why) {
  std::lock_guard<std::mutex> l(mu_);
  if (!live_.erase(id)) return;
  if (ended_order_.size() >= 4 * max_ + 64) ended_.erase(ended_order_.front()), ended_order_.pop_front();
  ended_.emplace(id, why);
  ended_order_.push_back(id);
}

std::vector<std::shared_ptr<Session>> SessionTable::all() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::shared_ptr<Session>> v;
  for (auto& [k, s] : live_) v.push_back(s);
  return v;
}

std::size_t SessionTable::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return live_.size();
}

}  // namespace pqmcp::http
