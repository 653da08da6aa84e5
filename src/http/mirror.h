// MCP 2026-07-28 (stateless) request headers: the protocol version and the header mirroring of
// SEP-2243 (basic/transports/streamable-http.mdx "Standard headers"). Intermediaries route on
// these headers without parsing the body, so a server that does parse the body must make sure
// the two agree: a request whose headers say one thing and whose body says another is refused
// with 400 and the HeaderMismatch error (-32020) before anything acts on it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json/json.h"

namespace pqmcp::http {

inline constexpr std::string_view kStatelessVersion = "2026-07-28";
// 2025-era versions served statefully (sessions, initialize). MCP 2025-11-25 basic/transports
// "Protocol Version Header": with no header and no other way to tell, assume 2025-03-26.
inline constexpr std::string_view kStatefulVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
bool is_stateful_version(std::string_view v);

// MCP 2026-07-28 basic/index.mdx "Error codes".
namespace mcp_code {
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingRequiredClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;
}  // namespace mcp_code

// Header values as received (already unfolded; names compared case-insensitively by the caller).
struct MirroredHeaders {
  std::optional<std::string> protocol_version;  // MCP-Protocol-Version
  std::optional<std::string> method;            // Mcp-Method
  std::optional<std::string> name;              // Mcp-Name
  std::vector<std::pair<std::string, std::string>> params;  // Mcp-Param-*: (suffix, value)
};

struct MirrorCheck {
  bool ok = true;
  int http_status = 200;
  int code = 0;
  std::string message;
  std::string requested;  // -32022: the version the client asked for (data.requested)
};

// A header value in the SEP-2243 encoding: plain visible ASCII as is, anything else as
// "=?base64?<RFC 4648 §4 base64 of the UTF-8 bytes>?=". nullopt when the encoding is invalid.
std::optional<std::string> decode_header_value(std::string_view v);

// Checks a stateless POST body (one JSON-RPC request or notification) against its headers:
// MCP-Protocol-Version present and equal to params._meta["io.modelcontextprotocol/protocolVersion"]
// when the body carries it; Mcp-Method present and equal to `method`; Mcp-Name present and equal
// to params.name (tools/call, prompts/get) or params.uri (resources/read). Mcp-Param-* headers are
// not checked here (their meaning comes from the tool's inputSchema, which only the server
// knows); the gateway forwards them.
MirrorCheck check_mirrored(const MirroredHeaders& h, const json::Value& body);

// {"jsonrpc":"2.0","id":id,"error":{"code":…,"message":…}} for a refusal (id null if none); for
// -32022 with data {supported, requested} (2026-07-28 UnsupportedProtocolVersionError).
std::string mirror_error_body(const json::Value& id, const MirrorCheck& c);

}  // namespace pqmcp::http
