// The MCP endpoint a client talks to: http:// or https:// URLs only (RFC 3986 §3 syntax, the
// subset MCP's Streamable HTTP needs: host, port, path and query; no user info, no fragment).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "json/result.h"

namespace pqmcp::http {

struct Url {
  bool tls = true;
  std::string host;    // without brackets for IPv6 literals
  std::uint16_t port = 443;
  std::string target;  // path and query, "/" when empty
  // The Host header value (RFC 9110 §7.2): brackets for IPv6, the port unless it is the default.
  std::string host_header() const;
  std::string str() const;
};

// Parses and validates; errors are a sentence naming what is wrong.
Result<Url, std::string> parse_url(std::string_view text);

}  // namespace pqmcp::http
