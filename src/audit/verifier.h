// The offline verifier (docs/audit-log.md "Verifier"): recomputes the whole tree from the stored
// entries, checks every checkpoint's signatures against trusted keys, detects forks (two signed
// roots for one size), truncation and rollback against the verifier's own state (the last
// checkpoint it accepted, kept outside the log like the Go sumdb client's), and names the first
// entry or checkpoint that is wrong.
#pragma once

#include <functional>
#include <optional>

#include "audit/note.h"
#include "audit/storage.h"

namespace pqmcp::audit {

struct VerifierState {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
  std::string checkpoint;  // the note last accepted
};

struct VerifyOptions {
  std::vector<VerifierKey> keys;
  std::string origin;                         // expected origin; empty: the checkpoints' own
  bool require_mldsa = true;                  // every checkpoint needs a verified ML-DSA line
  bool check_entries = true;                  // each entry must be a canonical Entry
  std::vector<std::string> extra_checkpoints; // notes from elsewhere (--checkpoint FILE)
  std::optional<VerifierState> state;         // what this verifier accepted last time
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

struct VerifyReport {
  bool ok = false;
  std::string problem;               // the first thing wrong, in words, when !ok
  std::uint64_t entries = 0;         // entries hashed
  std::uint64_t checkpoints = 0;     // checkpoints verified
  std::uint64_t uncovered = 0;       // entries after the newest checkpoint
  std::optional<VerifiedCheckpoint> latest;
  std::optional<VerifierState> new_state;  // what to persist when ok
};

// Error only for I/O; tampering gives ok == false with problem set.
Result<VerifyReport> verify_log(LogReader& log, const VerifyOptions& opt);

// The state file: JSON {"origin","size","root","checkpoint"}; written atomically.
Result<std::optional<VerifierState>> load_state(const std::string& path);
Status save_state(const std::string& path, const VerifierState& s);

}  // namespace pqmcp::audit
