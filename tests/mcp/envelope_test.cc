// Signed envelopes over messages recorded from a real SDK ↔ server-everything session
// (2025-11-25) and hand-written 2026-07-28 messages: sign, verify, and every kind of tampering
// rejected with its own reason (docs/protocol.md §6).
#include <map>

#include "crypto/sha3.h"

#include "mcp/verifier.h"
#include "mcp/common.h"

namespace pqmcp::mcp {
namespace {

using testing::kNow;
using testing::load_session;
using testing::make_signer;

class Envelope : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    client_key_ = make_signer(Algorithm::kMlDsa65Ed25519, "agent-key-1", 1);
    server_key_ = make_signer(Algorithm::kMlDsa65Ed25519, "server-key-1", 2);
    keys_.add("agent-key-1", Algorithm::kMlDsa65Ed25519, client_key_->public_key(), "agent:alice");
    keys_.add("server-key-1", Algorithm::kMlDsa65Ed25519, server_key_->public_key(),
              "server:everything");
    client_session_ = SigningSession::create(*client_key_, "server:everything").value();
    server_session_ = SigningSession::create(*server_key_, "agent:alice").value();
  }
  VerifierConfig server_side() const {
    VerifierConfig c;
    c.audiences = {"server:everything"};
    return c;
  }
  VerifierConfig client_side() const {
    VerifierConfig c;
    c.audiences = {"agent:alice"};
    return c;
  }
  // Signs every recorded message as its sender would; responses bind to their request.
  struct Signed {
    Value original, wire;
    bool c2s;
    std::optional<std::array<std::uint8_t, 32>> answers;
  };
  std::vector<Signed> sign_all(const std::vector<testing::Recorded>& rec) {
    std::map<std::string, std::array<std::uint8_t, 32>> pending[2];
    std::vector<Signed> out;
    for (const auto& r : rec) {
      Signed s{r.msg, r.msg, r.client_to_server, std::nullopt};
      auto info = classify(r.msg);
      EXPECT_TRUE(info.ok()) << r.msg.dump();
      const bool response = info->kind == Kind::kResult || info->kind == Kind::kError;
      if (response) {
        // The responder answers a request that travelled the other way.
        auto& table = pending[r.client_to_server ? 1 : 0];
        auto it = table.find(info->id.dump());
        EXPECT_NE(it, table.end()) << r.msg.dump();
        s.answers = it->second;
      }
      auto& session = r.client_to_server ? *client_session_ : *server_session_;
      auto d = session.sign(s.wire, kNow, s.answers);
      EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error());
      if (info->kind == Kind::kRequest) pending[r.client_to_server ? 0 : 1][info->id.dump()] = request_digest(s.wire).value();
      out.push_back(std::move(s));
    }
    return out;
  }

  std::unique_ptr<LocalSigner> client_key_, server_key_;
  StaticKeyResolver keys_;
  std::unique_ptr<SigningSession> client_session_, server_session_;
};

Reason verify_reason(Verifier& v, const Value& m, std::optional<std::array<std::uint8_t, 32>> a,
                     std::int64_t now = kNow) {
  auto r = v.verify(m, now, a);
  EXPECT_FALSE(r.ok()) << "accepted: " << m.dump().substr(0, 300);
  return r.ok() ? Reason::kPinMismatch : r.error().reason;
}

Value& env_of(Value& m) {
  if (m.contains("error")) return m["error"]["data"]["io.pqmcp/sig"];
  return m[m.contains("result") ? "result" : "params"]["_meta"]["io.pqmcp/sig"];
}

TEST_P(Envelope, SignsAndVerifiesEveryRecordedMessage) {
  auto rec = load_session(GetParam());
  ASSERT_GT(rec.size(), 10u);
  auto all = sign_all(rec);
  Verifier at_server(server_side(), keys_), at_client(client_side(), keys_);
  for (const auto& s : all) {
    // The wire form is still valid JSON-RPC for an unmodified peer, and round-trips as text.
    auto reparsed = json::parse(s.wire.dump());
    ASSERT_TRUE(reparsed.ok());
    auto r = (s.c2s ? at_server : at_client).verify_text(s.wire.dump(), kNow, s.answers);
    ASSERT_TRUE(r.ok()) << reason_name(r.error().reason) << ": " << r.error().detail << "\n"
                        << s.wire.dump().substr(0, 400);
    EXPECT_EQ(r->identity, s.c2s ? "agent:alice" : "server:everything");
    // What the application receives is what the sender meant to send (docs/protocol.md §3.1:
    // an empty params object and an absent one are the same request).
    Value want = s.original;
    if (want.contains("params") && want["params"].empty()) want.erase("params");
    EXPECT_EQ(r->message, want) << s.wire.dump().substr(0, 400);
  }
}

