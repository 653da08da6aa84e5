// The agent side (`pqmcp connect`): signs what the MCP client sends (requests, notifications,
// answers to the server's requests) with the agent identity, verifies everything the server
// side sends (responses bound to the request they answer, notifications, server requests), and
// enforces tool pins: a tool whose definition changed since it was pinned (a rug pull) is
// removed from tools/list results and calls to it are refused until `pqmcp tools approve`.
#pragma once

#include <string>

#include "gateway/side.h"
#include "mcp/pins.h"

namespace pqmcp::gateway {

struct PinConfig {
  std::string path;        // the pin store (docs/protocol.md §8); empty: no pinning
  bool trust_on_first_use = true;
};

class ConnectFilter final : public Side {
 public:
  // cfg.self: the agent identity; cfg.peer: the server identity (the audience of what this side
  // signs, the only sender it accepts, and the key of its tool pins).
  ConnectFilter(FilterConfig cfg, const mcp::Signer& signer, mcp::Verifier& verifier, AuditSink& audit,
                PinConfig pins);

  void from_client(std::string_view line, Emit& out) override;
  void from_server(std::string_view line, Emit& out) override;
  void client_overlong(const Overlong& o, Emit& out) override;
  void server_overlong(const Overlong& o, Emit& out) override;
  void server_gone(Emit& out) override;

 private:
  struct Pending {
    RequestDigest digest;  // of the request as this side signed and sent it
    std::string method, target;
  };
  // Applies the pins to a verified tools/list result in place.
  void check_pins(json::Value& msg, const AuditRecord& base);
  // True if a call to tool must be refused (changed or unapproved definition).
  bool blocked(const std::string& tool);
  bool bound_error(const json::Value& msg, AuditRecord& rec, const std::string& key, Emit& out);
  void reject_response(const std::string& key, const std::string& reason, Emit& out, int code,
                       const std::string& message);

  PinConfig pins_cfg_;
  std::map<std::string, std::string> blocked_;  // tool → digest of the withheld definition
  PendingMap<Pending> to_server_;               // the client's requests awaiting a response
  PendingMap<RequestDigest> from_server_;       // the server's requests awaiting the client
};

}  // namespace pqmcp::gateway
