// Shared assembly of a gateway end (gateway_setup.h).
#include "cli/gateway_setup.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <type_traits>

#include "cli/audit_config.h"
#include "gateway/connect_filter.h"
#include "gateway/wrap_filter.h"
#include "identity/encoding.h"
#include "identity/signed_doc.h"
#include "trust/algorithms.h"
#include "trust/bundle_resolver.h"
#include "trust/hsm_signer.h"

namespace pqmcp::cli {

using namespace gateway;

namespace {

// One [gateway] key into `out` when present. A value of the wrong type (a number in quotes, a
// string where a number belongs) is a configuration error, not a silent default.
template <typename T>
bool read_key(const toml::table& gt, const char* key, T& out, std::string& err) {
  const toml::node* n = gt.get(key);
  if (!n) return true;
  if constexpr (std::is_same_v<T, bool>) {
    if (auto v = n->value_exact<bool>()) return out = *v, true;
    err = std::string("gateway.") + key + " must be true or false";
  } else if constexpr (std::is_integral_v<T>) {
    if (auto v = n->value_exact<std::int64_t>()) {
      if (*v >= 0 && static_cast<std::uint64_t>(*v) <= static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        return out = static_cast<T>(*v), true;
      err = std::string("gateway.") + key + " must be between 0 and " + std::to_string(std::numeric_limits<T>::max()) +
            ", not " + std::to_string(*v);
      return false;
    }
    err = std::string("gateway.") + key + " must be a whole number";
  } else {
    if (auto v = n->value_exact<std::string>()) return out = *v, true;
    err = std::string("gateway.") + key + " must be a string";
  }
  return false;
}

}  // namespace

int load_gw_conf(const Config& c, GwConf& g) {
  g.audit = c.data_dir + "/gateway-audit.jsonl";
  g.pins = c.data_dir + "/tool-pins.json";  // shared with `pqmcp tools`
  toml::table t;
  try {
    t = toml::parse_file(c.path);
  } catch (const toml::parse_error& e) {
    return fail(kExitConfig, c.path + ": " + std::string(e.description()));
  }
  if (const toml::node* node = t.get("gateway"); node && !node->is_table())
    return fail(kExitConfig, c.path + ": [gateway] must be a table");
  if (auto* gt = t["gateway"].as_table()) {
    // A misspelt key (`answer_wait = 0`) would otherwise leave its setting at the default unseen.
    static constexpr const char* kKeys[] = {
        "mode", "policy", "audit", "bundle", "admin_key", "server_identity", "pins", "max_message",
        "shutdown_timeout_ms", "trust_on_first_use", "answer_wait_ms", "algorithms"};
    for (auto&& [k, v] : *gt) {
      (void)v;
      if (std::find(std::begin(kKeys), std::end(kKeys), k.str()) == std::end(kKeys))
        return fail(kExitConfig, c.path + ": gateway." + std::string(k.str()) + " is not a setting (docs/gateway.md)");
    }
    std::string err;
    const bool ok = read_key(*gt, "mode", g.mode, err) && read_key(*gt, "policy", g.policy, err) &&
                    read_key(*gt, "audit", g.audit, err) && read_key(*gt, "bundle", g.bundle, err) &&
                    read_key(*gt, "admin_key", g.admin_key, err) &&
                    read_key(*gt, "server_identity", g.server_identity, err) && read_key(*gt, "pins", g.pins, err) &&
                    read_key(*gt, "max_message", g.max_message, err) &&
                    read_key(*gt, "shutdown_timeout_ms", g.shutdown_ms, err) &&
                    read_key(*gt, "trust_on_first_use", g.trust_on_first_use, err) &&
                    read_key(*gt, "answer_wait_ms", g.answer_wait_ms, err);
    if (!ok) return fail(kExitConfig, c.path + ": " + err);
    if (g.answer_wait_ms > 600'000)
      return fail(kExitConfig, c.path + ": gateway.answer_wait_ms must be at most 600000 (10 minutes), not " +
                                   std::to_string(g.answer_wait_ms));
    if (const toml::node* a = gt->get("algorithms")) {
      if (!a->is_array()) return fail(kExitConfig, c.path + ": gateway.algorithms must be an array of strings");
      g.algorithms.clear();
      for (auto& x : *a->as_array()) {
        auto s = x.value_exact<std::string>();
        if (!s) return fail(kExitConfig, c.path + ": gateway.algorithms must be an array of strings");
        g.algorithms.push_back(*s);
      }
    }
  }
  return kExitOk;
}

// Verification keys: the trust bundle (anchored by a pinned admin key), else the local registry
// (for a single machine whose registry knows both ends).
int make_resolver(Context& ctx, const GwConf& gc, std::unique_ptr<mcp::KeyResolver>& out) {
  const std::int64_t t = identity::now();
  if (!gc.bundle.empty()) {
    auto text = identity::read_file(gc.bundle);
    if (!text) return fail(text.error());
    identity::PublicKey admin;
    if (!gc.admin_key.empty()) {
      auto kt = identity::read_file(gc.admin_key);
      if (!kt) return fail(kt.error());
      auto k = identity::parse_public_key(*kt);
      if (!k) return fail(k.error());
      admin = *k;
    } else {
      auto kids = identity::bundle_signer_kids(*text);
      if (!kids) return fail(kids.error(), kExitVerifyFailed);
      bool found = false;
      for (auto& kid : *kids)
        if (auto [i, k] = ctx.registry().find_kid(kid); k && k->valid_at(t)) admin = k->public_key, found = true;
      if (!found) return fail(kExitVerifyFailed, "the trust bundle's signer is not a known identity; set gateway.admin_key or --admin-key");
    }
    auto r = trust::BundleKeyResolver::load(*text, admin, t);
    if (!r) return fail(r.error(), kExitVerifyFailed);
    out = std::move(r.value());
    return kExitOk;
  }
  auto r = std::make_unique<mcp::StaticKeyResolver>();
  for (auto& id : ctx.registry().identities())
    for (auto& k : id.keys) {
      auto a = trust::to_mcp(k.public_key.alg);
      if (!a) continue;
      r->add(k.kid, *a, k.public_key.raw, id.name, INT64_MIN, k.not_after ? k.not_after * 1000 : INT64_MAX);
      if (k.status == identity::KeyStatus::kRevoked) r->revoke(k.kid, k.revoked_at * 1000);
    }
  out = std::move(r);
  return kExitOk;
}

// gateway.audit / --audit (docs/gateway.md "Audit"): "log" = the [audit] Merkle log, "jsonl:PATH"
// or a plain path = JSON lines, "none" or empty = nowhere. The default (the JSON-lines path under
// data_dir) becomes the Merkle log as soon as the config has an [audit] table.
int open_audit_sink(Context& ctx, const GwConf& gc, std::unique_ptr<AuditSink>& out) {
  if (gc.audit.empty() || gc.audit == "none") {
    out = std::make_unique<NullSink>();
    return kExitOk;
  }
  const bool by_default = gc.audit == ctx.config().data_dir + "/gateway-audit.jsonl" && audit_log_configured(ctx.config());
  if (gc.audit == "log" || by_default) {
    auto m = open_merkle_audit_sink(ctx, "pqmcp");
    if (!m) return fail(m.error(), kExitConfig);
    out = std::move(m.value());
    return kExitOk;
  }
  const std::string path = gc.audit.rfind("jsonl:", 0) == 0 ? gc.audit.substr(6) : gc.audit;
  auto s = JsonLinesSink::open(path);
  if (!s) return fail(kExitIo, s.error());
  out = std::move(s.value());
  return kExitOk;
}

void apply_overrides(const GwOverrides& v, GwConf& gc) {
  if (!v.mode.empty()) gc.mode = v.mode;
  if (!v.policy.empty()) gc.policy = v.policy;
  if (!v.audit.empty()) gc.audit = v.audit;
  if (!v.bundle.empty()) gc.bundle = v.bundle;
  if (!v.admin_key.empty()) gc.admin_key = v.admin_key;
  if (!v.server_identity.empty()) gc.server_identity = v.server_identity;
  if (v.max_message) gc.max_message = v.max_message;
  if (v.shutdown_ms >= 0) gc.shutdown_ms = v.shutdown_ms;
}

int build_gateway_end(Context& ctx, const GwConf& gc, GwRole role, const std::string& identity,
                      const std::string& log_name, GatewayEnd& e) {
  const bool wrap = role == GwRole::kWrap;
  FilterConfig& fc = e.fc;
  fc.log_name = log_name;
  fc.max_line = gc.max_message;
  fc.self = identity;
  if (!parse_mode(gc.mode, fc.mode)) return fail(kExitUsage, "mode must be require or observe, not '" + gc.mode + "'");
  auto* id = ctx.registry().find(identity);
  if (!id) return fail(kExitNotFound, "no identity named '" + identity + "'");
  if (!wrap) {
    fc.peer = gc.server_identity;
    if (fc.peer.empty()) {
      for (auto& i : ctx.registry().identities())
        if (i.role == "server") {
          if (!fc.peer.empty()) return fail(kExitUsage, "several server identities are known; name one with --server-identity");
          fc.peer = i.name;
        }
      if (fc.peer.empty()) return fail(kExitUsage, "name the server's identity with --server-identity");
    }
  }
  mcp::VerifierConfig vc;
  vc.allowed.clear();
  for (auto& a : gc.algorithms) {
    auto alg = mcp::algorithm_from_id(a);
    if (!alg) return fail(kExitConfig, "gateway.algorithms: unknown algorithm '" + a + "'");
    vc.allowed.push_back(*alg);
  }
  vc.audiences = {identity};
  vc.limits.max_bytes = gc.max_message;
  vc.seq_window = gc.seq_window;

  if (int rc = make_resolver(ctx, gc, e.keys)) return rc;
  auto signer = trust::HsmSigner::for_identity(*id, ctx.resolver(), identity::now());
  if (!signer) return fail(signer.error());
  e.signer = std::move(signer.value());
  if (int rc = open_audit_sink(ctx, gc, e.sink)) return rc;
  if (wrap && !gc.policy.empty()) {
    auto text = identity::read_file(gc.policy);
    if (!text) return fail(text.error());
    auto p = PolicyGate::parse(*text);
    if (!p) return fail(kExitUsage, "policy " + gc.policy + ": " + p.error());
    e.policy = std::move(p.value());
  } else if (wrap) {
    warn(log_name, "no policy configured (--policy or gateway.policy): every agent in the trust bundle may send every request");
  }

  e.verifier = std::make_unique<mcp::Verifier>(vc, *e.keys);
  if (wrap)
    e.filter = std::make_unique<WrapFilter>(fc, *e.signer, *e.verifier, *e.sink, e.policy.get());
  else
    e.filter = std::make_unique<ConnectFilter>(fc, *e.signer, *e.verifier, *e.sink, PinConfig{gc.pins, gc.trust_on_first_use},
                                               gc.answer_wait_ms);
  return kExitOk;
}

}  // namespace pqmcp::cli
