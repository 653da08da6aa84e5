// DNS-rebinding protection (MCP 2025-11-25 basic/transports "Security Warning": servers MUST
// validate the Origin header on all incoming connections and answer 403 when it is present and
// invalid). A page on evil.example that rebinds its name to 127.0.0.1 still sends its own Origin
// and its own Host, so both are checked: the Origin against an allow-list, the Host against the
// names the server is reachable under.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pqmcp::http {

class OriginCheck {
 public:
  // allowed_origins: exact origins ("https://app.example.com"); empty = loopback origins only
  // (http/https on localhost, 127.0.0.1, [::1], any port). allowed_hosts: extra Host names
  // besides the loopback names (a server bound to a public address lists its DNS names here).
  OriginCheck(std::vector<std::string> allowed_origins, std::vector<std::string> allowed_hosts)
      : origins_(std::move(allowed_origins)), hosts_(std::move(allowed_hosts)) {}

  // No Origin header: allowed (not a browser, or a same-origin navigation); "null" and any
  // origin not allowed: refused.
  bool origin_ok(std::optional<std::string_view> origin) const;
  // The Host header (RFC 9110 §7.2: host[:port]); a missing Host is refused (RFC 9112 §3.2).
  bool host_ok(std::optional<std::string_view> host) const;

  // "localhost", "127.0.0.1", "[::1]" (port removed) — the names a loopback server answers to.
  static bool is_loopback_host(std::string_view host_without_port);
  // Splits "host:port" / "[v6]:port" and returns the host part ("" when malformed).
  static std::string host_part(std::string_view hostport);

 private:
  std::vector<std::string> origins_, hosts_;
};

}  // namespace pqmcp::http
