// `pqmcp wrap` (server side) and `pqmcp connect` (agent side): the stdio gateway (docs/gateway.md);
// `pqmcp connect --url` reaches the server side over Streamable HTTP instead (docs/http-client.md).
// Everything this command says goes to stderr: stdout is the MCP client's channel.
#include <cstdio>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/gateway_setup.h"
#include "cli/tls_binding.h"
#include "gateway/relay.h"
#include "http/client_relay.h"

namespace pqmcp::cli {

namespace {

using namespace gateway;

struct GwOpts : GwOverrides {
  std::string identity;
  std::vector<std::string> command;
  // connect --url: the server side is a Streamable HTTP endpoint.
  std::string url, tls_ca, tls_fingerprint, tls_binding;
  bool require_pq = false;
  std::size_t max_connections = 0;
};
GwOpts o;

int run_gateway(Globals& g, bool wrap) {
  const char* name = wrap ? "pqmcp wrap" : "pqmcp connect";
  const bool http = !wrap && !o.url.empty();
  if (http && !o.command.empty()) return fail(kExitUsage, std::string(name) + ": give either --url or a server command after --, not both");
  if (!http && o.command.empty()) return fail(kExitUsage, std::string(name) + ": give the server command after -- (or --url)");
  if (!http && (!o.tls_ca.empty() || !o.tls_fingerprint.empty() || !o.tls_binding.empty() || o.require_pq))
    return fail(kExitUsage, std::string(name) + ": --tls-ca, --tls-fingerprint, --tls-binding and --require-pq need --url");
  if (!o.tls_binding.empty() && (!o.tls_ca.empty() || !o.tls_fingerprint.empty()))
    return fail(kExitUsage, std::string(name) + ": --tls-binding names the certificate to accept: give it without --tls-ca or --tls-fingerprint");
  // Everything about the URL and TLS is checked before the HSM is opened, except a --tls-binding,
  // which needs the trust bundle and is checked right after the gateway end is built.
  http::ClientConfig hc;
  if (http) {
    auto u = http::parse_url(o.url);
    if (!u) return fail(kExitUsage, std::string(name) + ": --url: " + u.error());
    hc.url = *u;
    if (!hc.url.tls && (!o.tls_ca.empty() || !o.tls_fingerprint.empty() || !o.tls_binding.empty() || o.require_pq))
      return fail(kExitUsage, std::string(name) + ": TLS options need an https:// URL");
    if (hc.url.tls && o.tls_binding.empty()) {  // with a binding: once the trust bundle is loaded
      auto t = http::ClientTls::create({o.tls_ca, o.tls_fingerprint, o.require_pq});
      if (!t) return fail(kExitUsage, std::string(name) + ": " + t.error());
      hc.tls = *t;
    }
    if (o.max_connections) hc.max_connections = o.max_connections;
  }
  Context ctx(g.config.empty() ? default_config_path() : g.config);
  if (int rc = ctx.load()) return rc;
  GwConf gc;
  if (int rc = load_gw_conf(ctx.config(), gc)) return rc;
  apply_overrides(o, gc);
  if (http) gc.seq_window = kHttpSeqWindow;

  GatewayEnd end;
  if (int rc = build_gateway_end(ctx, gc, wrap ? GwRole::kWrap : GwRole::kConnect, o.identity, name, end)) return rc;
  if (http && hc.url.tls && !o.tls_binding.empty()) {
    // The certificate the server identity signed for (docs/http.md "--tls-binding"), pinned.
    // The algorithms the gateway accepts for messages (gateway.algorithms) bound the binding too.
    std::string fp;
    if (int rc = check_tls_binding(o.tls_binding, *end.keys, end.fc.peer, end.verifier->config().allowed, wall_ms(), name, fp))
      return rc;
    auto t = http::ClientTls::create({"", fp, o.require_pq});
    if (!t) return fail(kExitUsage, std::string(name) + ": " + t.error());
    hc.tls = *t;
  }
  if (http) {
    hc.max_message = gc.max_message + (1u << 20);  // room for the server side's signature envelope
    http::HttpRelayOptions ho;
    ho.name = name;
    ho.max_line = gc.max_message;
    ho.drain = std::chrono::milliseconds(gc.shutdown_ms);
    const std::string url = hc.url.str();
    auto r = http::run_http_relay(std::move(hc), *end.filter, 0, 1, ho);
    if (r.ended_by != "client-eof") warn(name, "session ended (" + r.ended_by + ")");
    if (r.stats.connections)
      warn(name, url + ": " + std::to_string(r.stats.connections) + " connection(s)" +
                     (r.stats.tls_group.empty() ? "" : ", TLS key exchange " + r.stats.tls_group));
    return r.exit_code;
  }
  auto child = Child::spawn(o.command);
  if (!child) return fail(kExitUsage, std::string(name) + ": " + child.error());
  RelayOptions ro;
  ro.name = name;
  ro.max_line = gc.max_message;
  ro.shutdown.after_close = ro.shutdown.after_term = std::chrono::milliseconds(gc.shutdown_ms);
  RelayResult r = run_relay(*child, 0, 1, *end.filter, ro);
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
  s->add_option("command", o.command, wrap ? "the MCP server command and its arguments, after --"
                                            : "the server side's command and its arguments, after -- (unless --url)");
  if (wrap) s->get_option("command")->required();
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
  c->add_option("--server-identity", o.server_identity, "the server's identity (default gateway.server_identity, else the only server)");
  c->add_option("--url", o.url, "the server side's Streamable HTTP endpoint (https://host:port/mcp; http:// only for local tests)");
  c->add_option("--tls-ca", o.tls_ca, "PEM file of CAs that verify the server certificate and its name (default: the system's)");
  c->add_option("--tls-fingerprint", o.tls_fingerprint, "accept only the server certificate with this SHA-256 fingerprint (hex, colons allowed)");
  c->add_option("--tls-binding", o.tls_binding,
                "accept only the certificate that FILE (+ FILE.sig, written by `pqmcp serve --tls-binding`) binds to the server identity; checked against the trust bundle (or the local registry)");
  c->add_flag("--require-pq", o.require_pq, "offer only X25519MLKEM768/SecP256r1MLKEM768: refuse a classical TLS handshake");
  c->add_option("--max-connections", o.max_connections, "HTTP requests at once (default 8)");
  c->footer("Examples:\n  pqmcp connect --identity retail-bot --server-identity files-server -- pqmcp wrap --identity files-server -- node server.js\n"
            "  pqmcp connect --identity retail-bot --server-identity files-server --url https://files.example:8443/mcp --tls-ca ca.pem --require-pq");
  c->callback([&g] { g.rc = run_gateway(g, false); });
}

}  // namespace pqmcp::cli
