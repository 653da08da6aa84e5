// `pqmcp wrap` (server side) and `pqmcp connect` (agent side): the stdio gateway (docs/gateway.md).
// Everything this command says goes to stderr: stdout is the MCP client's channel.
#include <cstdio>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/gateway_setup.h"
#include "gateway/relay.h"

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

  GatewayEnd end;
  if (int rc = build_gateway_end(ctx, gc, wrap ? GwRole::kWrap : GwRole::kConnect, o.identity, name, end)) return rc;
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
