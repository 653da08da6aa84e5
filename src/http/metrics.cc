#include "http/metrics.h"

namespace pqmcp::http {

void Metrics::count_group(const std::string& group) {
  std::lock_guard<std::mutex> l(mu_);
  ++groups_[group.empty() ? "none" : group];
}

std::uint64_t Metrics::group_count(const std::string& group) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = groups_.find(group);
  return it == groups_.end() ? 0 : it->second;
}

std::string Metrics::render() const {
  std::string o;
  auto line = [&o](const char* name, const std::atomic<std::uint64_t>& v) {
    o += name;
    o += ' ';
    o += std::to_string(v.load(std::memory_order_relaxed));
    o += '\n';
  };
  line("pqmcp_connections_total", connections_total);
  line("pqmcp_connections_open", connections_open);
  line("pqmcp_connections_refused_total", connections_refused);
  line("pqmcp_tls_handshake_failures_total", tls_handshake_failures);
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [g, n] : groups_) o += "pqmcp_tls_handshakes_total{group=\"" + g + "\"} " + std::to_string(n) + "\n";
  }
  line("pqmcp_http_requests_total", requests_total);
  line("pqmcp_messages_in_total", messages_in);
  line("pqmcp_messages_out_total", messages_out);
  line("pqmcp_sessions_total", sessions_total);
  line("pqmcp_sessions_open", sessions_open);
  line("pqmcp_sessions_refused_total", sessions_refused);
  line("pqmcp_sessions_expired_total", sessions_expired);
  line("pqmcp_upstream_exits_total", upstream_exits);
  line("pqmcp_origin_refused_total", origin_refused);
  line("pqmcp_too_large_total", too_large);
  line("pqmcp_timeouts_total", timeouts);
  line("pqmcp_bad_requests_total", bad_requests);
  return o;
}

}  // namespace pqmcp::http
