// The gateway's decisions in the tamper-evident audit log (docs/audit-log.md): each AuditRecord
// becomes one audit::Entry (no payload, only the SHA-256 of the message) appended through an
// audit::Writer, i.e. group commit into the configured storage and checkpoints signed every N
// entries or T seconds. record() only queues (the entry — message digest, canonical bytes — is
// made on the writer's thread): the relay never waits for an fsync; the queue is
// bounded, and a relay that outruns the storage for longer than `max_wait` loses records, which
// are counted and reported on stderr (docs/gateway.md "Audit").
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "audit/entry.h"
#include "audit/note.h"
#include "audit/storage.h"
#include "audit/writer.h"
#include "gateway/audit_sink.h"

namespace pqmcp::gateway {

struct MerkleSinkOptions {
  audit::WriterOptions writer;      // origin, checkpoint cadence (signers are filled by open())
  std::string source;               // the entries' `source`; empty: the record's side
  std::string log_name = "pqmcp";   // prefix of stderr lines
  std::size_t max_pending = 16384;  // records queued and not yet durable
  std::chrono::milliseconds max_wait{2000};  // how long record() may wait for queue space
  bool final_checkpoint = true;     // sign the head when the sink closes
};

// AuditRecord → Entry: direction request/notification/response (results and errors; an invalid
// line counts as a request when it came from the client side, else a response), decision
// allow/deny (a dropped message was refused: deny; observe mode: allow with rule "observe:…"),
// rule = the policy rule or, when no policy decided, the gateway's reason code, verify = the
// verification result, msg_sha256 = the record's digest. Wire strings are made valid UTF-8 and
// bounded, so the conversion cannot fail.
audit::Entry to_entry(const AuditRecord& r, const std::string& source);

class MerkleSink final : public AuditSink {
 public:
  MerkleSink(std::unique_ptr<audit::Storage> store, std::vector<std::unique_ptr<audit::NoteSigner>> signers,
             MerkleSinkOptions o);
  // Commits everything queued, signs a final checkpoint, reports failures on stderr.
  ~MerkleSink() override;
  MerkleSink(const MerkleSink&) = delete;
  MerkleSink& operator=(const MerkleSink&) = delete;

  void record(const AuditRecord& r) noexcept override;
  // Blocks until every record queued so far is durable (or failed).
  void flush();
  std::uint64_t written() const { return written_; }
  std::uint64_t failures() const { return failures_; }

 private:
  void failed(const std::string& why) noexcept;

  MerkleSinkOptions opt_;
  DigestBudget budget_;
  std::unique_ptr<audit::Storage> store_;
  std::vector<std::unique_ptr<audit::NoteSigner>> signers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t pending_ = 0;
  std::atomic<std::uint64_t> written_{0}, failures_{0};
  bool reported_ = false;
  std::unique_ptr<audit::Writer> writer_;  // last: destroyed first, before what its callbacks use
};

}  // namespace pqmcp::gateway
