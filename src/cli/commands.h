// Subcommand registration. Each file adds its subcommands to the CLI11 app; callbacks store
// their exit code in Globals::rc.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace pqmcp::cli {

struct Globals {
  std::string config;
  bool json = false;
  int rc = 0;
};

void add_setup_commands(CLI::App& app, Globals& g);     // init, token
void add_identity_commands(CLI::App& app, Globals& g);  // identity
void add_sign_commands(CLI::App& app, Globals& g);      // sign, verify, trust
void add_audit_commands(CLI::App& app, Globals& g);     // audit
void add_tools_commands(CLI::App& app, Globals& g);     // tools
void add_policy_commands(CLI::App& app, Globals& g);    // policy
void add_gateway_commands(CLI::App& app, Globals& g);   // wrap, connect
void add_serve_commands(CLI::App& app, Globals& g);     // serve

// Aligned text table on stdout.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
// The directory part of a path ("" for none).
std::string dirname_of(const std::string& path);
// mkdir -p with mode for created directories.
bool make_dirs(const std::string& path, unsigned mode);

}  // namespace pqmcp::cli
