// filter-bench: the CPU cost of one gateway round trip inside the filters, without processes,
// pipes or scheduling: connect signs the request, wrap verifies it (and applies a policy), wrap
// signs the response, connect verifies it; composite ML-DSA-65+Ed25519 keys in process. Next to
// each stage it prints the bare signature operation measured in the same run, so what the
// filter adds on top of the crypto floor is visible. With --audit DIR the JSON-lines audit
// sinks write to files there (as `pqmcp wrap/connect --audit` do).
// Last, the strict JSON parse of one signed request on its own (json::parse), the first step of
// every verifying stage.
// Usage: filter-bench [--iterations N] [--audit DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "crypto/composite.h"
#include "gateway/connect_filter.h"
#include "gateway/policy_gate.h"
#include "gateway/wrap_filter.h"
#include "mcp/envelope.h"
#include "mcp/verifier.h"

namespace {

using namespace pqmcp;
using namespace pqmcp::gateway;
using Clock = std::chrono::steady_clock;
using json::Value;

std::unique_ptr<mcp::LocalSigner> key(std::uint8_t salt, const char* kid) {
  std::vector<std::uint8_t> k(mcp::private_key_size(mcp::Algorithm::kMlDsa65Ed25519));
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 7 + salt);
  return std::move(mcp::LocalSigner::create(mcp::Algorithm::kMlDsa65Ed25519, kid, k)).value();
}

struct Stats {
  std::vector<double> us;
  void add(Clock::duration d) { us.push_back(std::chrono::duration<double, std::micro>(d).count()); }
  double q(double x) {
    std::sort(us.begin(), us.end());
    return us.empty() ? 0 : us[std::min(us.size() - 1, static_cast<std::size_t>(x * us.size()))];
  }
};

