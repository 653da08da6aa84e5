// Proof files anyone can check offline, and the export bundle for auditors
// (docs/audit-log.md "Proof files", "Export").
//   Inclusion: c2sp.org/tlog-proof@v1, with the entry bytes in the `extra` line.
//   Consistency: pqmcp.dev/consistency-proof@v1 (same shape: header, base64 path, blank line,
//   the newer checkpoint verbatim).
#pragma once

#include "audit/note.h"
#include "audit/storage.h"

namespace pqmcp::audit {

// All leaf hashes of the first n entries, refusing gaps (proof generation needs a whole prefix).
Result<std::vector<Hash>> load_leaf_hashes(LogReader& log, std::uint64_t n);

std::string inclusion_proof_file(std::string_view entry, std::uint64_t index, std::span<const Hash> path,
                                 std::string_view checkpoint_note);
std::string consistency_proof_file(std::uint64_t old_size, const Hash& old_root, std::span<const Hash> path,
                                   std::string_view checkpoint_note);

struct CheckedProof {
  bool inclusion = true;
  VerifiedCheckpoint checkpoint;
  std::uint64_t index = 0;   // inclusion
  std::string entry;         // inclusion
  std::uint64_t old_size = 0;  // consistency
  Hash old_root{};
};
// Checks either kind: the checkpoint's signatures against keys, then the RFC 9162 proof.
Result<CheckedProof> check_proof_file(std::string_view text, std::span<const VerifierKey> keys);

// Export bundle:
//   pqmcp-audit-export/v1\n  checkpoints <K>\n  (note <bytes>\n<note>) × K  entries <N>\n  (<entry>\n) × N
Status write_export(LogReader& log, std::uint64_t size, std::ostream& out);
// An export read back as a LogReader for the verifier.
Result<std::unique_ptr<LogReader>> read_export(const std::string& path);

}  // namespace pqmcp::audit
