// The relay: one poll() loop that moves newline-delimited messages between the MCP client (our
// stdin/stdout) and the child (its stdin/stdout), passes each line through a Filter, forwards
// the child's stderr, and ends the session cleanly whichever side goes away first.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/child.h"
#include "gateway/framing.h"
#include "json/json.h"

namespace pqmcp::gateway {

// Lines a filter wants written, toward either side. Lines carry no newline.
class Emit {
 public:
  Emit(OutQueue& client, OutQueue& server) : c_(client), s_(server) {}
  void to_client(std::string line) { c_.push(std::move(line)); }
  void to_server(std::string line) { s_.push(std::move(line)); }

 private:
  OutQueue& c_;
  OutQueue& s_;
};

// The policy between the two sides. Implementations must not throw (the relay catches as a
// last resort and drops the line, but a filter is expected to answer bad input itself).
class Filter {
 public:
  virtual ~Filter() = default;
  virtual void from_client(std::string_view line, Emit& out) = 0;
  virtual void from_server(std::string_view line, Emit& out) = 0;
  virtual void client_overlong(const Overlong& o, Emit& out) = 0;
  virtual void server_overlong(const Overlong& o, Emit& out) = 0;
  // The child's stdout ended (it exited or crashed): answer what is still pending.
  virtual void server_gone(Emit& out) = 0;
  // Called once what the last messages produced has been written: work that nothing downstream
  // waits for (the decisions' audit records, a request's digest needed only when its response
  // comes back) is done here, while the peer processes the message, instead of before
  // forwarding it. The stdio relay also calls it once more before it returns.
  virtual void idle() {}
  // Work that is due at a time rather than on a message: answers the filter held back and whose
  // wait has ended (ConnectFilter's wait for a verified answer). Called on every turn of the
  // transport's loop; returns the milliseconds until it is next due, or -1 for never.
  virtual std::int64_t due(Emit&) { return -1; }
  // The transport answered the client's request `id` itself (a transport failure, or a request
  // the transport made and consumed): the filter forgets what it keeps for it, so that nothing
  // answers it a second time.
  virtual void forget(const json::Value& /*id*/) {}
};

struct RelayOptions {
  std::size_t max_line = 16u << 20;
  // Stop reading a side while more than this is queued toward the other (backpressure).
  std::size_t high_water = 32u << 20;
  ShutdownTimeouts shutdown{};
  std::string name = "pqmcp";  // prefix of our own stderr lines
};

struct RelayResult {
  int exit_code = 0;         // the child's, or 0 when we ended it after the client left
  std::string ended_by;      // "client-eof", "server-exit", "signal", "client-write-error"
  std::string child_ended;   // "exited", "sigterm", "sigkill"
};

// Runs until the session ends; the child is reaped before it returns. client_in/client_out are
// normally 0 and 1. SIGPIPE is ignored for the process; SIGINT/SIGTERM/SIGHUP end the session
// with the child's shutdown sequence.
RelayResult run_relay(Child& child, int client_in, int client_out, Filter& f, const RelayOptions& o);

}  // namespace pqmcp::gateway
