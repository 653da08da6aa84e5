// One audit-log entry: the record of one decision, in a canonical JSON form whose exact bytes
// are the Merkle leaf (RFC 9162 §2.1.1 d[i]). No message payloads: only the SHA-256 of the
// message, so personal data can be erased elsewhere without breaking the tree (docs/audit-log.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "audit/result.h"

namespace pqmcp::audit {

struct Entry {
  std::int64_t time_ms = 0;  // Unix time in milliseconds (serialised as RFC 3339 UTC, ms)
  std::string source;        // which gateway / token wrote it ("gw-1", "pqhsm")
  std::string agent;         // agent identity name ("" when unknown)
  std::string kid;           // the agent key's kid ("" when unsigned)
  std::string direction;     // "request", "response", "notification", "key-op"
  std::string method;        // JSON-RPC method ("tools/call") or PKCS#11 operation
  std::string name;          // tool / resource / prompt name (or key label)
  std::string decision;      // "allow", "deny", "error"
  std::string rule;          // the policy rule that decided
  std::string verify;        // signature check: "ok", "bad-signature", "unsigned", "unknown-key", …
  std::string msg_sha256;    // hex SHA-256 of the message bytes (64 lower-case hex digits)

  // The canonical form: keys sorted by code unit, no whitespace, RFC 8785 string escaping;
  // every field always present, "v":1 first by sort order. Fails on invalid UTF-8, a bad
  // digest, or an unknown direction/decision.
  Result<std::string> canonical() const;
  // Parses a JSON object; unknown members are refused. `time` may be RFC 3339 or absent (0).
  static Result<Entry> from_json(std::string_view text);
  // Parses stored leaf bytes and checks they are exactly canonical (the verifier's check).
  static Result<Entry> from_canonical(std::string_view bytes);
  // The same verdict as from_canonical(bytes), with the same error message, without building an
  // Entry: the verifier's per-entry check. Valid entries are recognised by a single pass over
  // the bytes against the one canonical layout (no JSON tree, no allocation); anything that
  // does not match exactly is handed to from_canonical to produce its message.
  static Status check_canonical(std::string_view bytes);
};

std::string rfc3339_ms(std::int64_t ms);
// "2026-01-31T12:00:00Z" or with fractional seconds; false on anything else.
bool parse_rfc3339_ms(std::string_view s, std::int64_t& ms);
std::int64_t now_ms();

}  // namespace pqmcp::audit
