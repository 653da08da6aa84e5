// Shared state of one `pqmcp` run: the config, the identity registry, open tokens, and the
// mapping from errors to the documented exit codes (docs/cli.md "Exit codes").
#pragma once

#include <map>
#include <memory>
#include <string>

#include "cli/config.h"
#include "identity/keystore.h"
#include "identity/registry.h"

namespace pqmcp::cli {

enum Exit : int {
  kExitOk = 0,
  kExitVerifyFailed = 1,
  kExitUsage = 2,
  kExitConfig = 3,
  kExitToken = 4,
  kExitNotFound = 5,
  kExitIo = 6,
};

// Prints "pqmcp: <error>" to stderr and returns the exit code for its kind.
int fail(const p11::Error& e, int code = -1);
int fail(int code, const std::string& message);

class Context {
 public:
  explicit Context(std::string config_path) : config_path_(std::move(config_path)) {}

  // Loads the config (exit 3 on failure) and the registry.
  int load();
  Config& config() { return config_; }
  identity::Registry& registry() { return registry_; }

  // The configured token by name (default_token when empty), logged in with its PIN source.
  p11::Result<std::shared_ptr<p11::Token>> token(const std::string& name, bool login = true);
  // The token a key part lives on, found by module path and label.
  p11::Result<std::shared_ptr<p11::Token>> token_at(const std::string& module, const std::string& label);
  identity::TokenResolver resolver();
  // Applies a token's env entries and loads its module.
  static p11::Result<std::shared_ptr<p11::Module>> load_module(const TokenConf& tc);

  // Serialises writers of the registry across processes (flock on data_dir/.lock).
  int lock();

 private:
  p11::Result<std::shared_ptr<p11::Token>> open(const std::string& name, const TokenConf& tc, bool login);
  std::string config_path_;
  Config config_;
  identity::Registry registry_;
  std::map<std::string, std::shared_ptr<p11::Token>> open_;
  int lock_fd_ = -1;
};

}  // namespace pqmcp::cli
