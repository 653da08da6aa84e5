// Session routing in process: a pass-through filter, a scripted upstream and recording sinks
// show where each upstream message goes (JSON response, SSE stream, GET stream, replay) and what
// a client sees when the upstream dies.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "http/session.h"

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

struct FakeUpstream final : Upstream {
  std::vector<std::string>* sent;
  Events ev;
  bool* closed;
  FakeUpstream(std::vector<std::string>* s, bool* c) : sent(s), closed(c) {}
  void start(Events e) override { ev = std::move(e); }
  void send(std::string line) override { sent->push_back(std::move(line)); }
  void close() override {
    *closed = true;
    if (ev.on_gone) ev.on_gone("closed");
  }
  std::string describe() const override { return "fake"; }
};

struct RecSink final : Sink {
  int status = 0;
  std::string body;
  bool sse = false, sse_closed = false, is_alive = true;
  std::vector<std::string> events;
  void json(int s, std::string b) override { status = s, body = std::move(b); }
  void sse_open() override { sse = true; }
  void sse_write(std::string e) override { events.push_back(std::move(e)); }
  void sse_close() override { sse_closed = true; }
  bool alive() const override { return is_alive; }
  std::string data() const {  // the data fields of message events, in order
    std::string out;
    for (auto& e : events) {
      auto p = e.find("event: message\ndata: ");
      if (p != std::string::npos) out += e.substr(p + 21, e.size() - p - 23) + "|";
    }
    return out;
  }
};

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    strand_.emplace(asio::make_strand(asio::any_io_executor(ioc_.get_executor())));
    s_ = std::make_shared<Session>("0123456789abcdef0123456789abcdef", *strand_, std::make_unique<PassFilter>(),
                                   SessionLimits{}, metrics_, "test");
    auto up = std::make_unique<FakeUpstream>(&sent_, &closed_);
    up_ = up.get();
    s_->start(std::move(up), [this](const std::string& why) { ended_ = why; });
  }
  void server(const std::string& line) { up_->ev.on_line(line); }

  asio::io_context ioc_;
  std::optional<Session::Strand> strand_;
  Metrics metrics_;
  std::shared_ptr<Session> s_;
  FakeUpstream* up_ = nullptr;
  std::vector<std::string> sent_;
  bool closed_ = false;
  std::string ended_;
};

TEST_F(SessionTest, PlainResponseIsJson) {
  auto sink = std::make_shared<RecSink>();
  s_->request(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "1", "", sink);
  ASSERT_EQ(sent_.size(), 1u);
  server(R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(sink->status, 200);
  EXPECT_EQ(sink->body, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_FALSE(sink->sse);
}

TEST_F(SessionTest, NotificationBeforeResponseSwitchesToSse) {
  auto a = std::make_shared<RecSink>(), b = std::make_shared<RecSink>();
  s_->request(R"({"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"_meta":{"progressToken":7}}})", R"("a")", "7", a);
  s_->request(R"({"jsonrpc":"2.0","id":"b","method":"tools/call"})", R"("b")", "", b);
  // Progress goes to the request that carries the token even though b is newer.
  server(R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7,"progress":1}})");
  server(R"({"jsonrpc":"2.0","id":"b","result":{"x":2}})");
  server(R"({"jsonrpc":"2.0","id":"a","result":{"x":1}})");
  EXPECT_TRUE(a->sse);
  EXPECT_TRUE(a->sse_closed);
  EXPECT_EQ(a->data(), R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7,"progress":1}}|{"jsonrpc":"2.0","id":"a","result":{"x":1}}|)");
  ASSERT_FALSE(a->events.empty());
  EXPECT_NE(a->events[0].find("data: \n"), std::string::npos);  // priming event first
  EXPECT_FALSE(b->sse);
  EXPECT_EQ(b->body, R"({"jsonrpc":"2.0","id":"b","result":{"x":2}})");
}

