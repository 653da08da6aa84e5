#include "http/mirror.h"

#include <array>
#include <vector>

#include "audit/merkle.h"  // strict RFC 4648 §4 base64
#include "gateway/gate.h"

namespace pqmcp::http {

bool is_stateful_version(std::string_view v) {
  for (auto s : kStatefulVersions)
    if (s == v) return true;
  return false;
}

namespace {
// RFC 4648 §4, with padding required (the SEP's examples are padded).
std::optional<std::string> base64_decode(std::string_view in) {
  std::vector<std::uint8_t> b;
  if (!audit::from_base64(in, b)) return std::nullopt;
  return std::string(b.begin(), b.end());
}

MirrorCheck mismatch(std::string msg) { return MirrorCheck{false, 400, mcp_code::kHeaderMismatch, std::move(msg), {}}; }

std::optional<std::string> str_at(const json::Value& o, const char* k) {
  if (!o.is_object()) return std::nullopt;
  auto it = o.find(k);
  if (it == o.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}
}  // namespace

std::optional<std::string> decode_header_value(std::string_view v) {
  if (v.starts_with("=?base64?") && v.ends_with("?=") && v.size() >= 11)
    return base64_decode(v.substr(9, v.size() - 11));
  for (unsigned char c : v)
    if (c < 0x20 || c > 0x7e) return std::nullopt;
  return std::string(v);
}

MirrorCheck check_mirrored(const MirroredHeaders& h, const json::Value& body) {
  if (!h.protocol_version) return mismatch("MCP-Protocol-Version header missing");
  if (*h.protocol_version != kStatelessVersion)
    return MirrorCheck{false, 400, mcp_code::kUnsupportedProtocolVersion,
                       "unsupported protocol version " + *h.protocol_version, *h.protocol_version};
  const json::Value empty = json::Value::object();
  const json::Value& params = body.is_object() && body.contains("params") ? body["params"] : empty;
  if (params.is_object() && params.contains("_meta")) {
    auto pv = str_at(params["_meta"], "io.modelcontextprotocol/protocolVersion");
    if (pv && *pv != *h.protocol_version)
      return mismatch("MCP-Protocol-Version header " + *h.protocol_version + " does not match _meta protocolVersion " + *pv);
  }
  auto method = str_at(body, "method");
  if (!method) return MirrorCheck{false, 400, gateway::code::kInvalidRequest, "a stateless POST carries one request or notification", {}};
  if (!h.method) return mismatch("Mcp-Method header missing");
  auto hm = decode_header_value(*h.method);
  if (!hm || *hm != *method) return mismatch("Mcp-Method header does not match the body's method");
  const char* name_field = nullptr;
  if (*method == "tools/call" || *method == "prompts/get") name_field = "name";
  else if (*method == "resources/read") name_field = "uri";
  if (name_field) {
    auto bn = str_at(params, name_field);
    if (!h.name) return mismatch("Mcp-Name header missing");
    auto hn = decode_header_value(*h.name);
    if (!hn || !bn || *hn != *bn) return mismatch(std::string("Mcp-Name header does not match params.") + name_field);
  }
  return {};
}

std::string mirror_error_body(const json::Value& id, const MirrorCheck& c) {
  json::Value e = {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", c.code}, {"message", c.message}}}};
  if (c.code == mcp_code::kUnsupportedProtocolVersion)
    e["error"]["data"] = {{"supported", json::Value::array({std::string(kStatelessVersion), "2025-11-25", "2025-06-18", "2025-03-26"})},
                          {"requested", c.requested}};
  return gateway::dump(e);
}

}  // namespace pqmcp::http
