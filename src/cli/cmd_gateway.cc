// `pqmcp wrap` (server side) and `pqmcp connect` (agent side): the stdio gateway (docs/gateway.md).
// Everything this command says goes to stderr: stdout is the MCP client's channel.
#include <cstdio>
#include <toml++/toml.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "gateway/connect_filter.h"
#include "gateway/policy_gate.h"
#include "gateway/wrap_filter.h"
#include "identity/encoding.h"
#include "identity/signed_doc.h"
#include "trust/algorithms.h"
#include "trust/bundle_resolver.h"
#include "trust/hsm_signer.h"

namespace pqmcp::cli {

namespace {

using namespace gateway;

struct GwOpts {
  std::string identity, peer, mode, policy, audit, bundle, admin_key;
  std::size_t max_message = 0;
  int shutdown_ms = -1;
  std::vector<std::string> command;
};
GwOpts o;

// The [gateway] table of the config; command-line options win.
struct GwConf {
  std::string mode = "require", policy, audit, bundle, admin_key, server_identity, pins;
  std::vector<std::string> algorithms{"mldsa65-ed25519"};
  std::size_t max_message = 16u << 20;
  int shutdown_ms = 2000;
  bool trust_on_first_use = true;
};

int load_gw_conf(const Config& c, GwConf& g) {
  g.audit = c.data_dir + "/gateway-audit.jsonl";
  g.pins = c.data_dir + "/tool-pins.json";  // shared with `pqmcp tools`
  toml::table t;
  try {
    t = toml::parse_file(c.path);
  } catch (const toml::parse_error& e) {
    return fail(kExitConfig, c.path + ": " + std::string(e.description()));
  }
  if (auto* gt = t["gateway"].as_table()) {
    g.mode = (*gt)["mode"].value_or(g.mode);
    g.policy = (*gt)["policy"].value_or(g.policy);
    g.audit = (*gt)["audit"].value_or(g.audit);
    g.bundle = (*gt)["bundle"].value_or(g.bundle);
    g.admin_key = (*gt)["admin_key"].value_or(g.admin_key);
    g.server_identity = (*gt)["server_identity"].value_or(g.server_identity);
    g.pins = (*gt)["pins"].value_or(g.pins);
    g.max_message = (*gt)["max_message"].value_or(g.max_message);
    g.shutdown_ms = (*gt)["shutdown_timeout_ms"].value_or(g.shutdown_ms);
    g.trust_on_first_use = (*gt)["trust_on_first_use"].value_or(g.trust_on_first_use);
    if (auto* a = (*gt)["algorithms"].as_array()) {
      g.algorithms.clear();
      for (auto& x : *a)
        if (auto s = x.value<std::string>()) g.algorithms.push_back(*s);
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

int run_gateway(Globals& g, bool wrap) {
  const char* name = wrap ? "pqmcp wrap" : "pqmcp connect";
  if (o.command.empty()) return fail(kExitUsage, std::string(name) + ": give the server command after --");
  Context ctx(g.config.empty() ? default_config_path() : g.config);
  if (int rc = ctx.load()) return rc;
  GwConf gc;
  if (int rc = load_gw_conf(ctx.config(), gc)) return rc;
  if (!o.mode.empty()) gc.mode = o.mode;
  if (!o.policy.empty()) gc.policy = o.policy;
  if (!o.audit.empty()) gc.audit = o.audit;
  if (!o.bundle.empty()) gc.bundle = o.bundle;
  if (!o.admin_key.empty()) gc.admin_key = o.admin_key;
  if (!o.peer.empty()) gc.server_identity = o.peer;
  if (o.max_message) gc.max_message = o.max_message;
  if (o.shutdown_ms >= 0) gc.shutdown_ms = o.shutdown_ms;

  FilterConfig fc;
  fc.log_name = name;
  fc.max_line = gc.max_message;
  fc.self = o.identity;
  if (!parse_mode(gc.mode, fc.mode)) return fail(kExitUsage, "mode must be require or observe, not '" + gc.mode + "'");
  auto* id = ctx.registry().find(o.identity);
  if (!id) return fail(kExitNotFound, "no identity named '" + o.identity + "'");
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
  vc.audiences = {o.identity};
  vc.limits.max_bytes = gc.max_message;

  std::unique_ptr<mcp::KeyResolver> keys;
  if (int rc = make_resolver(ctx, gc, keys)) return rc;
  auto signer = trust::HsmSigner::for_identity(*id, ctx.resolver(), identity::now());
  if (!signer) return fail(signer.error());
  std::unique_ptr<AuditSink> sink;
  if (gc.audit.empty()) {
    sink = std::make_unique<NullSink>();
  } else {
    auto s = JsonLinesSink::open(gc.audit);
    if (!s) return fail(kExitIo, s.error());
    sink = std::move(s.value());
  }
  std::unique_ptr<PolicyGate> policy;
  if (wrap && !gc.policy.empty()) {
    auto text = identity::read_file(gc.policy);
    if (!text) return fail(text.error());
    auto p = PolicyGate::parse(*text);
    if (!p) return fail(kExitUsage, "policy " + gc.policy + ": " + p.error());
    policy = std::move(p.value());
  } else if (wrap) {
    warn(name, "no policy configured (--policy or gateway.policy): every agent in the trust bundle may send every request");
  }

  mcp::Verifier verifier(vc, *keys);
  std::unique_ptr<Side> filter;
  if (wrap)
    filter = std::make_unique<WrapFilter>(fc, **signer, verifier, *sink, policy.get());
  else
    filter = std::make_unique<ConnectFilter>(fc, **signer, verifier, *sink, PinConfig{gc.pins, gc.trust_on_first_use});

  auto child = Child::spawn(o.command);
  if (!child) return fail(kExitUsage, std::string(name) + ": " + child.error());
  RelayOptions ro;
  ro.name = name;
  ro.max_line = gc.max_message;
  ro.shutdown.after_close = ro.shutdown.after_term = std::chrono::milliseconds(gc.shutdown_ms);
  RelayResult r = run_relay(*child, 0, 1, *filter, ro);
  if (r.ended_by != "client-eof")
    warn(name, "session ended (" + r.ended_by + "); the server " +
                   (r.child_ended == "exited" ? "exited with code " + std::to_string(r.exit_code) : "was stopped with " + r.child_ended));
  return r.exit_code;
}

void add_common(CLI::App* s, bool wrap) {
  s->add_option("--identity", o.identity, wrap ? "the server identity that signs responses" : "the agent identity that signs requests")
      ->required();
  s->add_option("--mode", o.mode, "require (default) or observe (pass unsigned/invalid messages, warn, record)");
  s->add_option("--audit", o.audit, "JSON-lines audit file (default gateway.audit, else <data_dir>/gateway-audit.jsonl)");
  s->add_option("--bundle", o.bundle, "trust bundle of verification keys (default gateway.bundle, else the local registry)");
  s->add_option("--admin-key", o.admin_key, "the bundle's pinned admin public key (PEM or JWK)");
  s->add_option("--max-message", o.max_message, "largest message in bytes (default 16 MiB)");
  s->add_option("--shutdown-timeout", o.shutdown_ms, "ms to wait after closing the server's stdin, and after SIGTERM (default 2000)");
  s->add_option("command", o.command, "the MCP server command and its arguments, after --")->required();
}

}  // namespace

void add_gateway_commands(CLI::App& app, Globals& g) {
  auto* w = app.add_subcommand("wrap", "Server side: verify and police requests, sign what the server sends back");
  add_common(w, true);
  w->add_option("--policy", o.policy, "access policy (TOML, docs/policy.md; default gateway.policy)");
  w->footer("Example:\n  pqmcp wrap --identity files-server --policy policy.toml -- npx @modelcontextprotocol/server-everything");
  w->callback([&g] { g.rc = run_gateway(g, true); });
  auto* c = app.add_subcommand("connect", "Agent side: sign the client's requests, verify responses, enforce tool pins");
  add_common(c, false);
  c->add_option("--server-identity", o.peer, "the server's identity (default gateway.server_identity, else the only server)");
  c->footer("Example:\n  pqmcp connect --identity retail-bot --server-identity files-server -- pqmcp wrap --identity files-server -- node server.js");
  c->callback([&g] { g.rc = run_gateway(g, false); });
}

}  // namespace pqmcp::cli
