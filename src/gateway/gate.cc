#include "gateway/gate.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>

namespace pqmcp::gateway {

const char* mode_name(Mode m) noexcept { return m == Mode::kRequire ? "require" : "observe"; }

bool parse_mode(std::string_view s, Mode& out) noexcept {
  if (s == "require") return out = Mode::kRequire, true;
  if (s == "observe") return out = Mode::kObserve, true;
  return false;
}

std::int64_t wall_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[32];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  static constexpr char k[] = "0123456789abcdef";
  std::string s = "sha256:";
  for (unsigned i = 0; i < len; ++i) s += k[md[i] >> 4], s += k[md[i] & 15];
  return s;
}

std::string dump(const json::Value& v) { return v.dump(-1, ' ', false, json::Value::error_handler_t::replace); }

std::string id_key(const json::Value& id) { return dump(id); }

std::string target_of(const json::Value& msg) {
  auto p = msg.find("params");
  if (p == msg.end() || !p->is_object()) return "";
  for (const char* k : {"name", "uri"}) {
    auto it = p->find(k);
    if (it != p->end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

json::Value error_response(const json::Value& id, int c, const std::string& message, json::Value pqmcp_data) {
  json::Value err = {{"code", c}, {"message", message}};
  // Not under an io.pqmcp/ name: the peer gateway strips those members before delivery.
  if (!pqmcp_data.empty()) err["data"] = {{"pqmcp", std::move(pqmcp_data)}};
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(err)}};
}

void warn(const std::string& name, const std::string& msg) {
  std::string line = name + ": " + msg + "\n";
  [[maybe_unused]] auto n = ::write(2, line.data(), line.size());
}

const char* kind_str(mcp::Kind k) noexcept {
  switch (k) {
    case mcp::Kind::kRequest: return "request";
    case mcp::Kind::kNotification: return "notification";
    case mcp::Kind::kResult: return "result";
    case mcp::Kind::kError: return "error";
  }
  return "?";
}

}  // namespace pqmcp::gateway
