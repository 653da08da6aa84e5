// The agent side (`pqmcp connect`): signs what the MCP client sends (requests, notifications,
// answers to the server's requests) with the agent identity, verifies everything the server
// side sends (responses bound to the request they answer, notifications, server requests), and
// enforces tool pins: a tool whose definition changed since it was pinned (a rug pull) is
// removed from tools/list results and calls to it are refused until `pqmcp tools approve`.
#pragma once

#include <cstdint>
#include <optional>
#include <deque>
#include <utility>
#include <string>

#include "gateway/side.h"
#include "mcp/pins.h"

namespace pqmcp::gateway {

// How long connect keeps a request open after a message under its id was rejected (a response
// that fails verification, or the server side's refusal of a request other than the one this
// side sent): a man in the middle can inject such a message ahead of the genuine answer, and the
// request as sent may still run and be answered (docs/gateway.md "A rejected answer").
inline constexpr std::int64_t kDefaultAnswerWaitMs = 2000;

struct PinConfig {
  std::string path;        // the pin store (docs/protocol.md §8); empty: no pinning
  bool trust_on_first_use = true;
};

class ConnectFilter final : public Side {
 public:
  // cfg.self: the agent identity; cfg.peer: the server identity (the audience of what this side
  // signs, the only sender it accepts, and the key of its tool pins).
  // answer_wait_ms: kDefaultAnswerWaitMs's wait; 0 answers the client with the error at once.
  ConnectFilter(FilterConfig cfg, const mcp::Signer& signer, mcp::Verifier& verifier, AuditSink& audit,
                PinConfig pins, std::int64_t answer_wait_ms = kDefaultAnswerWaitMs);

  void from_client(std::string_view line, Emit& out) override;
  void from_server(std::string_view line, Emit& out) override;
  void client_overlong(const Overlong& o, Emit& out) override;
  void server_overlong(const Overlong& o, Emit& out) override;
  void server_gone(Emit& out) override;
  // Answers held requests whose wait ended without a verified answer.
  std::int64_t due(Emit& out) override;
  void forget(const json::Value& id) override;

 private:
  struct Pending {
    RequestDigest digest;  // of the request as this side signed and sent it
    std::string method, target;
    // Set when a message under this id was rejected: the error the client gets unless a verified
    // answer comes by `until` (wait_clock_ms()).
    struct Held {
      std::int64_t until = 0;
      std::string reason, message;
      int code = 0;
    };
    std::optional<Held> held;
  };
  // Applies the pins to a verified tools/list result in place.
  void check_pins(json::Value& msg, const AuditRecord& base);
  // True if a call to tool must be refused (changed or unapproved definition).
  bool blocked(const std::string& tool);
  bool bound_error(const json::Value& msg, AuditRecord& rec, const std::string& key, Pending& p, Emit& out);
  void reject_response(const std::string& key, const std::string& reason, Emit& out, int code,
                       const std::string& message);
  // A message under pending request `key` was rejected: the client gets the error when the wait
  // ends without a verified answer (at once when answer_wait_ms_ is 0). The first rejection's
  // reason and deadline stand.
  void hold(const std::string& key, Pending p, const std::string& reason, int code, const std::string& message,
            Emit& out);
  // Monotonic milliseconds for the waits (a step of the wall clock neither ends nor stretches
  // one); the configured clock when there is one (tests step it).
  std::int64_t wait_clock_ms() const;

  PinConfig pins_cfg_;
  std::map<std::string, std::string> blocked_;  // tool → digest of the withheld definition
  PendingMap<Pending> to_server_;               // the client's requests awaiting a response
  PendingMap<RequestDigest> from_server_;       // the server's requests awaiting the client
  std::int64_t answer_wait_ms_;
  // (until, key) of each hold, in the order they began, which is the order they end (the wait
  // is the same for all). An entry whose request was answered or forgotten is skipped by due().
  std::deque<std::pair<std::int64_t, std::string>> held_;
};

}  // namespace pqmcp::gateway
