// `pqmcp init` and `pqmcp token init|info|list`.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/context.h"
#include "p11/keys.h"

namespace pqmcp::cli {

namespace {

using p11::Error;

struct InitOpts {
  std::string module, label = "pqmcp", data_dir;
  unsigned kdf_iterations = 0;
} init_o;

struct TokenOpts {
  std::string name, module, label, pin_env;
} tok_o;

// Where `init` finds libpqhsm: --module, else the build tree's copy recorded at compile time,
// else beside the installed binary.
std::string find_embedded_module() {
#ifdef PQMCP_DEFAULT_MODULE
  if (::access(PQMCP_DEFAULT_MODULE, R_OK) == 0) return PQMCP_DEFAULT_MODULE;
#endif
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    std::string dir = dirname_of(self);
    for (const char* rel : {"/../token/libpqhsm.so", "/../src/token/libpqhsm.so", "/../lib/pqmcp/libpqhsm.so", "/libpqhsm.so"})
      if (::access((dir + rel).c_str(), R_OK) == 0) {
        char real[4096];
        if (::realpath((dir + rel).c_str(), real)) return real;
      }
  }
  return "";
}

// Reuses an existing PIN file (an earlier init that stopped before writing the config), else
// writes a fresh random PIN.
p11::Result<crypto::SecureBuffer> pin_file(const std::string& path) {
  if (::access(path.c_str(), F_OK) == 0) return p11::read_pin(p11::PinSource::file(path));
  auto pin = p11::random_pin(24);
  if (!pin) return pin;
  if (auto st = p11::write_pin_file(path, pin->span()); !st) return std::move(st).error();
  return pin;
}

int run_init(Globals& g) {
  const std::string cfg_path = g.config.empty() ? default_config_path() : g.config;
  if (::access(cfg_path.c_str(), F_OK) == 0) {
    auto c = load_config(cfg_path);
    if (!c) return fail(c.error(), kExitConfig);
    std::printf("pqmcp is already initialised (%s); nothing changed\n", cfg_path.c_str());
    return kExitOk;
  }
  Config c;
  c.path = cfg_path;
  c.data_dir = init_o.data_dir.empty() ? default_data_dir() : init_o.data_dir;
  const std::string module = init_o.module.empty() ? find_embedded_module() : init_o.module;
  if (module.empty()) return fail(kExitConfig, "cannot find libpqhsm.so; pass --module /path/to/libpqhsm.so");
  if (module[0] != '/') return fail(kExitUsage, "--module needs an absolute path");
  if (!make_dirs(c.data_dir, 0700) || !make_dirs(dirname_of(cfg_path), 0700))
    return fail(kExitIo, "cannot create " + c.data_dir + " or " + dirname_of(cfg_path));

  const std::string hsm_conf = c.data_dir + "/pqhsm.conf";
  if (::access(hsm_conf.c_str(), F_OK) != 0) {
    std::string text = "# libpqhsm configuration written by `pqmcp init` (docs/token.md)\ntoken_dir = " + c.data_dir + "/tokens\n";
    if (init_o.kdf_iterations) text += "kdf_iterations = " + std::to_string(init_o.kdf_iterations) + "\n";
    if (auto st = identity::write_file_atomic(hsm_conf, text, 0600); !st) return fail(st.error());
  }
  TokenConf tc;
  tc.module = module;
  tc.label = init_o.label;
  tc.pin_file = c.data_dir + "/user.pin";
  tc.so_pin_file = c.data_dir + "/so.pin";
  tc.env["PQHSM_CONF"] = hsm_conf;
  auto user = pin_file(tc.pin_file);
  if (!user) return fail(user.error());
  auto so = pin_file(tc.so_pin_file);
  if (!so) return fail(so.error());

  auto m = Context::load_module(tc);
  if (!m) return fail(m.error());
  if (!(*m)->find_token(tc.label)) {
    auto t = (*m)->init_token(tc.label, so->span(), user->span());
    if (!t) return fail(t.error());
  }
  c.default_token = "embedded";
  c.tokens["embedded"] = tc;
  // The config is written last: until it exists, `init` can simply be run again.
  if (auto st = identity::write_file_atomic(cfg_path, c.to_toml(), 0600); !st) return fail(st.error());
  std::printf("initialised pqmcp\n  config:     %s\n  data:       %s\n  token:      '%s' in %s\n"
              "  PIN files:  %s, %s (mode 0600)\nnext: pqmcp identity create NAME\n",
              cfg_path.c_str(), c.data_dir.c_str(), tc.label.c_str(), module.c_str(), tc.pin_file.c_str(),
              tc.so_pin_file.c_str());
  return kExitOk;
}

int run_token_init(Globals& g) {
  Context ctx(g.config.empty() ? default_config_path() : g.config);
  if (int rc = ctx.load()) return rc;
  if (int rc = ctx.lock()) return rc;
  Config& c = ctx.config();
  if (tok_o.name.empty() || tok_o.module.empty() || tok_o.label.empty())
    return fail(kExitUsage, "token init needs --name, --module and --label");
  if (c.tokens.count(tok_o.name)) return fail(kExitUsage, "a token named '" + tok_o.name + "' is already configured");
  TokenConf tc;
  tc.module = tok_o.module;
  tc.label = tok_o.label;
  tc.so_pin_file = c.data_dir + "/" + tok_o.name + ".so.pin";
  auto so = pin_file(tc.so_pin_file);
  if (!so) return fail(so.error());
  p11::Result<crypto::SecureBuffer> user = crypto::SecureBuffer();
  if (!tok_o.pin_env.empty()) {
    tc.pin_env = tok_o.pin_env;
    user = p11::read_pin(p11::PinSource::env(tok_o.pin_env));
  } else {
    tc.pin_file = c.data_dir + "/" + tok_o.name + ".user.pin";
    user = pin_file(tc.pin_file);
  }
  if (!user) return fail(user.error());
  auto m = Context::load_module(tc);
  if (!m) return fail(m.error());
  auto t = (*m)->init_token(tc.label, so->span(), user->span());
  if (!t) return fail(t.error());
  c.tokens[tok_o.name] = tc;
  if (c.default_token.empty()) c.default_token = tok_o.name;
  if (auto st = identity::write_file_atomic(c.path, c.to_toml(), 0600); !st) return fail(st.error());
  std::printf("initialised token '%s' (serial %s) in %s as '%s'\n", t->label.c_str(), t->serial.c_str(),
              tc.module.c_str(), tok_o.name.c_str());
  return kExitOk;
}

int run_token_list(Globals& g) {
  Context ctx(g.config.empty() ? default_config_path() : g.config);
  if (int rc = ctx.load()) return rc;
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (auto& [name, tc] : ctx.config().tokens) {
    std::string state = "ok", serial;
    auto m = Context::load_module(tc);
    if (!m) {
      state = "module missing";
    } else if (auto t = (*m)->find_token(tc.label); !t) {
      state = "token missing";
    } else {
      serial = t->serial;
    }
    out.push_back({{"name", name}, {"module", tc.module}, {"label", tc.label}, {"serial", serial}, {"state", state},
                   {"default", name == ctx.config().default_token}});
    rows.push_back({name + (name == ctx.config().default_token ? " *" : ""), tc.label, serial, state, tc.module});
  }
  if (g.json) std::printf("%s\n", out.dump(2).c_str());
  else print_table({"NAME", "LABEL", "SERIAL", "STATE", "MODULE"}, rows);
  return kExitOk;
}

int run_token_info(Globals& g) {
  Context ctx(g.config.empty() ? default_config_path() : g.config);
  if (int rc = ctx.load()) return rc;
  auto t = ctx.token(tok_o.name, false);
  if (!t) return fail(t.error());
  auto& mod = (*t)->module();
  auto mechs = mod.mechanisms((*t)->info().slot);
  if (!mechs) return fail(mechs.error());
  auto has = [&](CK_MECHANISM_TYPE m) {
    for (auto& x : *mechs)
      if (x.type == m) return true;
    return false;
  };
  const auto& i = (*t)->info();
  nlohmann::json caps = {{"ml-dsa", has(CKM_ML_DSA) && has(CKM_ML_DSA_KEY_PAIR_GEN)},
                         {"ml-kem", has(CKM_ML_KEM) && has(CKM_ML_KEM_KEY_PAIR_GEN)},
                         {"ed25519", has(CKM_EDDSA) && has(CKM_EC_EDWARDS_KEY_PAIR_GEN)},
                         {"p256", has(CKM_ECDSA) && has(CKM_EC_KEY_PAIR_GEN)}};
  caps["composite"] = caps["ml-dsa"].get<bool>() && caps["ed25519"].get<bool>();
  nlohmann::json names = nlohmann::json::array();
  for (auto& x : *mechs) names.push_back(p11::mechanism_name(x.type));
  const CK_VERSION v = mod.interface_version();
  nlohmann::json out = {{"label", i.label}, {"serial", i.serial}, {"manufacturer", i.manufacturer}, {"model", i.model},
                        {"module", mod.path()}, {"interface", std::to_string(v.major) + "." + std::to_string(v.minor)},
                        {"library", mod.description()}, {"capabilities", caps}, {"mechanisms", names},
                        {"user_pin_low", (i.flags & CKF_USER_PIN_COUNT_LOW) != 0},
                        {"user_pin_locked", (i.flags & CKF_USER_PIN_LOCKED) != 0}};
  if (g.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("token      %s (serial %s)\nmodule     %s\nlibrary    %s, PKCS#11 interface %s\n", i.label.c_str(),
              i.serial.c_str(), mod.path().c_str(), mod.description().c_str(), out["interface"].get<std::string>().c_str());
  std::printf("can do     ML-DSA %s, ML-KEM %s, Ed25519 %s, P-256 %s, composite ML-DSA+Ed25519 %s\n",
              caps["ml-dsa"].get<bool>() ? "yes" : "no", caps["ml-kem"].get<bool>() ? "yes" : "no",
              caps["ed25519"].get<bool>() ? "yes" : "no", caps["p256"].get<bool>() ? "yes" : "no",
              caps["composite"].get<bool>() ? "yes" : "no (split it: --ed25519-token)");
  std::printf("user PIN   %s\nmechanisms", (i.flags & CKF_USER_PIN_LOCKED) ? "LOCKED" : (i.flags & CKF_USER_PIN_COUNT_LOW) ? "tries running low" : "ok");
  for (auto& n : names) std::printf(" %s", n.get<std::string>().c_str());
  std::printf("\n");
  return kExitOk;
}

}  // namespace

void add_setup_commands(CLI::App& app, Globals& g) {
  auto* init = app.add_subcommand("init", "Create the config, the data directory and an embedded libpqhsm token");
  init->add_option("--module", init_o.module, "libpqhsm.so to record in the config (absolute path)");
  init->add_option("--label", init_o.label, "label of the embedded token")->capture_default_str();
  init->add_option("--data-dir", init_o.data_dir, "data directory (default $XDG_DATA_HOME/pqmcp)");
  init->add_option("--kdf-iterations", init_o.kdf_iterations, "PIN KDF cost of the embedded token (lower only in tests)");
  init->footer("Example:\n  pqmcp init\n  pqmcp init --module /opt/pqmcp/lib/libpqhsm.so");
  init->callback([&] { g.rc = run_init(g); });

  auto* token = app.add_subcommand("token", "Manage PKCS#11 tokens")->require_subcommand(1);
  auto* ti = token->add_subcommand("init", "Initialise a token in a module and add it to the config");
  ti->add_option("--name", tok_o.name, "name of the token in the config")->required();
  ti->add_option("--module", tok_o.module, "PKCS#11 module path")->required();
  ti->add_option("--label", tok_o.label, "token label")->required();
  ti->add_option("--pin-env", tok_o.pin_env, "take the user PIN from this environment variable instead of a generated file");
  ti->footer("Example:\n  pqmcp token init --name classic --module /usr/lib/softhsm/libsofthsm2.so --label classic");
  ti->callback([&] { g.rc = run_token_init(g); });
  auto* tinfo = token->add_subcommand("info", "Show a token, its mechanisms and what it can do");
  tinfo->add_option("name", tok_o.name, "token name in the config (default: default_token)");
  tinfo->callback([&] { g.rc = run_token_info(g); });
  auto* tl = token->add_subcommand("list", "List the configured tokens");
  tl->callback([&] { g.rc = run_token_list(g); });
}

}  // namespace pqmcp::cli
