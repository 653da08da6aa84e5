#include "mcp/message.h"

#include <exception>

#include "crypto/sha3.h"
#include "mcp/b64url_avx2.h"

namespace pqmcp::mcp {

const char* kind_name(Kind k) noexcept {
  switch (k) {
    case Kind::kRequest: return "request";
    case Kind::kNotification: return "notification";
    case Kind::kResult: return "result";
    case Kind::kError: return "error";
  }
  return "?";
}

namespace {

bool is_pqmcp_key(std::string_view k) { return k.substr(0, kPrefix.size()) == kPrefix; }

bool valid_id(const Value& id) {
  // JSON-RPC 2.0 §4: "String, Number, or NULL"; MCP (schema RequestId) narrows to string or
  // integer and forbids null.
  return id.is_string() || id.is_number_integer() || id.is_number_unsigned();
}

Era detect_era(const Value& msg, const std::string& method) {
  if (method == "initialize") return Era::k2025_11_25;
  if (method == "server/discover") return Era::k2026_07_28;
  const auto p = msg.find("params");
  if (p != msg.end() && p->is_object()) {
    const auto m = p->find("_meta");
    if (m != p->end() && m->is_object() && m->contains("io.modelcontextprotocol/protocolVersion")) {
      return Era::k2026_07_28;
    }
  }
  const auto r = msg.find("result");
  if (r != msg.end() && r->is_object()) {
    // 2026-07-28: every result carries resultType; 2025 results never do.
    if (r->contains("resultType")) return Era::k2026_07_28;
    const auto pv = r->find("protocolVersion");
    if (pv != r->end() && pv->is_string()) {
      return *pv == "2026-07-28" ? Era::k2026_07_28 : Era::k2025_11_25;
    }
  }
  return Era::kUnknown;
}

void remove_pqmcp_keys(Value& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end();) {
      if (is_pqmcp_key(it.key())) {
        it = v.erase(it);
      } else {
        remove_pqmcp_keys(*it);
        ++it;
      }
    }
  } else if (v.is_array()) {
    for (auto& e : v) remove_pqmcp_keys(e);
  }
}

// v with every io.pqmcp/ member removed at any depth, built without copying them: a signed
// message's envelope holds the ~4.4 KB signature, which a copy-then-remove_pqmcp_keys would copy
// only to free it again.
Value copy_without_pqmcp_keys(const Value& v) {
  if (v.is_object()) {
    Value o = Value::object();
    auto& m = o.get_ref<Value::object_t&>();
    for (auto it = v.begin(); it != v.end(); ++it)
      if (!is_pqmcp_key(it.key())) m.emplace_hint(m.end(), it.key(), copy_without_pqmcp_keys(*it));
    return o;
  }
  if (v.is_array()) {
    Value a = Value::array();
    auto& arr = a.get_ref<Value::array_t&>();
    arr.reserve(v.size());
    for (const auto& e : v) arr.push_back(copy_without_pqmcp_keys(e));
    return a;
  }
  return v;
}

template <std::size_t N>
Result<std::array<std::uint8_t, 32>, std::string> labelled_digest(const char (&label)[N],
                                                                   const Value& v) noexcept {
  auto c = json::canonicalize(v);
  if (!c.ok()) return unexpected(std::string("cannot canonicalise: ") + c.error().message);
  std::string input(label, N);  // includes the terminating 0x00 separator
  input += *c;
  std::array<std::uint8_t, 32> d{};
  crypto::sha3_256({reinterpret_cast<const std::uint8_t*>(input.data()), input.size()}, d);
  return d;
}

}  // namespace

