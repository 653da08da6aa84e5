// The Streamable HTTP client against a scripted loopback server: what it sends (headers of both
// eras, session, Last-Event-ID, DELETE), how it reads JSON and SSE answers, resumption after a
// dropped stream, keep-alive reuse, and its failures (404 session end, HTTP errors, limits).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "http/client.h"

namespace pqmcp::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Req = bhttp::request<bhttp::string_body>;

struct Seen {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string h(const std::string& k) const {
    auto it = headers.find(k);
    return it == headers.end() ? "<none>" : it->second;
  }
};

// A blocking HTTP/1.1 server on 127.0.0.1 whose answers a test scripts byte for byte.
class ScriptServer {
 public:
  // Writes the whole response to the socket; returns false to close the connection.
  using Handler = std::function<bool(const Req&, tcp::socket&, ScriptServer&)>;

  explicit ScriptServer(Handler h) : h_(std::move(h)), acc_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~ScriptServer() { stop(); }

  void stop() {
    if (stopping_.exchange(true)) return;
    boost::system::error_code ec;
    ::shutdown(acc_.native_handle(), SHUT_RDWR);  // wakes the blocked accept (close alone may not)
    {
      std::lock_guard<std::mutex> l(m_);
      for (auto& s : socks_) s->shutdown(tcp::socket::shutdown_both, ec);
    }
    accept_thread_.join();
    acc_.close(ec);
    for (auto& t : threads_) t.join();
  }

  std::uint16_t port() const { return acc_.local_endpoint().port(); }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> l(m_);
    return seen_;
  }
  int connections() const { return conns_; }
  bool stopping() const { return stopping_; }
  // Blocks a handler (an open stream) until the server stops.
  void hold() {
    while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  static void write(tcp::socket& s, const std::string& bytes) {
    boost::system::error_code ec;
    asio::write(s, asio::buffer(bytes), ec);
  }
  static std::string sse_head(const std::string& extra = "") {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n" + extra +
           "Transfer-Encoding: chunked\r\n\r\n";
  }
  static std::string chunk(const std::string& s) {
    char len[32];
    std::snprintf(len, sizeof len, "%zx\r\n", s.size());
    return len + s + "\r\n";
  }
  static std::string json(const std::string& body, const std::string& extra = "", int status = 200) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" + extra +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      auto s = std::make_shared<tcp::socket>(io_);
      boost::system::error_code ec;
      acc_.accept(*s, ec);
      if (ec) return;
      ++conns_;
      std::lock_guard<std::mutex> l(m_);
      socks_.push_back(s);
      threads_.emplace_back([this, s] { serve(*s); });
    }
  }
  void serve(tcp::socket& s) {
    boost::beast::flat_buffer buf;
    for (;;) {
      Req req;
      boost::system::error_code ec;
      bhttp::read(s, buf, req, ec);
      if (ec) return;
      Seen sn{std::string(req.method_string()), std::string(req.target()), req.body(), {}};
      for (auto& f : req) {
        std::string k(f.name_string());
        for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        sn.headers[k] = std::string(f.value());
      }
      {
        std::lock_guard<std::mutex> l(m_);
        seen_.push_back(sn);
      }
      if (!h_(req, s, *this)) {
        s.shutdown(tcp::socket::shutdown_both, ec);
        return;
      }
    }
  }

  Handler h_;
  asio::io_context io_;
  tcp::acceptor acc_;
  std::thread accept_thread_;
  std::vector<std::thread> threads_;
  std::vector<std::shared_ptr<tcp::socket>> socks_;
  std::mutex m_;
  std::vector<Seen> seen_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> conns_{0};
};

// The client under test with everything it reports.
struct Harness {
  asio::io_context io;
  std::shared_ptr<Client> client;
  std::vector<std::string> messages;
  std::vector<std::pair<std::string, std::string>> failures;  // id, why
  std::string gone;

