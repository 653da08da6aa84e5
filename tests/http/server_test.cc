// http::Server in process (plain HTTP on an ephemeral loopback port) with a scripted upstream:
// the limits (body, headers, request timeout, connections, sessions) and the session lifecycle,
// seen from a raw socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
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
      auto h = out.find("\r\n\r\n");
      auto cl = out.find("Content-Length: ");
      if (h != std::string::npos && cl != std::string::npos && cl < h) {
        std::size_t len = std::stoul(out.substr(cl + 16));
        if (out.size() >= h + 4 + len) break;
      }
    }
    return out;
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

}  // namespace
}  // namespace pqmcp::http
