// One HTTP/1.1 connection of the MCP client, plain or TLS, with the few operations the client
// needs as coroutines that report errors as values (no exceptions on the data path).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "http/client_tls.h"
#include "http/client_url.h"

namespace pqmcp::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using error_code = boost::system::error_code;

using Request = bhttp::request<bhttp::string_body>;
using ResponseParser = bhttp::response_parser<bhttp::buffer_body>;

class Conn {
 public:
  // Connects (and, for https, handshakes and checks the TLS result). On failure, *why says what
  // failed and nullptr is returned.
  static asio::awaitable<std::unique_ptr<Conn>> open(asio::any_io_executor ex, const Url& url,
                                                     const asio::ip::tcp::resolver::results_type& endpoints,
                                                     const ClientTls* tls, asio::ssl::context* sslctx,
                                                     std::chrono::milliseconds timeout, std::string* why);

  asio::awaitable<error_code> write(Request& req);
  asio::awaitable<error_code> read_header(ResponseParser& p);
  // Reads up to cap body bytes into buf; *n is how many arrived. need_buffer is not an error.
  asio::awaitable<error_code> read_body(ResponseParser& p, char* buf, std::size_t cap, std::size_t* n);
  void close();
  void expires_after(std::chrono::milliseconds d);

  const std::string& group() const { return group_; }
  bool reused = false;  // has served an earlier exchange (a failure may be a stale keep-alive)

 private:
  explicit Conn(beast::tcp_stream s) : plain_(std::move(s)) {}
  beast::tcp_stream& lowest();
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buf_;
  std::string group_;
};

}  // namespace pqmcp::http
