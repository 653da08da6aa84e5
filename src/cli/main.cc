// The pqmcp command (docs/cli.md).
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "cli/context.h"

namespace pqmcp::cli {
int run_selftest(int argc, char** argv);

std::string dirname_of(const std::string& p) {
  auto i = p.find_last_of('/');
  return i == std::string::npos ? "" : (i == 0 ? "/" : p.substr(0, i));
}

bool make_dirs(const std::string& p, unsigned mode) {
  if (p.empty()) return true;
  struct stat st {};
  if (::stat(p.c_str(), &st) == 0) return S_ISDIR(st.st_mode);
  if (!make_dirs(dirname_of(p), mode)) return false;
  return ::mkdir(p.c_str(), mode) == 0 || errno == EEXIST;
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
  for (auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  auto line = [&](const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size(); ++i)
      std::printf("%-*s%s", static_cast<int>(i + 1 < r.size() ? w[i] : 0), r[i].c_str(), i + 1 < r.size() ? "  " : "\n");
  };
  line(header);
  for (auto& r : rows) line(r);
}
}  // namespace pqmcp::cli

int main(int argc, char** argv) {
  using namespace pqmcp::cli;
  // selftest keeps its own argument handling (`pqmcp selftest [--quick]`), unchanged.
  if (argc >= 2 && std::strcmp(argv[1], "selftest") == 0) return run_selftest(argc - 1, argv + 1);

  CLI::App app{"pqmcp: post-quantum identities, signatures and trust bundles on PKCS#11 tokens"};
  app.require_subcommand(1);
  app.fallthrough();
  Globals g;
  app.add_option("--config", g.config, "config file (default $PQMCP_CONFIG or ~/.config/pqmcp/config.toml)");
  app.add_flag("--json", g.json, "machine-readable output for listing commands");
  app.footer(
      "Quick start:\n"
      "  pqmcp init                               # config, data dir, embedded token\n"
      "  pqmcp identity create agent-1            # ML-DSA-65+Ed25519 on the token\n"
      "  pqmcp sign notes.txt --identity agent-1  # writes notes.txt.sig\n"
      "  pqmcp verify notes.txt notes.txt.sig\n"
      "  pqmcp identity rotate agent-1 --overlap 7d\n"
      "  pqmcp trust export --admin admin -o bundle.json\n"
      "Exit codes: 0 ok, 1 verification failed, 2 usage, 3 config, 4 token/PIN/module, 5 not found, 6 I/O.\n"
      "PINs come from the config's pin_env / pin_file or a terminal prompt, never from arguments.");
  app.add_subcommand("selftest", "Run the algorithms' known-answer self-tests ([--quick])");
  app.add_subcommand("version", "Print the version")->callback([] { std::puts("pqmcp 0.1.0"); });
  add_setup_commands(app, g);
  add_identity_commands(app, g);
  add_sign_commands(app, g);
  add_audit_commands(app, g);
  add_tools_commands(app, g);
  add_policy_commands(app, g);
  add_gateway_commands(app, g);
  add_serve_commands(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  return g.rc;
}
