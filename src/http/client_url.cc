#include "http/client_url.h"

#include <charconv>

namespace pqmcp::http {

std::string Url::host_header() const {
  // (Built with append: GCC 12 warns falsely about operator+ chains here, -Wrestrict.)
  std::string h;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) h.push_back('[');
  h.append(host);
  if (v6) h.push_back(']');
  if (port != (tls ? 443 : 80)) h.append(":").append(std::to_string(port));
  return h;
}

std::string Url::str() const {
  std::string s = tls ? "https://" : "http://";
  s.append(host_header()).append(target);
  return s;
}

Result<Url, std::string> parse_url(std::string_view s) {
  Url u;
  if (s.substr(0, 8) == "https://") {
    s.remove_prefix(8);
  } else if (s.substr(0, 7) == "http://") {
    u.tls = false;
    u.port = 80;
    s.remove_prefix(7);
  } else {
    return unexpected<std::string>("the URL must start with https:// or http://");
  }
  for (char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F)
      return unexpected<std::string>("the URL contains a space, control or non-ASCII character");
  if (s.find('#') != std::string_view::npos) return unexpected<std::string>("the URL must not have a fragment");
  std::size_t slash = s.find_first_of("/?");
  std::string_view auth = s.substr(0, slash);
  u.target = "/";
  if (slash != std::string_view::npos) {
    std::string_view rest = s.substr(slash);
    if (rest.front() == '/') rest.remove_prefix(1);  // "?q" becomes "/?q"
    u.target.append(rest);
  }
  if (auth.find('@') != std::string_view::npos)
    return unexpected<std::string>("the URL must not contain user information (credentials never go in a URL)");
  std::string_view port;
  if (!auth.empty() && auth.front() == '[') {
    auto close = auth.find(']');
    if (close == std::string_view::npos) return unexpected<std::string>("unterminated IPv6 literal in the URL");
    u.host = std::string(auth.substr(1, close - 1));
    auth.remove_prefix(close + 1);
    if (!auth.empty()) {
      if (auth.front() != ':') return unexpected<std::string>("unexpected characters after the IPv6 literal");
      port = auth.substr(1);
    }
  } else {
    auto colon = auth.find(':');
    u.host = std::string(auth.substr(0, colon));
    if (colon != std::string_view::npos) port = auth.substr(colon + 1);
  }
  if (u.host.empty()) return unexpected<std::string>("the URL has no host");
  if (!port.empty() || (auth.size() && auth.back() == ':')) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || p != port.data() + port.size() || v == 0 || v > 65535)
      return unexpected<std::string>("the URL's port is not a number from 1 to 65535");
    u.port = static_cast<std::uint16_t>(v);
  }
  return u;
}

}  // namespace pqmcp::http
