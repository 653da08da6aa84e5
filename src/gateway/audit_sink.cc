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

void resolve_digest(AuditRecord& r) noexcept {
  if (!r.digest_of) return;
  try {
    if (r.digest.empty()) r.digest = sha256_hex(*r.digest_of);
  } catch (...) {  // out of memory: the record goes out without its digest
  }
  r.digest_of.reset();
}

Result<std::unique_ptr<JsonLinesSink>, std::string> JsonLinesSink::open(const std::string& path,
                                                                      std::chrono::milliseconds linger) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return unexpected("cannot open audit file " + path + ": " + std::strerror(errno));
  try {
    return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(fd, linger));
  } catch (const std::exception& e) {  // the thread could not be started
    ::close(fd);
    return unexpected("cannot start the audit writer for " + path + ": " + e.what());
  }
}

JsonLinesSink::JsonLinesSink(int fd, std::chrono::milliseconds linger) : fd_(fd), linger_(linger) {
  thread_ = std::thread([this] { run(); });
}

JsonLinesSink::~JsonLinesSink() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  work_.notify_one();
  if (thread_.joinable()) thread_.join();  // it writes what is queued before it returns
  if (fd_ >= 0) ::close(fd_);
}

void JsonLinesSink::record(const AuditRecord& r) noexcept {
  try {
    std::unique_lock lk(mu_);
    done_.wait(lk, [&] { return queue_.size() < kMaxQueued || stop_; });
    queue_.push_back(r);
    ++queued_;
    // A thread that is writing or lingering picks the record up by itself: only a parked one
    // costs the relay a wake-up (once per burst, not per record).
    const bool wake = parked_;
    parked_ = false;
    lk.unlock();
    if (wake) work_.notify_one();
  } catch (...) {
    failures_.fetch_add(1, std::memory_order_relaxed);
  }
}

void JsonLinesSink::flush() noexcept {
  std::unique_lock lk(mu_);
  flush_to_ = std::max(flush_to_, queued_);
  const std::uint64_t target = queued_;
  parked_ = false;
  work_.notify_one();
  done_.wait(lk, [&] { return written_ >= target; });
}

// The writer: parked until a record comes, then it lingers so that the records of the next few
// milliseconds share its write, writes them, and goes on while records keep coming.
void JsonLinesSink::run() noexcept {
  std::unique_lock lk(mu_);
  for (;;) {
    if (queue_.empty()) {
      if (stop_) return;
      parked_ = true;
      work_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      continue;
    }
    work_.wait_for(lk, linger_, [&] { return stop_ || flush_to_ > written_ || queue_.size() >= kMaxQueued; });
    std::vector<AuditRecord> batch;
    batch.swap(queue_);
    lk.unlock();
    write_batch(batch);
    lk.lock();
    written_ += batch.size();
    done_.notify_all();
  }
}

void JsonLinesSink::write_batch(std::vector<AuditRecord>& batch) noexcept {
  std::string out;
  try {
    for (auto& r : batch) {
      resolve_digest(r);
      out += to_json_line(r);
      out.push_back('\n');
    }
  } catch (...) {  // out of memory: the lines formatted so far still go out
    failures_.fetch_add(1, std::memory_order_relaxed);
  }
  std::size_t off = 0;
  while (off < out.size()) {
    const ssize_t n = ::write(fd_, out.data() + off, out.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace pqmcp::gateway
