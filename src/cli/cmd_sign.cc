// `pqmcp sign`, `pqmcp verify` and `pqmcp trust export|verify`.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/context.h"
#include "identity/signed_doc.h"

namespace pqmcp::cli {

namespace {

using namespace identity;

struct Opts {
  std::string file, sig, out, identity, key, bundle, admin, admin_key;
} o;

std::string cfg(const Globals& g) { return g.config.empty() ? default_config_path() : g.config; }

int run_sign(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  auto* id = ctx.registry().find(o.identity);
  if (!id) return fail(kExitNotFound, "no identity named '" + o.identity + "'");
  const KeyVersion* k = id->signing_key();
  if (!k) return fail(kExitNotFound, "identity '" + o.identity + "' has no active key (rotated or revoked)");
  auto data = read_file(o.file);
  if (!data) return fail(data.error());
  auto d = identity::sign_file(*k, ctx.resolver(), *data);
  if (!d) return fail(d.error());
  const std::string out = o.out.empty() ? o.file + ".sig" : o.out;
  if (auto st = write_file_atomic(out, d->to_json(), 0644); !st) return fail(st.error());
  std::printf("signed %s with '%s' (%s, kid %s) -> %s\n", o.file.c_str(), id->name.c_str(), alg_name(k->public_key.alg),
              k->kid.c_str(), out.c_str());
  return kExitOk;
}

// The admin key that anchors a bundle: --admin-key, else the local identity holding the kid
// that signed the bundle.
p11::Result<PublicKey> admin_key(Context& ctx, const std::string& bundle_text) {
  if (!o.admin_key.empty()) {
    auto t = read_file(o.admin_key);
    if (!t) return std::move(t).error();
    return parse_public_key(*t);
  }
  auto kids = bundle_signer_kids(bundle_text);
  if (!kids) return std::move(kids).error();
  for (auto& kid : *kids)
    if (auto [i, k] = ctx.registry().find_kid(kid); k) {
      if (!k->valid_at(now()))
        return p11::make_error(p11::Error::Kind::kToken, "verify trust bundle", "", "the admin key " + kid + " is revoked or expired here");
      return k->public_key;
    }
  return p11::make_error(p11::Error::Kind::kNotFound, "verify trust bundle", "",
                         "the bundle's signer is not a known identity; pin it with --admin-key FILE");
}

int run_verify(Globals& g) {
  auto data = read_file(o.file);
  if (!data) return fail(data.error());
  auto sigtext = read_file(o.sig);
  if (!sigtext) return fail(sigtext.error());
  auto d = DetachedSignature::parse(*sigtext);
  if (!d) return fail(d.error());
  const std::int64_t t = now();
  PublicKey pk;
  std::string who;
  Context ctx(cfg(g));
  if (!o.key.empty()) {
    auto text = read_file(o.key);
    if (!text) return fail(text.error());
    auto k = parse_public_key(*text);
    if (!k) return fail(k.error());
    if (k->kid() != d->kid) return fail(kExitVerifyFailed, "FAILED: signed by kid " + d->kid + ", not by the key in " + o.key);
    pk = k.value();
    who = o.key;
  } else if (!o.bundle.empty()) {
    if (o.admin_key.empty())
      if (int rc = ctx.load()) return rc;
    auto text = read_file(o.bundle);
    if (!text) return fail(text.error());
    auto admin = admin_key(ctx, *text);
    if (!admin) return fail(admin.error(), kExitVerifyFailed);
    auto b = verify_bundle(*text, *admin, t);
    if (!b) return fail(b.error(), kExitVerifyFailed);
    const BundleKey* bk = b->valid_key(d->kid, t);
    if (!bk) return fail(kExitVerifyFailed, "FAILED: the bundle does not list kid " + d->kid + " as valid now (unknown, expired or revoked)");
    pk = bk->key.public_key;
    who = bk->name;
  } else {
    if (int rc = ctx.load()) return rc;
    auto [i, k] = ctx.registry().find_kid(d->kid);
    if (!k) return fail(kExitVerifyFailed, "FAILED: no known identity has kid " + d->kid);
    if (!o.identity.empty() && i->name != o.identity)
      return fail(kExitVerifyFailed, "FAILED: signed by '" + i->name + "', not by '" + o.identity + "'");
    if (!k->valid_at(t))
      return fail(kExitVerifyFailed, "FAILED: key " + d->kid + " of '" + i->name + "' is " +
                                         (k->status == KeyStatus::kRevoked ? "revoked" : "past its not-after date"));
    pk = k->public_key;
    who = i->name;
  }
  if (pk.alg != d->alg) return fail(kExitVerifyFailed, "FAILED: the signature's algorithm is not the key's");
  auto ok = identity::verify_file(pk, *data, *d);
  if (!ok) return fail(ok.error(), kExitVerifyFailed);
  if (!*ok) return fail(kExitVerifyFailed, "FAILED: the signature does not match " + o.file);
  std::printf("OK: %s signed by %s (%s, kid %s)\n", o.file.c_str(), who.c_str(), alg_name(pk.alg), d->kid.c_str());
  return kExitOk;
}

int run_trust_export(Globals& g) {
  Context ctx(cfg(g));
  if (int rc = ctx.load()) return rc;
  auto* admin = ctx.registry().find(o.admin);
  if (!admin) return fail(kExitNotFound, "no identity named '" + o.admin + "'");
  const KeyVersion* k = admin->signing_key();
  if (!k || k->parts.empty()) return fail(kExitNotFound, "'" + o.admin + "' has no active key on a token to sign with");
  auto resolve = ctx.resolver();
  auto text = export_bundle(ctx.registry(), *admin, *k,
                            [&](std::span<const std::uint8_t> m, std::span<const std::uint8_t> c) {
                              return identity::sign(*k, resolve, m, takes_context(k->public_key.alg) ? c : std::span<const std::uint8_t>());
                            },
                            now());
  if (!text) return fail(text.error());
  if (o.out.empty() || o.out == "-") {
    std::fputs(text->c_str(), stdout);
    return kExitOk;
  }
  if (auto st = write_file_atomic(o.out, *text, 0644); !st) return fail(st.error());
  std::printf("wrote trust bundle %s signed by '%s' (kid %s)\n", o.out.c_str(), admin->name.c_str(), k->kid.c_str());
  return kExitOk;
}

int run_trust_verify(Globals& g) {
  Context ctx(cfg(g));
  if (o.admin_key.empty())
    if (int rc = ctx.load()) return rc;
  auto text = read_file(o.bundle);
  if (!text) return fail(text.error());
  auto admin = admin_key(ctx, *text);
  if (!admin) return fail(admin.error(), kExitVerifyFailed);
  const std::int64_t t = now();
  auto b = verify_bundle(*text, *admin, t);
  if (!b) return fail(b.error(), kExitVerifyFailed);
  nlohmann::json keys = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (auto& k : b->keys) {
    const bool valid = k.key.valid_at(t);
    keys.push_back({{"name", k.name}, {"role", k.role}, {"kid", k.key.kid}, {"alg", alg_name(k.key.public_key.alg)},
                    {"status", status_name(k.key.status)}, {"valid_now", valid},
                    {"not_after", k.key.not_after ? nlohmann::json(rfc3339(k.key.not_after)) : nlohmann::json(nullptr)}});
    rows.push_back({k.name, k.role, k.key.kid, alg_name(k.key.public_key.alg), status_name(k.key.status), valid ? "yes" : "no"});
  }
  if (g.json) {
    std::printf("%s\n", nlohmann::json({{"verified", true}, {"issuer", b->issuer}, {"issuer_kid", b->issuer_kid},
                                        {"issued_at", rfc3339(b->issued_at)}, {"keys", keys}}).dump(2).c_str());
  } else {
    std::printf("OK: bundle signed by '%s' (kid %s), issued %s\n", b->issuer.c_str(), b->issuer_kid.c_str(), rfc3339(b->issued_at).c_str());
    print_table({"NAME", "ROLE", "KID", "ALGORITHM", "STATUS", "VALID-NOW"}, rows);
  }
  return kExitOk;
}

}  // namespace

void add_sign_commands(CLI::App& app, Globals& g) {
  auto* s = app.add_subcommand("sign", "Write a detached signature of a file");
  s->add_option("file", o.file)->required();
  s->add_option("--identity", o.identity, "identity whose active key signs")->required();
  s->add_option("-o,--output", o.out, "signature file (default FILE.sig)");
  s->footer("Example:\n  pqmcp sign release.tar --identity agent-1 -o release.tar.sig");
  s->callback([&] { g.rc = run_sign(g); });

  auto* v = app.add_subcommand("verify", "Verify a detached signature (exit 0 valid, 1 invalid)");
  v->add_option("file", o.file)->required();
  v->add_option("sig", o.sig)->required();
  auto* vi = v->add_option("--identity", o.identity, "require this identity (key from the local registry)");
  auto* vk = v->add_option("--key", o.key, "verify with this public key (PEM or JWK)");
  auto* vb = v->add_option("--bundle", o.bundle, "accept keys the trust bundle lists as valid now");
  v->add_option("--admin-key", o.admin_key, "the bundle's admin key (PEM or JWK); default: from the registry");
  vi->excludes(vk)->excludes(vb);
  vk->excludes(vb);
  v->footer("Examples:\n  pqmcp verify release.tar release.tar.sig\n  pqmcp verify release.tar release.tar.sig --key agent-1.pem\n"
            "  pqmcp verify release.tar release.tar.sig --bundle bundle.json --admin-key admin.pem");
  v->callback([&] { g.rc = run_verify(g); });

  auto* t = app.add_subcommand("trust", "Trust bundles: signed lists of identities and keys")->require_subcommand(1);
  auto* te = t->add_subcommand("export", "Write a trust bundle signed by an admin identity");
  te->add_option("--admin", o.admin, "admin identity")->required();
  te->add_option("-o,--output", o.out, "bundle file (default: stdout)");
  te->footer("Example:\n  pqmcp trust export --admin admin -o bundle.json");
  te->callback([&] { g.rc = run_trust_export(g); });
  auto* tv = t->add_subcommand("verify", "Verify a trust bundle and list its keys (--json)");
  tv->add_option("bundle", o.bundle)->required();
  tv->add_option("--admin-key", o.admin_key, "pinned admin public key (PEM or JWK)");
  tv->footer("Example:\n  pqmcp trust verify bundle.json --admin-key admin.pem");
  tv->callback([&] { g.rc = run_trust_verify(g); });
}

}  // namespace pqmcp::cli
