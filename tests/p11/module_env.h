// Test environment with both modules in one process: SoftHSM2 (classical only, 2.40 function
// list) and libpqhsm (PKCS#11 3.2). Each gets a fresh token directory under a temporary root;
// the environment variables are set before either module is loaded.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "p11/keys.h"

namespace pqmcp::p11::test {

inline const char* kSoftHsm = "/usr/lib/softhsm/libsofthsm2.so";

inline std::string make_temp_root() {
  char tmpl[] = "/tmp/pqmcp-p11-XXXXXX";
  const char* d = mkdtemp(tmpl);
  return d ? d : "";
}

// Writes both module configurations into root and points the environment at them.
inline void configure_modules(const std::string& root) {
  std::filesystem::create_directories(root + "/softhsm");
  std::ofstream(root + "/softhsm2.conf") << "directories.tokendir = " << root << "/softhsm\n"
                                         << "objectstore.backend = file\nlog.level = ERROR\n";
  setenv("SOFTHSM2_CONF", (root + "/softhsm2.conf").c_str(), 1);
  std::ofstream(root + "/pqhsm.conf") << "token_dir = " << root << "/pqhsm\nslots = 8\n"
                                      << "max_pin_failures = 3\nkdf_iterations = 10\n";
  setenv("PQHSM_CONF", (root + "/pqhsm.conf").c_str(), 1);
}

inline std::span<const std::uint8_t> bytes_of(const char* s) {
  return {reinterpret_cast<const std::uint8_t*>(s), std::strlen(s)};
}

}  // namespace pqmcp::p11::test
