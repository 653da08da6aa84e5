// Counters of `pqmcp serve`, exposed as text at GET /metrics (Prometheus text exposition format
// 0.0.4: "name{label="v"} value" lines). Lock-free except the per-group table, which changes
// once per TLS handshake.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace pqmcp::http {

struct Metrics {
  std::atomic<std::uint64_t> connections_total{0}, connections_open{0}, connections_refused{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> requests_total{0}, messages_in{0}, messages_out{0};
  std::atomic<std::uint64_t> sessions_total{0}, sessions_open{0}, sessions_refused{0}, sessions_expired{0};
  std::atomic<std::uint64_t> upstream_exits{0};
  std::atomic<std::uint64_t> origin_refused{0}, too_large{0}, timeouts{0}, bad_requests{0};

  void count_group(const std::string& group);
  std::uint64_t group_count(const std::string& group) const;
  std::string render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> groups_;
};

}  // namespace pqmcp::http
