// libFuzzer harness for the stdio gateway's input path: arbitrary bytes, cut into reads of
// fuzzer-chosen sizes, go through the line framing (with a small line limit, so overlong lines
// are common) and then through both filters from both sides: strict parsing, classification,
// envelope checks, the overlong-id scan, policy. Lines that parse may first be signed as the
// agent, so that the verified path (policy, pending requests, responses, server_gone) is reached
// too. Invariants checked beyond "no crash, no leak": the framing never buffers more than the
// limit; every line a filter emits, toward either side, is one line of strict JSON (the gateway
// never writes anything else to an MCP peer); base64url decoding inverts encoding exactly.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gateway/connect_filter.h"
#include "gateway/policy_gate.h"
#include "gateway/wrap_filter.h"
#include "mcp/envelope.h"
#include "mcp/verifier.h"

namespace {

using namespace pqmcp;
using namespace pqmcp::gateway;

constexpr std::int64_t kNow = 1'790'000'000'000;
// The framing limit: small, so that overlong lines (and the id scan of their head and tail) are
// common inputs. The filters parse with more room, for lines the harness signs first.
constexpr std::size_t kMaxLine = 96;

class NoAudit final : public AuditSink {
 public:
  void record(const AuditRecord& r) noexcept override { bytes += r.digest.size() + r.reason.size(); }
  std::size_t bytes = 0;
};

struct World {
  std::unique_ptr<mcp::LocalSigner> agent, server;
  mcp::StaticKeyResolver keys;
  std::unique_ptr<PolicyGate> policy;
  World() {
    std::vector<std::uint8_t> k(mcp::private_key_size(mcp::Algorithm::kEd25519), 1);
    agent = std::move(mcp::LocalSigner::create(mcp::Algorithm::kEd25519, "kid-agent", k)).value();
    k.assign(k.size(), 2);
    server = std::move(mcp::LocalSigner::create(mcp::Algorithm::kEd25519, "kid-server", k)).value();
    keys.add("kid-agent", mcp::Algorithm::kEd25519, agent->public_key(), "agent");
    keys.add("kid-server", mcp::Algorithm::kEd25519, server->public_key(), "server");
    policy = std::move(PolicyGate::parse("version = 1\n[agents.agent]\nrate = { per_second = 5 }\n"
                                         "[[agents.agent.tools]]\nname = \"e*\"\nargs.n = { type = \"integer\", max = 9 }\n"))
                 .value();
  }
  mcp::VerifierConfig cfg(const char* self) const {
    mcp::VerifierConfig c;
    c.allowed = {mcp::Algorithm::kEd25519};
    c.audiences = {self};
    c.limits = json::Limits{4 * kMaxLine + 2048, 64};  // room for a signed line
    return c;
  }
};

FilterConfig filter_config(const char* self, const char* peer) {
  FilterConfig c;
  c.self = self;
  c.peer = peer;
  c.max_line = 4 * kMaxLine + 2048;
  c.quiet = true;
  c.now_ms = [] { return kNow; };
  return c;
}

void check_output(OutQueue& q) {
  for (auto& line : q.take()) {
    if (line.empty() || line.back() != '\n') std::abort();
    line.pop_back();
    if (line.find('\n') != std::string::npos) std::abort();  // one message per line
    if (!json::parse(line).ok()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World w;
  if (size < 2) return 0;
  {
    // base64url (the envelope's sig/nonce/req): decoding is strict and canonical, so it inverts
    // encoding exactly, and whatever decodes re-encodes to the same text.
    std::vector<std::uint8_t> back;
    const std::span<const std::uint8_t> raw(data, size);
    if (!mcp::b64url_decode(mcp::b64url_encode(raw), back) || !std::equal(back.begin(), back.end(), raw.begin(), raw.end()))
      std::abort();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (mcp::b64url_decode(text, back) && mcp::b64url_encode(back) != text) std::abort();
  }
  const std::uint8_t chunk = static_cast<std::uint8_t>(data[0] % 64 + 1);
  const std::uint8_t flags = data[1];
  data += 2, size -= 2;

  NoAudit audit;
  mcp::Verifier wv(w.cfg("server"), w.keys), cv(w.cfg("agent"), w.keys);
  WrapFilter wrap(filter_config("server", ""), *w.server, wv, audit, (flags & 1) ? w.policy.get() : nullptr);
  ConnectFilter connect(filter_config("agent", "server"), *w.agent, cv, audit, PinConfig{});
  auto agent_session = std::move(mcp::SigningSession::create(*w.agent, "server")).value();
  OutQueue to_client, to_server;
  Emit emit(to_client, to_server);

  LineReader reader(kMaxLine);
  std::vector<Frame> frames;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  for (std::size_t off = 0; off < all.size(); off += chunk) {
    reader.feed(all.substr(off, chunk), frames);
    if (reader.buffered() > kMaxLine + 1) std::abort();  // the line bound holds at every read
  }
  reader.finish(frames);

  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Frame& f = frames[i];
    if (f.overlong) {
      if (f.overlong->head.size() > Overlong::kHeadBytes || f.overlong->tail.size() > Overlong::kTailBytes) std::abort();
      (void)overlong_id(*f.overlong);
      wrap.client_overlong(*f.overlong, emit);
      wrap.server_overlong(*f.overlong, emit);
      connect.client_overlong(*f.overlong, emit);
      connect.server_overlong(*f.overlong, emit);
      continue;
    }
    std::string line = f.line;
    if (line.find('\n') != std::string::npos || line.size() > kMaxLine) std::abort();
    if ((flags >> 1) & 1) {
      // Sign what parses as the agent would, so that the verified path is exercised.
      auto v = json::parse(line, json::Limits{kMaxLine, 64});
      if (v.ok() && v->is_object()) {
        json::Value m = *v;
        if (agent_session->sign(m, kNow).ok()) line = dump(m);
      }
    }
    switch (((flags >> 2) + i) & 3) {
      case 0: wrap.from_client(line, emit); break;
      case 1: wrap.from_server(line, emit); break;
      case 2: connect.from_client(line, emit); break;
      default: connect.from_server(line, emit); break;
    }
  }
  if (flags & 0x80) {
    wrap.server_gone(emit);
    connect.server_gone(emit);
  }
  check_output(to_client);
  check_output(to_server);
  return 0;
}
