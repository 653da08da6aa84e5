// The MCP server behind `pqmcp serve`, seen as a line transport: the gateway sends it one
// JSON-RPC message at a time and receives each message it emits, exactly as on the stdio
// transport (MCP basic/transports: one message per line, no embedded newline). One Upstream
// serves one session. Two implementations: a child process on pipes (StdioUpstream, below) and
// an HTTP MCP server (http_upstream.h).
//
// Threading contract (both sides rely on it):
//  - An Upstream is created bound to an executor (the session's strand). Every Events callback
//    runs on that executor, one at a time, never inside send()/close() (always posted).
//  - send() and close() are called only from that same executor. They never block: send queues
//    the line (the implementation applies its own bound and reports overflow as gone).
//  - After on_gone, no other callback follows; send() is then ignored.
//  - Destroying the Upstream stops deliveries; outstanding asynchronous work must keep itself
//    alive (shared_from_this) and must not call back after destruction has begun.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/framing.h"
#include "json/result.h"

namespace pqmcp::http {

class Upstream {
 public:
  struct Events {
    // One message from the server, without the newline.
    std::function<void(std::string line)> on_line;
    // A message longer than the line limit: only its size and both ends are kept.
    std::function<void(const gateway::Overlong& o)> on_overlong;
    // The server is gone (exited, crashed, connection refused, closed by us). `why` is a short
    // human text for logs and for the JSON-RPC error the session answers with.
    std::function<void(std::string why)> on_gone;
  };

  virtual ~Upstream() = default;
  // Starts delivering events. Called once, on the executor.
  virtual void start(Events ev) = 0;
  // One complete JSON-RPC message, without a newline.
  virtual void send(std::string line) = 0;
  // Ends the upstream (stdio: close stdin, SIGTERM, SIGKILL, reap; HTTP: DELETE the session).
  // on_gone follows once it is over.
  virtual void close() = 0;
  // A short description for logs ("pid 1234", "https://host/mcp").
  virtual std::string describe() const = 0;
  // Headers to pass on with the requests of this upstream (a stateless lane's Mcp-Param-*).
  // Called before start(); a transport without headers ignores them.
  virtual void forward_headers(std::vector<std::pair<std::string, std::string>> /*h*/) {}
};

// Makes one Upstream per session, bound to the given executor. Errors are a sentence.
using UpstreamFactory =
    std::function<Result<std::unique_ptr<Upstream>, std::string>(boost::asio::any_io_executor ex)>;

// The stdio upstream: `argv` started with gateway::Child per session. max_line bounds each
// message; shutdown_ms is the wait after closing stdin and after SIGTERM.
UpstreamFactory stdio_upstream_factory(std::vector<std::string> argv, std::size_t max_line, int shutdown_ms,
                                       std::string log_name);

}  // namespace pqmcp::http
