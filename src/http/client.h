// The client side of MCP's Streamable HTTP transport, for both protocol eras:
//  - 2025-11-25 (MCP basic/transports "Streamable HTTP"): every message is a POST; a request is
//    answered with application/json or a text/event-stream; initialize may assign an
//    Mcp-Session-Id that every later request carries, with MCP-Protocol-Version; a GET opens the
//    stream for server-initiated messages, resumed with Last-Event-ID after a drop; DELETE ends
//    the session.
//  - 2026-07-28 (basic/transports/streamable-http): stateless POSTs that mirror the body into
//    MCP-Protocol-Version, Mcp-Method and Mcp-Name headers (SEP-2243); no session, no GET stream.
// The era of each message is read from the message itself (a request whose params._meta carries
// io.modelcontextprotocol/protocolVersion is 2026-07-28).
//
// Messages keep the order the caller gave where the protocol depends on it: nothing is sent
// while an initialize is unanswered (its answer carries the session), and nothing overtakes a
// notification or response before the server has accepted it (202). Requests run concurrently on
// up to max_connections keep-alive connections. Every callback runs on the executor given to
// create(), never inside send() or close().
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http/client_tls.h"
#include "http/client_url.h"
#include "json/json.h"

namespace pqmcp::http {

struct ClientConfig {
  Url url;
  std::shared_ptr<ClientTls> tls;          // required for https URLs
  std::size_t max_message = 16u << 20;     // one JSON body or SSE event
  std::size_t max_connections = 8;         // POSTs at once (the GET stream has its own)
  std::size_t max_queued = 4096;           // messages waiting for a connection
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds close_timeout{2000};  // for the DELETE on close
  int max_reconnects = 5;                  // consecutive failed GET / resume attempts
  bool get_stream = true;                  // open the GET stream in a session
  // Sent with every 2026-07-28 POST as received from the agent, e.g. the Mcp-Param-* headers of a
  // stateless request that `pqmcp serve` forwards (their meaning comes from the tool's
  // inputSchema, which only the server knows, so the gateway passes them on unchanged).
  std::vector<std::pair<std::string, std::string>> forward_headers;
  std::string log_name = "pqmcp";
};

struct ClientStats {
  std::size_t connections = 0;  // opened so far
  std::string tls_group;        // of the latest TLS connection
  std::string session_id;
  std::string protocol_version;
};

class Client {
 public:
  struct Events {
    // One JSON-RPC message from the server (no newline inside).
    std::function<void(std::string message)> on_message;
    // A request got no JSON-RPC answer over HTTP (connection, status, stream lost). Not called
    // for the requests pending when the session ends: on_gone covers those.
    std::function<void(const json::Value& id, const std::string& why)> on_failure;
    // The session is over: the server ended it (404) or close() finished. Nothing follows.
    std::function<void(const std::string& why)> on_gone;
  };

  static std::shared_ptr<Client> create(boost::asio::any_io_executor ex, ClientConfig cfg, Events ev);
  virtual ~Client() = default;
  // Queues one JSON-RPC message. Called on the executor.
  virtual void send(std::string message) = 0;
  // Waits for nothing: DELETEs the session (if any), closes every connection, then on_gone.
  virtual void close() = 0;
  // Stops every callback at once and closes the connections (the owner is going away).
  virtual void detach() = 0;
  // Requests sent or queued and not yet answered (or failed).
  virtual std::size_t in_flight() const = 0;
  virtual ClientStats stats() const = 0;
};

}  // namespace pqmcp::http
