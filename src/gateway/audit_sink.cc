#include "gateway/audit_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "json/json.h"

namespace pqmcp::gateway {

std::string to_json_line(const AuditRecord& r) {
  json::Value v = json::Value::object();
  v["ts"] = r.ts_ms;
  v["side"] = r.side;
  v["dir"] = r.direction;
  v["kind"] = r.kind;
  auto put = [&](const char* k, const std::string& s) {
    if (!s.empty()) v[k] = s;
  };
  put("method", r.method);
  put("id", r.id);
  put("target", r.target);
  put("agent", r.agent);
  put("sender", r.sender);
  put("kid", r.kid);
  put("digest", r.digest);
  put("verification", r.verification);
  put("decision", r.decision);
  put("reason", r.reason);
  put("rule", r.rule);
  // Strings from the wire may be arbitrary bytes; replace rather than throw.
  return v.dump(-1, ' ', false, json::Value::error_handler_t::replace);
}

Result<std::unique_ptr<JsonLinesSink>, std::string> JsonLinesSink::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return unexpected("cannot open audit file " + path + ": " + std::strerror(errno));
  return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(fd));
}

JsonLinesSink::~JsonLinesSink() {
  if (fd_ >= 0) ::close(fd_);
}

void JsonLinesSink::record(const AuditRecord& r) noexcept {
  try {
    std::string line = to_json_line(r);
    line.push_back('\n');
    std::lock_guard lk(mu_);
    // One write per record: O_APPEND keeps concurrent writers (connect and wrap sharing a file)
    // from interleaving inside a line.
    std::size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ++failures_;
        return;
      }
      off += static_cast<std::size_t>(n);
    }
  } catch (...) {
    ++failures_;
  }
}

}  // namespace pqmcp::gateway
