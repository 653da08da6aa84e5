// The server side (`pqmcp wrap`): verifies each message from the agent (signature, sender,
// freshness, replay, binding), applies the policy to requests, and signs everything the server
// sends back — responses bound to the request they answer, notifications, and server-to-client
// requests (sampling, elicitation, roots, ping).
#pragma once

#include "gateway/side.h"

namespace pqmcp::gateway {

class WrapFilter final : public Side {
 public:
  // cfg.self: the server identity (accepted audience); cfg.peer: if set, the only agent accepted.
  // policy may be null: every verified agent may send every request.
  WrapFilter(FilterConfig cfg, const mcp::Signer& signer, mcp::Verifier& verifier, AuditSink& audit,
             PolicyCheck* policy);

  void from_client(std::string_view line, Emit& out) override;
  void from_server(std::string_view line, Emit& out) override;
  void client_overlong(const Overlong& o, Emit& out) override;
  void server_overlong(const Overlong& o, Emit& out) override;
  void server_gone(Emit& out) override;

  // The agent this session speaks for (the first verified sender); empty until then.
  const std::string& agent() const { return agent_; }

 private:
  struct Pending {
    RequestDigest digest;  // of the request as received (a response must name it)
    std::string method, target;
  };
  std::string audience() const { return agent_.empty() ? (cfg_.peer.empty() ? "unknown" : cfg_.peer) : agent_; }
  // Whom to address the refusal of a message that failed verification: the session's agent, or
  // before there is one, the identity its envelope claims (so that connect can verify the
  // refusal and show the real reason instead of its own wrong-audience).
  std::string refusal_audience(const json::Value& msg, mcp::Kind kind) const;

  PolicyCheck* policy_;
  std::string agent_;
  PendingMap<Pending> from_agent_;    // the agent's requests awaiting the server's response
  PendingMap<RequestDigest> to_agent_;  // the server's requests (as signed) awaiting the agent
};

}  // namespace pqmcp::gateway
