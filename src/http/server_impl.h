// Internal to src/http: the state a running server shares between its acceptor, its connections
// and its endpoint.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "http/origin.h"
#include "http/server.h"
#include "http/tls_context.h"

namespace pqmcp::http {

// One HTTP response under construction; the connection implements it (conn.h). Besides the
// session Sink calls, the endpoint answers plain requests through it.
class Responder : public Sink {
 public:
  // Adds a response header (before the response starts).
  virtual void add_header(std::string name, std::string value) = 0;
  // A whole response. An empty content_type sends no Content-Type (202, 204).
  virtual void respond(int status, std::string content_type, std::string body) = 0;
  // After respond(): close the connection instead of reading the next request.
  virtual void close_after() = 0;
  // The TLS key-exchange group of the connection ("" without TLS).
  virtual const std::string& tls_group() const = 0;
  void json(int status, std::string body) override {
    std::string type = body.empty() ? "" : "application/json";  // before body is moved from
    respond(status, std::move(type), std::move(body));
  }
};
using ResponderPtr = std::shared_ptr<Responder>;
using Request = boost::beast::http::request<boost::beast::http::string_body>;

struct Server::Impl {
  Impl(ServerOptions o, UpstreamFactory up, FilterFactory f);
  ~Impl();
  std::string init();  // "" or the error
  void run();
  void stop();
  unsigned short port() const { return bound_port; }

  // endpoint.cc
  void handle(Request&& req, ResponderPtr r);
  void handle_post(Request& req, const ResponderPtr& r);
  void handle_get(Request& req, const ResponderPtr& r);
  void handle_delete(Request& req, const ResponderPtr& r);
  // stateless.cc
  void handle_stateless(Request& req, json::Value body, const ResponderPtr& r);
  bool serves_stateless() const;  // the upstream may speak 2026-07-28 (an HTTP upstream)
  // 400 body for an MCP-Protocol-Version the gateway does not serve (2026-07-28 -32022).
  std::string unsupported_version_body(const json::Value& id, const std::string& requested) const;
  void new_session(std::string line, json::Value id, std::string progress, bool strip, const ResponderPtr& r);
  void sweep();
  void stop_when_idle(std::chrono::steady_clock::time_point deadline);

  // conn.cc
  void accept();

  ServerOptions opt;
  UpstreamFactory upstream;
  FilterFactory filter;
  // Before ioc, so that it is destroyed after it: the io_context's destructor frees the
  // connections still queued in it (an idle keep-alive, a lingering close), and each one's
  // destructor counts itself out of these metrics.
  Metrics metrics;
  boost::asio::io_context ioc;
  std::optional<boost::asio::ssl::context> ssl;
  TlsContext tls;
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::signal_set signals;
  boost::asio::steady_timer sweeper;
  unsigned short bound_port = 0;
  SessionTable sessions;
  OriginCheck origins;
  std::atomic<bool> stopping{false};
  std::shared_ptr<void> stateless;  // stateless.cc's bridge state
};

// A JSON-RPC error body for an HTTP-level refusal (id null unless known).
std::string http_error_body(int code, const std::string& message, const json::Value& id = nullptr,
                            const char* reason = nullptr);

}  // namespace pqmcp::http