Result<MessageInfo, std::string> classify(const Value& msg) noexcept {
  if (!msg.is_object()) return unexpected(std::string("a JSON-RPC message is an object"));
  const auto jr = msg.find("jsonrpc");
  if (jr == msg.end() || *jr != "2.0") return unexpected(std::string("jsonrpc must be \"2.0\""));
  MessageInfo info{Kind::kRequest, nullptr, "", Era::kUnknown};
  const auto method = msg.find("method");
  const auto id = msg.find("id");
  if (method != msg.end()) {
    if (!method->is_string()) return unexpected(std::string("method must be a string"));
    if (msg.contains("result") || msg.contains("error")) {
      return unexpected(std::string("a request cannot carry result or error"));
    }
    const auto params = msg.find("params");
    if (params != msg.end() && !params->is_object()) {
      return unexpected(std::string("MCP params must be an object"));
    }
    info.method = method->get<std::string>();
    if (id == msg.end()) {
      info.kind = Kind::kNotification;  // JSON-RPC 2.0 §4.1
    } else {
      if (!valid_id(*id)) return unexpected(std::string("request id must be a string or integer"));
      info.kind = Kind::kRequest;
      info.id = *id;
    }
  } else {
    const bool has_result = msg.contains("result"), has_error = msg.contains("error");
    if (has_result == has_error) {
      return unexpected(std::string("a response has exactly one of result and error"));
    }
    if (id == msg.end()) return unexpected(std::string("a response must carry an id"));
    if (has_result) {
      if (!valid_id(*id)) return unexpected(std::string("response id must be a string or integer"));
      if (!msg.at("result").is_object()) return unexpected(std::string("MCP result must be an object"));
      info.kind = Kind::kResult;
    } else {
      // JSON-RPC 2.0 §5: id is null when the request's id could not be determined.
      if (!valid_id(*id) && !id->is_null()) return unexpected(std::string("bad error response id"));
      const Value& e = msg.at("error");
      if (!e.is_object() || !e.contains("code") || !e.at("code").is_number_integer() ||
          !e.contains("message") || !e.at("message").is_string()) {
        return unexpected(std::string("error must be {code: integer, message: string, data?}"));
      }
      info.kind = Kind::kError;
    }
    info.id = *id;
  }
  info.era = detect_era(msg, info.method);
  return info;
}

const Value* envelope_holder(const Value& msg, Kind kind) noexcept {
  const char* outer = kind == Kind::kResult ? "result" : kind == Kind::kError ? "error" : "params";
  const auto o = msg.find(outer);
  if (o == msg.end() || !o->is_object()) return nullptr;
  const auto h = o->find(kind == Kind::kError ? "data" : "_meta");
  if (h == o->end() || !h->is_object()) return nullptr;
  return &*h;
}

Result<bool, std::string> place_envelope(Value& msg, Kind kind, Value env) noexcept {
  try {
    if (kind == Kind::kError) {
      Value& err = msg["error"];
      const auto d = err.find("data");
      if (d == err.end()) {
        err["data"] = Value::object();
      } else if (!d->is_object() || d->empty() || d->contains(kDataKey)) {
        // §3.3: JSON-RPC error objects have no _meta, so the envelope rides in data; data that
        // is not a non-empty object is kept whole under "io.pqmcp/data" and restored on receipt.
        Value wrapped = Value::object();
        wrapped[std::string(kDataKey)] = std::move(*d);
        err["data"] = std::move(wrapped);
      }
      err["data"][std::string(kSigKey)] = std::move(env);
      return true;
    }
    Value& outer = msg[kind == Kind::kResult ? "result" : "params"];  // creates params (§3.1)
    if (outer.is_null()) outer = Value::object();
    if (!outer.is_object()) return unexpected(std::string("params/result is not an object"));
    Value& meta = outer["_meta"];
    if (meta.is_null()) meta = Value::object();
    if (!meta.is_object()) return unexpected(std::string("_meta is not an object"));
    meta[std::string(kSigKey)] = std::move(env);
    return true;
  } catch (const std::exception& e) {
    return unexpected(std::string("cannot place envelope: ") + e.what());
  }
}

Value signed_view(const Value& msg, Kind kind) {
  if (kind != Kind::kError) return copy_without_pqmcp_keys(msg);
  Value v = msg;  // an error's data may be wrapped under io.pqmcp/data: unwrap first, then remove
  {
    auto e = v.find("error");
    if (e != v.end() && e->is_object()) {
      auto d = e->find("data");
      if (d != e->end() && d->is_object() && d->contains(kDataKey)) {
        Value inner = std::move((*d)[std::string(kDataKey)]);
        *d = std::move(inner);
      }
    }
  }
  remove_pqmcp_keys(v);
  return v;
}

Value strip_envelope(const Value& msg, Kind kind) { return strip_envelope(signed_view(msg, kind), msg, kind); }

