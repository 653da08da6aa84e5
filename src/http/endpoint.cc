// The MCP endpoint of `pqmcp serve` for the stateful era (MCP 2025-11-25 basic/transports,
// "Streamable HTTP"): POST one JSON-RPC message, GET the server's stream, DELETE the session;
// plus /metrics. Runs on the connection's strand; session work is posted to the session's.
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "gateway/gate.h"
#include "http/mirror.h"
#include "http/server_impl.h"

namespace pqmcp::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

std::string http_error_body(int code, const std::string& message, const json::Value& id, const char* reason) {
  json::Value data = json::Value::object();
  data["side"] = "serve";
  if (reason) data["reason"] = reason;
  return gateway::dump(gateway::error_response(id, code, message, std::move(data)));
}

namespace {

std::optional<std::string> header(const Request& req, std::string_view name) {
  auto it = req.find(name);
  if (it == req.end()) return std::nullopt;
  return std::string(it->value());
}

bool accepts(const Request& req, std::string_view type) {
  auto a = header(req, "Accept");
  if (!a) return false;
  return a->find(type) != std::string::npos || a->find("*/*") != std::string::npos;
}

// Session-level errors as the TypeScript SDK's server answers them (-32000 / -32001), so that
// clients written against it recognise them.
constexpr int kBadRequest = -32000, kSessionNotFound = -32001;

}  // namespace

void Server::Impl::handle(Request&& req, ResponderPtr r) {
  metrics.requests_total.fetch_add(1, std::memory_order_relaxed);
  // DNS rebinding (MCP 2025-11-25 basic/transports "Security Warning"): Origin, and Host.
  auto origin = header(req, "Origin");
  if (!origins.origin_ok(origin) || !origins.host_ok(header(req, "Host"))) {
    metrics.origin_refused.fetch_add(1, std::memory_order_relaxed);
    return r->json(403, http_error_body(kBadRequest, "Forbidden: Origin or Host not allowed", nullptr, "origin-refused"));
  }
  if (origin) {  // an allowed browser origin: CORS (Fetch §3.2) so that it can read our headers
    r->add_header("Access-Control-Allow-Origin", *origin);
    r->add_header("Vary", "Origin");
    r->add_header("Access-Control-Expose-Headers", "Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID");
  }
  std::string_view target(req.target().data(), req.target().size());
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  if (target == "/metrics" && req.method() == bhttp::verb::get)
    return r->respond(200, "text/plain; version=0.0.4", metrics.render());
  if (target == "/" && req.method() == bhttp::verb::get) {
    const std::string& g = r->tls_group();
    // With ?probe=1 the page calls the endpoint itself (same origin): a browser check of the
    // whole path, TLS key exchange included.
    return r->respond(200, "text/html; charset=utf-8",
                      "<!doctype html><title>pqmcp serve</title><p>pqmcp serve: MCP endpoint at <code>" + opt.path +
                          "</code>.<p id=group>TLS key exchange: " + (g.empty() ? "none (plain HTTP)" : g) +
                          "</p>\n<script>if(location.search.includes('probe=1'))fetch('" + opt.path +
                          "',{method:'POST',headers:{'Content-Type':'application/json','Accept':'application/json, "
                          "text/event-stream'},body:JSON.stringify({jsonrpc:'2.0',id:1,method:'initialize',params:{"
                          "protocolVersion:'2025-11-25',capabilities:{},clientInfo:{name:'probe',version:'1'}}})})"
                          ".then(r=>r.text()).catch(e=>'error '+e).then(t=>{const p=document.createElement('pre');"
                          "p.textContent='mcp-result: '+t;document.body.appendChild(p);});</script>\n");
  }
  if (target != opt.path) return r->json(404, http_error_body(kBadRequest, "Not Found: the MCP endpoint is " + opt.path));
  switch (req.method()) {
    case bhttp::verb::post: return handle_post(req, r);
    case bhttp::verb::get: return handle_get(req, r);
    case bhttp::verb::delete_: return handle_delete(req, r);
    case bhttp::verb::options:
      r->add_header("Access-Control-Allow-Methods", "GET, POST, DELETE");
      r->add_header("Access-Control-Allow-Headers",
                    "Content-Type, Accept, Authorization, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID, "
                    "Mcp-Method, Mcp-Name");
      r->add_header("Access-Control-Max-Age", "600");
      return r->respond(204, "", "");
    default:
      r->add_header("Allow", "GET, POST, DELETE");
      return r->json(405, http_error_body(kBadRequest, "Method Not Allowed"));
  }
}

