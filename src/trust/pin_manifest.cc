#include "trust/pin_manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "trust/algorithms.h"

namespace pqmcp::trust {

namespace {

using p11::Error;
constexpr const char* kOp = "verify tool manifest";

Error bad(const std::string& why) { return p11::make_error(Error::Kind::kInput, kOp, "", why); }

// Exactly what mcp::tool_digest_string() produces, so that a pin from a manifest compares equal
// to a digest computed from a tools/list result.
bool well_formed_digest(const std::string& d) {
  constexpr std::string_view kPrefix = "sha3-256:";
  if (d.size() != kPrefix.size() + 64 || d.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  return std::all_of(d.begin() + kPrefix.size(), d.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

const char* state_word(mcp::KeyState s) {
  switch (s) {
    case mcp::KeyState::kRevoked: return "revoked";
    case mcp::KeyState::kExpired: return "expired";
    case mcp::KeyState::kNotYetValid: return "not yet valid";
    case mcp::KeyState::kValid: break;
  }
  return "valid";
}

}  // namespace

p11::Result<std::string> sign_pin_manifest(const PinManifest& m, const identity::KeyVersion& key,
                                           const identity::Signer& signer) {
  if (m.server.empty()) return bad("the manifest names no server");
  nlohmann::ordered_json tools = nlohmann::ordered_json::object();
  for (const auto& [name, d] : m.tools) {
    if (!well_formed_digest(d)) return bad("tool '" + name + "': digest is not sha3-256:<64 hex>");
    tools[name] = d;
  }
  nlohmann::ordered_json body;
  body["type"] = "pqmcp-tool-manifest";
  body["version"] = 1;
  body["issued_at"] = identity::rfc3339(m.issued_at);
  body["server"] = m.server;
  body["tools"] = tools;
  return identity::sign_document(body.dump(), key, signer, kManifestContext);
}

p11::Result<PinManifest> verify_pin_manifest(std::string_view text, const mcp::KeyResolver& keys,
                                             std::int64_t now_ms,
                                             const std::vector<std::string>& also_trusted) {
  auto kids = identity::bundle_signer_kids(text);  // the envelope is the bundle's
  if (!kids) return bad("not a pqmcp signed document");
  // The first signature whose key the trust bundle knows decides; a known but invalid key is
  // reported as such rather than skipped, so a revoked signer is never "unknown".
  for (const auto& kid : *kids) {
    mcp::ResolvedKey rk;
    if (kid.empty() || !keys.lookup(kid, now_ms, rk)) continue;
    if (rk.state != mcp::KeyState::kValid)
      return p11::make_error(Error::Kind::kToken, kOp, "", "the signing key " + kid + " is " + state_word(rk.state));
    auto pk = identity::public_key_from_raw(to_identity(rk.algorithm), rk.public_key);
    if (!pk) return std::move(pk).error();
    auto payload = identity::verify_document(text, *pk, kManifestContext, kOp);
    if (!payload) return std::move(payload).error();

    // Only now are the payload bytes trusted enough to parse.
    auto body = nlohmann::json::parse(payload->begin(), payload->end(), nullptr, false);
    if (body.is_discarded() || !body.is_object() || body.value("type", "") != "pqmcp-tool-manifest" ||
        body.value("version", 0) != 1)
      return bad("the payload is not a version 1 tool manifest");
    PinManifest m;
    m.signer_kid = kid;
    m.signer_identity = rk.identity;
    m.server = body.value("server", "");
    if (m.server.empty() || !body.contains("server") || !body["server"].is_string())
      return bad("the manifest names no server");
    auto at = identity::parse_rfc3339(body.value("issued_at", ""));
    if (!at) return bad("missing or malformed issued_at");
    m.issued_at = *at;
    if (m.issued_at * 1000 > now_ms + 300'000) return bad("the manifest is issued in the future; check the clock");
    if (rk.identity != m.server &&
        std::find(also_trusted.begin(), also_trusted.end(), rk.identity) == also_trusted.end())
      return p11::make_error(Error::Kind::kToken, kOp, "",
                             "signed by '" + rk.identity + "', which may not vouch for the tools of '" + m.server + "'");
    if (!body.contains("tools") || !body["tools"].is_object()) return bad("the manifest lists no tools");
    for (const auto& [name, d] : body["tools"].items()) {
      if (!d.is_string() || !well_formed_digest(d.get<std::string>()))
        return bad("tool '" + name + "': digest is not sha3-256:<64 lower-case hex>");
      m.tools[name] = d.get<std::string>();
    }
    return m;
  }
  return p11::make_error(Error::Kind::kNotFound, kOp, "", "no signature by a key the trust bundle knows");
}

p11::Result<PinManifest> apply_pin_manifest(mcp::PinStore& store, std::string_view text,
                                            const mcp::KeyResolver& keys, std::int64_t now_ms,
                                            const std::vector<std::string>& also_trusted) {
  auto m = verify_pin_manifest(text, keys, now_ms, also_trusted);
  if (!m) return m;
  store.pin_manifest(m->server, m->tools);
  return m;
}

}  // namespace pqmcp::trust
