#include "http/client_conn.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pqmcp::http {

namespace {
constexpr auto kWriteTimeout = std::chrono::seconds(30);
}

beast::tcp_stream& Conn::lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

asio::awaitable<std::unique_ptr<Conn>> Conn::open(asio::any_io_executor ex, const Url& url,
                                                  const asio::ip::tcp::resolver::results_type& endpoints,
                                                  const ClientTls* tls, asio::ssl::context* sslctx,
                                                  std::chrono::milliseconds timeout, std::string* why) {
  error_code ec;
  beast::tcp_stream s(ex);
  s.expires_after(timeout);
  co_await s.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    *why = "cannot connect to " + url.host_header() + ": " + ec.message();
    co_return nullptr;
  }
  s.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  std::unique_ptr<Conn> c(new Conn(std::move(s)));
  if (!url.tls) {
    c->plain_->expires_never();
    co_return c;
  }
  c->tls_.emplace(std::move(*c->plain_), *sslctx);
  c->plain_.reset();
  if (!tls->prepare(c->tls_->native_handle(), url.host)) {
    *why = "cannot set the TLS server name";
    co_return nullptr;
  }
  co_await c->tls_->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    // A verification failure shows up here; name it rather than the generic alert.
    long vr = SSL_get_verify_result(c->tls_->native_handle());
    *why = "TLS handshake with " + url.host_header() + " failed: " +
           (vr != X509_V_OK ? std::string("certificate not accepted (") + X509_verify_cert_error_string(vr) + ")"
                            : ec.message());
    co_return nullptr;
  }
  auto checked = tls->check(c->tls_->native_handle());
  if (!checked) {
    *why = "TLS connection to " + url.host_header() + " refused: " + checked.error();
    c->close();
    co_return nullptr;
  }
  c->group_ = *checked;
  c->lowest().expires_never();
  co_return c;
}

asio::awaitable<error_code> Conn::write(Request& req) {
  error_code ec;
  lowest().expires_after(kWriteTimeout);
  if (tls_)
    co_await bhttp::async_write(*tls_, req, asio::redirect_error(asio::use_awaitable, ec));
  else
    co_await bhttp::async_write(*plain_, req, asio::redirect_error(asio::use_awaitable, ec));
  // Responses may take as long as the tool they wait for (the MCP client owns request
  // timeouts and cancels through the protocol).
  lowest().expires_never();
  co_return ec;
}

asio::awaitable<error_code> Conn::read_header(ResponseParser& p) {
  error_code ec;
  if (tls_)
    co_await bhttp::async_read_header(*tls_, buf_, p, asio::redirect_error(asio::use_awaitable, ec));
  else
    co_await bhttp::async_read_header(*plain_, buf_, p, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

asio::awaitable<error_code> Conn::read_body(ResponseParser& p, char* buf, std::size_t cap, std::size_t* n) {
  error_code ec;
  p.get().body().data = buf;
  p.get().body().size = cap;
  if (tls_)
    co_await bhttp::async_read_some(*tls_, buf_, p, asio::redirect_error(asio::use_awaitable, ec));
  else
    co_await bhttp::async_read_some(*plain_, buf_, p, asio::redirect_error(asio::use_awaitable, ec));
  *n = cap - p.get().body().size;
  if (ec == bhttp::error::need_buffer) ec = {};
  co_return ec;
}

void Conn::expires_after(std::chrono::milliseconds d) { lowest().expires_after(d); }

void Conn::close() {
  error_code ec;
  lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  lowest().close();
}

}  // namespace pqmcp::http
