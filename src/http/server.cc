// The HTTP side of `pqmcp serve`: accept, TLS handshake, HTTP/1.1 requests with limits, and the
// Streamable HTTP endpoint (MCP 2025-11-25 basic/transports; 2026-07-28 in stateless.cc).
#include "http/server.h"

#include <sys/resource.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <thread>

#include "gateway/gate.h"
#include "http/server_impl.h"
#include "http/mirror.h"
#include "http/origin.h"
#include "http/tls_context.h"
#include "tls/pq_tls.h"

namespace pqmcp::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;


Server::Impl::Impl(ServerOptions o, UpstreamFactory up, FilterFactory f)
    : opt(std::move(o)), upstream(std::move(up)), filter(std::move(f)), acceptor(ioc), signals(ioc),
      sweeper(ioc), sessions(opt.max_sessions), origins(opt.allowed_origins, opt.allowed_hosts) {}

Server::Impl::~Impl() {
  // SSL_CTX (inside `ssl`) before the providers it was made with.
  ssl.reset();
}

std::string Server::Impl::init() {
  if (opt.tls != TlsMode::kOff) {
    auto t = opt.tls == TlsMode::kSelfSigned ? make_tls_context("", "", opt.require_pq)
                                             : make_tls_context(opt.cert_file, opt.key_file, opt.require_pq);
    if (!t) return t.error();
    tls = std::move(t.value());
    ssl.emplace(tls.ctx);  // takes ownership of the SSL_CTX
    tls.ctx = nullptr;
  } else if (opt.require_pq) {
    return "--require-pq needs TLS";
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(opt.host, ec);
  if (ec) return "cannot listen on '" + opt.host + "': not an IP address";
  tcp::endpoint ep(addr, opt.port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on " + opt.host + ":" + std::to_string(opt.port) + ": " + ec.message();
  bound_port = acceptor.local_endpoint().port();
  return "";
}

void Server::Impl::run() {
  boost::system::error_code sec;
  signals.add(SIGINT, sec);
  signals.add(SIGTERM, sec);
  signals.async_wait([this](boost::system::error_code ec, int) {
    if (!ec) stop();
  });
  accept();
  sweep();
  unsigned n = std::max(1u, opt.threads);
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < n; ++i) pool.emplace_back([this] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
}

// Stops accepting, ends every session (each upstream gets its shutdown sequence), then lets the
// io_context run out of work.
void Server::Impl::stop() {
  asio::post(ioc, [this] {
    if (stopping.exchange(true)) return;
    boost::system::error_code ec;
    acceptor.close(ec);
    signals.cancel(ec);
    sweeper.cancel();
    for (auto& s : sessions.all()) asio::post(s->strand(), [s] { s->close("server stopping"); });
    // Connections still open (idle keep-alive, SSE streams) would keep run() going: stop once
    // every session has ended (its upstream reaped), or after a bound.
    stop_when_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  });
}

void Server::Impl::stop_when_idle(std::chrono::steady_clock::time_point deadline) {
  if (sessions.size() == 0 || std::chrono::steady_clock::now() > deadline) return ioc.stop();
  sweeper.expires_after(std::chrono::milliseconds(20));
  sweeper.async_wait([this, deadline](boost::system::error_code) { stop_when_idle(deadline); });
}

// Periodically: keep-alive comments on open streams (finding clients that left), and expiry of
// sessions idle longer than session_idle with no open stream.
void Server::Impl::sweep() {
  auto period = std::min<std::chrono::milliseconds>(opt.heartbeat, std::max<std::chrono::milliseconds>(opt.session_idle / 4, std::chrono::milliseconds(100)));
  sweeper.expires_after(period);
  sweeper.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping) return;
    auto now = std::chrono::steady_clock::now();
    for (auto& s : sessions.all())
      asio::post(s->strand(), [this, s, now] {
        bool streams = s->heartbeat();
        if (!streams && now - s->last_active() > opt.session_idle && !s->ended()) {
          metrics.sessions_expired.fetch_add(1, std::memory_order_relaxed);
          s->close("idle for " + std::to_string(opt.session_idle.count() / 1000) + " s");
        }
      });
    sweep();
  });
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>, std::string> Server::create(ServerOptions o, UpstreamFactory upstream,
                                                            FilterFactory filter) {
  auto impl = std::make_unique<Impl>(std::move(o), std::move(upstream), std::move(filter));
  if (auto err = impl->init(); !err.empty()) return unexpected(err);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::run() { impl_->run(); }
void Server::stop() { impl_->stop(); }
unsigned short Server::port() const { return impl_->port(); }
Metrics& Server::metrics() { return impl_->metrics; }
std::string Server::certificate_fingerprint() const { return impl_->tls.fingerprint; }
std::string Server::spki_sha256() const { return impl_->tls.spki_sha256; }
std::int64_t Server::certificate_not_after() const { return impl_->tls.not_after; }

}  // namespace pqmcp::http
