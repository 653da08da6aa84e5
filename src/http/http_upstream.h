// An MCP server reached over Streamable HTTP as the upstream of `pqmcp serve` (upstream.h):
// `pqmcp serve --upstream https://host/mcp` fronts an HTTP MCP server (for instance mcp-proxy
// in front of a stdio server) exactly like a child process. One Client (client.h), and so one
// upstream MCP session, per gateway session.
#pragma once

#include <string>

#include "http/client_tls.h"
#include "http/upstream.h"

namespace pqmcp::http {

struct HttpUpstreamOptions {
  std::string url;             // http:// or https://
  ClientTlsOptions tls;        // verification of an https upstream (default: the system's CAs)
  std::size_t max_line = 16u << 20;
  std::size_t max_connections = 8;
  std::string log_name = "pqmcp serve";
};

// Checks the URL and builds the TLS context once (shared by every session). Errors are a sentence.
Result<UpstreamFactory, std::string> http_upstream_factory(const HttpUpstreamOptions& o);

// True for a factory made by http_upstream_factory: its server may speak MCP 2026-07-28, so
// `pqmcp serve` forwards stateless requests to it (stateless.cc) instead of refusing them.
bool is_http_upstream(const UpstreamFactory& f);

}  // namespace pqmcp::http
