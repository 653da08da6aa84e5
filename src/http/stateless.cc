// MCP 2026-07-28 (stateless) POSTs (basic/transports/streamable-http.mdx). The gateway parses the
// body, so it is a "server that processes the message body" for SEP-2243: it validates the
// mirrored headers against the body before anything else (400 + HeaderMismatch -32020).
//
// What follows depends on the upstream:
//  - a stdio server (`pqmcp serve -- COMMAND`) is of the 2025 era (initialize, sessions) and
//    cannot serve a stateless request: the gateway answers 400 with UnsupportedProtocolVersion
//    (-32022) listing the 2025 versions it serves statefully on the same endpoint — the modern
//    error a dual-era client recognises before falling back (basic/versioning.mdx: fallback on
//    an inspected 400, not on a code);
//  - an HTTP server (`--upstream http(s)://…`) may speak 2026-07-28: the request is forwarded.
//    Each stateless request gets its own lane — a Session outside the session table, with its
//    own filter (verify, policy, sign, audit) and upstream, on its own strand — that lives until
//    the request is answered. Every message the upstream sends on that exchange (notifications
//    related to the request, then the response) therefore belongs to it, with no routing
//    guesswork, and the answer goes back as JSON or as an SSE stream, as the upstream chose.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <mutex>
#include <unordered_map>

#include "gateway/gate.h"
#include "http/http_upstream.h"
#include "http/mirror.h"
#include "http/server_impl.h"

namespace pqmcp::http {

namespace asio = boost::asio;

namespace {

std::optional<std::string> header(const Request& req, std::string_view name) {
  auto it = req.find(name);
  if (it == req.end()) return std::nullopt;
  return std::string(it->value());
}

// The lanes in flight: each is kept alive here until its request is answered (or its upstream
// is gone), then dropped on its own strand.
struct Lanes {
  std::mutex mu;
  std::unordered_map<const Session*, std::shared_ptr<Session>> live;

  std::size_t size() {
    std::lock_guard<std::mutex> l(mu);
    return live.size();
  }
  void drop(const Session* s) {
    std::shared_ptr<Session> last;  // destroyed outside the lock
    std::lock_guard<std::mutex> l(mu);
    if (auto it = live.find(s); it != live.end()) last = std::move(it->second), live.erase(it);
  }
};

// HTTP status of a whole JSON answer. The upstream's own status does not cross the line
// transport, so it is derived from the JSON-RPC error as 2026-07-28 prescribes
// (basic/transports/streamable-http.mdx): unknown method 404; invalid params, unsupported
// version and header mismatch 400; anything else (results, other errors) 200.
int status_for(std::string_view body) {
  json::Limits l;
  l.max_bytes = body.size() + 1;
  l.max_depth = 512;
  auto v = json::parse(body, l);
  if (!v || !v->is_object()) return 200;
  auto e = v->find("error");
  if (e == v->end() || !e->is_object()) return 200;
  auto c = e->find("code");
  if (c == e->end() || !c->is_number_integer()) return 200;
  constexpr std::int64_t kMethodNotFound = -32601, kInvalidParams = -32602;  // JSON-RPC 2.0 §5.1
  switch (c->get<std::int64_t>()) {
    case kMethodNotFound: return 404;
    case kInvalidParams:
    case mcp_code::kUnsupportedProtocolVersion:
    case mcp_code::kHeaderMismatch: return 400;
    default: return 200;
  }
}

// The lane's view of the HTTP exchange: forwards to the connection and, once the answer is
// complete, lets the lane go.
class LaneSink final : public Sink {
 public:
  LaneSink(ResponderPtr r, std::function<void()> done) : r_(std::move(r)), done_(std::move(done)) {}
  void json(int status, std::string body) override {
    if (status == 200) status = status_for(body);
    r_->json(status, std::move(body));
    finish();
  }
  void sse_open() override { r_->sse_open(); }  // (the connection adds X-Accel-Buffering: no)
  void sse_write(std::string event) override { r_->sse_write(std::move(event)); }
  void sse_close() override {
    r_->sse_close();
    finish();
  }
  bool alive() const override { return r_->alive(); }

