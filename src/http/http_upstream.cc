#include "http/http_upstream.h"

#include <boost/asio/post.hpp>

#include "gateway/gate.h"
#include "http/client.h"

namespace pqmcp::http {

namespace {

class HttpUpstream final : public Upstream {
 public:
  HttpUpstream(boost::asio::any_io_executor ex, ClientConfig cfg) : ex_(std::move(ex)), cfg_(std::move(cfg)) {}
  ~HttpUpstream() override {
    if (client_) client_->detach();
  }

  void start(Events ev) override {
    ev_ = std::move(ev);
    Client::Events ce;
    ce.on_message = [this](std::string m) {
      if (m.size() > cfg_.max_message) {
        gateway::Overlong o;
        o.bytes = m.size();
        o.head = m.substr(0, gateway::Overlong::kHeadBytes);
        o.tail = m.substr(m.size() - gateway::Overlong::kTailBytes);
        if (ev_.on_overlong) ev_.on_overlong(o);
        return;
      }
      if (ev_.on_line) ev_.on_line(std::move(m));
    };
    // The upstream could not answer a request over HTTP: the session gets an error response in
    // its place, which the gateway signs like everything the server side sends.
    ce.on_failure = [this](const json::Value& id, const std::string& why) {
      gateway::warn(cfg_.log_name, "upstream " + cfg_.url.str() + ": request " + gateway::id_key(id) + " failed: " + why);
      if (ev_.on_line)
        ev_.on_line(gateway::dump(gateway::error_response(id, gateway::code::kServerUnavailable,
                                                          "the upstream MCP server did not answer: " + why,
                                                          {{"reason", "upstream-error"}, {"side", "serve"}})));
    };
    ce.on_gone = [this](const std::string& why) {
      gone_ = true;
      if (ev_.on_gone) ev_.on_gone(why);
    };
    client_ = Client::create(ex_, cfg_, std::move(ce));
  }

  void send(std::string line) override {
    if (!gone_ && client_) client_->send(std::move(line));
  }

  void close() override {
    if (!client_ || gone_) return;
    // Posted: the contract forbids callbacks from inside close().
    boost::asio::post(ex_, [c = client_] { c->close(); });
  }

  std::string describe() const override { return cfg_.url.str(); }

  void forward_headers(std::vector<std::pair<std::string, std::string>> h) override { cfg_.forward_headers = std::move(h); }

 private:
  boost::asio::any_io_executor ex_;
  ClientConfig cfg_;
  Events ev_;
  std::shared_ptr<Client> client_;
  bool gone_ = false;
};

// A named type (not a lambda) so that is_http_upstream can recognise it inside the std::function.
struct HttpUpstreamMaker {
  ClientConfig cfg;
  Result<std::unique_ptr<Upstream>, std::string> operator()(boost::asio::any_io_executor ex) const {
    return std::unique_ptr<Upstream>(std::make_unique<HttpUpstream>(std::move(ex), cfg));
  }
};

}  // namespace

bool is_http_upstream(const UpstreamFactory& f) { return f.target<HttpUpstreamMaker>() != nullptr; }

Result<UpstreamFactory, std::string> http_upstream_factory(const HttpUpstreamOptions& o) {
  auto u = parse_url(o.url);
  if (!u) return unexpected<std::string>("--upstream: " + u.error());
  ClientConfig cfg;
  cfg.url = *u;
  cfg.max_message = o.max_line;
  cfg.max_connections = o.max_connections;
  cfg.log_name = o.log_name;
  if (u->tls) {
    auto t = ClientTls::create(o.tls);
    if (!t) return unexpected<std::string>("--upstream: " + t.error());
    cfg.tls = *t;
  }
  return UpstreamFactory(HttpUpstreamMaker{std::move(cfg)});
}

}  // namespace pqmcp::http
