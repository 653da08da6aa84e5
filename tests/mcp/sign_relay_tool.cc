// Line relay for the SDK interop test: reads {"dir":"c2s"|"s2c","msg":<JSON-RPC>} per line,
// signs msg as the agent (c2s) or the server (s2c) with composite ML-DSA-65+Ed25519, verifies it
// as the receiving side would, and writes the signed message (or {"error":reason}) per line.
#include <iostream>
#include <map>

#include "mcp/common.h"

using namespace pqmcp;
using namespace pqmcp::mcp;

int main() {
  std::ios::sync_with_stdio(false);
  auto agent = mcp::testing::make_signer(Algorithm::kMlDsa65Ed25519, "agent-key", 1);
  auto server = mcp::testing::make_signer(Algorithm::kMlDsa65Ed25519, "server-key", 2);
  StaticKeyResolver keys;
  keys.add("agent-key", agent->algorithm(), agent->public_key(), "agent:test");
  keys.add("server-key", server->algorithm(), server->public_key(), "server:everything");
  auto agent_session = SigningSession::create(*agent, "server:everything").value();
  auto server_session = SigningSession::create(*server, "agent:test").value();
  VerifierConfig at_server, at_agent;
  at_server.audiences = {"server:everything"};
  at_agent.audiences = {"agent:test"};
  Verifier verify_at_server(at_server, keys), verify_at_agent(at_agent, keys);
  std::map<std::string, std::array<std::uint8_t, 32>> sent[2];  // requests sent by agent/server

  std::string line;
  while (std::getline(std::cin, line)) {
    auto in = json::parse(line);
    if (!in.ok()) {
      std::cout << R"({"error":"bad input line"})" << std::endl;
      continue;
    }
    const bool c2s = (*in)["dir"] == "c2s";
    Value msg = (*in)["msg"];
    auto info = classify(msg);
    if (!info.ok()) {
      std::cout << Value{{"error", info.error()}}.dump() << std::endl;
      continue;
    }
    const bool response = info->kind == Kind::kResult || info->kind == Kind::kError;
    std::optional<std::array<std::uint8_t, 32>> answers;
    if (response) {
      auto& t = sent[c2s ? 1 : 0];
      auto it = t.find(info->id.dump());
      if (it != t.end()) answers = it->second;
    }
    const std::int64_t now = mcp::testing::kNow;
    auto d = (c2s ? *agent_session : *server_session).sign(msg, now, answers);
    if (!d.ok()) {
      std::cout << Value{{"error", d.error()}}.dump() << std::endl;
      continue;
    }
    if (info->kind == Kind::kRequest) sent[c2s ? 0 : 1][info->id.dump()] = mcp::request_digest(msg).value();
    auto v = (c2s ? verify_at_server : verify_at_agent).verify_text(msg.dump(), now, answers);
    if (!v.ok()) {
      std::cout << Value{{"error", reason_name(v.error().reason)}}.dump() << std::endl;
      continue;
    }
    std::cout << Value{{"msg", msg}}.dump() << std::endl;
  }
  return 0;
}
