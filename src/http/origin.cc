#include "http/origin.h"

#include <algorithm>
#include <cctype>

namespace pqmcp::http {

namespace {
std::string lower(std::string_view s) {
  std::string o(s);
  std::transform(o.begin(), o.end(), o.begin(), [](unsigned char c) { return std::tolower(c); });
  return o;
}
bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}
}  // namespace

std::string OriginCheck::host_part(std::string_view hp) {
  if (hp.empty()) return "";
  if (hp.front() == '[') {
    auto close = hp.find(']');
    if (close == std::string_view::npos) return "";
    auto rest = hp.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !all_digits(rest.substr(1)))) return "";
    return lower(hp.substr(0, close + 1));
  }
  auto colon = hp.find(':');
  if (colon == std::string_view::npos) return lower(hp);
  if (!all_digits(hp.substr(colon + 1))) return "";
  return lower(hp.substr(0, colon));
}

bool OriginCheck::is_loopback_host(std::string_view h) {
  return h == "localhost" || h == "127.0.0.1" || h == "[::1]";
}

bool OriginCheck::origin_ok(std::optional<std::string_view> origin) const {
  if (!origin) return true;
  std::string o = lower(*origin);
  if (std::find(origins_.begin(), origins_.end(), o) != origins_.end()) return true;
  for (auto& a : origins_)
    if (lower(a) == o) return true;
  if (!origins_.empty()) return false;
  // RFC 6454 §6.2 serialisation: scheme "://" host [":" port], nothing else.
  std::string_view rest = o;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  else if (rest.starts_with("https://")) rest.remove_prefix(8);
  else return false;
  if (rest.find('/') != std::string_view::npos) return false;
  std::string h = host_part(rest);
  return !h.empty() && is_loopback_host(h);
}

bool OriginCheck::host_ok(std::optional<std::string_view> host) const {
  if (!host) return false;
  std::string h = host_part(*host);
  if (h.empty()) return false;
  if (is_loopback_host(h)) return true;
  for (auto& a : hosts_)
    if (lower(a) == h || lower(a) == lower(*host)) return true;
  return false;
}

}  // namespace pqmcp::http