  Harness(std::uint16_t port, std::size_t max_message = 1u << 20) {
    ClientConfig cfg;
    cfg.url = *parse_url("http://127.0.0.1:" + std::to_string(port) + "/mcp");
    cfg.max_message = max_message;
    cfg.log_name = "client-test";
    Client::Events ev;
    ev.on_message = [this](std::string m) { messages.push_back(std::move(m)); };
    ev.on_failure = [this](const json::Value& id, const std::string& why) { failures.emplace_back(id.dump(), why); };
    ev.on_gone = [this](const std::string& why) { gone = why.empty() ? "?" : why; };
    client = Client::create(io.get_executor(), cfg, ev);
  }
  ~Harness() { client->detach(); }
  // Runs the loop until pred holds (bounded: a broken client fails the test, never hangs it).
  bool run_until(const std::function<bool()>& pred) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred() && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_for(std::chrono::milliseconds(10));
    }
    return pred();
  }
};

const std::string kInit = R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
const std::string kInitResult = R"({"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"s","version":"1"}}})";
const std::string kInitialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";
const std::string kList = R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})";
const std::string kListResult = R"({"jsonrpc":"2.0","id":2,"result":{"tools":[]}})";

// The usual 2025-11-25 server: SSE for initialize (with a priming event), 202 for notifications,
// JSON for other requests, a GET stream that carries one notification, 200 for DELETE.
bool session_server(const Req& req, tcp::socket& s, ScriptServer& srv) {
  if (req.method() == bhttp::verb::post && req.body().find("\"initialize\"") != std::string::npos) {
    ScriptServer::write(s, ScriptServer::sse_head("Mcp-Session-Id: sess-1\r\n") + ScriptServer::chunk("id: p0\ndata:\n\n") +
                               ScriptServer::chunk("event: message\nid: e1\ndata: " + kInitResult + "\n\n") + "0\r\n\r\n");
    return true;
  }
  if (req.method() == bhttp::verb::post && req.body().find("\"id\"") == std::string::npos) {
    ScriptServer::write(s, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
    return true;
  }
  if (req.method() == bhttp::verb::post) {
    ScriptServer::write(s, ScriptServer::json(kListResult));
    return true;
  }
  if (req.method() == bhttp::verb::get) {
    ScriptServer::write(s, ScriptServer::sse_head() +
                               ScriptServer::chunk(": keep-alive\n\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n"));
    srv.hold();
    return false;
  }
  ScriptServer::write(s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");  // DELETE
  return true;
}

TEST(HttpClient, LegacySessionHeadersStreamsAndDelete) {
  ScriptServer srv(session_server);
  Harness h(srv.port());
  h.client->send(kInit);
  h.client->send(kInitialized);
  h.client->send(kList);
  ASSERT_TRUE(h.run_until([&] { return h.messages.size() >= 3; })) << h.messages.size();
  EXPECT_EQ(h.messages[0], kInitResult);  // the priming event (empty data) is not a message
  // The GET stream's notification and the list result, in either order.
  EXPECT_TRUE(std::count(h.messages.begin(), h.messages.end(), kListResult) == 1);
  EXPECT_EQ(h.client->in_flight(), 0u);
  EXPECT_EQ(h.client->stats().session_id, "sess-1");
  EXPECT_EQ(h.client->stats().protocol_version, "2025-11-25");
  h.client->close();
  ASSERT_TRUE(h.run_until([&] { return !h.gone.empty(); }));
  EXPECT_EQ(h.gone, "closed");
  srv.stop();
  auto seen = srv.seen();
  ASSERT_GE(seen.size(), 5u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/mcp");
  EXPECT_EQ(seen[0].h("accept"), "application/json, text/event-stream");
  EXPECT_EQ(seen[0].h("content-type"), "application/json");
  EXPECT_EQ(seen[0].h("mcp-session-id"), "<none>");
  EXPECT_EQ(seen[0].body, kInit);
  bool get = false, del = false, list = false;
  for (auto& r : seen) {
    if (&r == &seen[0]) continue;
    EXPECT_EQ(r.h("mcp-session-id"), "sess-1") << r.method;
    EXPECT_EQ(r.h("mcp-protocol-version"), "2025-11-25") << r.method;
    if (r.method == "GET") {
      get = true;
      EXPECT_EQ(r.h("accept"), "text/event-stream");
    }
    if (r.method == "DELETE") del = true;
    if (r.body == kList) list = true;
  }
  EXPECT_TRUE(get && del && list);
  // Keep-alive: the POSTs and the DELETE share connections; the GET stream has its own.
  EXPECT_LE(srv.connections(), 3);
}

TEST(HttpClient, ResumesADroppedResponseStreamWithLastEventId) {
  std::atomic<int> posts{0};
  ScriptServer srv([&](const Req& req, tcp::socket& s, ScriptServer&) {
    if (req.method() == bhttp::verb::post) {
      ++posts;
      // Priming event with an ID and a short retry, then the connection closes unanswered.
      ScriptServer::write(s, ScriptServer::sse_head() + ScriptServer::chunk("id: ev-7\nretry: 20\ndata:\n\n"));
      return false;
    }
    if (req.method() == bhttp::verb::get && req["Last-Event-ID"] == "ev-7") {
      ScriptServer::write(s, ScriptServer::sse_head() +
                                 ScriptServer::chunk("id: ev-8\ndata: {\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{}}\n\n") +
                                 "0\r\n\r\n");
      return true;
    }
    ScriptServer::write(s, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
    return true;
  });
  Harness h(srv.port());
  h.client->send(R"({"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"slow"}})");
  ASSERT_TRUE(h.run_until([&] { return !h.messages.empty() || !h.failures.empty(); }));
  ASSERT_EQ(h.messages.size(), 1u) << (h.failures.empty() ? "" : h.failures[0].second);
  EXPECT_EQ(h.messages[0], R"({"jsonrpc":"2.0","id":"a","result":{}})");
  EXPECT_EQ(posts, 1);  // resumed with GET, never re-POSTed
  EXPECT_EQ(h.client->in_flight(), 0u);
}

TEST(HttpClient, StreamClosedWithoutEventIdFailsTheRequest) {
  ScriptServer srv([&](const Req&, tcp::socket& s, ScriptServer&) {
    ScriptServer::write(s, ScriptServer::sse_head() + "0\r\n\r\n");
    return true;
  });
  Harness h(srv.port());
  h.client->send(R"({"jsonrpc":"2.0","id":5,"method":"ping"})");
  ASSERT_TRUE(h.run_until([&] { return !h.failures.empty(); }));
  EXPECT_EQ(h.failures[0].first, "5");
  EXPECT_NE(h.failures[0].second.find("before answering"), std::string::npos) << h.failures[0].second;
}

TEST(HttpClient, ModernEraMirrorsHeadersWithoutSession) {
  ScriptServer srv([&](const Req&, tcp::socket& s, ScriptServer&) {
    ScriptServer::write(s, ScriptServer::json(R"({"jsonrpc":"2.0","id":9,"result":{"resultType":"complete"}})"));
    return true;
  });
  Harness h(srv.port());
  h.client->send(
      R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"h\u00e9llo","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})");
  ASSERT_TRUE(h.run_until([&] { return h.messages.size() == 1; }));  // then reuse its connection
  h.client->send(
      R"({"jsonrpc":"2.0","id":9,"method":"resources/read","params":{"uri":"test://a b","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})");
  ASSERT_TRUE(h.run_until([&] { return h.messages.size() == 2; }));
  auto seen = srv.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].h("mcp-protocol-version"), "2026-07-28");
  EXPECT_EQ(seen[0].h("mcp-method"), "tools/call");
  EXPECT_EQ(seen[0].h("mcp-name"), "=?base64?aMOpbGxv?=");  // "héllo" is not ASCII
  EXPECT_EQ(seen[0].h("mcp-session-id"), "<none>");
  EXPECT_EQ(seen[1].h("mcp-method"), "resources/read");
  EXPECT_EQ(seen[1].h("mcp-name"), "test://a b");
  EXPECT_EQ(srv.connections(), 1);  // the second on the first one's kept-alive connection
}

TEST(HttpClient, SessionEndedBy404) {
  std::atomic<bool> ended{false};
  ScriptServer srv([&](const Req& req, tcp::socket& s, ScriptServer& sv) {
    if (req.body().find("\"initialize\"") != std::string::npos)
      return ScriptServer::write(s, ScriptServer::json(kInitResult, "Mcp-Session-Id: S\r\n")), true;
    if (req.method() == bhttp::verb::get) return ScriptServer::write(s, "HTTP/1.1 405 X\r\nContent-Length: 0\r\n\r\n"), true;
    if (req.body().find("\"id\"") == std::string::npos)
      return ScriptServer::write(s, "HTTP/1.1 202 X\r\nContent-Length: 0\r\n\r\n"), true;
    (void)sv;
    ended = true;
    ScriptServer::write(s, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    return true;
  });
  Harness h(srv.port());
  h.client->send(kInit);
  h.client->send(kInitialized);
  h.client->send(kList);
  ASSERT_TRUE(h.run_until([&] { return !h.gone.empty(); }));
  EXPECT_TRUE(ended);
  EXPECT_TRUE(h.failures.empty());  // the owner answers what is pending when the session is gone
  EXPECT_NE(h.gone.find("404"), std::string::npos);
  EXPECT_EQ(h.client->in_flight(), 0u);
  h.client->send(kList);  // nothing is sent after the end
  h.io.restart();
  h.io.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(h.messages.size(), 1u);
  EXPECT_TRUE(h.failures.empty());
}

TEST(HttpClient, HttpErrorsAndLimits) {
  ScriptServer srv([&](const Req& req, tcp::socket& s, ScriptServer&) {
    if (req.body().find("\"big\"") != std::string::npos) {
      ScriptServer::write(s, ScriptServer::json(R"({"jsonrpc":"2.0","id":3,"result":{"x":")" + std::string(5000, 'a') + "\"}}"));
      return true;
    }
    if (req.body().find("\"rpc\"") != std::string::npos) {
      // A JSON-RPC error in an error status is the server's answer, not a transport failure.
      ScriptServer::write(s, ScriptServer::json(R"({"jsonrpc":"2.0","id":4,"error":{"code":-32602,"message":"bad"}})", "", 400));
      return true;
    }
    ScriptServer::write(s, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\noops");
    return true;
  });
  Harness h(srv.port(), 1024);
  h.client->send(R"({"jsonrpc":"2.0","id":1,"method":"x"})");
  h.client->send(R"({"jsonrpc":"2.0","id":3,"method":"big"})");
  h.client->send(R"({"jsonrpc":"2.0","id":4,"method":"rpc"})");
  ASSERT_TRUE(h.run_until([&] { return h.failures.size() == 2 && h.messages.size() == 1; }));
  std::map<std::string, std::string> f(h.failures.begin(), h.failures.end());
  EXPECT_NE(f["1"].find("HTTP 500"), std::string::npos) << f["1"];
  EXPECT_NE(f["1"].find("oops"), std::string::npos) << f["1"];
  EXPECT_EQ(f["3"].rfind("too-large", 0), 0u) << f["3"];
  EXPECT_NE(h.messages[0].find("-32602"), std::string::npos);
}

TEST(HttpClient, ConnectionRefused) {
  std::uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  Harness h(port);
  h.client->send(kList);
  ASSERT_TRUE(h.run_until([&] { return !h.failures.empty(); }));
  EXPECT_NE(h.failures[0].second.find("cannot connect"), std::string::npos) << h.failures[0].second;
}

}  // namespace
}  // namespace pqmcp::http