std::vector<std::string> take(OutQueue& q) {
  std::vector<std::string> out;
  for (auto& l : q.take()) out.push_back(l.substr(0, l.size() - 1));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 500;
  std::string audit_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--iterations")) iterations = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--audit")) audit_dir = argv[i + 1];
  }
  auto agent = key(1, "kid-agent"), server = key(2, "kid-server");
  mcp::StaticKeyResolver keys;
  keys.add("kid-agent", mcp::Algorithm::kMlDsa65Ed25519, agent->public_key(), "agent");
  keys.add("kid-server", mcp::Algorithm::kMlDsa65Ed25519, server->public_key(), "server");
  auto vcfg = [](const char* self) {
    mcp::VerifierConfig c;
    c.audiences = {self};
    return c;
  };
  mcp::Verifier wv(vcfg("server"), keys), cv(vcfg("agent"), keys);
  std::unique_ptr<AuditSink> wa, ca;
  if (audit_dir.empty()) {
    wa = std::make_unique<NullSink>();
    ca = std::make_unique<NullSink>();
  } else {
    wa = std::move(JsonLinesSink::open(audit_dir + "/filter-bench-wrap.jsonl")).value();
    ca = std::move(JsonLinesSink::open(audit_dir + "/filter-bench-connect.jsonl")).value();
  }
  auto policy = std::move(PolicyGate::parse("version = 1\n[agents.agent]\n[[agents.agent.tools]]\nname = \"echo\"\n")).value();
  FilterConfig wc;
  wc.self = "server";
  wc.quiet = true;
  WrapFilter wrap(wc, *server, wv, *wa, policy.get());
  FilterConfig cc;
  cc.self = "agent";
  cc.peer = "server";
  cc.quiet = true;
  ConnectFilter connect(cc, *agent, cv, *ca, PinConfig{});
  OutQueue a, b, c, d;
  Emit from_connect(a, b), from_wrap(c, d);  // (to_client, to_server)

  crypto::composite::VerifyingKey agent_vk;
  if (crypto::composite::VerifyingKey::load(crypto::composite::Algorithm::kMlDsa65Ed25519, agent->public_key(), agent_vk) !=
      crypto::Status::kOk)
    return std::fprintf(stderr, "cannot load the agent's public key\n"), 1;
  Stats s_csign, s_wverify, s_wsign, s_cverify, s_total, raw_sign, raw_verify;
  std::string last_signed_req;
  for (int i = 0; i < iterations + 20; ++i) {
    const bool keep = i >= 20;
    const std::string req = R"({"jsonrpc":"2.0","id":)" + std::to_string(i) +
                            R"(,"method":"tools/call","params":{"name":"echo","arguments":{"message":"m)" +
                            std::to_string(i) + R"("}}})";
    const std::string resp = R"({"jsonrpc":"2.0","id":)" + std::to_string(i) +
                             R"(,"result":{"content":[{"type":"text","text":"Echo: m)" + std::to_string(i) + R"("}]}})";
    // Each stage is timed up to the point where the relay writes; idle() (the request digest,
    // Filter::idle) runs after that, off the path, as in the relay.
    auto t0 = Clock::now();
    connect.from_client(req, from_connect);
    auto t1 = Clock::now();
    connect.idle();
    auto signed_req = take(b);
    if (signed_req.size() != 1) return std::fprintf(stderr, "connect did not forward the request\n"), 1;
    last_signed_req = signed_req[0];
    auto t1b = Clock::now();
    wrap.from_client(signed_req[0], from_wrap);
    auto t2 = Clock::now();
    wrap.idle();
    if (take(d).size() != 1) return std::fprintf(stderr, "wrap did not forward the request\n"), 1;
    auto t2b = Clock::now();
    wrap.from_server(resp, from_wrap);
    auto t3 = Clock::now();
    auto signed_resp = take(c);
    if (signed_resp.size() != 1) return std::fprintf(stderr, "wrap did not sign the response\n"), 1;
    auto t3b = Clock::now();
    connect.from_server(signed_resp[0], from_connect);
    auto t4 = Clock::now();
    auto delivered = take(a);
    if (delivered.size() != 1 || delivered[0].find("\"result\"") == std::string::npos)
      return std::fprintf(stderr, "connect did not deliver the result\n"), 1;
    // The bare operations on the same kind of input, for the floor.
    std::vector<std::uint8_t> input(signed_req[0].begin(), signed_req[0].end());
    auto t5 = Clock::now();
    auto sig = agent->sign(input);
    auto t6 = Clock::now();
    // Against a prepared key, as the verifiers keep one per kid.
    bool ok = sig.ok() && crypto::is_ok(agent_vk.verify(input, {}, *sig));
    auto t7 = Clock::now();
    if (!ok) return std::fprintf(stderr, "raw sign/verify failed\n"), 1;
    if (keep) {
      s_csign.add(t1 - t0), s_wverify.add(t2 - t1b), s_wsign.add(t3 - t2b), s_cverify.add(t4 - t3b);
      s_total.add((t1 - t0) + (t2 - t1b) + (t3 - t2b) + (t4 - t3b));
      raw_sign.add(t6 - t5), raw_verify.add(t7 - t6);
    }
  }
  const double rs = raw_sign.q(0.5), rv = raw_verify.q(0.5);
  std::printf("gateway filters, one echo round trip, %d iterations, audit %s (median µs)\n", iterations,
              audit_dir.empty() ? "off" : "to files");
  std::printf("stage                              median    p90   bare op   filter adds\n");
  auto row = [](const char* name, Stats& s, double bare) {
    double m = s.q(0.5);
    std::printf("%-34s %7.1f %7.1f %8.1f %10.1f\n", name, m, s.q(0.9), bare, m - bare);
  };
  row("connect: sign request", s_csign, rs);
  row("wrap: verify request + policy", s_wverify, rv);
  row("wrap: sign response", s_wsign, rs);
  row("connect: verify response", s_cverify, rv);
  std::printf("%-34s %7.1f %7.1f %8.1f %10.1f\n", "round trip (sum of stages)", s_total.q(0.5), s_total.q(0.9),
              2 * rs + 2 * rv, s_total.q(0.5) - 2 * rs - 2 * rv);

  // A signed request is ~5 KB, most of it the base64url signature in params._meta; batches of 20
  // parses so that the clock's own cost does not dominate.
  Stats s_parse;
  constexpr int kBatch = 20;
  for (int i = 0; i < iterations + 20; ++i) {
    auto t0 = Clock::now();
    for (int k = 0; k < kBatch; ++k) {
      auto v = json::parse(last_signed_req);
      if (!v.ok()) return std::fprintf(stderr, "json::parse refused the signed request\n"), 1;
    }
    auto t1 = Clock::now();
    if (i >= 20) s_parse.add((t1 - t0) / kBatch);
  }
  std::printf("%-34s %7.2f %7.2f   (%zu-byte signed request)\n", "json::parse, signed request", s_parse.q(0.5),
              s_parse.q(0.9), last_signed_req.size());
  return 0;
}
