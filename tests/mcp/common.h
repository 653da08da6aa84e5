// Shared fixtures for the MCP tests: fixed keys, the recorded sessions, a two-party setup.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mcp/envelope.h"
#include "mcp/verifier.h"

namespace pqmcp::mcp::testing {

inline constexpr std::int64_t kNow = 1'790'000'000'000;  // a fixed "now" (2026-09)

// Private key bytes 0, 1, 2, ... offset by `salt` (docs/protocol.md §9 states the same rule).
inline std::vector<std::uint8_t> fixed_key(Algorithm a, std::uint8_t salt) {
  std::vector<std::uint8_t> k(private_key_size(a));
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i + salt);
  return k;
}

inline std::unique_ptr<LocalSigner> make_signer(Algorithm a, const std::string& kid,
                                                std::uint8_t salt, bool deterministic = false) {
  auto s = LocalSigner::create(a, kid, fixed_key(a, salt), deterministic);
  EXPECT_TRUE(s.ok());
  return s.ok() ? std::move(*s) : nullptr;
}

struct Recorded {
  bool client_to_server;
  Value msg;
};

inline std::vector<Recorded> load_session(const std::string& name) {
  std::ifstream in(std::string(PQMCP_MCP_DATA_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::vector<Recorded> out;
  std::string line;
  while (std::getline(in, line)) {
    auto v = json::parse(line);
    EXPECT_TRUE(v.ok()) << line;
    if (v.ok()) out.push_back({(*v)["dir"] == "c2s", (*v)["msg"]});
  }
  return out;
}

}  // namespace pqmcp::mcp::testing
