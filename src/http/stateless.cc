// MCP 2026-07-28 (stateless) POSTs (basic/transports/streamable-http.mdx). The gateway parses the
// body, so it is a "server that processes the message body" for SEP-2243: it validates the
// mirrored headers against the body before anything else (400 + HeaderMismatch -32020).
//
// The upstream behind `pqmcp serve --upstream -- COMMAND` is a stdio server of the 2025 era
// (initialize, sessions): it cannot serve a stateless request. After validation the gateway
// therefore answers 400 with UnsupportedProtocolVersion (-32022) listing the 2025 versions it
// serves statefully on the same endpoint — the modern error a dual-era client recognises before
// falling back (2026-07-28 basic/versioning.mdx: fallback on an inspected 400, not on a code).
#include "gateway/gate.h"
#include "http/mirror.h"
#include "http/server_impl.h"

namespace pqmcp::http {

namespace {
std::optional<std::string> header(const Request& req, std::string_view name) {
  auto it = req.find(name);
  if (it == req.end()) return std::nullopt;
  return std::string(it->value());
}
}  // namespace

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
  if (!c.ok) {
    metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
    return r->json(c.http_status, mirror_error_body(id, c));
  }
  json::Value supported = json::Value::array();
  for (auto v : kStatefulVersions) supported.push_back(std::string(v));
  json::Value e = {{"jsonrpc", "2.0"},
                   {"id", id},
                   {"error",
                    {{"code", mcp_code::kUnsupportedProtocolVersion},
                     {"message", "this gateway's upstream speaks the 2025 (stateful) protocol; initialize a session"},
                     {"data", {{"supported", supported}, {"requested", *h.protocol_version}}}}}};
  r->json(400, gateway::dump(e));
}

}  // namespace pqmcp::http