void Server::Impl::handle_post(Request& req, const ResponderPtr& r) {
  auto pv = header(req, "MCP-Protocol-Version");
  auto ct = header(req, "Content-Type");
  if (!ct || ct->find("application/json") == std::string::npos)
    return r->json(415, http_error_body(kBadRequest, "Unsupported Media Type: the body must be application/json"));
  // "The client MUST include an Accept header, listing both application/json and
  // text/event-stream" (MCP 2025-11-25 basic/transports, "Sending Messages to the Server").
  if (!accepts(req, "application/json") || !accepts(req, "text/event-stream"))
    return r->json(406, http_error_body(kBadRequest, "Not Acceptable: Accept must list application/json and text/event-stream"));
  json::Limits lim;
  lim.max_bytes = opt.max_body;
  auto parsed = json::parse(req.body(), lim);
  if (!parsed) {
    metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
    return r->json(400, http_error_body(gateway::code::kParseError, "Parse error: " + parsed.error().message, nullptr,
                                        parsed.error().code == json::ErrorCode::kTooDeep ? "too-deep" : "malformed-json"));
  }
  json::Value& msg = parsed.value();
  if (msg.is_array())
    return r->json(400, http_error_body(gateway::code::kInvalidRequest,
                                        "Invalid Request: one JSON-RPC message per POST (batches were removed in 2025-06-18)",
                                        nullptr, "malformed-message"));
  if (!msg.is_object()) return r->json(400, http_error_body(gateway::code::kInvalidRequest, "Invalid Request: not a JSON-RPC message", nullptr, "malformed-message"));

  // Era: 2026-07-28 requests say so in the header (and in _meta); everything else is stateful.
  bool modern = pv && *pv == kStatelessVersion;
  if (!pv && msg.contains("params") && msg["params"].is_object() && msg["params"].contains("_meta") &&
      msg["params"]["_meta"].is_object() && msg["params"]["_meta"].contains("io.modelcontextprotocol/protocolVersion"))
    modern = true;
  // An unknown version with 2026-style _meta goes to the HTTP upstream, which may serve it.
  const bool meta_version = msg.contains("params") && msg["params"].is_object() && msg["params"].contains("_meta") &&
                            msg["params"]["_meta"].is_object() &&
                            msg["params"]["_meta"].contains("io.modelcontextprotocol/protocolVersion");
  if (pv && !modern && !is_stateful_version(*pv) && meta_version && serves_stateless()) modern = true;
  if (modern) return handle_stateless(req, std::move(msg), r);
  // 2026-07-28 basic/transports/streamable-http.mdx: an unsupported version is refused with 400
  // and UnsupportedProtocolVersionError (-32022) listing the supported versions.
  if (pv && !is_stateful_version(*pv))
    return r->json(400, unsupported_version_body(msg.contains("id") ? msg["id"] : json::Value(), *pv));

  const bool has_method = msg.contains("method") && msg["method"].is_string();
  const bool has_id = msg.contains("id") && (msg["id"].is_string() || msg["id"].is_number_integer());
  const bool is_request = has_method && has_id;
  const bool is_response = !has_method && has_id && (msg.contains("result") || msg.contains("error"));
  if (!has_method && !is_response)
    return r->json(400, http_error_body(gateway::code::kInvalidRequest, "Invalid Request: not a JSON-RPC request, notification or response",
                                        msg.contains("id") ? msg["id"] : json::Value(), "malformed-message"));
  // A body spread over several lines is re-serialised: upstream messages MUST NOT contain
  // embedded newlines (stdio transport). The signature covers the canonical form, not the bytes.
  std::string line = req.body().find_first_of("\r\n") == std::string::npos ? std::move(req.body()) : gateway::dump(msg);
  std::string progress;
  if (is_request && msg.contains("params") && msg["params"].is_object()) {
    const auto& p = msg["params"];
    if (p.contains("_meta") && p["_meta"].is_object() && p["_meta"].contains("progressToken"))
      progress = gateway::id_key(p["_meta"]["progressToken"]);
  }
  if (is_request && msg["method"] == "initialize") {
    bool is_signed = msg.contains("params") && msg["params"].is_object() && msg["params"].contains("_meta") &&
                     msg["params"]["_meta"].is_object() && msg["params"]["_meta"].contains("io.pqmcp/sig");
    return new_session(std::move(line), msg["id"], std::move(progress), !is_signed && opt.strip_for_unsigned, r);
  }

  auto sid = header(req, "Mcp-Session-Id");
  if (!sid) return r->json(400, http_error_body(kBadRequest, "Bad Request: Mcp-Session-Id header is required", is_request ? msg["id"] : json::Value()));
  std::string why;
  auto s = sessions.find(*sid, &why);
  if (!s)
    return r->json(404, http_error_body(kSessionNotFound, why.empty() ? "Session not found" : "Session not found: it ended (" + why + ")",
                                        is_request ? msg["id"] : json::Value(), "unknown-session"));
  if (is_request) {
    std::string key = gateway::id_key(msg["id"]);
    asio::post(s->strand(), [s, line = std::move(line), key = std::move(key), progress = std::move(progress), r]() mutable {
      s->request(std::move(line), std::move(key), std::move(progress), r);
    });
    return;
  }
  // Notifications and responses: 202 Accepted with no body (MCP 2025-11-25, "Sending Messages").
  asio::post(s->strand(), [s, line = std::move(line)]() mutable { s->message(std::move(line)); });
  r->respond(202, "", "");
}

