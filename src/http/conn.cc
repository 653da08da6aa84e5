// One client connection: optional TLS 1.3 handshake (the negotiated group is logged and
// counted), then HTTP/1.1 requests read under the header/body limits and the request timeout,
// answered in order, with keep-alive and streamed (chunked) responses. A request refused before
// it was read to its end gets a lingering close (RFC 9112 §9.6).
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <deque>

#include "gateway/gate.h"
#include "http/server_impl.h"
#include "tls/pq_tls.h"

namespace pqmcp::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

// The lingering close after an error response to a request not read to its end (RFC 9112 §9.6):
// closing with the client's bytes unread makes the kernel answer them with a reset, and a client
// still sending (curl with a body over --max-body) then fails its next write, or loses the
// response outright, instead of reading the 413. So the server shuts down only its send side
// (the client sees the response, then EOF) and reads and discards what still arrives, within:
// - kLingerTime: a client reads an early response within a round trip or two (curl looks for
//   one between writes); 2 s is ample even on a loaded host, and less than the request_timeout
//   a slow client may hold a connection anyway, so lingering adds no new way to tie one up.
// - kLingerBytes: what a well-behaved client can have in flight when the response reaches it
//   (its send buffer and our receive window, each a few MiB at most with Linux's default
//   tcp_wmem/tcp_rmem maxima) fits; a client that never reads cannot make us take more than
//   this per refused request, and reading it costs about a millisecond of copying (nothing is
//   parsed, nor for TLS decrypted).
// At either bound the connection is closed as before (a reset if bytes are still unread): a
// client that has not read its response by then is not going to.
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr std::size_t kLingerBytes = 8u << 20;
constexpr std::size_t kLingerChunk = 64u << 10;

using Plain = beast::tcp_stream;
using Secure = beast::ssl_stream<beast::tcp_stream>;

std::string reason_phrase(int status) {
  return std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(status)));
}

template <class Stream>
class Conn;

// The Responder of one request: hands everything to the connection's strand.
template <class Stream>
class ConnResponder final : public Responder, public std::enable_shared_from_this<ConnResponder<Stream>> {
 public:
  ConnResponder(std::shared_ptr<Conn<Stream>> c, bool keep_alive) : c_(std::move(c)), keep_alive_(keep_alive) {}
  void add_header(std::string name, std::string value) override {
    headers_ += name + ": " + value + "\r\n";
  }
  void respond(int status, std::string content_type, std::string body) override {
    if (started_.exchange(true)) return;
    std::string h = head(status);
    if (!content_type.empty()) h += "Content-Type: " + content_type + "\r\n";
    h += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    h += body;
    send(std::move(h), true);
  }
  void sse_open() override {
    if (started_.exchange(true)) return;
    streaming_ = true;
    std::string h = head(200);
    // X-Accel-Buffering: MCP 2026-07-28 streamable-http "SHOULD include"; proxies must not
    // hold events back.
    h += "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"
         "Transfer-Encoding: chunked\r\n\r\n";
    send(std::move(h), false);
  }
  void sse_write(std::string ev) override {
    if (!streaming_ || ev.empty()) return;
    char n[20];
    std::snprintf(n, sizeof n, "%zx\r\n", ev.size());
    send(std::string(n) + ev + "\r\n", false);
  }
  void sse_close() override {
    if (!streaming_ || closed_.exchange(true)) return;
    send("0\r\n\r\n", true);
  }
  bool alive() const override { return alive_.load(); }
  void close_after() override { keep_alive_ = false; }
  const std::string& tls_group() const override;
  void dead() { alive_.store(false); }

 private:
  std::string head(int status) {
    std::string h = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
    h += headers_;
    if (!keep_alive_) h += "Connection: close\r\n";
    return h;
  }
  void send(std::string bytes, bool last);
  std::shared_ptr<Conn<Stream>> c_;
  bool keep_alive_;
  std::string headers_;
  std::atomic<bool> started_{false}, closed_{false}, alive_{true};
  bool streaming_ = false;
};

template <class Stream>
class Conn : public std::enable_shared_from_this<Conn<Stream>> {
 public:
  template <class... A>
  Conn(Server::Impl& srv, std::string peer, A&&... a) : srv_(srv), peer_(std::move(peer)), stream_(std::forward<A>(a)...) {}
  ~Conn() {
    srv_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
  }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  const std::string& group() const { return group_; }

