#include "gateway/gate.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <charconv>
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
  // Fetched once: EVP_sha256() makes EVP_Digest look the algorithm up in the provider on every
  // call, and this runs for every message relayed.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  unsigned char md[32];
  unsigned int len = 0;
  if (!sha256 || EVP_Digest(bytes.data(), bytes.size(), md, &len, sha256, nullptr) != 1) return "";
  static constexpr char k[] = "0123456789abcdef";
  std::string s = "sha256:";
  for (unsigned i = 0; i < len; ++i) s += k[md[i] >> 4], s += k[md[i] & 15];
  return s;
}

namespace {

std::string dump_one(const json::Value& v) { return v.dump(-1, ' ', false, json::Value::error_handler_t::replace); }

// ASCII other than the controls, '"' and '\\' is written as is by any JSON serialiser.
bool plain(const std::string& s) { return json::verbatim_prefix(s) == s.size(); }

void put_string(const std::string& s, std::string& out) {
  if (plain(s)) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
  } else {
    out.append(dump_one(json::Value(s)));
  }
}

// The same text as dump_one(), but strings without anything to escape are copied instead of
// being run through the serialiser's per-byte UTF-8 decoder: a signed message is mostly the
// 4.5 KB base64url signature, and this runs twice per round trip on the critical path.
void put(const json::Value& v, std::string& out) {
  switch (v.type()) {
    case json::Value::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        put_string(it.key(), out);
        out.push_back(':');
        put(it.value(), out);
      }
      out.push_back('}');
      break;
    }
    case json::Value::value_t::array: {
      out.push_back('[');
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out.push_back(',');
        put(v[i], out);
      }
      out.push_back(']');
      break;
    }
    case json::Value::value_t::string: put_string(v.get_ref<const std::string&>(), out); break;
    case json::Value::value_t::boolean: out.append(v.get<bool>() ? "true" : "false"); break;
    case json::Value::value_t::null: out.append("null"); break;
    case json::Value::value_t::number_integer:
    case json::Value::value_t::number_unsigned: {
      // (Setting up the serialiser for one number costs more than the number: it reads the locale.)
      char buf[24];
      auto r = v.is_number_unsigned() ? std::to_chars(buf, buf + sizeof buf, v.get<std::uint64_t>())
                                      : std::to_chars(buf, buf + sizeof buf, v.get<std::int64_t>());
      out.append(buf, r.ptr);
      break;
    }
    default: out.append(dump_one(v));  // floating point, binary
  }
}

}  // namespace

void put_json_string(const std::string& s, std::string& out) { put_string(s, out); }

std::string dump(const json::Value& v) {
  std::string out;
  out.reserve(256);
  put(v, out);
  return out;
}

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
