// `pqmcp audit …`: append, checkpoint, verify, prove, check-proof, tail, show, search, export
// (docs/audit-log.md "Commands"). The log core is src/audit; this file only wires it to the
// config, the identities on tokens and the trust bundle.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "audit/entry.h"
#include "audit/proof.h"
#include "audit/verifier.h"
#include "audit/writer.h"
#include "cli/audit_config.h"
#include "cli/commands.h"
#include "identity/signed_doc.h"

namespace pqmcp::cli {

namespace {

struct Opts {
  std::string checkpoint_file, bundle, admin_key, state, log, out, agent, decision, since, proof, vkey;
  std::int64_t index = -1;
  std::vector<std::uint64_t> consistency;
  std::size_t count = 20;
  bool sign = false, allow_classical = false;
} o;

std::string cfg(const Globals& g) { return g.config.empty() ? default_config_path() : g.config; }
int afail(const audit::Error& e, int code = kExitIo) {
  return fail(e.kind == audit::Error::Kind::kVerify || e.kind == audit::Error::Kind::kConflict ? kExitVerifyFailed : code, e.message);
}

struct Env {
  Context ctx;
  AuditConf conf;
  std::unique_ptr<audit::Storage> store;
  explicit Env(const Globals& g) : ctx(cfg(g)) {}
  int open(bool storage = true) {
    if (int rc = ctx.load()) return rc;
    auto c = load_audit_conf(ctx.config());
    if (!c) return fail(c.error(), kExitConfig);
    conf = c.value();
    if (!storage) return 0;
    auto s = open_audit_storage(conf);
    if (!s) return afail(s.error());
    store = std::move(s.value());
    return 0;
  }
  // Checkpoint signers from [audit] identity (ML-DSA) and cosign_identity (Ed25519).
  int signers(std::vector<std::unique_ptr<audit::NoteSigner>>& out) {
    if (conf.identity.empty()) return fail(kExitConfig, "set audit.identity (an ML-DSA identity on a token) to sign checkpoints");
    for (auto* name : {&conf.identity, &conf.cosign_identity}) {
      if (name->empty()) continue;
      auto s = hsm_signer(ctx, *name);
      if (!s) return fail(s.error());
      out.push_back(std::move(s.value()));
    }
    return 0;
  }
  // Trusted keys: the bundle's valid keys (pinned admin key), else the local registry.
  int keys(std::vector<audit::VerifierKey>& out) {
    if (o.bundle.empty()) {
      out = registry_keys(ctx.registry(), conf.origin);
      return 0;
    }
    if (o.admin_key.empty()) return fail(kExitUsage, "--bundle needs --admin-key (the pinned admin public key)");
    auto bt = identity::read_file(o.bundle);
    auto at = identity::read_file(o.admin_key);
    if (!bt) return fail(bt.error());
    if (!at) return fail(at.error());
    auto admin = identity::parse_public_key(*at);
    if (!admin) return fail(admin.error());
    auto b = identity::verify_bundle(*bt, *admin, identity::now());
    if (!b) return fail(b.error(), kExitVerifyFailed);
    identity::Registry r;
    for (auto& k : b->keys) {
      identity::Identity id;
      id.name = k.name;
      id.keys.push_back(k.key);
      r.identities().push_back(std::move(id));
    }
    out = registry_keys(r, conf.origin);
    return 0;
  }
};

int run_append(Globals& g) {
  Env e(g);
  if (int rc = e.open()) return rc;
  std::vector<std::unique_ptr<audit::NoteSigner>> owned;
  audit::WriterOptions wo;
  wo.origin = e.conf.origin;
  wo.checkpoint_every = e.conf.checkpoint_every;
  wo.checkpoint_interval = std::chrono::seconds(e.conf.checkpoint_seconds);
  if (!e.conf.identity.empty()) {
    if (int rc = e.signers(owned)) return rc;
    for (auto& s : owned) wo.signers.push_back(s.get());
  }
  std::mutex mu;
  int rc = kExitOk;
  {
    audit::Writer w(*e.store, wo);
    std::string line;
    std::size_t n = 0;
    while (std::getline(std::cin, line)) {
      ++n;
      if (line.empty()) continue;
      auto en = audit::Entry::from_json(line);
      if (en && en->time_ms == 0) en->time_ms = audit::now_ms();
      auto c = en ? en->canonical() : audit::Result<std::string>(en.error());
      if (!c) {
        rc = fail(kExitUsage, "line " + std::to_string(n) + ": " + c.error().message);
        break;
      }
      // One line per durable entry: the index the database assigned (the gateway's receipt).
      w.append_async(std::move(c.value()), [&](audit::Result<std::uint64_t> r) {
        std::lock_guard l(mu);
        if (r) std::printf("%llu\n", static_cast<unsigned long long>(*r));
        else std::fprintf(stderr, "pqmcp: append failed: %s\n", r.error().message.c_str());
        std::fflush(stdout);
      });
    }
    if (o.sign && !wo.signers.empty())
      if (auto cp = w.checkpoint_now(); !cp) rc = afail(cp.error());
  }
  return rc;
}

int run_checkpoint(Globals& g) {
  Env e(g);
  if (int rc = e.open()) return rc;
  std::vector<std::unique_ptr<audit::NoteSigner>> owned;
  if (int rc = e.signers(owned)) return rc;
  auto h = e.store->head();
  if (!h) return afail(h.error());
  std::vector<audit::NoteSigner*> s;
  for (auto& x : owned) s.push_back(x.get());
  auto note = audit::sign_checkpoint({e.conf.origin, h->size, h->root}, e.conf.origin, s,
                                     static_cast<std::uint64_t>(audit::now_ms() / 1000));
  if (!note) return afail(note.error());
  if (auto st = e.store->add_checkpoint(h->size, *note); !st) return afail(st.error());
  if (!o.out.empty()) {
    if (auto st = identity::write_file_atomic(o.out, *note, 0644); !st) return fail(st.error());
  } else {
    std::fputs(note->c_str(), stdout);
  }
  return kExitOk;
}

void progress_bar(std::uint64_t done, std::uint64_t total) {
  const int width = 40;
  const int fill = total ? static_cast<int>(width * done / total) : width;
  std::fprintf(stderr, "\r[%.*s%*s] %llu/%llu", fill, "########################################", width - fill, "",
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
  if (done >= total) std::fputc('\n', stderr);
}

// libpqhsm's key-operation log (docs/token.md "Key-operation log"): `--log token[:SLOT]` finds
// the slot directory through the default token's PQHSM_CONF (token_dir), `--log DIR` names it.
std::string token_slot_dir(Env& e, const std::string& spec) {
  if (spec != "token" && spec.rfind("token:", 0) != 0) return spec;
  const std::string slot = spec.size() > 6 ? spec.substr(6) : "0";
  std::string conf;
  auto& c = e.ctx.config();
  if (auto it = c.tokens.find(c.default_token); it != c.tokens.end())
    if (auto env = it->second.env.find("PQHSM_CONF"); env != it->second.env.end()) conf = env->second;
  if (conf.empty())
    if (const char* x = std::getenv("PQHSM_CONF"); x && *x) conf = x;
  if (conf.empty()) conf = c.data_dir + "/pqhsm.conf";
  std::string dir = conf.substr(0, conf.find_last_of('/')) + "/tokens";
  std::ifstream f(conf);
  for (std::string line; std::getline(f, line);) {
    line = line.substr(0, line.find('#'));
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto trim = [](std::string x) {
      x.erase(0, x.find_first_not_of(" \t"));
      x.erase(x.find_last_not_of(" \t") + 1);
      return x;
    };
    if (trim(line.substr(0, eq)) == "token_dir") dir = trim(line.substr(eq + 1));
  }
  return dir + "/slot-" + slot;
}

int verify_token_log(Globals& g, Env& e) {
  const std::string dir = token_slot_dir(e, o.log);
  auto store = audit::open_sqlite(dir + "/keyops-audit.db", true);
  if (!store) return afail(store.error());
  // The token's log keys: a pinned copy (--vkey), else the token's own publication.
  const std::string vk = o.vkey.empty() ? dir + "/keyops-audit.vkey" : o.vkey;
  auto text = identity::read_file(vk);
  if (!text) return fail(text.error());
  audit::VerifyOptions vo;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto k = audit::VerifierKey::parse_vkey(line);
    if (!k) return fail(kExitConfig, vk + ": " + k.error().message);
    k->label = "the token's log key " + std::to_string(k->key_id());
    vo.keys.push_back(k.value());
  }
  if (vo.keys.empty()) return fail(kExitConfig, vk + ": no log key (the token publishes it at the first login)");
  const std::string slot = dir.substr(dir.find_last_of('/') + 1);
  const std::string state_path = o.state.empty() ? e.conf.state.substr(0, e.conf.state.find_last_of('/')) + "/token-" + slot + "-verify-state.json" : o.state;
  auto st = audit::load_state(state_path);
  if (!st) return afail(st.error());
  vo.state = st.value();
  auto rep = audit::verify_log(**store, vo);
  if (!rep) return afail(rep.error());
  if (!rep->ok) return fail(kExitVerifyFailed, "token key-operation log verification FAILED: " + rep->problem);
  if (rep->new_state)
    if (auto s = audit::save_state(state_path, *rep->new_state); !s) return afail(s.error());
  if (g.json) {
    nlohmann::json j{{"verified", true}, {"log", dir}, {"entries", rep->entries}, {"checkpoints", rep->checkpoints}, {"uncovered", rep->uncovered}};
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("OK: token log %s: %llu entries, %llu checkpoints verified", dir.c_str(), static_cast<unsigned long long>(rep->entries),
              static_cast<unsigned long long>(rep->checkpoints));
  if (rep->latest) std::printf("; latest size %llu (origin %s)", static_cast<unsigned long long>(rep->latest->cp.size), rep->latest->cp.origin.c_str());
  std::printf("\n");
  if (o.vkey.empty()) std::printf("note: keys read from %s; keep a copy and pass it with --vkey to pin them\n", vk.c_str());
  if (rep->uncovered) std::printf("note: %llu entries after the latest checkpoint are not yet signed\n", static_cast<unsigned long long>(rep->uncovered));
  return kExitOk;
}

int run_verify(Globals& g) {
  Env e(g);
  const bool token_log = !o.log.empty() && (o.log.rfind("token", 0) == 0 || std::filesystem::is_directory(o.log));
  if (int rc = e.open(o.log.empty())) return rc;
  if (token_log) return verify_token_log(g, e);
  audit::VerifyOptions vo;
  if (int rc = e.keys(vo.keys)) return rc;
  vo.require_mldsa = !o.allow_classical;
  std::unique_ptr<audit::LogReader> exported;
  audit::LogReader* log = e.store.get();
  if (!o.log.empty()) {
    auto r = audit::read_export(o.log);
    if (!r) return afail(r.error());
    exported = std::move(r.value());
    log = exported.get();
  }
  if (!o.checkpoint_file.empty()) {
    auto t = identity::read_file(o.checkpoint_file);
    if (!t) return fail(t.error());
    vo.extra_checkpoints.push_back(*t);
  }
  const std::string state_path = o.state.empty() ? e.conf.state : o.state;
  auto st = audit::load_state(state_path);
  if (!st) return afail(st.error());
  vo.state = st.value();
  if (::isatty(2)) {
    auto n = log->entry_count();
    if (n && *n >= 100000) vo.progress = progress_bar;
  }
  auto rep = audit::verify_log(*log, vo);
  if (!rep) return afail(rep.error());
  if (!rep->ok) return fail(kExitVerifyFailed, "audit log verification FAILED: " + rep->problem);
  if (rep->new_state)
    if (auto s = audit::save_state(state_path, *rep->new_state); !s) return afail(s.error());
  if (g.json) {
    nlohmann::json j{{"verified", true}, {"entries", rep->entries}, {"checkpoints", rep->checkpoints}, {"uncovered", rep->uncovered}};
    if (rep->latest) j["latest"] = {{"size", rep->latest->cp.size}, {"root", audit::to_base64(rep->latest->cp.root)}, {"signers", rep->latest->signers}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("OK: %llu entries, %llu checkpoints verified", static_cast<unsigned long long>(rep->entries),
                static_cast<unsigned long long>(rep->checkpoints));
    if (rep->latest)
      std::printf("; latest size %llu signed by %s", static_cast<unsigned long long>(rep->latest->cp.size),
                  rep->latest->signers.front().c_str());
    std::printf("\n");
    if (rep->uncovered) std::printf("note: %llu entries after the latest checkpoint are not yet signed\n", static_cast<unsigned long long>(rep->uncovered));
  }
  return kExitOk;
}

// The newest stored checkpoint whose size satisfies pred.
std::optional<audit::StoredCheckpoint> find_cp(audit::Storage& s, const std::function<bool(std::uint64_t)>& pred) {
  auto cps = s.checkpoints();
  if (!cps) return std::nullopt;
  for (auto it = cps->rbegin(); it != cps->rend(); ++it)
    if (pred(it->size)) return *it;
  return std::nullopt;
}

int write_out(const std::string& text) {
  if (o.out.empty() || o.out == "-") {
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  if (auto st = identity::write_file_atomic(o.out, text, 0644); !st) return fail(st.error());
  std::fprintf(stderr, "wrote %s\n", o.out.c_str());
  return kExitOk;
}

int run_prove(Globals& g) {
  Env e(g);
  if (int rc = e.open()) return rc;
  if ((o.index >= 0) == (o.consistency.size() == 2)) return fail(kExitUsage, "give either --index N or --consistency OLD NEW");
  if (o.index >= 0) {
    const auto n = static_cast<std::uint64_t>(o.index);
    auto cp = find_cp(*e.store, [&](std::uint64_t s) { return s > n; });
    if (!cp) return fail(kExitNotFound, "no checkpoint covers entry #" + std::to_string(n) + " yet (run `pqmcp audit checkpoint`)");
    auto leaves = audit::load_leaf_hashes(*e.store, cp->size);
    if (!leaves) return afail(leaves.error());
    std::string data;
    (void)e.store->scan(n, n + 1, [&](std::uint64_t, std::string_view d, std::span<const std::uint8_t>) { return data = d, true; });
    return write_out(audit::inclusion_proof_file(data, n, audit::inclusion_proof(*leaves, n), cp->note));
  }
  const std::uint64_t a = o.consistency[0], b = o.consistency[1];
  if (a == 0 || a > b) return fail(kExitUsage, "--consistency needs 0 < OLD <= NEW");
  auto cp = find_cp(*e.store, [&](std::uint64_t s) { return s == b; });
  if (!cp) return fail(kExitNotFound, "no checkpoint was signed for size " + std::to_string(b));
  auto leaves = audit::load_leaf_hashes(*e.store, b);
  if (!leaves) return afail(leaves.error());
  const audit::Hash old_root = audit::root_of(std::span<const audit::Hash>(*leaves).first(a));
  return write_out(audit::consistency_proof_file(a, old_root, audit::consistency_proof(*leaves, a), cp->note));
}

int run_check_proof(Globals& g) {
  Env e(g);
  if (int rc = e.open(false)) return rc;
  std::vector<audit::VerifierKey> keys;
  if (int rc = e.keys(keys)) return rc;
  auto text = identity::read_file(o.proof);
  if (!text) return fail(text.error());
  auto r = audit::check_proof_file(*text, keys);
  if (!r) return fail(kExitVerifyFailed, "FAILED: " + r.error().message);
  if (r->inclusion)
    std::printf("OK: entry #%llu is in the log at size %llu (checkpoint signed by %s)\n%s\n", static_cast<unsigned long long>(r->index),
                static_cast<unsigned long long>(r->checkpoint.cp.size), r->checkpoint.signers.front().c_str(), r->entry.c_str());
  else
    std::printf("OK: the log at size %llu (root %s) is a prefix of the log at size %llu (checkpoint signed by %s)\n",
                static_cast<unsigned long long>(r->old_size), audit::to_base64(r->old_root).c_str(),
                static_cast<unsigned long long>(r->checkpoint.cp.size), r->checkpoint.signers.front().c_str());
  return kExitOk;
}

// tail / show / search share one scan and one printer.
int run_query(Globals& g, const std::string& mode) {
  Env e(g);
  if (int rc = e.open(o.log.empty())) return rc;
  if (!o.log.empty()) {  // the token's key-operation log, read only
    auto s = audit::open_sqlite(token_slot_dir(e, o.log) + "/keyops-audit.db", true);
    if (!s) return afail(s.error());
    e.store = std::move(s.value());
  }
  std::int64_t since = 0;
  if (!o.since.empty() && !audit::parse_rfc3339_ms(o.since, since)) return fail(kExitUsage, "--since wants an RFC 3339 time or a date");
  auto total = e.store->head();
  if (!total) return afail(total.error());
  std::uint64_t begin = 0, end = total->size;
  if (mode == "show") {
    if (o.index < 0) return fail(kExitUsage, "show needs an index");
    begin = static_cast<std::uint64_t>(o.index), end = begin + 1;
  } else if (mode == "tail") {
    begin = end > o.count ? end - o.count : 0;
  }
  std::vector<std::pair<std::uint64_t, audit::Entry>> hits;
  auto st = e.store->scan(begin, end, [&](std::uint64_t i, std::string_view d, std::span<const std::uint8_t>) {
    auto en = audit::Entry::from_json(d);
    if (!en) return true;
    if ((!o.agent.empty() && en->agent != o.agent) || (!o.decision.empty() && en->decision != o.decision) || en->time_ms < since) return true;
    hits.emplace_back(i, std::move(en.value()));
    return true;
  });
  if (!st) return afail(st.error());
  if (mode == "show" && hits.empty()) return fail(kExitNotFound, "no entry #" + std::to_string(o.index));
  if (g.json) {
    for (auto& [i, en] : hits) std::printf("{\"index\":%llu,\"entry\":%s}\n", static_cast<unsigned long long>(i), en.canonical().value().c_str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto& [i, en] : hits)
    rows.push_back({std::to_string(i), audit::rfc3339_ms(en.time_ms), en.agent, en.direction, en.method, en.name, en.decision, en.rule, en.verify});
  print_table({"INDEX", "TIME", "AGENT", "DIR", "METHOD", "NAME", "DECISION", "RULE", "VERIFY"}, rows);
  return kExitOk;
}

int run_export(Globals& g) {
  Env e(g);
  if (int rc = e.open()) return rc;
  auto cp = find_cp(*e.store, [](std::uint64_t) { return true; });
  if (!cp) return fail(kExitNotFound, "the log has no checkpoint yet (run `pqmcp audit checkpoint`)");
  if (o.out.empty() || o.out == "-") {
    if (auto st = audit::write_export(*e.store, cp->size, std::cout); !st) return afail(st.error());
    return kExitOk;
  }
  const std::string tmp = o.out + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (auto st = audit::write_export(*e.store, cp->size, f); !st) return afail(st.error());
  }
  if (std::rename(tmp.c_str(), o.out.c_str()) != 0) return fail(kExitIo, "cannot write " + o.out);
  std::fprintf(stderr, "exported %llu entries and their checkpoints to %s\n", static_cast<unsigned long long>(cp->size), o.out.c_str());
  return kExitOk;
}

}  // namespace

void add_audit_commands(CLI::App& app, Globals& g) {
  auto* a = app.add_subcommand("audit", "The tamper-evident audit log (docs/audit-log.md)")->require_subcommand(1);
  auto trust = [](CLI::App* c) {
    c->add_option("--bundle", o.bundle, "trust bundle whose valid keys may sign checkpoints (default: local registry)");
    c->add_option("--admin-key", o.admin_key, "the bundle's pinned admin public key (PEM or JWK)");
  };
  auto* ap = a->add_subcommand("append", "Append JSON entries read from stdin, one per line; prints each durable index");
  ap->add_flag("--checkpoint", o.sign, "sign a checkpoint after the last entry");
  ap->callback([&] { g.rc = run_append(g); });
  auto* cp = a->add_subcommand("checkpoint", "Sign a checkpoint of the current tree with audit.identity");
  cp->add_option("-o,--output", o.out, "also write the note to this file");
  cp->callback([&] { g.rc = run_checkpoint(g); });
  auto* v = a->add_subcommand("verify", "Verify the whole log offline (exit 0 ok, 1 tampered)");
  v->add_option("--checkpoint", o.checkpoint_file, "also check consistency with this checkpoint note");
  v->add_option("--log", o.log, "verify an export file, or libpqhsm's key-operation log: 'token[:SLOT]' or its slot directory");
  v->add_option("--vkey", o.vkey, "with a token log: the pinned file of the token's log keys (default: the token's keyops-audit.vkey)");
  v->add_option("--state", o.state, "verifier state file (default from [audit])");
  v->add_flag("--allow-classical", o.allow_classical, "accept checkpoints with only an Ed25519 signature");
  trust(v);
  v->callback([&] { g.rc = run_verify(g); });
  auto* p = a->add_subcommand("prove", "Write an inclusion or consistency proof file");
  p->add_option("--index", o.index, "inclusion proof of entry N (c2sp.org/tlog-proof@v1)");
  p->add_option("--consistency", o.consistency, "consistency proof between sizes OLD NEW")->expected(2);
  p->add_option("-o,--output", o.out, "proof file (default stdout)");
  p->callback([&] { g.rc = run_prove(g); });
  auto* c = a->add_subcommand("check-proof", "Check a proof file offline");
  c->add_option("file", o.proof)->required();
  trust(c);
  c->callback([&] { g.rc = run_check_proof(g); });
  auto* t = a->add_subcommand("tail", "The newest entries");
  t->add_option("-n", o.count, "how many (default 20)");
  t->add_option("--log", o.log, "libpqhsm's key-operation log: 'token[:SLOT]' or its slot directory");
  t->callback([&] { g.rc = run_query(g, "tail"); });
  auto* sh = a->add_subcommand("show", "One entry");
  sh->add_option("index", o.index)->required();
  sh->callback([&] { g.rc = run_query(g, "show"); });
  auto* se = a->add_subcommand("search", "Entries matching filters");
  se->add_option("--agent", o.agent);
  se->add_option("--decision", o.decision, "allow, deny or error");
  se->add_option("--since", o.since, "RFC 3339 time or date");
  se->add_option("--log", o.log, "libpqhsm's key-operation log: 'token[:SLOT]' or its slot directory");
  se->callback([&] { g.rc = run_query(g, "search"); });
  auto* ex = a->add_subcommand("export", "Write the latest checkpoint with all entries it covers, for an auditor");
  ex->add_option("-o,--output", o.out, "file (default stdout)");
  ex->callback([&] { g.rc = run_export(g); });
}

}  // namespace pqmcp::cli