  // From the responder, on any thread: queue bytes; `last` ends the response.
  void send(std::shared_ptr<ConnResponder<Stream>> r, std::string bytes, bool last, bool keep_alive) {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), r, b = std::move(bytes), last, keep_alive]() mutable {
      if (self->closed_) {
        r->dead();
        return;
      }
      self->wq_.push_back(std::move(b));
      if (last) {
        self->response_done_ = true;
        self->keep_alive_ = keep_alive;
      }
      if (!self->writing_) self->write_next();
    });
  }

 private:
  void begin() {
    if constexpr (std::is_same_v<Stream, Secure>) {
      tcp().expires_after(srv_.opt.handshake_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        self->on_handshake(ec);
      });
    } else {
      read();
    }
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      srv_.metrics.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
      if (srv_.opt.log_connections)
        gateway::warn(srv_.opt.log_name, "TLS handshake from " + peer_ + " failed: " + ec.message());
      return close();
    }
    if constexpr (std::is_same_v<Stream, Secure>) {
      group_ = tls::negotiated_group(stream_.native_handle());
      srv_.metrics.count_group(group_);
      if (srv_.opt.log_connections)
        gateway::warn(srv_.opt.log_name, "TLS 1.3 from " + peer_ + " group " + (group_.empty() ? "none" : group_) +
                                             (tls::is_pq_group(group_) ? " (post-quantum)" : " (classical)"));
      // Defence in depth: configure_groups already refused classical-only clients.
      if (tls::check_pq(stream_.native_handle(), srv_.opt.require_pq) != tls::TlsStatus::kOk) return close();
    }
    read();
  }

  void read() {
    if (closed_) return;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(srv_.opt.max_header, UINT32_MAX)));
    parser_->body_limit(srv_.opt.max_body);
    // The whole request must arrive within request_timeout: a client trickling its headers
    // (slowloris) is dropped, as is an idle keep-alive connection.
    tcp().expires_after(srv_.opt.request_timeout);
    bhttp::async_read_header(stream_, buf_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_header(ec);
    });
  }

  // RFC 9110 §10.1.1: a client that sent `Expect: 100-continue` (curl does for bodies over 1 KiB)
  // waits for an interim 100 before the body; the header limits were already checked.
  void on_header(beast::error_code ec) {
    if (ec) return on_read(ec);
    auto self = this->shared_from_this();
    auto body = [self] {
      bhttp::async_read(self->stream_, self->buf_, *self->parser_,
                        [self](beast::error_code ec, std::size_t) { self->on_read(ec); });
    };
    auto& req = parser_->get();
    auto expect = req[bhttp::field::expect];
    if (req.version() >= 11 && beast::iequals(expect, "100-continue") && !parser_->is_done()) {
      static const std::string k100 = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(k100), [self, body](beast::error_code ec, std::size_t) {
        if (ec) return self->close();
        body();
      });
      return;
    }
    if (parser_->is_done()) return on_read({});
    body();
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
        return close();
      if (ec == beast::error::timeout) {
        srv_.metrics.timeouts.fetch_add(1, std::memory_order_relaxed);
        return close();
      }
      // The request was not read to its end: the client may still be sending it.
      linger_ = true;
      int status = 400;
      std::string msg = "malformed HTTP request";
      if (ec == bhttp::error::header_limit) status = 431, msg = "request headers too large";
      else if (ec == bhttp::error::body_limit) status = 413, msg = "request body too large";
      if (status != 400) srv_.metrics.too_large.fetch_add(1, std::memory_order_relaxed);
      else srv_.metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
      auto r = std::make_shared<ConnResponder<Stream>>(this->shared_from_this(), false);
      r->json(status, http_error_body(status == 413 ? gateway::code::kTooLarge : gateway::code::kInvalidRequest, msg));
      return;
    }
    // Nothing else happens on this connection until the response is written (no pipelining:
    // bytes of a next request stay in buf_).
    tcp().expires_never();
    auto r = std::make_shared<ConnResponder<Stream>>(this->shared_from_this(), parser_->get().keep_alive());
    current_ = r;
    srv_.handle(parser_->release(), r);
  }

  void write_next() {
    if (wq_.empty()) {
      writing_ = false;
      if (response_done_) {
        response_done_ = false;
        current_.reset();
        if (keep_alive_) read();
        else if (linger_) linger();
        else close();
      }
      return;
    }
    writing_ = true;
    tcp().expires_after(srv_.opt.write_timeout);
    asio::async_write(stream_, asio::buffer(wq_.front()), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (self->closed_) return;  // close() already dropped the queue
      self->wq_.pop_front();
      if (ec) return self->close();
      self->tcp().expires_never();
      self->write_next();
    });
  }

  // The response is written; see kLingerTime. With TLS the half-close is at the TCP level and
  // the client's records are discarded undecrypted: no close_notify is sent (close() never sends
  // one either). It would protect against truncation (RFC 8446 §6.1), which the client detects
  // anyway here since the response has a Content-Length and says Connection: close, and after it
  // the engine would have to decrypt the discarded bytes, waiting for the client's close_notify.
  // The time bound is the tcp_stream's timer (a steady_timer), set once as a deadline for all
  // the reads, as request_timeout is for a request's reads; on expiry it closes the socket and
  // the pending read ends with beast::error::timeout. Server::stop does not wait for
  // connections, lingering ones included: run() returns and the io_context's destruction frees
  // them.
  void linger() {
    if (closed_) return;
    beast::error_code ec;
    tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    drain_.reset(new char[kLingerChunk]);
    tcp().expires_after(kLingerTime);
    discard();
  }

  void discard() {
    tcp().async_read_some(asio::buffer(drain_.get(), kLingerChunk),
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                            if (self->closed_) return;
                            self->drained_ += n;
                            // EOF (the client is done), timeout, an error, or the byte bound.
                            if (ec || self->drained_ >= kLingerBytes) return self->close();
                            self->discard();
                          });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    if (auto r = current_.lock()) r->dead();
    current_.reset();
    wq_.clear();
    beast::error_code ec;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp().close();
  }

  Server::Impl& srv_;
  std::string peer_;
  Stream stream_;
  beast::flat_buffer buf_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::deque<std::string> wq_;
  // The responder of the request in progress, weakly: it owns this connection (ConnResponder::c_)
  // and is owned by whoever answers, so a strong pointer back would be a cycle that outlives a
  // server stopped in the middle of a request.
  std::weak_ptr<ConnResponder<Stream>> current_;
  std::string group_;
  bool writing_ = false, response_done_ = false, keep_alive_ = true, closed_ = false;
  bool linger_ = false;               // close with linger() (the request was not read to its end)
  std::unique_ptr<char[]> drain_;     // linger()'s read buffer, only while lingering
  std::size_t drained_ = 0;
};