TEST_F(SessionTest, ServerMessagesWithoutRequestWaitForGetStream) {
  server(R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed"})");
  auto g = std::make_shared<RecSink>();
  s_->open_get(g, std::nullopt);
  EXPECT_TRUE(g->sse);
  EXPECT_EQ(g->data(), R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed"}|)");
  server(R"({"jsonrpc":"2.0","method":"notifications/resources/list_changed"})");
  EXPECT_EQ(g->data(), R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed"}|{"jsonrpc":"2.0","method":"notifications/resources/list_changed"}|)");
  // A second GET while the first is open: 409.
  auto g2 = std::make_shared<RecSink>();
  s_->open_get(g2, std::nullopt);
  EXPECT_EQ(g2->status, 409);
}

TEST_F(SessionTest, ResumeReplaysOnlyThatStreamAndContinues) {
  auto a = std::make_shared<RecSink>();
  s_->request(R"({"jsonrpc":"2.0","id":5,"method":"tools/call"})", "5", "", a);
  server(R"({"jsonrpc":"2.0","method":"notifications/message","params":{"n":1}})");
  ASSERT_GE(a->events.size(), 2u);
  // The id of the first message event.
  auto e = a->events[1];
  auto id = EventId::parse(e.substr(4, e.find('\n') - 4));
  ASSERT_TRUE(id);
  a->is_alive = false;  // the client's connection drops
  server(R"({"jsonrpc":"2.0","method":"notifications/message","params":{"n":2}})");
  auto r = std::make_shared<RecSink>();
  s_->open_get(r, *id);
  EXPECT_EQ(r->data(), R"({"jsonrpc":"2.0","method":"notifications/message","params":{"n":2}}|)");
  EXPECT_FALSE(r->sse_closed);  // the request is still open: the stream continues here
  server(R"({"jsonrpc":"2.0","id":5,"result":{}})");
  EXPECT_TRUE(r->sse_closed);
  EXPECT_NE(r->data().find(R"("id":5,"result")"), std::string::npos);
}

TEST_F(SessionTest, UpstreamGoneAnswersPendingAndEnds) {
  auto a = std::make_shared<RecSink>();
  s_->request(R"({"jsonrpc":"2.0","id":9,"method":"tools/call"})", "9", "", a);
  up_->ev.on_gone("the server (pid 1) exited with code 1");
  EXPECT_EQ(a->status, 200);
  EXPECT_NE(a->body.find("-32015"), std::string::npos);
  EXPECT_NE(a->body.find(R"("id":9)"), std::string::npos);
  EXPECT_EQ(ended_, "the server (pid 1) exited with code 1");
  auto b = std::make_shared<RecSink>();
  s_->request(R"({"jsonrpc":"2.0","id":10,"method":"ping"})", "10", "", b);
  EXPECT_NE(b->body.find("-32015"), std::string::npos);
}

TEST_F(SessionTest, DuplicatePendingIdRefused) {
  auto a = std::make_shared<RecSink>(), b = std::make_shared<RecSink>();
  s_->request(R"({"jsonrpc":"2.0","id":1,"method":"tools/call"})", "1", "", a);
  s_->request(R"({"jsonrpc":"2.0","id":1,"method":"tools/call"})", "1", "", b);
  EXPECT_NE(b->body.find("-32600"), std::string::npos);
  EXPECT_EQ(sent_.size(), 1u);
}

TEST(SessionTableTest, BoundedAndRemembersEnded) {
  asio::io_context ioc;
  Metrics m;
  SessionTable t(2);
  auto mk = [&](std::string id) {
    return std::make_shared<Session>(id, asio::make_strand(asio::any_io_executor(ioc.get_executor())),
                                     std::make_unique<PassFilter>(), SessionLimits{}, m, "t");
  };
  EXPECT_TRUE(t.insert(mk("a")));
  EXPECT_TRUE(t.insert(mk("b")));
  EXPECT_FALSE(t.insert(mk("c")));
  EXPECT_TRUE(t.find("a"));
  t.remove("a", "deleted");
  std::string why;
  EXPECT_FALSE(t.find("a", &why));
  EXPECT_EQ(why, "deleted");
  EXPECT_FALSE(t.find("zzz", &why));
  EXPECT_EQ(why, "");
  EXPECT_TRUE(t.insert(mk("c")));
}

}  // namespace
}  // namespace pqmcp::http
