// What both filters (connect, wrap) share: modes, the gateway's JSON-RPC error codes
// (docs/gateway.md "Errors"), the policy hook, and small message helpers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "gateway/audit_sink.h"
#include "json/json.h"
#include "mcp/message.h"

namespace pqmcp::gateway {

enum class Mode : std::uint8_t {
  kRequire,  // unsigned or invalid → rejected (JSON-RPC error, audit record)
  kObserve,  // unsigned or invalid → passed, warned on stderr, recorded
};
const char* mode_name(Mode m) noexcept;
bool parse_mode(std::string_view s, Mode& out) noexcept;

// JSON-RPC error codes. JSON-RPC 2.0 §5.1 leaves -32000..-32099 to implementations; MCP
// 2026-07-28 reserves -32020..-32099 for itself and the TypeScript SDK uses -32000/-32001
// (connection closed, request timeout), so pqmcp uses -32010..-32019.
namespace code {
inline constexpr int kParseError = -32700;       // not JSON
inline constexpr int kInvalidRequest = -32600;   // JSON, but not a JSON-RPC/MCP message
inline constexpr int kSignatureRejected = -32010;  // verification failed; data.pqmcp.reason
inline constexpr int kPolicyDenied = -32011;       // data.pqmcp.rule, data.pqmcp.reason
inline constexpr int kRateLimited = -32012;
inline constexpr int kToolBlocked = -32013;        // changed/unapproved tool definition
inline constexpr int kTooLarge = -32014;           // a message above the line limit
inline constexpr int kServerUnavailable = -32015;  // the server exited before answering
inline constexpr int kSigningFailed = -32016;      // the HSM refused or failed to sign
}  // namespace code

// The gateway-side policy check (src/policy behind an adapter; see policy_gate.h).
struct PolicyVerdict {
  bool allow = true;
  bool rate_limited = false;
  std::string rule, reason;
};
class PolicyCheck {
 public:
  virtual ~PolicyCheck() = default;
  // msg: the verified request as the server will see it. agent/kid: the verified sender.
  virtual PolicyVerdict check(const json::Value& msg, const std::string& agent, const std::string& kid,
                              std::int64_t now_ms) noexcept = 0;
};

// Common filter settings.
struct FilterConfig {
  Mode mode = Mode::kRequire;
  std::string self;       // this side's identity (the audience it accepts)
  std::string peer;       // the identity the other side must have ("" = any in the trust bundle)
  std::size_t max_line = 16u << 20;
  std::string log_name;   // prefix of stderr lines ("pqmcp connect" / "pqmcp wrap")
  bool quiet = false;     // no stderr lines at all (the fuzz harness; audit records still go out)
  std::function<std::int64_t()> now_ms;  // clock (tests step it)
};

std::int64_t wall_ms() noexcept;
// "sha256:<hex>" of bytes (the audit digest of a message as received).
std::string sha256_hex(std::string_view bytes);
// The JSON text of an id, used as a map key (1 and "1" stay distinct).
std::string id_key(const json::Value& id);
// The tool name, resource URI or prompt name a request is about, if any.
std::string target_of(const json::Value& msg);
// {"jsonrpc":"2.0","id":id,"error":{code,message,data:{"pqmcp":{reason,side,…}}}}.
json::Value error_response(const json::Value& id, int code, const std::string& message,
                           json::Value pqmcp_data = json::Value::object());
// Serialises without throwing (invalid UTF-8 is replaced; strict parsing already refused it).
std::string dump(const json::Value& v);
// Appends s as a JSON string, with dump()'s escaping and replacement rules.
void put_json_string(const std::string& s, std::string& out);
// Writes "<name>: <msg>" to stderr in one write.
void warn(const std::string& name, const std::string& msg);
const char* kind_str(mcp::Kind k) noexcept;

}  // namespace pqmcp::gateway
