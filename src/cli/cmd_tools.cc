// `pqmcp tools list|approve|pin-manifest`: the agent side's tool-definition pins
// (docs/protocol.md §8). The store is data_dir/tool-pins.json (mcp::PinStore).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/context.h"
#include "mcp/pins.h"
#include "trust/bundle_resolver.h"
#include "trust/pin_manifest.h"

namespace pqmcp::cli {

namespace {

struct Opts {
  std::string server, tool, digest, manifest, bundle, admin_key;
  std::vector<std::string> trusted;
} o;

std::string cfg(const Globals& g) { return g.config.empty() ? default_config_path() : g.config; }
std::string store_path(Context& ctx) { return ctx.config().data_dir + "/tool-pins.json"; }

// "pinned", or why the tool is withheld: "changed" (a rug pull awaiting re-approval) or
// "unapproved" (first seen with first use disabled).
std::string status_of(const mcp::Value& pin) {
  if (!pin.contains("pending")) return "pinned";
  return pin["digest"].get<std::string>().empty() ? "unapproved" : "changed";
}

int run_list(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  auto store = mcp::PinStore::load(store_path(ctx));
  if (!store.ok()) return fail(kExitConfig, store.error());
  const mcp::Value& servers = store->document()["servers"];
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& [server, tools] : servers.items()) {
    if (!o.server.empty() && server != o.server) continue;
    for (const auto& [name, pin] : tools.items()) {
      const std::string pending = pin.value("pending", "");
      out.push_back({{"server", server}, {"tool", name}, {"status", status_of(pin)}, {"source", pin.value("source", "")},
                     {"digest", pin["digest"]}, {"pending", pending.empty() ? nlohmann::json() : nlohmann::json(pending)}});
      rows.push_back({server, name, status_of(pin), pin.value("source", ""), pin["digest"].get<std::string>(),
                      pending.empty() ? "-" : pending});
    }
  }
  if (g.json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else if (rows.empty()) {
    std::printf("no pinned tools in %s\n", store_path(ctx).c_str());
  } else {
    print_table({"SERVER", "TOOL", "STATUS", "SOURCE", "DIGEST", "PENDING"}, rows);
  }
  return kExitOk;
}

int run_approve(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  if (int rc = ctx.lock()) return rc;  // the gateway and other commands write the same store
  auto store = mcp::PinStore::load(store_path(ctx));
  if (!store.ok()) return fail(kExitConfig, store.error());
  const mcp::Value& servers = store->document()["servers"];
  auto s = servers.find(o.server);
  if (s == servers.end() || !s->contains(o.tool))
    return fail(kExitNotFound, "no pin for tool '" + o.tool + "' of server '" + o.server + "' (see `pqmcp tools list`)");
  const mcp::Value& pin = (*s)[o.tool];
  if (!pin.contains("pending"))
    return fail(kExitNotFound, "tool '" + o.tool + "' of '" + o.server + "' has no changed definition to approve");
  const std::string pending = pin["pending"];
  // Approve exactly what the person was shown: a definition that changed again since is refused.
  if (!store->approve(o.server, o.tool, o.digest))
    return fail(kExitVerifyFailed, "the pending definition is " + pending + ", not " + o.digest +
                                       ": it changed since it was shown; review it again");
  if (auto st = store->save(); !st.ok()) return fail(kExitIo, st.error());
  std::printf("approved %s/%s: %s\n", o.server.c_str(), o.tool.c_str(), pending.c_str());
  return kExitOk;
}

int run_pin_manifest(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  auto bundle = identity::read_file(o.bundle);
  if (!bundle) return fail(bundle.error());
  auto admin_text = identity::read_file(o.admin_key);
  if (!admin_text) return fail(admin_text.error());
  auto admin = identity::parse_public_key(*admin_text);
  if (!admin) return fail(admin.error());
  auto keys = trust::BundleKeyResolver::load(*bundle, *admin, identity::now());
  if (!keys) return fail(keys.error(), kExitVerifyFailed);
  auto text = identity::read_file(o.manifest);
  if (!text) return fail(text.error());
  if (int rc = ctx.lock()) return rc;
  auto store = mcp::PinStore::load(store_path(ctx));
  if (!store.ok()) return fail(kExitConfig, store.error());
  auto m = trust::apply_pin_manifest(*store, *text, **keys, identity::now() * 1000, o.trusted);
  if (!m) return fail(m.error(), kExitVerifyFailed);
  if (auto st = store->save(); !st.ok()) return fail(kExitIo, st.error());
  std::printf("pinned %zu tools of '%s' from a manifest signed by '%s' (kid %s), issued %s\n", m->tools.size(),
              m->server.c_str(), m->signer_identity.c_str(), m->signer_kid.c_str(), identity::rfc3339(m->issued_at).c_str());
  return kExitOk;
}

}  // namespace

void add_tools_commands(CLI::App& app, Globals& g) {
  auto* t = app.add_subcommand("tools", "Tool-definition pins per MCP server identity (docs/protocol.md §8)")
                ->require_subcommand(1);
  auto* l = t->add_subcommand("list", "Pinned tools, their digests and status (--json)");
  l->add_option("--server", o.server, "only this server identity");
  l->callback([&] { g.rc = run_list(g); });

  auto* a = t->add_subcommand("approve", "Accept a changed tool definition (exit 1 if DIGEST is not the pending one)");
  a->add_option("server", o.server, "server identity")->required();
  a->add_option("tool", o.tool, "tool name")->required();
  a->add_option("digest", o.digest, "the sha3-256:<hex> digest you reviewed (recommended)");
  a->footer("Example:\n  pqmcp tools list\n  pqmcp tools approve server:files read_file sha3-256:9f2c…");
  a->callback([&] { g.rc = run_approve(g); });

  auto* m = t->add_subcommand("pin-manifest", "Pin a server's tools from a signed manifest (docs/protocol.md §8.1)");
  m->add_option("manifest", o.manifest, "signed manifest file")->required();
  m->add_option("--bundle", o.bundle, "trust bundle that lists the signer's key")->required();
  m->add_option("--admin-key", o.admin_key, "the bundle's pinned admin public key (PEM or JWK)")->required();
  m->add_option("--trusted", o.trusted, "identity that may vouch for any server's tools (repeatable)");
  m->callback([&] { g.rc = run_pin_manifest(g); });
}

}  // namespace pqmcp::cli