TEST_P(Envelope, EveryTamperingIsRejectedWithItsReason) {
  auto all = sign_all(load_session(GetParam()));
  int checked = 0;
  for (const auto& s : all) {
    auto fresh = [&] {
      return std::make_unique<Verifier>(s.c2s ? server_side() : client_side(), keys_);
    };
    auto expect = [&](Reason want, const Value& m, const char* what,
                      std::optional<std::array<std::uint8_t, 32>> answers, std::int64_t now) {
      auto v = fresh();
      EXPECT_EQ(verify_reason(*v, m, answers, now), want)
          << what << " on " << s.wire.dump().substr(0, 200);
      ++checked;
    };
    auto tamper = [&](Reason want, const char* what, auto&& edit) {
      Value m = s.wire;
      edit(m);
      expect(want, m, what, s.answers, kNow);
    };
    // The message body.
    tamper(Reason::kBadSignature, "body member added", [](Value& m) {
      Value& o = m[m.contains("method") ? "params" : m.contains("result") ? "result" : "error"];
      o["injected"] = "x";
    });
    tamper(Reason::kBadSignature, "id changed", [](Value& m) {
      if (m.contains("id")) m["id"] = 999999; else m["method"] = "notifications/other";
    });
    // Each envelope field tampered.
    tamper(Reason::kMalformedEnvelope, "v", [](Value& m) { env_of(m)["v"] = 2; });
    tamper(Reason::kDowngrade, "alg", [](Value& m) { env_of(m)["alg"] = "ed25519"; });
    tamper(Reason::kUnknownKey, "kid", [](Value& m) { env_of(m)["kid"] = "nobody"; });
    tamper(Reason::kBadSignature, "kid of the peer", [&](Value& m) {
      env_of(m)["kid"] = s.c2s ? "server-key-1" : "agent-key-1";
    });
    tamper(Reason::kBadSignature, "iat+1", [](Value& m) {
      env_of(m)["iat"] = env_of(m)["iat"].get<std::int64_t>() + 1;
    });
    tamper(Reason::kBadSignature, "nonce", [](Value& m) {
      env_of(m)["nonce"] = "AAAAAAAAAAAAAAAAAAAAAA";
    });
    tamper(Reason::kWrongAudience, "aud", [](Value& m) { env_of(m)["aud"] = "server:evil"; });
    tamper(Reason::kBadSignature, "sid", [](Value& m) { env_of(m)["sid"] = "other-session"; });
    tamper(Reason::kBadSignature, "seq", [](Value& m) {
      env_of(m)["seq"] = env_of(m)["seq"].get<std::uint64_t>() + 1000;
    });
    tamper(Reason::kBadSignature, "sig bit", [](Value& m) {
      std::string sg = env_of(m)["sig"];
      sg[10] = sg[10] == 'A' ? 'B' : 'A';
      env_of(m)["sig"] = sg;
    });
    tamper(Reason::kBadSignature, "sig truncated", [](Value& m) {
      std::vector<std::uint8_t> raw;
      ASSERT_TRUE(b64url_decode(env_of(m)["sig"].get<std::string>(), raw));
      raw.resize(raw.size() - 3);
      env_of(m)["sig"] = b64url_encode(raw);
    });
    tamper(Reason::kMalformedEnvelope, "unknown member", [](Value& m) { env_of(m)["x"] = 1; });
    tamper(Reason::kMalformedEnvelope, "sig not base64url", [](Value& m) {
      env_of(m)["sig"] = "!!";
    });
    // Each field removed, and the whole envelope.
    for (const char* f : {"v", "alg", "kid", "iat", "nonce", "aud", "sid", "seq", "sig"}) {
      tamper(Reason::kMalformedEnvelope, f, [&](Value& m) { env_of(m).erase(f); });
    }
    tamper(Reason::kMissingSignature, "envelope removed", [](Value& m) {
      Value& holder = m.contains("error") ? m["error"]["data"]
                      : m[m.contains("result") ? "result" : "params"]["_meta"];
      holder.erase("io.pqmcp/sig");
    });
    // Freshness and addressing.
    expect(Reason::kStale, s.wire, "10 minutes late", s.answers, kNow + 600'000);
    if (s.answers) {
      tamper(Reason::kMalformedEnvelope, "req removed", [](Value& m) { env_of(m).erase("req"); });
      auto other = *s.answers;
      other[0] ^= 1;
      expect(Reason::kRequestMismatch, s.wire, "answers another request", other, kNow);
      expect(Reason::kRequestMismatch, s.wire, "no outstanding request", std::nullopt, kNow);
    }
    // Replay: the same message twice.
    auto v = fresh();
    ASSERT_TRUE(v->verify(s.wire, kNow, s.answers).ok());
    EXPECT_EQ(verify_reason(*v, s.wire, s.answers), Reason::kReplayedNonce);
    // Reordered members in the text: still the same message (JCS), verifies.
    auto v2 = fresh();
    Value reordered = json::parse(s.wire.dump(-1, ' ', false)).value();
    EXPECT_TRUE(v2->verify_text(reordered.dump(2), kNow, s.answers).ok());
  }
  EXPECT_GT(checked, 20 * static_cast<int>(all.size()));
}

TEST_P(Envelope, ReorderedMessagesAreReplayedSequences) {
  auto all = sign_all(load_session(GetParam()));
  Verifier at_server(server_side(), keys_);
  // Client messages in reverse order: the first verifies, every older seq after it fails.
  std::vector<const Value*> c2s;
  for (const auto& s : all) {
    if (s.c2s && !classify(s.wire)->id.is_null() && !s.answers) c2s.push_back(&s.wire);
  }
  ASSERT_GT(c2s.size(), 3u);
  ASSERT_TRUE(at_server.verify(*c2s.back(), kNow).ok());
  for (std::size_t i = c2s.size() - 1; i-- > 0;) {
    EXPECT_EQ(verify_reason(at_server, *c2s[i], std::nullopt), Reason::kReplayedSequence);
  }
}

TEST_P(Envelope, ErasAreRecognised) {
  auto rec = load_session(GetParam());
  const bool modern = std::string(GetParam()).find("2026") != std::string::npos;
  auto first = classify(rec[0].msg);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->era, modern ? Era::k2026_07_28 : Era::k2025_11_25);
}