template <class Stream>
void ConnResponder<Stream>::send(std::string bytes, bool last) {
  c_->send(this->shared_from_this(), std::move(bytes), last, keep_alive_);
}

template <class Stream>
const std::string& ConnResponder<Stream>::tls_group() const {
  return c_->group();
}

}  // namespace

void Server::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket sock) {
    if (ec) {
      if (!stopping && ec != asio::error::operation_aborted) {
        // EMFILE and friends: back off briefly instead of spinning.
        auto t = std::make_shared<asio::steady_timer>(ioc, std::chrono::milliseconds(50));
        t->async_wait([this, t](beast::error_code) { accept(); });
      }
      return;
    }
    metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
    if (metrics.connections_open.load() >= opt.max_connections) {
      metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
      beast::error_code e;
      sock.close(e);
    } else {
      metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
      beast::error_code e;
      auto rep = sock.remote_endpoint(e);
      std::string peer = e ? "?" : rep.address().to_string() + ":" + std::to_string(rep.port());
      sock.set_option(tcp::no_delay(true), e);
      if (ssl) std::make_shared<Conn<Secure>>(*this, std::move(peer), std::move(sock), *ssl)->start();
      else std::make_shared<Conn<Plain>>(*this, std::move(peer), std::move(sock))->start();
    }
    if (!stopping) accept();
  });
}

}  // namespace pqmcp::http
