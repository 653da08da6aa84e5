// The module's configuration file (docs/token.md "Configuration").
//
// Path: $PQHSM_CONF, else $XDG_DATA_HOME/pqmcp/pqhsm.conf, else ~/.local/share/pqmcp/pqhsm.conf.
// Format: one `key = value` per line, `#` starts a comment. Keys:
//   token_dir        directory holding one sub-directory per slot (default: beside the file)
//   slots            number of slots, 1..64 (default 1); slot ids are 0..slots-1, stable
//   max_pin_failures consecutive wrong PINs before the PIN locks (default 10)
//   kdf_iterations   PBKDF2-HMAC-SHA256 iterations for the PIN keys (default 600000)
//   keyops_log       relaxed | on | off: the key-operation log (core/oplog.h). relaxed (default):
//                    each entry is buffered (bounded) before the C function returns and committed
//                    by the log's thread; a killed process can lose only the buffered entries; a
//                    failed commit refuses later operations (CKR_DEVICE_ERROR). on: committed
//                    and fsynced before the C function returns.
// A missing file gives the defaults; an unreadable or malformed file fails C_Initialize.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace pqmcp::token {

struct Config {
  std::string token_dir;
  unsigned slots = 1;
  unsigned max_pin_failures = 10;
  std::uint32_t kdf_iterations = 600000;
  bool keyops_log = true;
  bool keyops_relaxed = true;
};

// Reads the configuration file named by the environment (see above).
Result<Config> load_config();

// Parses configuration text; base_dir is the default token directory.
Result<Config> parse_config(const std::string& text, const std::string& base_dir);

}  // namespace pqmcp::token
