#include "gateway/audit_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gateway/gate.h"
#include "json/json.h"

namespace pqmcp::gateway {

std::string to_json_line(const AuditRecord& r) {
  // Written directly, members in sorted order as before (one line per decision, on the relay's
  // path): building a JSON object first cost more than the rest of the record.
  std::string out;
  out.reserve(384);
  out.push_back('{');
  bool first = true;
  // ts, side, dir and kind are always present; the other members only when set.
  auto put = [&](const char* k, const std::string& s, bool always = false) {
    if (s.empty() && !always) return;
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    out.append(k);
    out.append("\":");
    // Strings from the wire may be arbitrary bytes: replaced, never thrown on.
    put_json_string(s, out);
  };
  put("agent", r.agent);
  put("decision", r.decision);
  put("digest", r.digest);
  put("dir", r.direction, true);
  put("id", r.id);
  put("kid", r.kid);
  put("kind", r.kind, true);
  put("method", r.method);
  put("reason", r.reason);
  put("rule", r.rule);
  put("sender", r.sender);
  put("side", r.side, true);
  put("target", r.target);
  out.append(",\"ts\":");
  out.append(std::to_string(r.ts_ms));
  put("verification", r.verification);
  out.push_back('}');
  return out;
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
