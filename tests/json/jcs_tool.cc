// Reads one JSON text per line on stdin and writes its RFC 8785 form (or "ERROR <code>") per
// line on stdout. Driven by jcs_crosscheck.mjs, which compares it with the npm `canonicalize`.
#include <iostream>
#include <string>

#include "json/json.h"

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  const pqmcp::json::Limits limits{64 * 1024 * 1024, 1000};
  while (std::getline(std::cin, line)) {
    auto v = pqmcp::json::parse(line, limits);
    if (!v.ok()) {
      std::cout << "ERROR " << pqmcp::json::error_code_name(v.error().code) << '\n';
      continue;
    }
    auto c = pqmcp::json::canonicalize(*v, 1000);
    if (!c.ok()) {
      std::cout << "ERROR " << pqmcp::json::error_code_name(c.error().code) << '\n';
      continue;
    }
    std::cout << *c << '\n';
  }
  return 0;
}
