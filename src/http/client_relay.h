// `pqmcp connect --url`: the stdio relay of the agent side with an HTTP client where the child
// process used to be. The MCP client still speaks newline-delimited JSON-RPC on our stdin and
// stdout; each line passes through the same gateway::Filter (ConnectFilter: sign, verify, pins)
// and the server side is a Streamable HTTP session (client.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "gateway/relay.h"
#include "http/client.h"

namespace pqmcp::http {

struct HttpRelayOptions {
  std::size_t max_line = 16u << 20;
  // After stdin ends: how long to wait for requests still in flight before closing the session.
  std::chrono::milliseconds drain{2000};
  std::string name = "pqmcp connect";
};

struct HttpRelayResult {
  int exit_code = 0;     // 0 after a normal end (client EOF), 1 when the server side ended it
  std::string ended_by;  // "client-eof", "session-ended", "signal", "client-write-error"
  ClientStats stats;       // of the last session
  int sessions_reopened = 0;  // new sessions opened after the server answered 404
};

// Runs the session until the client leaves or the server ends it. client_in/client_out are
// normally 0 and 1.
HttpRelayResult run_http_relay(ClientConfig cfg, gateway::Filter& f, int client_in, int client_out,
                               const HttpRelayOptions& o);

}  // namespace pqmcp::http
