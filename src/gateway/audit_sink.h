// Where the gateway's decisions go. One record per message that crosses a filter: what it was,
// who sent it, what verification said and what the gateway did. The JSON-lines file sink is the
// interim store; the Merkle audit log (src/audit) plugs in behind the same interface.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

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
  // The filters' own bookkeeping, never seen by a sink: the bytes received, whose SHA-256
  // becomes `digest` when the record is handed over (after the message has moved on). Shared,
  // so that copies of a record (one per withheld tool of a tools/list) do not copy the message.
  std::shared_ptr<const std::string> digest_of;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Must not throw and must not block the relay for long; failures are counted, not raised.
  virtual void record(const AuditRecord& r) noexcept = 0;
};

// Appends one JSON object per line to a file (created 0600), one write per record. The filters
// hand records over once the message's output is written (gateway::Side::audit), so a crash of
// the gateway loses at most the records of the lines it handled since its last write.
class JsonLinesSink final : public AuditSink {
 public:
  static Result<std::unique_ptr<JsonLinesSink>, std::string> open(const std::string& path);
  ~JsonLinesSink() override;
  void record(const AuditRecord& r) noexcept override;
  std::uint64_t failures() const { return failures_; }

 private:
  explicit JsonLinesSink(int fd) : fd_(fd) {}
  int fd_;
  std::mutex mu_;
  std::uint64_t failures_ = 0;
};

// Discards everything (no --audit and no configured path).
class NullSink final : public AuditSink {
 public:
  void record(const AuditRecord&) noexcept override {}
};

std::string to_json_line(const AuditRecord& r);

}  // namespace pqmcp::gateway
