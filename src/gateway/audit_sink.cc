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

AuditRecord DigestBudget::admit(const AuditRecord& r, std::size_t& charged) {
  AuditRecord out = r;
  charged = 0;
  if (!out.digest_of || !out.digest.empty()) return out;
  const std::size_t n = out.digest_of->size();
  std::size_t left = left_.load(std::memory_order_relaxed);
  while (left >= n && !left_.compare_exchange_weak(left, left - n, std::memory_order_relaxed)) {
  }
  if (left >= n) charged = n;
  else resolve_digest(out);  // no room: hashed here, the message is not held
  return out;
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
    std::size_t charged = 0;
    AuditRecord rec = budget_.admit(r, charged);
    std::unique_lock lk(mu_);
    done_.wait(lk, [&] { return queue_.size() < kMaxQueued || stop_; });
    if (stop_) {  // the writer is gone or going: nothing would write this record
      lk.unlock();
      budget_.give_back(charged);
      failures_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.emplace_back(std::move(rec), charged);
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
  work_.notify_one();  // ends a linger; a parked thread has nothing queued, so nothing to wait for
  done_.wait(lk, [&] { return written_ >= target || stop_; });
}

// The writer: parked until a record comes, then it lingers so that the records of the next few
// milliseconds share its write, writes them, and goes on while records keep coming.
void JsonLinesSink::run() noexcept {
  std::unique_lock lk(mu_);
  for (;;) {
    if (queue_.empty()) {
      if (stop_) return;
      parked_ = true;  // record() wakes a parked thread; flush() has nothing to wait for then
      work_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      parked_ = false;
      continue;
    }
    work_.wait_for(lk, linger_, [&] { return stop_ || flush_to_ > written_ || queue_.size() >= kMaxQueued; });
    std::vector<std::pair<AuditRecord, std::size_t>> batch;
    batch.swap(queue_);
    lk.unlock();
    write_batch(batch);
    lk.lock();
    written_ += batch.size();
    done_.notify_all();
  }
}

void JsonLinesSink::write_batch(std::vector<std::pair<AuditRecord, std::size_t>>& batch) noexcept {
  std::string out;
  std::size_t lines = 0;
  for (auto& [r, charged] : batch) {
    resolve_digest(r);
    budget_.give_back(charged);
  }
  try {
    for (auto& [r, charged] : batch) {
      out += to_json_line(r);
      out.push_back('\n');
      ++lines;
    }
  } catch (...) {  // out of memory: the lines formatted so far still go out
  }
  std::size_t off = 0;
  while (off < out.size()) {
    const ssize_t n = ::write(fd_, out.data() + off, out.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  // Every record not written whole counts (a line cut by a failed write counts as lost).
  std::size_t whole = 0;
  for (std::size_t i = 0, pos = 0; i < lines; ++i) {
    pos = out.find('\n', pos);
    if (pos == std::string::npos || pos >= off) break;
    ++whole, ++pos;
  }
  if (whole < batch.size()) failures_.fetch_add(batch.size() - whole, std::memory_order_relaxed);
}

}  // namespace pqmcp::gateway
