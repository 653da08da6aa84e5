// Where a PIN comes from. Never from argv (visible in `ps`, shell history) and never logged:
// from an environment variable, from a file that only its owner can read, or from a prompt on
// the controlling terminal with echo off.
#pragma once

#include <string>

#include "crypto/secure.h"
#include "p11/result.h"

namespace pqmcp::p11 {

struct PinSource {
  enum class Kind { kEnv, kFile, kPrompt };
  Kind kind = Kind::kPrompt;
  std::string where;  // variable name (kEnv), path (kFile), prompt text (kPrompt)

  static PinSource env(std::string var) { return {Kind::kEnv, std::move(var)}; }
  static PinSource file(std::string path) { return {Kind::kFile, std::move(path)}; }
  static PinSource prompt(std::string text = "PIN: ") { return {Kind::kPrompt, std::move(text)}; }
  // "environment variable PQMCP_PIN", "file /x/pin" — for error messages (never the PIN).
  std::string describe() const;
};

// Reads the PIN into a zeroizing buffer. A file PIN ends at the first newline; a file readable
// by group or others is refused, since that would leak the PIN to other local users.
Result<crypto::SecureBuffer> read_pin(const PinSource& src);

// Writes a fresh PIN file with mode 0600 (O_EXCL: never overwrites).
Status write_pin_file(const std::string& path, std::span<const std::uint8_t> pin);

// n random characters from an unambiguous alphabet, for PINs `pqmcp init` generates.
Result<crypto::SecureBuffer> random_pin(std::size_t n);

}  // namespace pqmcp::p11
