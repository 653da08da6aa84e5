// JSON-RPC 2.0 / MCP message model for both protocol eras, and where pqmcp's signature envelope
// sits in each kind of message (docs/protocol.md §3).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "json/json.h"

namespace pqmcp::mcp {

using json::Value;

// The vendor prefix. MCP reserves prefixes whose second label is "modelcontextprotocol" or
// "mcp" (MCP 2025-11-25 and 2026-07-28 basic/index.mdx, "_meta"); "io.pqmcp/" is neither.
inline constexpr std::string_view kPrefix = "io.pqmcp/";
inline constexpr std::string_view kSigKey = "io.pqmcp/sig";
inline constexpr std::string_view kDataKey = "io.pqmcp/data";

enum class Kind : std::uint8_t { kRequest, kNotification, kResult, kError };
enum class Era : std::uint8_t {
  kUnknown,     // nothing in the message says (most 2025-era messages after initialize)
  k2025_11_25,  // initialize / a 2025-era protocolVersion
  k2026_07_28,  // stateless: params._meta["io.modelcontextprotocol/protocolVersion"]
};

const char* kind_name(Kind k) noexcept;

struct MessageInfo {
  Kind kind;
  Value id;            // null for notifications (and for error responses to unparseable input)
  std::string method;  // requests and notifications
  Era era = Era::kUnknown;
};

// JSON-RPC 2.0 §4 (request/notification) and §5 (response) structure, with MCP's narrowing:
// params, when present, is an object; a request id is a string or an integer (MCP forbids null).
Result<MessageInfo, std::string> classify(const Value& msg) noexcept;

// The object that holds (or will hold) the envelope: params._meta, result._meta or error.data.
// Returns nullptr when absent. For error responses whose data was wrapped, error.data itself.
const Value* envelope_holder(const Value& msg, Kind kind) noexcept;

// Places env at its position for msg's kind, creating params / params._meta / result._meta as
// needed and wrapping a non-object or empty error.data as {"io.pqmcp/data": data} (§3.3).
// Fails if the slot exists with the wrong type (e.g. params._meta is a string).
Result<bool, std::string> place_envelope(Value& msg, Kind kind, Value env) noexcept;

// The message as it is signed (§4.2): error.data unwrapped, then every member whose name starts
// with "io.pqmcp/" removed at every depth.
Value signed_view(const Value& msg, Kind kind);

// The message as delivered to the application after verification: signed_view(), plus an
// error.data or params/_meta that pqmcp created and that is now empty is removed again.
Value strip_envelope(const Value& msg, Kind kind);
// The same from signed_view(msg, kind) already at hand (a signed message is ~5 KB: one copy less).
Value strip_envelope(Value view, const Value& msg, Kind kind);

// Tool-definition digest (§8): SHA3-256 over "io.pqmcp/tool/v1" ‖ 0x00 ‖ JCS(tool minus
// io.pqmcp/ members).
Result<std::array<std::uint8_t, 32>, std::string> tool_digest(const Value& tool) noexcept;

// RFC 4648 §5 base64url without padding, and its strict inverse (rejects padding, whitespace,
// and non-canonical trailing bits so that one signature has exactly one encoding).
std::string b64url_encode(std::span<const std::uint8_t> in);
bool b64url_decode(std::string_view in, std::vector<std::uint8_t>& out);

}  // namespace pqmcp::mcp
