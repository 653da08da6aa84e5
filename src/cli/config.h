// The command's TOML configuration (docs/cli.md "Configuration").
#pragma once

#include <map>
#include <string>

#include "p11/result.h"

namespace pqmcp::cli {

struct TokenConf {
  std::string module;       // absolute path of the PKCS#11 module
  std::string label;        // token label
  std::string pin_env;      // user PIN from this environment variable, or
  std::string pin_file;     // from this 0600 file; neither: prompt on /dev/tty
  std::string so_pin_file;  // SO PIN (token init); prompt when empty
  std::map<std::string, std::string> env;  // set before loading the module (PQHSM_CONF, …)
};

struct Config {
  std::string path;
  std::string data_dir;
  std::string default_token;
  std::map<std::string, TokenConf> tokens;

  std::string registry_path() const { return data_dir + "/identities.json"; }
  std::string to_toml() const;
};

// $PQMCP_CONFIG, else $XDG_CONFIG_HOME/pqmcp/config.toml, else ~/.config/pqmcp/config.toml.
std::string default_config_path();
// $XDG_DATA_HOME/pqmcp, else ~/.local/share/pqmcp.
std::string default_data_dir();

// Missing file → kNotFound ("run pqmcp init"); unparsable → kInput naming line and column.
p11::Result<Config> load_config(const std::string& path);

}  // namespace pqmcp::cli
