// http::Server in process (plain HTTP on an ephemeral loopback port) with a scripted upstream:
// the limits (body, headers, request timeout, connections, sessions) and the session lifecycle,
// seen from a raw socket.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <thread>

#include "http/server.h"

namespace pqmcp::http {
namespace {

namespace asio = boost::asio;

class PassFilter final : public gateway::Filter {
 public:
  void from_client(std::string_view l, gateway::Emit& out) override { out.to_server(std::string(l)); }
  void from_server(std::string_view l, gateway::Emit& out) override { out.to_client(std::string(l)); }
  void client_overlong(const gateway::Overlong&, gateway::Emit&) override {}
  void server_overlong(const gateway::Overlong&, gateway::Emit&) override {}
  void server_gone(gateway::Emit&) override {}
};

// Answers every request with {"method": <its method>}.
class EchoUpstream final : public Upstream {
 public:
  explicit EchoUpstream(asio::any_io_executor ex) : ex_(std::move(ex)) {}
  void start(Events ev) override { ev_ = std::move(ev); }
  void send(std::string line) override {
    auto m = json::parse(line);
    if (!m || !m.value().contains("id")) return;
    json::Value r = {{"jsonrpc", "2.0"}, {"id", m.value()["id"]}, {"result", {{"method", m.value()["method"]}}}};
    asio::post(ex_, [this, s = r.dump()] { if (ev_.on_line) ev_.on_line(s); });
  }
  void close() override {
    asio::post(ex_, [this] { if (auto g = std::move(ev_.on_gone)) ev_ = {}, g("closed"); });
  }
  std::string describe() const override { return "echo"; }

 private:
  asio::any_io_executor ex_;
  Events ev_;
};

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions o) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.tls = TlsMode::kOff;
    o.log_connections = false;
    UpstreamFactory up = [](asio::any_io_executor ex) -> Result<std::unique_ptr<Upstream>, std::string> {
      return std::unique_ptr<Upstream>(std::make_unique<EchoUpstream>(ex));
    };
    FilterFactory f = [] { return std::unique_ptr<gateway::Filter>(std::make_unique<PassFilter>()); };
    auto s = Server::create(o, up, f);
    ASSERT_TRUE(s) << s.error();
    server_ = std::move(s.value());
    port_ = server_->port();
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  int connect_() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return fd;
  }
  // Reads until the peer closes, a full response with Content-Length arrived, or 10 s passed.
  static std::string read_response(int fd) {
    std::string out;
    char buf[65536];
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) break;
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, n);
      if (complete(out)) break;
    }
    return out;
  }
  // A whole response with Content-Length is in `out`.
  static bool complete(const std::string& out) {
    auto h = out.find("\r\n\r\n");
    auto cl = out.find("Content-Length: ");
    if (h == std::string::npos || cl == std::string::npos || cl > h) return false;
    return out.size() >= h + 4 + std::stoul(out.substr(cl + 16));
  }
  template <class P>
  static bool eventually(P pred) {  // bounded wait (10 s) for a condition the server sets
    for (int i = 0; i < 1000 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return pred();
  }
  static bool closed_by_peer(int fd) {  // waits (bounded) for EOF
    char c;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return false;
    return ::read(fd, &c, 1) <= 0;
  }
  std::string post(const std::string& body, const std::string& extra = "") {
    int fd = connect_();
    std::string req = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      "Accept: application/json, text/event-stream\r\nConnection: close\r\n" + extra +
                      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    EXPECT_EQ(::write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
    auto r = read_response(fd);
    ::close(fd);
    return r;
  }
  static std::string session_of(const std::string& resp) {
    auto p = resp.find("Mcp-Session-Id: ");
    return p == std::string::npos ? "" : resp.substr(p + 16, 32);
  }

  std::unique_ptr<Server> server_;
  std::thread thread_;
  unsigned short port_ = 0;
};

const std::string kInit = R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})";

TEST_F(ServerTest, SessionLifecycle) {
  start({});
  auto r = post(kInit);
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  EXPECT_NE(r.find("Content-Type: application/json"), std::string::npos) << r;
  std::string sid = session_of(r);
  ASSERT_EQ(sid.size(), 32u) << r;
  r = post(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})", "Mcp-Session-Id: " + sid + "\r\n");
  EXPECT_NE(r.find(R"("method":"tools/list")"), std::string::npos) << r;
  r = post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", "Mcp-Session-Id: " + sid + "\r\n");
  EXPECT_NE(r.find("HTTP/1.1 202"), std::string::npos) << r;
  EXPECT_NE(post(R"({"jsonrpc":"2.0","id":3,"method":"ping"})").find("HTTP/1.1 400"), std::string::npos);
  EXPECT_NE(post(R"({"jsonrpc":"2.0","id":3,"method":"ping"})", "Mcp-Session-Id: nope\r\n").find("HTTP/1.1 404"),
            std::string::npos);
  EXPECT_GE(server_->metrics().sessions_total.load(), 1u);
}