// §4.4: a signed request's digest covers its signing input (what the signature covers), not the
// signature bytes; an unsigned request's covers its JCS form; the two forms never coincide.
TEST(RequestDigest, CoversTheSigningInputNotTheSignature) {
  auto key = make_signer(Algorithm::kMlDsa65Ed25519, "agent-key-1", 1);
  auto session = SigningSession::create(*key, "server:everything").value();
  const Value plain = {{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/call"},
                       {"params", {{"name", "echo"}, {"arguments", {{"message", "hi"}}}}}};
  Value req = plain;
  ASSERT_TRUE(session->sign(req, kNow, std::nullopt).ok());
  const auto d = request_digest(req).value();
  const Value& env = req["params"]["_meta"][std::string(kSigKey)];
  // Independently: SHA3-256("io.pqmcp/req/v2" ‖ 0x00 ‖ signing input).
  Value hdr = env;
  hdr.erase("sig");
  auto si = signing_input(hdr, signed_view(req, Kind::kRequest)).value();
  std::vector<std::uint8_t> in = {'i', 'o', '.', 'p', 'q', 'm', 'c', 'p', '/', 'r', 'e', 'q', '/', 'v', '2', 0};
  in.insert(in.end(), si.begin(), si.end());
  std::array<std::uint8_t, 32> want{};
  crypto::sha3_256(in, want);
  EXPECT_EQ(d, want);
  // Another signature over the same input (or garbage in its place) names the same request...
  Value resigned = req;
  resigned["params"]["_meta"][std::string(kSigKey)]["sig"] = "AAAA";
  EXPECT_EQ(request_digest(resigned).value(), d);
  // ...members outside the signature do not count either...
  Value extra = req;
  extra["params"]["_meta"]["io.pqmcp/other"] = 1;
  EXPECT_EQ(request_digest(extra).value(), d);
  // ...while anything signed does: the arguments, the header's nonce.
  Value args = req;
  args["params"]["arguments"]["message"] = "ho";
  EXPECT_NE(request_digest(args).value(), d);
  Value nonce = req;
  nonce["params"]["_meta"][std::string(kSigKey)]["nonce"] = "AAAAAAAAAAAAAAAAAAAAAA";
  EXPECT_NE(request_digest(nonce).value(), d);
  // Unsigned (observe mode): over JCS(request), which differs from the signed request's digest.
  const auto u = request_digest(plain).value();
  std::string text = "io.pqmcp/req/v2";
  text.push_back('\0');
  text += json::canonicalize(plain).value();
  crypto::sha3_256({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, want);
  EXPECT_EQ(u, want);
  EXPECT_NE(u, d);
  // An envelope member that is not an object is no envelope: JCS form.
  Value odd = plain;
  odd["params"]["_meta"][std::string(kSigKey)] = "not an envelope";
  text = "io.pqmcp/req/v2";
  text.push_back('\0');
  text += json::canonicalize(odd).value();
  crypto::sha3_256({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, want);
  EXPECT_EQ(request_digest(odd).value(), want);
}

INSTANTIATE_TEST_SUITE_P(Recorded, Envelope,
                         ::testing::Values("session-2025-11-25.jsonl", "session-2026-07-28.jsonl"));

}  // namespace
}  // namespace pqmcp::mcp
