#include "http/client.h"

#include <openssl/evp.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <set>
#include <unordered_set>
#include <vector>

#include "gateway/gate.h"
#include "http/client_conn.h"
#include "http/sse_parser.h"

namespace pqmcp::http {

namespace {

using asio::awaitable;
using asio::use_awaitable;

constexpr std::size_t kMaxSessionId = 256;
constexpr std::uint64_t kDefaultRetryMs = 1000, kMaxRetryMs = 10000;
constexpr std::size_t kReadChunk = 16384;

// One message to POST, with what the transport needs to know about it.
struct Outgoing {
  std::string body;
  json::Value id;  // requests only
  std::string key; // gateway::id_key(id)
  bool request = false, initialize = false, initialized = false;
  // Nothing after it is sent before it completes (see client.h).
  bool barrier = false;
  std::string method, name;
  std::string modern_version;  // set: a 2026-07-28 request (headers mirror the body)
};

// SEP-2243 header values: visible ASCII as is, anything else as =?base64?…?= of its UTF-8.
std::string header_value(std::string_view v) {
  bool plain = v.empty() || (v.front() != ' ' && v.back() != ' ');
  for (unsigned char c : v)
    if (c < 0x20 || c > 0x7E) plain = false;
  if (plain) return std::string(v);
  std::string out(4 * ((v.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(v.data()),
                          static_cast<int>(v.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return "=?base64?" + out + "?=";
}

bool visible_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

// A short, printable excerpt of an error body for a log line or error message.
std::string excerpt(std::string_view body) {
  std::string out;
  for (unsigned char c : body.substr(0, 200)) out.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : ' ');
  return out;
}

class ClientImpl final : public Client, public std::enable_shared_from_this<ClientImpl> {
 public:
  ClientImpl(asio::any_io_executor ex, ClientConfig cfg, Events ev)
      : ex_(std::move(ex)), cfg_(std::move(cfg)), ev_(std::move(ev)) {
    if (cfg_.url.tls && cfg_.tls) {
      SSL_CTX_up_ref(cfg_.tls->ctx());  // the asio wrapper frees its reference
      sslctx_ = std::make_unique<asio::ssl::context>(cfg_.tls->ctx());
    }
  }

  void send(std::string message) override {
    if (stopped()) return;  // after on_gone nothing more is sent (upstream.h)
    Outgoing out;
    json::Limits lim;
    lim.max_bytes = cfg_.max_message + (1u << 20);
    auto v = json::parse(message, lim);
    if (!v || !v->is_object()) {
      gateway::warn(cfg_.log_name, "not sending a line that is not a JSON-RPC message");
      return;
    }
    const json::Value& m = *v;
    if (auto it = m.find("method"); it != m.end() && it->is_string()) out.method = it->get<std::string>();
    out.request = !out.method.empty() && m.contains("id");
    if (out.request) out.id = m["id"], out.key = gateway::id_key(out.id);
    out.initialize = out.request && out.method == "initialize";
    out.initialized = out.method == "notifications/initialized";
    out.barrier = out.initialize || !out.request;
    if (auto p = m.find("params"); p != m.end() && p->is_object()) {
      if (auto meta = p->find("_meta"); meta != p->end() && meta->is_object()) {
        auto pv = meta->find("io.modelcontextprotocol/protocolVersion");
        if (pv != meta->end() && pv->is_string()) out.modern_version = pv->get<std::string>();
      }
      const char* field = out.method == "resources/read" ? "uri"
                          : (out.method == "tools/call" || out.method == "prompts/get") ? "name" : nullptr;
      if (field)
        if (auto f = p->find(field); f != p->end() && f->is_string()) out.name = f->get<std::string>();
    }
    out.body = std::move(message);
    if (queue_.size() >= cfg_.max_queued) {
      if (out.request)
        post_failure(out.id, "too many messages are waiting to be sent (" + std::to_string(queue_.size()) + ")");
      return;
    }
    if (out.request) outstanding_.insert(out.key);
    queue_.push_back(std::move(out));
    asio::post(ex_, [self = shared_from_this()] { self->pump(); });
  }

  void close() override {
    if (closed_ || detached_) return;
    closed_ = true;
    queue_.clear();
    spawn(do_close());
  }

  void detach() override {
    detached_ = true;
    ev_ = {};
    queue_.clear();
    shutdown_all();
  }

  std::size_t in_flight() const override { return outstanding_.size(); }

  ClientStats stats() const override {
    ClientStats s = stats_;
    s.session_id = session_id_;
    s.protocol_version = version_;
    return s;
  }

 private:
  bool stopped() const { return closed_ || detached_ || gone_; }

  template <typename Aw>
  void spawn(Aw&& aw) {
    asio::co_spawn(ex_, std::forward<Aw>(aw), [self = shared_from_this()](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        gateway::warn(self->cfg_.log_name, std::string("HTTP client internal error: ") + x.what());
      } catch (...) {
        gateway::warn(self->cfg_.log_name, "HTTP client internal error");
      }
    });
  }

  void post_failure(const json::Value& id, std::string why) {
    asio::post(ex_, [self = shared_from_this(), id, why = std::move(why)] { self->fail(id, why); });
  }

  void fail(const json::Value& id, const std::string& why) {
    outstanding_.erase(gateway::id_key(id));
    if (!detached_ && ev_.on_failure) ev_.on_failure(id, why);
  }

  void gone(const std::string& why) {
    if (gone_ || detached_) return;
    gone_ = true;
    queue_.clear();
    shutdown_all();
    if (ev_.on_gone) ev_.on_gone(why);
  }

  void shutdown_all() {
    for (Conn* c : live_) c->close();
    for (auto& c : idle_) c->close();
    idle_.clear();
    for (auto* t : timers_) t->cancel();
  }

  // Starts queued messages while the ordering rules and the connection bound allow.
  void pump() {
    while (!stopped() && !queue_.empty() && barriers_ == 0 && active_ < cfg_.max_connections) {
      Outgoing out = std::move(queue_.front());
      queue_.pop_front();
      ++active_;
      if (out.barrier) ++barriers_;
      spawn(run_post(std::move(out)));
    }
  }

  // A message from the server, from any stream.
  void deliver(std::string data) {
    if (detached_ || gone_) return;
    // JSON allows a line break only as whitespace between tokens, so replacing it keeps the
    // message and makes it one line, as the stdio framing requires.
    for (char& c : data)
      if (c == '\n' || c == '\r') c = ' ';
    json::Limits lim;
    lim.max_bytes = cfg_.max_message + (1u << 20);
    if (auto v = json::parse(data, lim); v && v->is_object() && v->contains("id") && !v->contains("method")) {
      const std::string key = gateway::id_key((*v)["id"]);
      outstanding_.erase(key);
      if (key == init_key_) {
        init_key_.clear();
        auto r = v->find("result");
        if (r != v->end() && r->is_object()) {
          auto pv = r->find("protocolVersion");
          if (pv != r->end() && pv->is_string() && pv->get<std::string>().size() <= 64 && visible_ascii(pv->get<std::string>()))
            version_ = pv->get<std::string>();
        }
      }
    }
    if (ev_.on_message) ev_.on_message(std::move(data));
  }

  // A kept-alive connection when one is idle, else a new one.
  awaitable<std::unique_ptr<Conn>> checkout(std::string* why) {
    if (idle_.empty()) co_return co_await connect(why);
    auto c = std::move(idle_.back());
    idle_.pop_back();
    co_return c;
  }

  awaitable<std::unique_ptr<Conn>> connect(std::string* why) {
    if (!endpoints_) {
      asio::ip::tcp::resolver r(ex_);
      error_code ec;
      auto res = co_await r.async_resolve(cfg_.url.host, std::to_string(cfg_.url.port),
                                          asio::redirect_error(use_awaitable, ec));
      if (ec) {
        *why = "cannot resolve " + cfg_.url.host + ": " + ec.message();
        co_return nullptr;
      }
      endpoints_ = res;
    }
    if (cfg_.url.tls && !cfg_.tls) {
      *why = "an https URL needs TLS settings";
      co_return nullptr;
    }
    auto c = co_await Conn::open(ex_, cfg_.url, *endpoints_, cfg_.tls.get(), sslctx_.get(), cfg_.connect_timeout, why);
    if (c) {
      ++stats_.connections;
      if (!c->group().empty()) stats_.tls_group = c->group();
    }
    co_return c;
  }

  Request make_request(bhttp::verb verb, const Outgoing* out, const std::string& last_event_id = {}) {
    Request req{verb, cfg_.url.target, 11};
    req.set(bhttp::field::host, cfg_.url.host_header());
    req.set(bhttp::field::user_agent, "pqmcp");
    const bool modern = out && !out->modern_version.empty();
    if (verb == bhttp::verb::post) {
      req.set(bhttp::field::content_type, "application/json");
      req.set(bhttp::field::accept, "application/json, text/event-stream");
      req.body() = out->body;
    } else if (verb == bhttp::verb::get) {
      req.set(bhttp::field::accept, "text/event-stream");
      if (!last_event_id.empty()) req.set("Last-Event-ID", last_event_id);
    }
    if (modern) {
      // 2026-07-28: no session; the headers mirror the body for intermediaries (SEP-2243).
      req.set("MCP-Protocol-Version", header_value(out->modern_version));
      req.set("Mcp-Method", header_value(out->method));
      if (!out->name.empty()) req.set("Mcp-Name", header_value(out->name));
      for (const auto& [n, v] : cfg_.forward_headers) req.set(n, v);
    } else {
      if (!session_id_.empty() && !(out && out->initialize)) req.set("Mcp-Session-Id", session_id_);
      if (!version_.empty()) req.set("MCP-Protocol-Version", version_);
    }
    req.keep_alive(true);
    req.prepare_payload();
    return req;
  }

  struct LiveGuard {
    ClientImpl* self;
    Conn* c;
    ~LiveGuard() { self->live_.erase(c); }
  };

  enum class Outcome { kDone, kRetry, kFailed };

  awaitable<void> run_post(Outgoing out) {
    auto self = shared_from_this();
    std::string why;
    for (int attempt = 0;; ++attempt) {
      why.clear();
      std::unique_ptr<Conn> c = co_await checkout(&why);
      if (!c) break;
      Outcome o = co_await exchange(c, out, &why);
      // A kept-alive connection the server had already closed: the request never reached it.
      if (o == Outcome::kRetry && attempt == 0 && !stopped()) continue;
      break;
    }
    --active_;
    if (out.barrier) --barriers_;
    if (!why.empty() && !detached_) {
      if (out.request)
        fail(out.id, why);
      else if (!closed_)
        gateway::warn(cfg_.log_name, "could not deliver " + (out.method.empty() ? std::string("a response") : out.method) +
                                         " to the server: " + why);
    }
    pump();
  }

  // One POST on c. Leaves c in idle_ when it can serve another exchange.
  awaitable<Outcome> exchange(std::unique_ptr<Conn>& c, const Outgoing& out, std::string* why) {
    live_.insert(c.get());
    LiveGuard guard{this, c.get()};
    Request req = make_request(bhttp::verb::post, &out);
    if (out.initialize) init_key_ = out.key;
    const bool reused = c->reused;
    error_code ec = co_await c->write(req);
    ResponseParser p;
    p.body_limit(boost::none);  // bounded below, per message
    if (!ec) ec = co_await c->read_header(p);
    if (ec) {
      *why = stopped() ? "the client is closing" : "the connection to " + cfg_.url.host_header() + " failed: " + ec.message();
      co_return reused ? Outcome::kRetry : Outcome::kFailed;
    }
    auto& res = p.get();
    const unsigned status = res.result_int();
    if (out.initialize && status / 100 == 2) {
      auto sid = res.find("Mcp-Session-Id");
      if (sid != res.end()) {
        std::string_view v = sid->value();
        if (v.empty() || v.size() > kMaxSessionId || !visible_ascii(v)) {
          *why = "the server sent an invalid Mcp-Session-Id (it must be 1-256 visible ASCII characters)";
          c->close();
          co_return Outcome::kFailed;
        }
        session_id_ = std::string(v);
      }
    }
    std::string_view ctype = res[bhttp::field::content_type];
    const bool sse = status / 100 == 2 && ctype.substr(0, 17) == "text/event-stream";
    SseLimits lim{cfg_.max_message + 64, cfg_.max_message};
    SseParser parser(lim);
    std::vector<SseEvent> events;
    std::string body;
    bool too_large = false;
    std::vector<char> buf(kReadChunk);
    while (!p.is_done()) {
      std::size_t n = 0;
      ec = co_await c->read_body(p, buf.data(), buf.size(), &n);
      if (n) {
        std::string_view chunk(buf.data(), n);
        if (sse) {
          SseStatus st = parser.feed(chunk, events);
          for (auto& e : events)
            if (!e.data.empty() && (e.type == "message" || e.type.empty())) deliver(std::move(e.data));
          events.clear();
          if (st != SseStatus::kOk) {
            too_large = true;
            break;
          }
        } else if (body.size() + n > cfg_.max_message) {
          too_large = true;
          break;
        } else {
          body.append(chunk);
        }
      }
      if (ec || stopped()) break;
    }
    const bool complete = p.is_done() && !ec && !too_large;
    if (complete && res.keep_alive() && !stopped() && idle_.size() < cfg_.max_connections) {
      c->reused = true;
      idle_.push_back(std::move(c));
    } else {
      c->close();
    }
    if (too_large) {
      *why = "too-large: a message from the server exceeds " + std::to_string(cfg_.max_message) + " bytes";
      co_return Outcome::kFailed;
    }
    if (status == 404 && !session_id_.empty() && !out.initialize && out.modern_version.empty()) {
      // Pending requests, this one included, are the owner's to answer once it learns the
      // session is gone (as when a stdio server exits): no separate failure for each.
      outstanding_.erase(out.key);
      why->clear();
      gone("the server ended the session (HTTP 404)");
      co_return Outcome::kFailed;
    }
    if (status / 100 == 2) {
      if (sse) {
        if (out.request && outstanding_.count(out.key) && !stopped()) {
          // The stream ended before the answer (MCP 2025-11-25: disconnection is not
          // cancellation): resume it with Last-Event-ID, or give up if it cannot be resumed.
          if (!parser.last_event_id().empty() && out.modern_version.empty()) {
            spawn(stream_loop(parser.last_event_id(), parser.retry_ms().value_or(kDefaultRetryMs), out.id));
          } else {
            *why = "the server closed the response stream before answering";
          }
        }
      } else if (!body.empty()) {
        // (A body without Content-Type is read as JSON too: the message is verified anyway.)
        if (ctype.substr(0, 16) != "application/json" && !ctype.empty()) {
          *why = "the server answered with an unexpected content type '" + excerpt(ctype) + "'";
          co_return Outcome::kFailed;
        }
        deliver(std::move(body));
        if (out.request && outstanding_.count(out.key)) *why = "the server's JSON answer does not answer this request";
      } else if (out.request) {
        *why = "the server answered HTTP " + std::to_string(status) + " without a message";
      }
      if (out.initialized && cfg_.get_stream && !get_started_ && !stopped()) {
        get_started_ = true;
        spawn(stream_loop({}, kDefaultRetryMs, nullptr));
      }
      co_return why->empty() ? Outcome::kDone : Outcome::kFailed;
    }
    // An error status: a JSON-RPC answer in the body is the server's word (the gateway verifies
    // it like any other); anything else becomes a transport failure.
    if (!body.empty() && (ctype.empty() || ctype.substr(0, 16) == "application/json")) {
      json::Limits jl;
      jl.max_bytes = cfg_.max_message;
      auto v = json::parse(body, jl);
      if (v && v->is_object() && v->contains("id") && out.request && gateway::id_key((*v)["id"]) == out.key) {
        deliver(std::move(body));
        co_return Outcome::kDone;
      }
    }
    *why = "the server answered HTTP " + std::to_string(status) + " " + std::string(res.reason()) +
           (body.empty() ? "" : ": " + excerpt(body));
    co_return Outcome::kFailed;
  }

  awaitable<void> sleep_ms(std::uint64_t ms) {
    asio::steady_timer t(ex_);
    t.expires_after(std::chrono::milliseconds(std::min(ms, kMaxRetryMs)));
    timers_.insert(&t);
    // Erased however the frame ends (also when the io_context destroys it unresumed).
    struct TimerGuard {
      ClientImpl* self;
      asio::steady_timer* t;
      ~TimerGuard() { self->timers_.erase(t); }
    } guard{this, &t};
    error_code ec;
    co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
  }

  // The GET stream (MCP 2025-11-25 "Listening for Messages from the Server"): server requests and
  // notifications outside any request. With resume_id set, it resumes the POST stream of that
  // request instead (same GET with Last-Event-ID) until the request is answered.
  awaitable<void> stream_loop(std::string last_id, std::uint64_t retry, json::Value resume_id) {
    auto self = shared_from_this();
    const bool resume = !resume_id.is_null();
    const std::string key = resume ? gateway::id_key(resume_id) : std::string();
    int failures = 0;
    std::string why;
    if (resume) co_await sleep_ms(retry);
    while (!stopped()) {
      if (resume && !outstanding_.count(key)) co_return;
      if (failures >= cfg_.max_reconnects) break;
      why.clear();
      auto c = co_await connect(&why);
      if (!c) {
        ++failures;
        co_await sleep_ms(retry);
        continue;
      }
      live_.insert(c.get());
      LiveGuard guard{this, c.get()};
      Request req = make_request(bhttp::verb::get, nullptr, last_id);
      error_code ec = co_await c->write(req);
      ResponseParser p;
      p.body_limit(boost::none);
      if (!ec) ec = co_await c->read_header(p);
      if (ec) {
        ++failures;
        why = "the event stream failed: " + ec.message();
        c->close();
        co_await sleep_ms(retry);
        continue;
      }
      const unsigned status = p.get().result_int();
      std::string_view ctype = p.get()[bhttp::field::content_type];
      if (status == 404 && !session_id_.empty()) {
        c->close();
        if (resume) outstanding_.erase(key);
        gone("the server ended the session (HTTP 404)");
        co_return;
      }
      if (status != 200 || ctype.substr(0, 17) != "text/event-stream") {
        c->close();
        // 405: the server offers no GET stream (allowed by the spec); nothing to resume from.
        why = "the server refused the event stream (HTTP " + std::to_string(status) + ")";
        break;
      }
      failures = 0;
      SseParser parser(SseLimits{cfg_.max_message + 64, cfg_.max_message});
      std::vector<SseEvent> events;
      std::vector<char> buf(kReadChunk);
      while (!p.is_done() && !stopped()) {
        std::size_t n = 0;
        ec = co_await c->read_body(p, buf.data(), buf.size(), &n);
        if (n) {
          SseStatus st = parser.feed(std::string_view(buf.data(), n), events);
          for (auto& e : events)
            if (!e.data.empty() && (e.type == "message" || e.type.empty())) deliver(std::move(e.data));
          events.clear();
          if (st != SseStatus::kOk) {
            ec = asio::error::message_size;
            break;
          }
        }
        if (ec) break;
      }
      c->close();
      if (!parser.last_event_id().empty()) last_id = parser.last_event_id();
      if (parser.retry_ms()) retry = *parser.retry_ms();
      if (ec == asio::error::message_size) {
        why = "too-large: an event from the server exceeds " + std::to_string(cfg_.max_message) + " bytes";
        break;
      }
      if (resume && !outstanding_.count(key)) co_return;
      co_await sleep_ms(retry);
    }
    if (stopped()) co_return;
    if (resume) {
      fail(resume_id, why.empty() ? "the response stream could not be resumed" : why);
    } else if (!why.empty() && why.find("HTTP 405") == std::string::npos) {
      gateway::warn(cfg_.log_name, "no stream for server-initiated messages: " + why);
    }
  }

  awaitable<void> do_close() {
    auto self = shared_from_this();
    if (!session_id_.empty() && !detached_) {
      // MCP 2025-11-25: a client that no longer needs the session SHOULD DELETE it (405 is fine).
      std::string why;
      std::unique_ptr<Conn> c = co_await checkout(&why);
      if (c) {
        live_.insert(c.get());
        LiveGuard guard{this, c.get()};
        Request req = make_request(bhttp::verb::delete_, nullptr);
        c->expires_after(cfg_.close_timeout);
        error_code ec = co_await c->write(req);
        c->expires_after(cfg_.close_timeout);
        ResponseParser p;
        if (!ec) ec = co_await c->read_header(p);
        c->close();
      }
    }
    closed_ = true;
    gone("closed");
  }

  asio::any_io_executor ex_;
  ClientConfig cfg_;
  Events ev_;
  std::unique_ptr<asio::ssl::context> sslctx_;
  std::optional<asio::ip::tcp::resolver::results_type> endpoints_;
  std::deque<Outgoing> queue_;
  std::size_t active_ = 0, barriers_ = 0;
  std::vector<std::unique_ptr<Conn>> idle_;
  std::set<Conn*> live_;
  std::set<asio::steady_timer*> timers_;
  std::unordered_set<std::string> outstanding_;  // id keys of requests not yet answered
  std::string session_id_, version_, init_key_;
  bool closed_ = false, detached_ = false, gone_ = false, get_started_ = false;
  ClientStats stats_;
};

}  // namespace

std::shared_ptr<Client> Client::create(asio::any_io_executor ex, ClientConfig cfg, Events ev) {
  return std::make_shared<ClientImpl>(std::move(ex), std::move(cfg), std::move(ev));
}

}  // namespace pqmcp::http
