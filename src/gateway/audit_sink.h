// Where the gateway's decisions go. One record per message that crosses a filter: what it was,
// who sent it, what verification said and what the gateway did. The JSON-lines file sink is the
// interim store; the Merkle audit log (src/audit) plugs in behind the same interface.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "json/result.h"

namespace pqmcp::gateway {

struct AuditRecord {
  std::int64_t ts_ms = 0;
  std::string side;          // "connect" | "wrap"
  std::string direction;     // "c2s" (client → server) | "s2c"
  std::string kind;          // request | notification | result | error | invalid
  std::string method;        // requests and notifications; for responses the request's method
  std::string id;            // JSON text of the JSON-RPC id ("" for notifications)
  std::string target;        // tool name, resource URI or prompt name, when there is one
  std::string agent;         // the agent identity of the session (when known)
  std::string sender, kid;   // who signed the message (verified, or this side when it signed)
  std::string digest;        // "sha256:<hex>" of the message bytes as received
  std::string verification;  // "ok", a verification reason (docs/protocol.md §6), or "signed"
  std::string decision;      // "allow" | "deny" | "observe" (would deny, passed) | "drop"
  std::string reason;        // why (policy reason, verification reason, pin verdict, …)
  std::string rule;          // the policy rule that decided, when a policy did
  // The bytes received, whose SHA-256 becomes `digest` (resolve_digest) where the sink builds its
  // record, off the relay's path when the sink has its own thread. Shared, so that copies of a
  // record (one per withheld tool of a tools/list) do not copy the message.
  std::shared_ptr<const std::string> digest_of;
};

// Sets r.digest from r.digest_of (unless a digest is set already) and drops the bytes. Out of
// memory leaves the digest empty: the record still goes out.
void resolve_digest(AuditRecord& r) noexcept;

// How many bytes of messages a sink may hold unhashed in its queue (records hand their message
// over for hashing off the relay's path). Beyond it record() hashes on the caller's thread, so a
// peer sending large messages while the storage stalls cannot make a sink hold more.
class DigestBudget {
 public:
  static constexpr std::size_t kDefaultBytes = std::size_t{8} << 20;
  explicit DigestBudget(std::size_t bytes = kDefaultBytes) : left_(bytes) {}
  // The record to queue: r itself, or with its digest resolved now when the budget has no room.
  // `charged` receives what to give back once the digest has been computed.
  AuditRecord admit(const AuditRecord& r, std::size_t& charged);
  void give_back(std::size_t n) noexcept { left_.fetch_add(n, std::memory_order_relaxed); }

 private:
  std::atomic<std::size_t> left_;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Must not throw and must not block the relay for long; failures are counted, not raised.
  virtual void record(const AuditRecord& r) noexcept = 0;
};

// Appends one JSON object per line to a file (created 0600). record() only queues: a thread of
// the sink hashes, formats and writes the records, those handed over within `linger` of each
// other in one write() (O_APPEND: the lines of one write never interleave with another
// process's, such as connect and wrap sharing a file). A record reaches the file at most
// `linger` after it was handed over (plus the write itself); the destructor, which every exit of
// a gateway short of SIGKILL reaches, writes the rest, so an outright kill loses at most the last
// `linger` of records. At kMaxQueued records a caller waits for room (the thread holds at most
// one more batch while writing): memory stays bounded and no record is dropped; so are the
// message bytes held for hashing (DigestBudget). A record handed over after the destructor began
// is counted as a failure. docs/gateway.md "Audit".
class JsonLinesSink final : public AuditSink {
 public:
  static constexpr std::chrono::milliseconds kDefaultLinger{5};
  static constexpr std::size_t kMaxQueued = 8192;
  static Result<std::unique_ptr<JsonLinesSink>, std::string> open(
      const std::string& path, std::chrono::milliseconds linger = kDefaultLinger);
  ~JsonLinesSink() override;
  JsonLinesSink(const JsonLinesSink&) = delete;
  JsonLinesSink& operator=(const JsonLinesSink&) = delete;
  void record(const AuditRecord& r) noexcept override;
  // Blocks until every record handed over so far is written (or failed).
  void flush() noexcept;
  std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  JsonLinesSink(int fd, std::chrono::milliseconds linger);
  void run() noexcept;
  void write_batch(std::vector<std::pair<AuditRecord, std::size_t>>& batch) noexcept;
  int fd_;
  const std::chrono::milliseconds linger_;
  std::mutex mu_;
  std::condition_variable work_;  // records queued (woken only when the thread is parked), stop, flush
  std::condition_variable done_;  // a batch was written: room in the queue, flush() progress
  std::vector<std::pair<AuditRecord, std::size_t>> queue_;  // with the bytes charged to budget_
  DigestBudget budget_;
  std::uint64_t queued_ = 0, written_ = 0;  // records handed over / written (or failed) so far
  std::uint64_t flush_to_ = 0;              // a flush() waits for written_ to reach this
  bool parked_ = false, stop_ = false;
  std::atomic<std::uint64_t> failures_{0};
  std::thread thread_;
};

// Discards everything (no --audit and no configured path).
class NullSink final : public AuditSink {
 public:
  void record(const AuditRecord&) noexcept override {}
};

std::string to_json_line(const AuditRecord& r);

}  // namespace pqmcp::gateway
