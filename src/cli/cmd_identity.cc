// `pqmcp identity create|list|show|export|import|rotate|revoke`.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/context.h"

namespace pqmcp::cli {

namespace {

using identity::Alg;
using identity::KeyStatus;
using identity::KeyVersion;
using identity::rfc3339;

struct Opts {
  std::string name, alg = "mldsa65-ed25519", role = "agent", token, ed_token, format = "pem", out, kid, file,
                    overlap = "7d";
  bool dry_run = false, policy_bound = false;
} o;

std::string cfg(const Globals& g) { return g.config.empty() ? default_config_path() : g.config; }

nlohmann::json key_json(const KeyVersion& k) {
  nlohmann::json parts = nlohmann::json::array();
  for (auto& p : k.parts) parts.push_back({{"part", p.part}, {"module", p.module}, {"token", p.token}, {"id", p.id_hex}});
  return {{"kid", k.kid}, {"alg", identity::alg_name(k.public_key.alg)}, {"created", rfc3339(k.created)},
          {"not_after", k.not_after ? nlohmann::json(rfc3339(k.not_after)) : nlohmann::json(nullptr)},
          {"status", identity::status_name(k.status)}, {"policy_bound", k.policy_bound}, {"parts", parts}};
}

int write_or_print(const std::string& path, const std::string& text, unsigned mode = 0644) {
  if (path.empty() || path == "-") {
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  if (auto st = identity::write_file_atomic(path, text, mode); !st) return fail(st.error());
  return kExitOk;
}

// Token names in the config whose module and label hold a key part, for rotation.
p11::Result<std::shared_ptr<p11::Token>> part_token(Context& ctx, const identity::KeyPart& p) {
  return ctx.token_at(p.module, p.token);
}

int run_create(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  if (int rc = ctx.lock()) return rc;
  auto alg = identity::alg_from_cli(o.alg);
  if (!alg || !identity::can_sign(*alg))
    return fail(kExitUsage, "unknown --alg '" + o.alg + "' (mldsa65-ed25519, mldsa44-ed25519, mldsa44, mldsa65, mldsa87, ed25519, p256)");
  if (ctx.registry().find(o.name)) return fail(kExitUsage, "identity '" + o.name + "' already exists (rotate it instead)");
  if (!o.ed_token.empty() && !identity::is_composite(*alg))
    return fail(kExitUsage, "--ed25519-token applies to composite algorithms only");
  auto main = ctx.token(o.token, !o.dry_run);
  if (!main) return fail(main.error());
  std::shared_ptr<p11::Token> classical;
  if (!o.ed_token.empty()) {
    auto c = ctx.token(o.ed_token, !o.dry_run);
    if (!c) return fail(c.error());
    classical = *c;
  }
  if (o.dry_run) {
    std::printf("would create identity '%s' (role %s): %s%s key on token '%s' (%s)%s\n", o.name.c_str(), o.role.c_str(),
                o.policy_bound ? "policy-bound " : "", identity::alg_name(*alg), (*main)->label().c_str(), (*main)->module().path().c_str(),
                classical ? (", Ed25519 half on token '" + classical->label() + "'").c_str() : "");
    return kExitOk;
  }
  auto k = identity::create_key(*alg, **main, classical.get(), "pqmcp:" + o.name, identity::now(),
                                o.policy_bound ? o.name : std::string());
  if (!k) return fail(k.error());
  ctx.registry().identities().push_back({o.name, o.role, {k.value()}});
  if (auto st = ctx.registry().save(); !st) {
    (void)identity::destroy_key(*k, ctx.resolver());  // nothing half-written
    return fail(st.error());
  }
  if (g.json) std::printf("%s\n", key_json(*k).dump(2).c_str());
  else
    std::printf("created identity '%s': %s%s, kid %s\n", o.name.c_str(), identity::alg_name(*alg),
                k->policy_bound ? " (policy-bound: signs only MCP messages the token's policy allows)" : "", k->kid.c_str());
  return kExitOk;
}

int run_list(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (auto& i : ctx.registry().identities())
    for (auto& k : i.keys) {
      auto j = key_json(k);
      j["name"] = i.name;
      j["role"] = i.role;
      out.push_back(j);
      rows.push_back({i.name, k.kid, identity::alg_name(k.public_key.alg), rfc3339(k.created),
                      k.not_after ? rfc3339(k.not_after) : "-", identity::status_name(k.status)});
    }
  if (g.json) std::printf("%s\n", out.dump(2).c_str());
  else print_table({"NAME", "KID", "ALGORITHM", "CREATED", "NOT-AFTER", "STATUS"}, rows);
  return kExitOk;
}

int run_show(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  auto* id = ctx.registry().find(o.name);
  if (!id) return fail(kExitNotFound, "no identity named '" + o.name + "'");
  nlohmann::json keys = nlohmann::json::array();
  for (auto& k : id->keys) keys.push_back(key_json(k));
  if (g.json) {
    std::printf("%s\n", nlohmann::json({{"name", id->name}, {"role", id->role}, {"keys", keys}}).dump(2).c_str());
    return kExitOk;
  }
  std::printf("identity %s (role %s)\n", id->name.c_str(), id->role.c_str());
  for (auto& k : id->keys) {
    std::printf("  key %s  %s  %s  created %s  not-after %s\n", k.kid.c_str(), identity::alg_name(k.public_key.alg),
                identity::status_name(k.status), rfc3339(k.created).c_str(), k.not_after ? rfc3339(k.not_after).c_str() : "-");
    if (k.policy_bound) std::printf("    policy-bound (CKM_PQMCP_MCP_SIGN_*, CKA_PQMCP_OWNER = %s)\n", id->name.c_str());
    for (auto& p : k.parts)
      std::printf("    %-10s token '%s' CKA_ID %s (%s)\n", p.part.c_str(), p.token.c_str(), p.id_hex.c_str(), p.module.c_str());
    if (k.parts.empty()) std::printf("    imported public key\n");
  }
  return kExitOk;
}

int run_export(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  auto* id = ctx.registry().find(o.name);
  if (!id) return fail(kExitNotFound, "no identity named '" + o.name + "'");
  const KeyVersion* k = id->signing_key();
  if (!o.kid.empty()) {
    k = nullptr;
    for (auto& kv : id->keys)
      if (kv.kid == o.kid) k = &kv;
  }
  if (!k && !id->keys.empty() && o.kid.empty()) k = &id->keys.back();
  if (!k) return fail(kExitNotFound, "identity '" + o.name + "' has no such key");
  if (o.format != "pem" && o.format != "jwk") return fail(kExitUsage, "--format is pem or jwk");
  return write_or_print(o.out, o.format == "pem" ? k->public_key.pem() : k->public_key.jwk());
}

int run_import(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  if (int rc = ctx.lock()) return rc;
  auto text = identity::read_file(o.file);
  if (!text) return fail(text.error());
  auto pk = identity::parse_public_key(*text);
  if (!pk) return fail(pk.error());
  if (!identity::can_sign(pk->alg)) return fail(kExitUsage, "only signature keys can be imported as identities");
  if (ctx.registry().find(o.name)) return fail(kExitUsage, "identity '" + o.name + "' already exists");
  if (auto [i, k] = ctx.registry().find_kid(pk->kid()); k)
    return fail(kExitUsage, "this key is already known as identity '" + i->name + "'");
  KeyVersion k;
  k.public_key = pk.value();
  k.kid = k.public_key.kid();
  k.created = identity::now();
  ctx.registry().identities().push_back({o.name, o.role, {k}});
  if (auto st = ctx.registry().save(); !st) return fail(st.error());
  std::printf("imported '%s': %s, kid %s\n", o.name.c_str(), identity::alg_name(k.public_key.alg), k.kid.c_str());
  return kExitOk;
}

int run_rotate(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  if (int rc = ctx.lock()) return rc;
  auto overlap = identity::parse_duration(o.overlap);
  if (!overlap) return fail(kExitUsage, "--overlap takes a duration such as 7d, 12h, 30m");
  auto* id = ctx.registry().find(o.name);
  if (!id) return fail(kExitNotFound, "no identity named '" + o.name + "'");
  KeyVersion* cur = id->signing_key();
  if (!cur) return fail(kExitNotFound, "identity '" + o.name + "' has no active key to rotate");
  if (cur->parts.empty()) return fail(kExitUsage, "'" + o.name + "' is an imported peer; its owner rotates it");
  const std::int64_t now = identity::now(), not_after = now + *overlap;
  if (o.dry_run) {
    std::printf("would create a new %s key for '%s' on token '%s'\nwould mark key %s retiring, not-after %s\n",
                identity::alg_name(cur->public_key.alg), o.name.c_str(), cur->parts[0].token.c_str(), cur->kid.c_str(),
                rfc3339(not_after).c_str());
    return kExitOk;
  }
  auto main = part_token(ctx, cur->parts[0]);
  if (!main) return fail(main.error());
  std::shared_ptr<p11::Token> classical;
  if (cur->parts.size() == 2 &&
      (cur->parts[1].module != cur->parts[0].module || cur->parts[1].token != cur->parts[0].token)) {
    auto c = part_token(ctx, cur->parts[1]);
    if (!c) return fail(c.error());
    classical = *c;
  }
  auto k = identity::create_key(cur->public_key.alg, **main, classical.get(), "pqmcp:" + o.name, now,
                                cur->policy_bound ? o.name : std::string());
  if (!k) return fail(k.error());
  const std::string old_kid = cur->kid;
  cur->status = KeyStatus::kRetiring;
  cur->not_after = not_after;
  id->keys.push_back(k.value());  // invalidates cur
  if (auto st = ctx.registry().save(); !st) {
    (void)identity::destroy_key(*k, ctx.resolver());
    return fail(st.error());
  }
  std::printf("rotated '%s': new key %s; key %s retiring until %s\n", o.name.c_str(), k->kid.c_str(), old_kid.c_str(),
              rfc3339(not_after).c_str());
  return kExitOk;
}

int run_revoke(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  if (int rc = ctx.lock()) return rc;
  std::vector<std::pair<std::string, KeyVersion*>> targets;
  if (auto* id = ctx.registry().find(o.name)) {
    for (auto& k : id->keys)
      if (k.status != KeyStatus::kRevoked) targets.emplace_back(id->name, &k);
  } else if (auto [i, k] = ctx.registry().find_kid(o.name); k) {
    if (k->status != KeyStatus::kRevoked) targets.emplace_back(i->name, k);
  } else {
    return fail(kExitNotFound, "no identity or kid '" + o.name + "'");
  }
  if (targets.empty()) {
    std::printf("nothing to revoke: already revoked\n");
    return kExitOk;
  }
  const std::int64_t now = identity::now();
  for (auto& [name, k] : targets) {
    std::printf("%s key %s of '%s'\n", o.dry_run ? "would revoke" : "revoked", k->kid.c_str(), name.c_str());
    if (!o.dry_run) {
      k->status = KeyStatus::kRevoked;
      k->revoked_at = now;
    }
  }
  if (o.dry_run) return kExitOk;
  if (auto st = ctx.registry().save(); !st) return fail(st.error());
  std::printf("publish a new trust bundle (pqmcp trust export) so that verifiers learn of it\n");
  return kExitOk;
}

}  // namespace

void add_identity_commands(CLI::App& app, Globals& g) {
  auto* id = app.add_subcommand("identity", "Create and manage identities and their keys")->require_subcommand(1);
  auto* c = id->add_subcommand("create", "Create an identity whose private key lives on a token");
  c->add_option("name", o.name, "identity name")->required();
  c->add_option("--alg", o.alg, "mldsa65-ed25519 (default) | mldsa44-ed25519 | mldsa44 | mldsa65 | mldsa87 | ed25519 | p256");
  c->add_option("--role", o.role, "agent | server | admin | …")->capture_default_str();
  c->add_option("--token", o.token, "token name in the config (default: default_token)");
  c->add_option("--ed25519-token", o.ed_token, "put the Ed25519 half of a composite key on this token");
  c->add_flag("--dry-run", o.dry_run, "show what would be created");
  c->add_flag("--policy-bound", o.policy_bound,
              "libpqhsm: the ML-DSA key signs only MCP messages the token's policy allows (CKA_PQMCP_OWNER = NAME)");
  c->footer("Examples:\n  pqmcp identity create agent-1\n  pqmcp identity create retail-bot --policy-bound\n  pqmcp identity create admin --role admin --alg mldsa87\n"
            "  pqmcp identity create bot --alg mldsa65-ed25519 --ed25519-token softhsm");
  c->callback([&] { g.rc = run_create(g); });
  id->add_subcommand("list", "Table of identities and key versions (--json)")->callback([&] { g.rc = run_list(g); });
  auto* s = id->add_subcommand("show", "Details of one identity (--json)");
  s->add_option("name", o.name)->required();
  s->callback([&] { g.rc = run_show(g); });
  auto* e = id->add_subcommand("export", "Export a public key as SPKI PEM or JWK");
  e->add_option("name", o.name)->required();
  e->add_option("--format", o.format, "pem | jwk")->capture_default_str();
  e->add_option("--kid", o.kid, "a specific key version (default: the active key)");
  e->add_option("-o,--output", o.out, "file (default: stdout)");
  e->footer("Example:\n  pqmcp identity export agent-1 --format jwk -o agent-1.jwk");
  e->callback([&] { g.rc = run_export(g); });
  auto* im = id->add_subcommand("import", "Import a peer's public key (PEM or JWK)");
  im->add_option("name", o.name)->required();
  im->add_option("file", o.file)->required();
  im->add_option("--role", o.role)->default_val("peer");
  im->callback([&] { g.rc = run_import(g); });
  auto* r = id->add_subcommand("rotate", "Create a successor key; the old one retires after --overlap");
  r->add_option("name", o.name)->required();
  r->add_option("--overlap", o.overlap, "how long the old key keeps verifying (7d, 12h, …)")->capture_default_str();
  r->add_flag("--dry-run", o.dry_run, "show what would change");
  r->footer("Example:\n  pqmcp identity rotate agent-1 --overlap 7d");
  r->callback([&] { g.rc = run_rotate(g); });
  auto* rv = id->add_subcommand("revoke", "Revoke every key of an identity, or one key by kid");
  rv->add_option("target", o.name, "identity name or kid")->required();
  rv->add_flag("--dry-run", o.dry_run, "show what would change");
  rv->callback([&] { g.rc = run_revoke(g); });
}

}  // namespace pqmcp::cli