void Server::Impl::new_session(std::string line, json::Value id, std::string progress, bool strip, const ResponderPtr& r) {
  if (sessions.size() >= sessions.capacity()) {
    metrics.sessions_refused.fetch_add(1, std::memory_order_relaxed);
    r->add_header("Retry-After", "5");
    return r->json(503, http_error_body(kBadRequest, "Service Unavailable: the session limit (" +
                                                         std::to_string(sessions.capacity()) + ") is reached", id, "too-many-sessions"));
  }
  std::string sid = SessionTable::new_id();
  if (sid.empty()) return r->json(500, http_error_body(kBadRequest, "cannot draw a session id", id));
  Session::Strand strand = asio::make_strand(asio::any_io_executor(ioc.get_executor()));
  auto up = upstream(strand);
  if (!up) {
    gateway::warn(opt.log_name, "cannot start the upstream: " + up.error());
    return r->json(502, http_error_body(gateway::code::kServerUnavailable, "Bad Gateway: cannot start the MCP server", id, "server-exited"));
  }
  auto s = std::make_shared<Session>(sid, strand, filter(), opt.session, metrics, opt.log_name);
  s->strip_signatures(strip);
  if (!sessions.insert(s)) {
    metrics.sessions_refused.fetch_add(1, std::memory_order_relaxed);
    return r->json(503, http_error_body(kBadRequest, "Service Unavailable: the session limit is reached", id, "too-many-sessions"));
  }
  metrics.sessions_total.fetch_add(1, std::memory_order_relaxed);
  metrics.sessions_open.fetch_add(1, std::memory_order_relaxed);
  // The session id travels on the response that carries the InitializeResult (MCP 2025-11-25,
  // "Session Management").
  r->add_header("Mcp-Session-Id", sid);
  std::string key = gateway::id_key(id);
  asio::post(strand, [this, s, u = std::move(up.value()), line = std::move(line), key = std::move(key),
                      progress = std::move(progress), r]() mutable {
    std::string sid = s->id();
    s->start(std::move(u), [this, sid](const std::string& why) {
      sessions.remove(sid, why);
      metrics.sessions_open.fetch_sub(1, std::memory_order_relaxed);
      gateway::warn(opt.log_name, "session " + sid.substr(0, 8) + " ended: " + why);
    });
    s->request(std::move(line), std::move(key), std::move(progress), r);
  });
}

void Server::Impl::handle_get(Request& req, const ResponderPtr& r) {
  auto pv = header(req, "MCP-Protocol-Version");
  if (pv && *pv == kStatelessVersion) {  // no GET stream in 2026-07-28
    r->add_header("Allow", "POST");
    return r->json(405, http_error_body(kBadRequest, "Method Not Allowed: 2026-07-28 has no GET stream"));
  }
  if (pv && !is_stateful_version(*pv)) return r->json(400, unsupported_version_body(nullptr, *pv));
  if (!accepts(req, "text/event-stream"))
    return r->json(406, http_error_body(kBadRequest, "Not Acceptable: Accept must list text/event-stream"));
  auto sid = header(req, "Mcp-Session-Id");
  if (!sid) return r->json(400, http_error_body(kBadRequest, "Bad Request: Mcp-Session-Id header is required"));
  std::string why;
  auto s = sessions.find(*sid, &why);
  if (!s) return r->json(404, http_error_body(kSessionNotFound, "Session not found", nullptr, "unknown-session"));
  std::optional<EventId> last;
  if (auto l = header(req, "Last-Event-ID")) {
    last = EventId::parse(*l);
    if (!last) return r->json(400, http_error_body(kBadRequest, "Bad Request: Last-Event-ID is not an id this server issued"));
  }
  asio::post(s->strand(), [s, r, last] { s->open_get(r, last); });
}

void Server::Impl::handle_delete(Request& req, const ResponderPtr& r) {
  auto pv = header(req, "MCP-Protocol-Version");
  if (pv && *pv == kStatelessVersion) {
    r->add_header("Allow", "POST");
    return r->json(405, http_error_body(kBadRequest, "Method Not Allowed: 2026-07-28 has no sessions"));
  }
  auto sid = header(req, "Mcp-Session-Id");
  if (!sid) return r->json(400, http_error_body(kBadRequest, "Bad Request: Mcp-Session-Id header is required"));
  auto s = sessions.find(*sid);
  if (!s) return r->json(404, http_error_body(kSessionNotFound, "Session not found", nullptr, "unknown-session"));
  // Gone for the client at once; the upstream's shutdown sequence runs in the background.
  sessions.remove(*sid, "ended by the client (DELETE)");
  asio::post(s->strand(), [s] { s->close("ended by the client (DELETE)"); });
  r->respond(200, "", "");
}

}  // namespace pqmcp::http