TEST_F(ServerTest, BodyLimit) {
  ServerOptions o;
  o.max_body = 1000;
  start(o);
  auto r = post(std::string(2000, ' ') + kInit);
  EXPECT_NE(r.find("HTTP/1.1 413"), std::string::npos) << r;
  EXPECT_NE(r.find("-32014"), std::string::npos) << r;
  EXPECT_NE(post(kInit).find("HTTP/1.1 200"), std::string::npos);  // the limit, not a refusal of all
}

TEST_F(ServerTest, HeaderLimit) {
  ServerOptions o;
  o.max_header = 1024;
  start(o);
  auto r = post(kInit, "X-Big: " + std::string(2000, 'a') + "\r\n");
  EXPECT_NE(r.find("HTTP/1.1 431"), std::string::npos) << r;
}

TEST_F(ServerTest, SlowRequestIsDropped) {
  ServerOptions o;
  o.request_timeout = std::chrono::milliseconds(300);
  start(o);
  int fd = connect_();
  std::string part = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n";  // never finished
  ASSERT_EQ(::write(fd, part.data(), part.size()), static_cast<ssize_t>(part.size()));
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
  // The client sees the close before the server's handler has counted it.
  EXPECT_TRUE(eventually([&] { return server_->metrics().timeouts.load() >= 1; })) << server_->metrics().render();
}

TEST_F(ServerTest, ConnectionLimit) {
  ServerOptions o;
  o.max_connections = 2;
  start(o);
  int a = connect_(), b = connect_();
  // Make sure both are accepted (and counted) before the third arrives.
  std::string ping = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  for (int fd : {a, b}) {
    ASSERT_EQ(::write(fd, ping.data(), ping.size()), static_cast<ssize_t>(ping.size()));
    EXPECT_NE(read_response(fd).find("HTTP/1.1 200"), std::string::npos);
  }
  int c = connect_();
  EXPECT_TRUE(closed_by_peer(c));
  EXPECT_TRUE(eventually([&] { return server_->metrics().connections_refused.load() >= 1; }));
  for (int fd : {a, b, c}) ::close(fd);
}

TEST_F(ServerTest, SessionLimit) {
  ServerOptions o;
  o.max_sessions = 1;
  start(o);
  EXPECT_NE(post(kInit).find("HTTP/1.1 200"), std::string::npos);
  auto r = post(kInit);
  EXPECT_NE(r.find("HTTP/1.1 503"), std::string::npos) << r;
  EXPECT_NE(r.find("Retry-After"), std::string::npos) << r;
}

TEST_F(ServerTest, OriginAndMalformedInput) {
  start({});
  EXPECT_NE(post(kInit, "Origin: https://evil.example\r\n").find("HTTP/1.1 403"), std::string::npos);
  auto r = post("{\"jsonrpc\":");
  EXPECT_NE(r.find("HTTP/1.1 400"), std::string::npos) << r;
  EXPECT_NE(r.find("-32700"), std::string::npos) << r;
}

// An error answered before the request was read to its end (413 on the Content-Length, 400 on a
// bad header) while the client is still sending: the lingering close (RFC 9112 §9.6, conn.cc).
// The client here behaves like curl: each round it writes what the socket takes, then reads
// what arrived, and stops writing once the whole response is in; a failed write before that is
// curl's "(55) Send failure: Broken pipe", the response lost to a reset.
struct EarlyAnswer {
  std::string response;
  bool reset_first = false;  // a write failed before the whole response arrived
  bool eof = false;          // then an orderly EOF (the server shut down its send side only)
  bool still_read = false;   // and the server still took bytes after that (it lingers)
};

using Clock = std::chrono::steady_clock;

class LingerTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.max_body = 1000;
    start(o);
  }
  // Connects with a small send buffer, so that what is in flight when the response arrives
  // (this buffer and the server's initial receive window, well under 1 MiB) stays far below the
  // server's byte bound and the run does not depend on timing.
  int connect_small() {
    int fd = connect_();
    int sz = 128 << 10;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    return fd;
  }
  static std::string oversized_head() {
    return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           "Accept: application/json, text/event-stream\r\nContent-Length: 1073741824\r\n\r\n";
  }
  static bool send_all(int fd, const std::string& b) {
    return ::send(fd, b.data(), b.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(b.size());
  }
  EarlyAnswer send_and_read(const std::string& head) {
    EarlyAnswer a;
    int fd = connect_small();
    EXPECT_TRUE(send_all(fd, head));
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    std::string chunk(64 << 10, '{');
    char buf[65536];
    for (auto end = Clock::now() + std::chrono::seconds(10); !complete(a.response) && Clock::now() < end;) {
      pollfd p{fd, POLLIN | POLLOUT, 0};
      if (::poll(&p, 1, 1000) <= 0) continue;
      if (p.revents & (POLLOUT | POLLERR | POLLHUP)) {  // write first, as curl's loop does
        if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
          a.reset_first = true;
          break;
        }
      }
      if (p.revents & POLLIN) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) break;
        if (n > 0) a.response.append(buf, n);
      }
    }
    if (complete(a.response)) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      pollfd p{fd, POLLIN, 0};
      a.eof = ::poll(&p, 1, 3000) == 1 && ::recv(fd, buf, sizeof buf, 0) == 0;
      // Well inside the 2 s bound: the server is still reading and discarding.
      a.still_read = send_all(fd, std::string(4096, ' '));
    }
    ::close(fd);
    return a;
  }
  // A client that never reads and never stops sending `chunk` bytes every `pause`: the time
  // until a write fails (the server closed), and the bytes sent until then.
  std::pair<Clock::duration, std::size_t> send_until_cut(std::size_t chunk, std::chrono::milliseconds pause) {
    int fd = connect_small();
    EXPECT_TRUE(send_all(fd, oversized_head()));
    std::string b(chunk, '{');
    auto t0 = Clock::now();
    std::size_t sent = 0;
    while (Clock::now() - t0 < std::chrono::seconds(20)) {
      ssize_t n = ::send(fd, b.data(), b.size(), MSG_NOSIGNAL);
      if (n < 0) break;
      sent += static_cast<std::size_t>(n);
      if (pause.count()) std::this_thread::sleep_for(pause);
    }
    auto took = Clock::now() - t0;
    ::close(fd);
    return {took, sent};
  }
};

TEST_F(LingerTest, OversizedBodyStillBeingSentGets413) {
  // Before the lingering close the server closed with the client's bytes unread and the kernel
  // answered them with a reset: the client's write failed first in about a third of the rounds
  // (31 of 100), and no round saw an orderly EOF or could still send.
  for (int i = 0; i < 20; ++i) {
    auto a = send_and_read(oversized_head());
    ASSERT_FALSE(a.reset_first) << "round " << i << ": reset before the response: " << a.response;
    ASSERT_NE(a.response.find("HTTP/1.1 413"), std::string::npos) << "round " << i << ": " << a.response;
    EXPECT_NE(a.response.find("Connection: close"), std::string::npos) << a.response;
    EXPECT_NE(a.response.find("-32014"), std::string::npos) << a.response;
    EXPECT_NE(a.response.find("request body too large"), std::string::npos) << a.response;
    EXPECT_TRUE(a.eof) << "round " << i;
    EXPECT_TRUE(a.still_read) << "round " << i;
  }
  EXPECT_GE(server_->metrics().too_large.load(), 20u);
}

TEST_F(LingerTest, MalformedRequestStillBeingSentGets400) {
  auto a = send_and_read("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n");
  ASSERT_FALSE(a.reset_first) << a.response;
  EXPECT_NE(a.response.find("HTTP/1.1 400"), std::string::npos) << a.response;
  EXPECT_NE(a.response.find("malformed HTTP request"), std::string::npos) << a.response;
  EXPECT_TRUE(a.eof);
  EXPECT_TRUE(a.still_read);
}

TEST_F(LingerTest, EndlessSenderIsCutOff) {
  // Slowly (200 KiB/s): the time bound ends it, after the server lingered.
  auto [slow, slow_bytes] = send_until_cut(4096, std::chrono::milliseconds(20));
  EXPECT_GE(slow, std::chrono::milliseconds(1500)) << slow_bytes << " bytes";
  EXPECT_LT(slow, std::chrono::seconds(5)) << slow_bytes << " bytes";
  // As fast as loopback goes: the byte bound ends it long before the time bound could.
  auto [fast, fast_bytes] = send_until_cut(64 << 10, std::chrono::milliseconds(0));
  EXPECT_LT(fast, std::chrono::seconds(5));
  EXPECT_LT(fast_bytes, 64u << 20);
  // And the server still serves.
  EXPECT_NE(post(kInit).find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(LingerTest, StopDoesNotWaitForLingeringConnections) {
  int fd = connect_small();
  ASSERT_TRUE(send_all(fd, oversized_head() + std::string(4096, '{')));
  auto r = read_response(fd);  // the 413; the server now lingers on a client that sends nothing
  ASSERT_NE(r.find("HTTP/1.1 413"), std::string::npos) << r;
  auto t0 = Clock::now();
  server_->stop();
  thread_.join();
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(1000));
  ::close(fd);
}

}  // namespace
}  // namespace pqmcp::http
