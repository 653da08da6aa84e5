#include "identity/signed_doc.h"

#include <nlohmann/json.hpp>

namespace pqmcp::identity {

using nlohmann::json;
using Kind = Error::Kind;

namespace {
Error bad(const char* op, const std::string& why) { return p11::make_error(Kind::kInput, op, "", why); }
std::string str(const json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
}  // namespace

std::string DetachedSignature::to_json() const {
  nlohmann::ordered_json j;
  j["type"] = "pqmcp-signature";
  j["version"] = 1;
  j["alg"] = alg_name(alg);
  j["kid"] = kid;
  j["ctx"] = takes_context(alg) ? std::string(kFileContext) : std::string();
  j["sig"] = base64url(sig);
  return j.dump(2) + "\n";
}

Result<DetachedSignature> DetachedSignature::parse(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || str(j, "type") != "pqmcp-signature")
    return bad("read signature", "not a pqmcp signature file");
  if (!j.contains("version") || j["version"] != 1) return bad("read signature", "unsupported signature version");
  DetachedSignature d;
  auto a = alg_from_name(str(j, "alg"));
  if (!a || !can_sign(*a)) return bad("read signature", "unknown signature algorithm '" + str(j, "alg") + "'");
  d.alg = *a;
  d.kid = str(j, "kid");
  auto sig = from_base64url(str(j, "sig"));
  if (d.kid.empty() || !sig) return bad("read signature", "missing kid or malformed sig");
  if (str(j, "ctx") != (takes_context(d.alg) ? std::string(kFileContext) : std::string()))
    return bad("read signature", "unexpected context '" + str(j, "ctx") + "'");
  d.sig = std::move(*sig);
  return d;
}

const BundleKey* Bundle::valid_key(std::string_view kid, std::int64_t t) const {
  for (auto& k : keys)
    if (k.key.kid == kid) return k.key.valid_at(t) ? &k : nullptr;
  return nullptr;
}

Result<std::string> export_bundle(const Registry& reg, const Identity& admin, const KeyVersion& admin_key,
                                  const Signer& signer, std::int64_t now) {
  nlohmann::ordered_json ids = nlohmann::ordered_json::array(), revoked = nlohmann::ordered_json::array();
  for (auto& i : reg.identities()) {
    nlohmann::ordered_json keys = nlohmann::ordered_json::array();
    for (auto& k : i.keys) {
      nlohmann::ordered_json jk;
      jk["kid"] = k.kid;
      jk["alg"] = alg_name(k.public_key.alg);
      jk["spki"] = base64url(k.public_key.spki_der());
      jk["not_before"] = rfc3339(k.created);
      jk["not_after"] = k.not_after ? nlohmann::ordered_json(rfc3339(k.not_after)) : nlohmann::ordered_json(nullptr);
      jk["status"] = status_name(k.status);
      keys.push_back(jk);
      if (k.status == KeyStatus::kRevoked)
        revoked.push_back(nlohmann::ordered_json{{"kid", k.kid}, {"name", i.name}, {"revoked_at", rfc3339(k.revoked_at)}});
    }
    nlohmann::ordered_json ji;
    ji["name"] = i.name;
    ji["role"] = i.role;
    ji["keys"] = keys;
    ids.push_back(ji);
  }
  nlohmann::ordered_json body;
  body["type"] = "pqmcp-trust-bundle";
  body["version"] = 1;
  body["issued_at"] = rfc3339(now);
  body["issuer"] = nlohmann::ordered_json{{"name", admin.name}, {"kid", admin_key.kid}};
  body["identities"] = ids;
  body["revoked"] = revoked;
  return sign_document(body.dump(), admin_key, signer, kBundleContext);
}

Result<std::string> sign_document(std::string_view payload, const KeyVersion& key, const Signer& signer,
                                  std::string_view ctx) {
  auto sig = signer(as_bytes(payload), as_bytes(ctx));
  if (!sig) return std::move(sig).error();
  nlohmann::ordered_json env;
  env["payload"] = base64url(as_bytes(payload));
  nlohmann::ordered_json one;
  one["kid"] = key.kid;
  one["alg"] = alg_name(key.public_key.alg);
  one["sig"] = base64url(*sig);
  env["signatures"] = nlohmann::ordered_json::array();
  env["signatures"].push_back(one);
  return env.dump(2) + "\n";
}

Result<std::vector<std::string>> bundle_signer_kids(std::string_view text) {
  json env = json::parse(text, nullptr, false);
  if (env.is_discarded() || !env.is_object() || !env.contains("signatures") || !env["signatures"].is_array())
    return bad("read trust bundle", "not a pqmcp trust bundle");
  std::vector<std::string> kids;
  for (auto& s : env["signatures"])
    if (s.is_object()) kids.push_back(str(s, "kid"));
  return kids;
}

Result<Bytes> verify_document(std::string_view text, const PublicKey& key, std::string_view ctx, const char* op) {
  json env = json::parse(text, nullptr, false);
  if (env.is_discarded() || !env.is_object() || !env.contains("signatures") || !env["signatures"].is_array())
    return bad(op, "not a pqmcp signed document");
  auto payload = from_base64url(str(env, "payload"));
  if (!payload || payload->empty()) return bad(op, "missing or malformed payload");
  const std::string kid = key.kid();
  bool verified = false;
  for (auto& s : env["signatures"]) {
    if (!s.is_object() || str(s, "kid") != kid) continue;
    auto a = alg_from_name(str(s, "alg"));
    if (!a || *a != key.alg) return bad(op, "signature algorithm '" + str(s, "alg") + "' is unknown or not the signing key's");
    auto sig = from_base64url(str(s, "sig"));
    if (!sig) return bad(op, "malformed signature");
    auto ok = verify(key, *payload, as_bytes(ctx), *sig);
    if (!ok) return std::move(ok).error();
    if (!*ok) return p11::make_error(Kind::kToken, op, "", "the signature does not verify: the document was altered or signed by another key");
    verified = true;
  }
  if (!verified) return p11::make_error(Kind::kNotFound, op, "", "no signature by the pinned key " + kid);
  return std::move(*payload);
}

Result<Bundle> verify_bundle(std::string_view text, const PublicKey& admin, std::int64_t now) {
  const char* op = "verify trust bundle";
  auto payload = verify_document(text, admin, kBundleContext, op);
  if (!payload) return std::move(payload).error();
  const std::string admin_kid = admin.kid();

  // Only now are the payload bytes trusted enough to parse.
  json body = json::parse(payload->begin(), payload->end(), nullptr, false);
  if (body.is_discarded() || !body.is_object() || str(body, "type") != "pqmcp-trust-bundle" || body.value("version", 0) != 1)
    return bad(op, "the payload is not a version 1 trust bundle");
  Bundle b;
  b.issued_at = parse_rfc3339(str(body, "issued_at")).value_or(0);
  if (body.contains("issuer") && body["issuer"].is_object()) {
    b.issuer = str(body["issuer"], "name");
    b.issuer_kid = str(body["issuer"], "kid");
  }
  if (b.issued_at > now + 300) return bad(op, "the bundle is issued in the future; check the clock");
  if (!body.contains("identities") || !body["identities"].is_array()) return bad(op, "the payload lists no identities");
  for (auto& ji : body["identities"]) {
    if (!ji.is_object() || !ji.contains("keys") || !ji["keys"].is_array()) return bad(op, "malformed identity entry");
    for (auto& jk : ji["keys"]) {
      BundleKey bk;
      bk.name = str(ji, "name");
      bk.role = str(ji, "role");
      auto a = alg_from_name(str(jk, "alg"));
      auto der = from_base64url(str(jk, "spki"));
      if (!a || !der) return bad(op, "key " + str(jk, "kid") + ": unknown algorithm or malformed spki");
      auto pk = parse_spki(*der);
      if (!pk || pk->alg != *a || pk->kid() != str(jk, "kid"))
        return bad(op, "key " + str(jk, "kid") + ": spki, alg and kid disagree");
      bk.key.public_key = pk.value();
      bk.key.kid = str(jk, "kid");
      bk.key.created = parse_rfc3339(str(jk, "not_before")).value_or(0);
      if (jk.contains("not_after") && jk["not_after"].is_string()) {
        auto na = parse_rfc3339(jk["not_after"].get<std::string>());
        if (!na) return bad(op, "key " + bk.key.kid + ": bad not_after");
        bk.key.not_after = *na;
      }
      const std::string st = str(jk, "status");
      bk.key.status = st == "revoked" ? KeyStatus::kRevoked : st == "retiring" ? KeyStatus::kRetiring : KeyStatus::kActive;
      if (st != "revoked" && st != "retiring" && st != "active") return bad(op, "key " + bk.key.kid + ": unknown status");
      b.keys.push_back(std::move(bk));
    }
  }
  // The revocation list wins over any status field.
  if (body.contains("revoked") && body["revoked"].is_array())
    for (auto& r : body["revoked"])
      for (auto& k : b.keys)
        if (r.is_object() && k.key.kid == str(r, "kid")) k.key.status = KeyStatus::kRevoked;
  for (auto& k : b.keys)
    if (k.key.kid == admin_kid && k.key.status == KeyStatus::kRevoked)
      return p11::make_error(Kind::kToken, op, "", "the bundle lists its own admin key as revoked");
  return b;
}

Result<bool> verify_file(const PublicKey& pk, std::string_view data, const DetachedSignature& d) {
  return verify(pk, as_bytes(data), takes_context(pk.alg) ? as_bytes(kFileContext) : std::span<const std::uint8_t>(), d.sig);
}

}  // namespace pqmcp::identity
