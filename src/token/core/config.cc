#include "core/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace pqmcp::token {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool parse_uint(const std::string& s, unsigned long lo, unsigned long hi, unsigned long& out) {
  if (s.empty() || s.size() > 10) return false;
  unsigned long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned long>(c - '0');
  }
  if (v < lo || v > hi) return false;
  out = v;
  return true;
}

std::string config_path() {
  if (const char* p = std::getenv("PQHSM_CONF"); p && *p) return p;
  // GCC 12 warns falsely (-Wrestrict) on `std::string(p) + "literal"`; append instead.
  std::string out;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) {
    out.assign(x);
    out.append("/pqmcp/pqhsm.conf");
    return out;
  }
  const char* home = std::getenv("HOME");
  out.assign(home ? home : ".");
  out.append("/.local/share/pqmcp/pqhsm.conf");
  return out;
}

}  // namespace

Result<Config> parse_config(const std::string& text, const std::string& base_dir) {
  Config c;
  c.token_dir.assign(base_dir);
  c.token_dir.append("/tokens");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    line = trim(line);
    if (line.empty()) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) return Status(CKR_GENERAL_ERROR);
    std::string key = trim(line.substr(0, eq)), val = trim(line.substr(eq + 1));
    unsigned long n = 0;
    if (key == "token_dir") {
      if (val.empty()) return Status(CKR_GENERAL_ERROR);
      c.token_dir = val;
    } else if (key == "slots") {
      if (!parse_uint(val, 1, 64, n)) return Status(CKR_GENERAL_ERROR);
      c.slots = static_cast<unsigned>(n);
    } else if (key == "max_pin_failures") {
      if (!parse_uint(val, 1, 1000, n)) return Status(CKR_GENERAL_ERROR);
      c.max_pin_failures = static_cast<unsigned>(n);
    } else if (key == "kdf_iterations") {
      if (!parse_uint(val, 1, 100000000, n)) return Status(CKR_GENERAL_ERROR);
      c.kdf_iterations = static_cast<std::uint32_t>(n);
    } else if (key == "keyops_log") {
      if (val != "on" && val != "relaxed" && val != "off") return Status(CKR_GENERAL_ERROR);
      c.keyops_log = val != "off";
      c.keyops_relaxed = val == "relaxed";
    } else {
      return Status(CKR_GENERAL_ERROR);  // unknown keys are typos, not extensions
    }
  }
  return c;
}

Result<Config> load_config() {
  std::string path = config_path();
  std::string base = path.substr(0, path.find_last_of('/') == std::string::npos
                                        ? 0
                                        : path.find_last_of('/'));
  if (base.empty()) base = ".";
  std::ifstream f(path);
  if (!f) return parse_config("", base);
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return Status(CKR_GENERAL_ERROR);
  return parse_config(ss.str(), base);
}

}  // namespace pqmcp::token
