#include "cli/tls_binding.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <nlohmann/json.hpp>

#include "gateway/gate.h"
#include "http/client_tls.h"
#include "identity/encoding.h"
#include "identity/keystore.h"
#include "identity/registry.h"
#include "identity/signed_doc.h"
#include "json/json.h"
#include "trust/algorithms.h"

namespace pqmcp::cli {

namespace {
constexpr const char* kType = "pqmcp-tls-binding";
constexpr int kVersion = 1;
constexpr std::int64_t kSkewSeconds = 300;  // clocks of the two machines may disagree this much
}  // namespace

int write_tls_binding(Context& ctx, const std::string& identity_name, const http::Server& s, const std::string& url,
                      bool self_signed, const std::string& path) {
  auto* id = ctx.registry().find(identity_name);
  const identity::KeyVersion* k = id ? id->signing_key() : nullptr;
  if (!k) return fail(kExitNotFound, "pqmcp serve: identity '" + identity_name + "' has no active key for --tls-binding");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json st = {{"typ", kType},  {"v", kVersion},
                       {"identity", identity_name},    {"kid", k->kid},
                       {"url", url},                   {"spki_sha256", s.spki_sha256()},
                       {"cert_sha256", s.certificate_fingerprint()}, {"iat", now}};
  // Never longer than the certificate: a self-signed one lives for this run (a week at most),
  // another until its notAfter.
  std::int64_t exp = s.certificate_not_after();
  if (self_signed || exp <= 0) exp = exp > 0 ? std::min<std::int64_t>(exp, now + 7 * 24 * 3600) : now + 7 * 24 * 3600;
  st["exp"] = exp;
  const std::string text = st.dump(2) + "\n";
  auto d = identity::sign_file(*k, ctx.resolver(), text);
  if (!d) return fail(d.error());
  if (auto w = identity::write_file_atomic(path, text, 0644); !w) return fail(w.error());
  if (auto w = identity::write_file_atomic(path + ".sig", d->to_json(), 0644); !w) return fail(w.error());
  gateway::warn("pqmcp serve", "TLS binding for '" + identity_name + "' written to " + path + " (+ .sig)");
  return kExitOk;
}

int check_tls_binding(const std::string& path, const mcp::KeyResolver& keys, const std::string& server_identity,
                      const std::vector<mcp::Algorithm>& allowed, std::int64_t now_ms, const std::string& name,
                      std::string& fingerprint) {
  const std::string what = name + ": --tls-binding " + path + ": ";
  // Every refusal is exit 1, a missing file included: nothing was sent, the binding did not hold.
  auto text = identity::read_file(path);
  if (!text) return fail(kExitVerifyFailed, what + text.error().to_string());
  auto sigtext = identity::read_file(path + ".sig");
  if (!sigtext) return fail(kExitVerifyFailed, what + sigtext.error().to_string());
  auto d = identity::DetachedSignature::parse(*sigtext);
  if (!d) return fail(kExitVerifyFailed, what + "bad signature file: " + d.error().message);
  // The key as the trust bundle lists it now: known, valid, the server identity's, and of an
  // algorithm this gateway accepts for messages (gateway.algorithms): the pin is only as strong
  // as the signature that names it.
  mcp::ResolvedKey k;
  if (!keys.lookup(d->kid, now_ms, k)) return fail(kExitVerifyFailed, what + "signed by kid " + d->kid + ", which the trust bundle does not list");
  if (k.identity != server_identity)
    return fail(kExitVerifyFailed, what + "signed by '" + k.identity + "', not by the server identity '" + server_identity + "'");
  if (k.state != mcp::KeyState::kValid) return fail(kExitVerifyFailed, what + "key " + d->kid + " is not valid now (expired, revoked or not yet valid)");
  if (std::find(allowed.begin(), allowed.end(), k.algorithm) == allowed.end())
    return fail(kExitVerifyFailed, what + "signed with " + std::string(mcp::algorithm_id(k.algorithm)) +
                                       ", which gateway.algorithms does not accept");
  identity::PublicKey pk{trust::to_identity(k.algorithm), k.public_key};
  if (pk.alg != d->alg) return fail(kExitVerifyFailed, what + "the signature's algorithm is not the key's");
  auto ok = identity::verify_file(pk, *text, *d);
  if (!ok) return fail(ok.error(), kExitVerifyFailed);
  if (!*ok) return fail(kExitVerifyFailed, what + "the signature does not match the statement");
  // Signed, but read strictly all the same (I-JSON: a duplicate member would let two readers of
  // one signed text see two different certificates), and every member checked for its type.
  auto parsed = json::parse(*text);
  if (!parsed || !parsed->is_object()) return fail(kExitVerifyFailed, what + "the statement is not a JSON object");
  const json::Value& st = *parsed;
  auto str = [&](const char* m) -> std::string {
    const auto it = st.find(m);
    if (it == st.end() || !it->is_string()) return "";
    const std::string v = *it;
    return v;
  };
  auto num = [&](const char* m) -> std::optional<std::int64_t> {
    const auto it = st.find(m);
    if (it == st.end() || !it->is_number_integer()) return std::nullopt;
    if (it->is_number_unsigned()) {  // above INT64_MAX it would wrap to a negative time
      const std::uint64_t u = *it;
      if (u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    }
    const std::int64_t v = *it;
    return v;
  };
  if (str("typ") != kType || num("v") != kVersion) return fail(kExitVerifyFailed, what + "not a version-1 pqmcp TLS binding");
  if (str("identity") != server_identity || str("kid") != d->kid)
    return fail(kExitVerifyFailed, what + "the statement names '" + str("identity") + "' (kid " + str("kid") + "), not its signer");
  const std::int64_t now = now_ms / 1000;
  const auto iat = num("iat"), exp = num("exp");
  if (!iat || *iat > now + kSkewSeconds) return fail(kExitVerifyFailed, what + "issued in the future (or no iat)");
  // A binding ends with its certificate at the latest: without exp, a leaked TLS key would stay
  // pinned for as long as the identity key lives.
  if (!exp || *exp <= now) return fail(kExitVerifyFailed, what + "expired (or no exp)");
  if (!http::parse_fingerprint(str("cert_sha256"))) return fail(kExitVerifyFailed, what + "no certificate fingerprint (cert_sha256)");
  fingerprint = str("cert_sha256");
  return kExitOk;
}

}  // namespace pqmcp::cli
