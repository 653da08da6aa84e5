// The storage interface of the log: one ordered table of entries whose indices the database
// assigns, the tree's right edge (CompactRange) updated in the same transaction, and the signed
// checkpoints. Backends: SQLite (sqlite_storage.h, default, embedded) and PostgreSQL
// (pg/pg_storage.h, shared by several gateways). docs/audit-log.md "Storage".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/merkle.h"
#include "audit/result.h"

namespace pqmcp::audit {

struct AppendResult {
  std::uint64_t first = 0;  // index of the batch's first leaf
  std::uint64_t size = 0;   // tree size after the batch
  Hash root{};              // root at that size
};

struct Head {
  std::uint64_t size = 0;
  Hash root{};
};

struct StoredCheckpoint {
  std::uint64_t size = 0;
  std::string note;  // the signed note, verbatim
};

// What a verifier reads. Nothing here is trusted by the verifier: it recomputes every hash.
class LogReader {
 public:
  virtual ~LogReader() = default;
  // Number of stored entry rows (not necessarily contiguous if the store was tampered with).
  virtual Result<std::uint64_t> entry_count() = 0;
  // Calls fn(index, data, recorded_leaf_hash) for every row with begin <= index < end in index
  // order; fn returns false to stop. recorded is empty when the backend keeps none.
  using ScanFn = std::function<bool(std::uint64_t, std::string_view, std::span<const std::uint8_t>)>;
  virtual Status scan(std::uint64_t begin, std::uint64_t end, const ScanFn& fn) = 0;
  // Every stored checkpoint, by size then insertion order.
  virtual Result<std::vector<StoredCheckpoint>> checkpoints() = 0;
};

class Storage : public LogReader {
 public:
  // One transaction: indices head.size … head.size+n-1 are assigned by the database, the leaves
  // and the new right edge are written, and the call returns only after the commit is durable
  // (fsync). Concurrent callers, in this or other processes, are serialised by the backend.
  virtual Result<AppendResult> append(std::span<const std::string> leaves) = 0;
  virtual Result<Head> head() = 0;
  virtual Status add_checkpoint(std::uint64_t size, std::string_view note) = 0;
};

// SQLite in WAL mode with synchronous=FULL (sqlite_storage.cc). Creates the file if absent.
// relaxed: synchronous=NORMAL instead — a commit survives the process being killed; the WAL is
// fsynced when a checkpoint is added, so a power loss or OS crash can only lose entries newer than
// the last checkpoint. For libpqhsm's key-operation log (`keyops_log = relaxed`, its default).
Result<std::unique_ptr<Storage>> open_sqlite(const std::string& path, bool read_only = false, bool relaxed = false);

}  // namespace pqmcp::audit
