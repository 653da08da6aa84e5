// Tool-definition pinning (docs/protocol.md §8): per server identity, the digest of every tool
// definition, pinned on first use or from a signed manifest; a changed definition (a "rug pull",
// OWASP MCP03) is reported until a person re-approves it (`pqmcp tools approve`).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mcp/message.h"

namespace pqmcp::mcp {

enum class PinVerdict : std::uint8_t {
  kMatch,     // digest equals the pin
  kPinnedNow, // first sight, pinned (trust on first use)
  kUnpinned,  // first sight, not pinned (first use disabled): withhold until approved
  kChanged,   // differs from the pin: withhold until approved (reason pin-mismatch)
};

const char* pin_verdict_name(PinVerdict v) noexcept;

struct ToolVerdict {
  std::string tool;
  PinVerdict verdict;
  std::string digest;  // "sha3-256:<hex>" of the definition seen
  std::string pinned;  // the pin it was compared with (empty if none)
};

class PinStore {
 public:
  // Loads path; a missing file is an empty store. Malformed content is an error, never
  // silently discarded (a truncated pin file must not turn every tool into "first use").
  static Result<PinStore, std::string> load(std::string path);

  // Checks a tools/list result's "tools" array. Records pending digests for changed tools.
  Result<std::vector<ToolVerdict>, std::string> check(const std::string& server_identity,
                                                      const Value& tools,
                                                      bool trust_on_first_use = true);
  // Pins from a manifest {tool name: "sha3-256:<hex>"} whose signature the caller verified.
  void pin_manifest(const std::string& server_identity,
                    const std::map<std::string, std::string>& digests);
  // Accepts the pending definition of a tool; if expected_digest is non-empty it must equal the
  // pending digest (approve exactly what the person was shown). False if nothing matches.
  bool approve(const std::string& server_identity, const std::string& tool,
               const std::string& expected_digest = "");
  // Writes the store atomically: temporary file, fsync, rename, fsync of the directory.
  Result<bool, std::string> save() const;

  const Value& document() const { return doc_; }

 private:
  std::string path_;
  Value doc_;  // {"version":1,"servers":{id:{tool:{"digest","source","pending"?}}}}
};

std::string tool_digest_string(const Value& tool);

}  // namespace pqmcp::mcp
