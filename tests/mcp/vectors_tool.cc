// Regenerates docs/protocol-vectors.json: mcp_vectors_tool > docs/protocol-vectors.json
#include <iostream>

#include "mcp/vectors.h"

int main() {
  const auto v = pqmcp::mcp::testing::make_vectors();
  if (v.is_null()) return 1;
  std::cout << v.dump(1) << '\n';
  return 0;
}