 private:
  void finish() {
    if (auto d = std::move(done_)) d();
  }
  ResponderPtr r_;
  std::function<void()> done_;
};

json::Value supported_versions(bool stateless) {
  json::Value s = json::Value::array();
  if (stateless) s.push_back(std::string(kStatelessVersion));
  for (auto v : kStatefulVersions) s.push_back(std::string(v));
  return s;
}

// While a lane waits for its answer: keep-alive comments on its SSE stream (they find a client
// that left), and when the client is gone, the lane is dropped, which closes its upstream
// connection — "Closing the SSE response stream MUST be treated by the server as cancellation of
// that request" (streamable-http.mdx), passed on to the upstream the same way.
void watch(std::weak_ptr<Session> w, std::shared_ptr<asio::steady_timer> t, ResponderPtr r,
           std::function<void()> drop, std::chrono::milliseconds period) {
  t->expires_after(period);
  t->async_wait([w, t, r, drop, period](boost::system::error_code ec) {
    auto s = w.lock();
    if (ec || !s || s->ended()) return;
    s->heartbeat();
    if (!r->alive()) return drop();
    watch(w, t, r, drop, period);
  });
}

}  // namespace

bool Server::Impl::serves_stateless() const { return is_http_upstream(upstream); }

std::string Server::Impl::unsupported_version_body(const json::Value& id, const std::string& requested) const {
  json::Value rid = id.is_string() || id.is_number_integer() ? id : json::Value();
  json::Value e = {{"jsonrpc", "2.0"},
                   {"id", rid},
                   {"error",
                    {{"code", mcp_code::kUnsupportedProtocolVersion},
                     {"message", "Bad Request: unsupported MCP-Protocol-Version " + requested},
                     {"data", {{"supported", supported_versions(serves_stateless())}, {"requested", requested}}}}}};
  return gateway::dump(e);
}

void Server::Impl::handle_stateless(Request& req, json::Value body, const ResponderPtr& r) {
  MirroredHeaders h;
  h.protocol_version = header(req, "MCP-Protocol-Version");
  h.method = header(req, "Mcp-Method");
  h.name = header(req, "Mcp-Name");
  for (auto& f : req) {
    std::string n(f.name_string());
    if (n.size() > 10 && (n.rfind("Mcp-Param-", 0) == 0 || n.rfind("mcp-param-", 0) == 0))
      h.params.emplace_back(n.substr(10), std::string(f.value()));
  }
  json::Value id = body.contains("id") ? body["id"] : json::Value();
  MirrorCheck c = check_mirrored(h, body);
  // A version the gateway does not know may still be one the HTTP upstream serves: its answer
  // (a result, or its own -32022 listing what it supports) is the one that counts.
  const bool forward_version = !c.ok && c.code == mcp_code::kUnsupportedProtocolVersion && serves_stateless();
  if (!c.ok && !forward_version) {
    metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
    return r->json(c.http_status, mirror_error_body(id, c));
  }
  if (!serves_stateless()) {
    json::Value e = {{"jsonrpc", "2.0"},
                     {"id", id},
                     {"error",
                      {{"code", mcp_code::kUnsupportedProtocolVersion},
                       {"message", "this gateway's upstream speaks the 2025 (stateful) protocol; initialize a session"},
                       {"data", {{"supported", supported_versions(false)}, {"requested", *h.protocol_version}}}}}};
    return r->json(400, gateway::dump(e));
  }

  // streamable-http.mdx: the body is one request or notification, never a response.
  const bool has_id = body.contains("id");
  if (has_id && !body["id"].is_string() && !body["id"].is_number_integer())
    return r->json(400, http_error_body(gateway::code::kInvalidRequest, "Invalid Request: the id must be a string or an integer",
                                        nullptr, "malformed-message"));
  // basic/index.mdx: every request carries its protocol version in _meta; a missing required
  // field is -32602 with 400. The upstream could not be asked: without it the request would not
  // travel as a 2026-07-28 request.
  if (has_id) {
    const json::Value* meta = nullptr;
    if (body.contains("params") && body["params"].is_object() && body["params"].contains("_meta"))
      meta = &body["params"]["_meta"];
    if (!meta || !meta->is_object() || !meta->contains("io.modelcontextprotocol/protocolVersion") ||
        !(*meta)["io.modelcontextprotocol/protocolVersion"].is_string()) {
      metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
      return r->json(400, gateway::dump(gateway::error_response(
                              id, -32602, "Invalid params: params._meta[\"io.modelcontextprotocol/protocolVersion\"] is required",
                              {{"side", "serve"}, {"reason", "malformed-message"}})));
    }
  }
  std::shared_ptr<Lanes> lanes;
  {
    static std::mutex once;  // handle() runs on several threads: create the bridge state once
    std::lock_guard<std::mutex> l(once);
    if (!stateless) stateless = std::make_shared<Lanes>();
    lanes = std::static_pointer_cast<Lanes>(stateless);
  }
  if (lanes->size() >= opt.max_connections) {
    r->add_header("Retry-After", "5");
    return r->json(503, http_error_body(gateway::code::kInvalidRequest, "Service Unavailable: too many stateless requests in flight",
                                        id, "too-many-requests"));
  }
  std::string line = req.body().find_first_of("\r\n") == std::string::npos ? std::move(req.body()) : gateway::dump(body);
  std::string progress;
  bool is_signed = false;
  if (body.contains("params") && body["params"].is_object()) {
    const auto& p = body["params"];
    if (p.contains("_meta") && p["_meta"].is_object()) {
      if (p["_meta"].contains("progressToken")) progress = gateway::id_key(p["_meta"]["progressToken"]);
      is_signed = p["_meta"].contains("io.pqmcp/sig");
    }
  }

  Session::Strand strand = asio::make_strand(asio::any_io_executor(ioc.get_executor()));
  auto up = upstream(strand);
  if (!up) {
    gateway::warn(opt.log_name, "cannot reach the upstream: " + up.error());
    return r->json(502, http_error_body(gateway::code::kServerUnavailable, "Bad Gateway: cannot reach the MCP server", id, "server-exited"));
  }
  // Unknown Mcp-Param-* headers travel on unchanged (2026-07-28 streamable-http "Standard
  // headers": a proxy must not drop what it does not understand).
  std::vector<std::pair<std::string, std::string>> fwd;
  for (const auto& [suffix, value] : h.params) fwd.emplace_back("Mcp-Param-" + suffix, value);
  up.value()->forward_headers(std::move(fwd));
  auto lane = std::make_shared<Session>(SessionTable::new_id(), strand, filter(), opt.session, metrics, opt.log_name);
  lane->strip_signatures(!is_signed && opt.strip_for_unsigned);
  {
    std::lock_guard<std::mutex> l(lanes->mu);
    lanes->live.emplace(lane.get(), lane);
  }
  std::weak_ptr<Lanes> wl = lanes;
  const Session* key = lane.get();
  // Dropping the lane destroys its upstream (which lets go of its connections): always posted, never
  // from inside the lane's own callbacks.
  auto drop = [wl, key, strand]() {
    asio::post(strand, [wl, key] {
      if (auto l = wl.lock()) l->drop(key);
    });
  };
  asio::post(strand, [lane, u = std::move(up.value()), line = std::move(line), has_id, id_key = gateway::id_key(id),
                      progress = std::move(progress), r, drop, strand, period = opt.heartbeat]() mutable {
    lane->start(std::move(u), [drop](const std::string&) { drop(); });
    if (has_id) {
      lane->request(std::move(line), std::move(id_key), std::move(progress), std::make_shared<LaneSink>(r, drop));
      if (!lane->ended())
        watch(lane, std::make_shared<asio::steady_timer>(strand), r, drop, std::max(period, std::chrono::milliseconds(100)));
      return;
    }
    // A notification: accepted at once (202); the lane stays a moment so that it reaches the upstream.
    lane->message(std::move(line));
    auto t = std::make_shared<asio::steady_timer>(strand, std::chrono::seconds(5));
    t->async_wait([t, drop](boost::system::error_code) { drop(); });
  });
  if (!has_id) r->respond(202, "", "");
}

}  // namespace pqmcp::http
