#include "cli/audit_config.h"

#include <cstdio>
#include <cstdlib>
#include <toml++/toml.h>

#include "gateway/merkle_sink.h"
#include "identity/keystore.h"

#ifdef PQMCP_HAVE_AUDIT_PG
#include "audit/pg/pg_storage.h"
#endif

namespace pqmcp::cli {

namespace {

std::optional<audit::SigType> sig_type(identity::Alg a) {
  switch (a) {
    case identity::Alg::kMlDsa44: return audit::SigType::kMlDsa44;
    case identity::Alg::kMlDsa65: return audit::SigType::kMlDsa65;
    case identity::Alg::kMlDsa87: return audit::SigType::kMlDsa87;
    case identity::Alg::kEd25519: return audit::SigType::kEd25519;
    default: return std::nullopt;
  }
}

class HsmSigner final : public audit::NoteSigner {
 public:
  HsmSigner(audit::SigType t, identity::KeyVersion k, identity::TokenResolver r) : t_(t), k_(std::move(k)), r_(std::move(r)) {}
  audit::SigType type() const override { return t_; }
  const audit::Bytes& public_key() const override { return k_.public_key.raw; }
  audit::Result<audit::Bytes> sign(std::span<const std::uint8_t> msg) override {
    // Pure ML-DSA with an empty context (c2sp.org/tlog-cosignature), or Ed25519, on the token.
    auto s = identity::sign(k_, r_, msg, {});
    if (!s) return audit::make_error(audit::Error::Kind::kSigner, s.error().to_string());
    return std::move(s.value());
  }

 private:
  audit::SigType t_;
  identity::KeyVersion k_;
  identity::TokenResolver r_;
};

}  // namespace

p11::Result<AuditConf> load_audit_conf(const Config& c) {
  AuditConf a;
  a.path = c.data_dir + "/audit.db";
  a.state = c.data_dir + "/audit-verify-state.json";
  if (const char* e = std::getenv("PQMCP_AUDIT_CONNINFO"); e && *e) a.conninfo = e;
  toml::table t;
  try {
    t = toml::parse_file(c.path);
  } catch (const toml::parse_error& e) {
    return p11::make_error(p11::Error::Kind::kInput, "read config", "", c.path + ": " + std::string(e.description()));
  }
  if (auto* at = t["audit"].as_table()) {
    a.backend = (*at)["backend"].value_or(a.backend);
    a.path = (*at)["path"].value_or(a.path);
    a.conninfo = (*at)["conninfo"].value_or(a.conninfo);
    a.origin = (*at)["origin"].value_or(a.origin);
    a.checkpoint_every = (*at)["checkpoint_every"].value_or(a.checkpoint_every);
    a.checkpoint_seconds = (*at)["checkpoint_seconds"].value_or(a.checkpoint_seconds);
    a.identity = (*at)["identity"].value_or(a.identity);
    a.cosign_identity = (*at)["cosign_identity"].value_or(a.cosign_identity);
    a.state = (*at)["state"].value_or(a.state);
  }
  if (a.backend != "sqlite" && a.backend != "postgres")
    return p11::make_error(p11::Error::Kind::kInput, "read config", "", c.path + ": audit.backend must be sqlite or postgres");
  if (a.checkpoint_every == 0) a.checkpoint_every = 1;
  return a;
}

bool audit_log_configured(const Config& c) {
  try {
    return toml::parse_file(c.path)["audit"].is_table();
  } catch (const toml::parse_error&) {
    return false;  // load_audit_conf reports the syntax error
  }
}

audit::Result<std::unique_ptr<audit::Storage>> open_audit_storage(const AuditConf& a) {
  if (a.backend == "sqlite") return audit::open_sqlite(a.path);
#ifdef PQMCP_HAVE_AUDIT_PG
  if (a.conninfo.empty()) return audit::make_error(audit::Error::Kind::kInput, "audit.backend = postgres needs audit.conninfo");
  return audit::open_postgres(a.conninfo);
#else
  return audit::make_error(audit::Error::Kind::kInput, "this pqmcp was built without PostgreSQL support");
#endif
}

p11::Result<std::unique_ptr<audit::NoteSigner>> hsm_signer(Context& ctx, const std::string& name) {
  auto* id = ctx.registry().find(name);
  if (!id) return p11::make_error(p11::Error::Kind::kNotFound, "audit checkpoint", "", "no identity named '" + name + "'");
  const identity::KeyVersion* k = id->signing_key();
  if (!k || k->parts.empty())
    return p11::make_error(p11::Error::Kind::kNotFound, "audit checkpoint", "", "'" + name + "' has no active key on a token");
  auto t = sig_type(k->public_key.alg);
  if (!t)
    return p11::make_error(p11::Error::Kind::kInput, "audit checkpoint", "",
                           std::string("checkpoints need an ML-DSA or Ed25519 identity; '") + name + "' is " + identity::alg_name(k->public_key.alg));
  return std::unique_ptr<audit::NoteSigner>(new HsmSigner(*t, *k, ctx.resolver()));
}

std::vector<audit::VerifierKey> registry_keys(const identity::Registry& r, const std::string& origin) {
  std::vector<audit::VerifierKey> out;
  for (auto& id : r.identities())
    for (auto& k : id.keys)
      if (auto t = sig_type(k.public_key.alg); t && k.status != identity::KeyStatus::kRevoked)
        out.push_back({origin, *t, k.public_key.raw, "identity '" + id.name + "' (kid " + k.kid + ")"});
  return out;
}

p11::Result<std::unique_ptr<gateway::AuditSink>> open_merkle_audit_sink(Context& ctx, const std::string& log_name) {
  auto c = load_audit_conf(ctx.config());
  if (!c) return c.error();
  auto store = open_audit_storage(*c);
  if (!store) return p11::make_error(p11::Error::Kind::kIo, "open audit log", "", store.error().message);
  std::vector<std::unique_ptr<audit::NoteSigner>> signers;
  for (auto* name : {&c->identity, &c->cosign_identity}) {
    if (name->empty()) continue;
    auto s = hsm_signer(ctx, *name);
    if (!s) return s.error();
    signers.push_back(std::move(s.value()));
  }
  if (signers.empty())
    std::fprintf(stderr, "%s: warning: audit.identity is not set: gateway decisions are logged but no checkpoint is signed\n",
                 log_name.c_str());
  gateway::MerkleSinkOptions o;
  o.log_name = log_name;
  o.writer.origin = c->origin;
  o.writer.checkpoint_every = c->checkpoint_every;
  o.writer.checkpoint_interval = std::chrono::seconds(c->checkpoint_seconds);
  return std::unique_ptr<gateway::AuditSink>(new gateway::MerkleSink(std::move(store.value()), std::move(signers), std::move(o)));
}

}  // namespace pqmcp::cli