Value strip_envelope(Value v, const Value& msg, Kind kind) {
  const Value* before = envelope_holder(msg, kind);
  const bool wrapped = kind == Kind::kError && before && before->contains(kDataKey);
  if (before == nullptr || wrapped) return v;
  const bool had_ours = std::any_of(before->items().begin(), before->items().end(),
                                    [](const auto& kv) { return is_pqmcp_key(kv.key()); });
  if (!had_ours) return v;
  const char* outer = kind == Kind::kResult ? "result" : kind == Kind::kError ? "error" : "params";
  Value& o = v[outer];
  const char* inner = kind == Kind::kError ? "data" : "_meta";
  if (o.contains(inner) && o[inner].empty()) o.erase(inner);
  if (kind == Kind::kRequest || kind == Kind::kNotification) {
    if (o.empty()) v.erase("params");  // MCP treats absent and empty params alike
  }
  return v;
}

Result<std::array<std::uint8_t, 32>, std::string> tool_digest(const Value& tool) noexcept {
  try {
    Value t = tool;
    remove_pqmcp_keys(t);
    return labelled_digest("io.pqmcp/tool/v1", t);
  } catch (...) {
    return unexpected(std::string("out of memory"));
  }
}

namespace {
// Whether the base64url loops may take their AVX2 blocks (b64url_avx2.cc); decided once.
bool has_avx2() noexcept {
#if defined(__x86_64__)
  static const bool avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return avx2;
#else
  return false;
#endif
}
}  // namespace

std::string b64url_encode(std::span<const std::uint8_t> in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  std::size_t i = 0;
  // Whole groups are written into place (a signature is ~4.5 KB of base64url per message).
  out.resize(in.size() / 3 * 4);
  char* o = out.data();
#if defined(__x86_64__)
  if (has_avx2() && in.size() >= 28) {
    i = detail::b64url_encode_avx2(in.data(), in.size(), o);
    o += i / 3 * 4;
  }
#endif
  for (; i + 3 <= in.size(); i += 3, o += 4) {
    const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    o[0] = kAlphabet[(v >> 18) & 63];
    o[1] = kAlphabet[(v >> 12) & 63];
    o[2] = kAlphabet[(v >> 6) & 63];
    o[3] = kAlphabet[v & 63];
  }
  if (in.size() - i == 1) {
    const std::uint32_t v = in[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (in.size() - i == 2) {
    const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

namespace {
// Decoding table for the RFC 4648 §5 alphabet; 0xff marks every other byte. (Only public data
// is decoded here — signatures, nonces, digests — so a table lookup is fine.)
struct B64Table {
  std::uint8_t v[256];
  constexpr B64Table() : v{} {
    for (auto& x : v) x = 0xff;
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(a[i])] = static_cast<std::uint8_t>(i);
  }
};
constexpr B64Table kB64;
}  // namespace

bool b64url_decode(std::string_view in, std::vector<std::uint8_t>& out) {
  out.clear();
  if (in.size() % 4 == 1) return false;
  // Four characters make three bytes; the 2 or 3 characters at the end make 1 or 2.
  out.resize(in.size() / 4 * 3 + (in.size() % 4 ? in.size() % 4 - 1 : 0));
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  std::uint8_t* o = out.data();
  std::size_t i = 0;
#if defined(__x86_64__)
  if (has_avx2()) {
    i = detail::b64url_decode_avx2(in.data(), in.size(), o);
    if (i == SIZE_MAX) return out.clear(), false;
    o += i / 4 * 3;
  }
#endif
  for (; i + 4 <= in.size(); i += 4, o += 3) {
    const std::uint32_t a = kB64.v[p[i]], b = kB64.v[p[i + 1]], c = kB64.v[p[i + 2]], d = kB64.v[p[i + 3]];
    if ((a | b | c | d) & 0x80) return out.clear(), false;
    const std::uint32_t w = a << 18 | b << 12 | c << 6 | d;
    o[0] = static_cast<std::uint8_t>(w >> 16), o[1] = static_cast<std::uint8_t>(w >> 8), o[2] = static_cast<std::uint8_t>(w);
  }
  const std::size_t rest = in.size() - i;
  if (rest) {
    std::uint32_t w = 0;
    for (std::size_t k = 0; k < rest; ++k) {
      const std::uint32_t v = kB64.v[p[i + k]];
      if (v & 0x80) return out.clear(), false;
      w = w << 6 | v;
    }
    // RFC 4648 §3.5: leftover bits must be zero, so each byte string has one encoding.
    const int extra = rest == 2 ? 4 : 2;
    if (w & ((1u << extra) - 1)) return out.clear(), false;
    w >>= extra;
    if (rest == 3) *o++ = static_cast<std::uint8_t>(w >> 8);
    *o = static_cast<std::uint8_t>(w);
  }
  return true;
}

}  // namespace pqmcp::mcp
