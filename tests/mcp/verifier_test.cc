// Verifier policy: key status, algorithm allow-list, limits, strict JSON, sequence windows, and
// every algorithm end to end (docs/protocol.md §5, §6).
#include <random>

#include "mcp/common.h"

namespace pqmcp::mcp {
namespace {

using testing::kNow;
using testing::make_signer;

Value ping(int id) { return Value{{"jsonrpc", "2.0"}, {"id", id}, {"method", "ping"}}; }

struct Party {
  std::unique_ptr<LocalSigner> key;
  StaticKeyResolver keys;
  VerifierConfig cfg;
  explicit Party(Algorithm a = Algorithm::kMlDsa65Ed25519) {
    key = make_signer(a, "k1", 7);
    keys.add("k1", a, key->public_key(), "agent:a");
    cfg.audiences = {"server:s"};
    cfg.allowed.assign(std::begin(kAllAlgorithms), std::end(kAllAlgorithms));
  }
  Value signed_ping(int id, std::uint64_t seq, std::int64_t iat = kNow, std::string sid = "s1") {
    Value m = ping(id);
    EnvelopeFields f;
    f.aud = "server:s";
    f.sid = std::move(sid);
    f.seq = seq;
    f.iat_ms = iat;
    f.nonce[0] = static_cast<std::uint8_t>(id);
    f.nonce[1] = static_cast<std::uint8_t>(id >> 8);
    EXPECT_TRUE(sign_message(m, *key, f).ok());
    return m;
  }
};

Reason reason(Verifier& v, const Value& m, std::int64_t now = kNow) {
  auto r = v.verify(m, now);
  EXPECT_FALSE(r.ok());
  return r.ok() ? Reason::kPinMismatch : r.error().reason;
}

TEST(Verifier, EveryAlgorithmSignsAndVerifies) {
  for (Algorithm a : kAllAlgorithms) {
    Party p(a);
    Verifier v(p.cfg, p.keys);
    const Value m = p.signed_ping(1, 0);
    auto r = v.verify(m, kNow);
    ASSERT_TRUE(r.ok()) << algorithm_id(a) << ": " << r.error().detail;
    EXPECT_EQ(r->algorithm, a);
    EXPECT_EQ(r->identity, "agent:a");
    std::vector<std::uint8_t> sig;
    ASSERT_TRUE(b64url_decode(m["params"]["_meta"]["io.pqmcp/sig"]["sig"].get<std::string>(), sig));
    EXPECT_EQ(sig.size(), signature_size(a));
  }
}

TEST(Verifier, AllowListPreventsDowngrade) {
  Party p(Algorithm::kEd25519);
  p.cfg.allowed = {Algorithm::kMlDsa65Ed25519};
  Verifier v(p.cfg, p.keys);
  EXPECT_EQ(reason(v, p.signed_ping(1, 0)), Reason::kDowngrade);
  // A key registered for one algorithm cannot be used under another's name.
  Party q(Algorithm::kMlDsa65);
  q.keys.add("k1", Algorithm::kMlDsa87, q.key->public_key(), "agent:a");
  Verifier w(q.cfg, q.keys);
  EXPECT_EQ(reason(w, q.signed_ping(1, 0)), Reason::kDowngrade);
}

TEST(Verifier, KeyStatus) {
  Party p;
  p.keys.revoke("k1");
  Verifier v(p.cfg, p.keys);
  EXPECT_EQ(reason(v, p.signed_ping(1, 0)), Reason::kRevoked);
  Party q;
  q.keys.add("k1", q.key->algorithm(), q.key->public_key(), "agent:a", 0, kNow - 1);
  Verifier w(q.cfg, q.keys);
  EXPECT_EQ(reason(w, q.signed_ping(1, 0)), Reason::kExpired);
  Party r;
  r.keys.add("k1", r.key->algorithm(), r.key->public_key(), "agent:a", kNow + 1, INT64_MAX);
  Verifier x(r.cfg, r.keys);
  EXPECT_EQ(reason(x, r.signed_ping(1, 0)), Reason::kExpired);
  // Revocation in the future (planned rotation) still accepts today's messages.
  Party s;
  s.keys.revoke("k1", kNow + 1000);
  Verifier y(s.cfg, s.keys);
  EXPECT_TRUE(y.verify(s.signed_ping(1, 0), kNow).ok());
}

TEST(Verifier, SkewWindow) {
  Party p;
  p.cfg.max_skew_ms = 1000;
  Verifier v(p.cfg, p.keys);
  EXPECT_TRUE(v.verify(p.signed_ping(1, 0, kNow - 1000), kNow).ok());
  EXPECT_TRUE(v.verify(p.signed_ping(2, 1, kNow + 1000), kNow).ok());
  EXPECT_EQ(reason(v, p.signed_ping(3, 2, kNow - 1001)), Reason::kStale);
  EXPECT_EQ(reason(v, p.signed_ping(4, 3, kNow + 1001)), Reason::kStale);
}

TEST(Verifier, SequenceNumbers) {
  Party p;
  Verifier strict(p.cfg, p.keys);
  EXPECT_TRUE(strict.verify(p.signed_ping(1, 5), kNow).ok());
  EXPECT_EQ(reason(strict, p.signed_ping(2, 5)), Reason::kReplayedSequence);
  EXPECT_EQ(reason(strict, p.signed_ping(3, 4)), Reason::kReplayedSequence);
  EXPECT_TRUE(strict.verify(p.signed_ping(4, 9), kNow).ok());  // gaps are allowed
  // Another session of the same sender has its own counter.
  EXPECT_TRUE(strict.verify(p.signed_ping(5, 0, kNow, "s2"), kNow).ok());
  // With a window, late arrivals are accepted once.
  p.cfg.seq_window = 8;
  Verifier windowed(p.cfg, p.keys);
  EXPECT_TRUE(windowed.verify(p.signed_ping(10, 10), kNow).ok());
  EXPECT_TRUE(windowed.verify(p.signed_ping(11, 7), kNow).ok());
  EXPECT_EQ(reason(windowed, p.signed_ping(12, 7)), Reason::kReplayedSequence);
  EXPECT_EQ(reason(windowed, p.signed_ping(13, 2)), Reason::kReplayedSequence);
  EXPECT_TRUE(windowed.verify(p.signed_ping(14, 100), kNow).ok());
}

TEST(Verifier, NonceCacheIsBounded) {
  Party p;
  p.cfg.max_nonces_per_sender = 4;
  p.cfg.seq_window = 64;
  Verifier v(p.cfg, p.keys);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(v.verify(p.signed_ping(100 + i, 100 + i, kNow + i), kNow).ok());
  // Evicted nonces cannot be replayed: their issued-at is at or below the raised floor.
  auto r = v.verify(p.signed_ping(100, 100, kNow), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().reason, Reason::kBadSignature);
}

TEST(Verifier, LimitsAndStrictJson) {
  Party p;
  p.cfg.limits = json::Limits{4096, 8};
  Verifier v(p.cfg, p.keys);
  auto too_large = v.verify_text(std::string(5000, ' ') + "{}", kNow);
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.error().reason, Reason::kTooLarge);
  auto deep = v.verify_text(R"({"jsonrpc":"2.0","id":1,"method":"x","params":{"a":[[[[[[[[1]]]]]]]]}})", kNow);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().reason, Reason::kTooDeep);
  // A duplicate member would let two readers see different messages: refused outright.
  auto dup = v.verify_text(R"({"jsonrpc":"2.0","id":1,"method":"a","method":"b"})", kNow);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().reason, Reason::kMalformedJson);
  auto notrpc = v.verify_text(R"({"jsonrpc":"1.0","id":1,"method":"a"})", kNow);
  ASSERT_FALSE(notrpc.ok());
  EXPECT_EQ(notrpc.error().reason, Reason::kMalformedMessage);
}

TEST(Verifier, EnvelopeMovedToAnotherMessageFails) {
  Party p;
  Verifier v(p.cfg, p.keys);
  Value a = p.signed_ping(1, 0);
  Value b = ping(2);
  b["params"]["_meta"]["io.pqmcp/sig"] = a["params"]["_meta"]["io.pqmcp/sig"];
  EXPECT_EQ(reason(v, b), Reason::kBadSignature);
}

TEST(Envelope, ErrorDataIsWrappedAndRestored) {
  Party p;
  for (Value data : {Value("text"), Value(nullptr), Value::array({1, 2}), Value::object(),
                     Value{{"k", 1}}}) {
    Value m{{"jsonrpc", "2.0"}, {"id", 3}, {"error", {{"code", -32000}, {"message", "m"}, {"data", data}}}};
    const Value original = m;
    EnvelopeFields f;
    f.aud = "server:s";
    f.sid = "x";
    f.req = std::array<std::uint8_t, 32>{};
  f.iat_ms = kNow;
    f.iat_ms = kNow;
    ASSERT_TRUE(sign_message(m, *p.key, f).ok());
    const bool wrapped = !data.is_object() || data.empty();
    EXPECT_EQ(m["error"]["data"].contains("io.pqmcp/data"), wrapped) << m.dump();
    Verifier v(p.cfg, p.keys);
    auto r = v.verify(m, kNow, f.req);
    ASSERT_TRUE(r.ok()) << r.error().detail;
    EXPECT_EQ(r->message, original);
  }
  // No data at all: an envelope-only data object, removed again on receipt.
  Value m{{"jsonrpc", "2.0"}, {"id", 3}, {"error", {{"code", -32000}, {"message", "m"}}}};
  const Value original = m;
  EnvelopeFields f;
  f.aud = "server:s";
  f.sid = "x";
  f.req = std::array<std::uint8_t, 32>{};
  f.iat_ms = kNow;
  ASSERT_TRUE(sign_message(m, *p.key, f).ok());
  Verifier v(p.cfg, p.keys);
  auto r = v.verify(m, kNow, f.req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->message, original);
}

TEST(Envelope, SignerRefusesWhatItCannotSign) {
  Party p;
  EnvelopeFields f;
  Value arr_params{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "x"}, {"params", Value::array()}};
  EXPECT_FALSE(sign_message(arr_params, *p.key, f).ok());
  Value resp{{"jsonrpc", "2.0"}, {"id", 1}, {"result", Value::object()}};
  EXPECT_FALSE(sign_message(resp, *p.key, f).ok());  // a response must name its request
  Value bad_meta{{"jsonrpc", "2.0"}, {"method", "x"}, {"params", {{"_meta", 5}}}};
  EXPECT_FALSE(sign_message(bad_meta, *p.key, f).ok());
}

// RFC 4648 §10's test vectors, with the URL alphabet and no padding.
TEST(Base64url, Rfc4648Vectors) {
  const char* const cases[][2] = {{"", ""},         {"f", "Zg"},         {"fo", "Zm8"},      {"foo", "Zm9v"},
                                  {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& c : cases) {
    const std::string in = c[0];
    EXPECT_EQ(b64url_encode({reinterpret_cast<const std::uint8_t*>(in.data()), in.size()}), c[1]) << in;
  }
}

// The encoder does 24-byte blocks with AVX2 where the CPU has it (b64url_avx2.cc): every
// length from 0 to 300 and every byte value must give what the definition gives (an independent
// bit-by-bit encoder here), and decode back.
TEST(Base64url, EncodesEveryLengthAndByteLikeTheDefinition) {
  static constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto reference = [&](const std::vector<std::uint8_t>& in) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::uint8_t b : in) {
      acc = acc << 8 | b;
      bits += 8;
      while (bits >= 6) out += kUrl[(acc >> (bits -= 6)) & 63];
    }
    if (bits > 0) out += kUrl[(acc << (6 - bits)) & 63];
    return out;
  };
  std::mt19937 rng(4648);
  for (std::size_t n = 0; n <= 300; ++n) {
    for (int round = 0; round < 4; ++round) {
      std::vector<std::uint8_t> in(n);
      for (std::size_t i = 0; i < n; ++i)  // rounds 0-1 random, 2 all 0xff, 3 every value in turn
        in[i] = round < 2 ? static_cast<std::uint8_t>(rng()) : round == 2 ? 0xff : static_cast<std::uint8_t>(i * 7 + n);
      const std::string enc = b64url_encode(in);
      ASSERT_EQ(enc, reference(in)) << "n=" << n << " round " << round;
      std::vector<std::uint8_t> back;
      ASSERT_TRUE(b64url_decode(enc, back));
      ASSERT_EQ(back, in);
    }
  }
}

// The decoder takes 32-character blocks with AVX2 where the CPU has it: a character outside the
// alphabet anywhere in a long input (every position, every byte value outside it) must be refused
// exactly as the scalar loop refuses it, and everything valid must decode as before.
TEST(Base64url, DecodingRefusesEveryForeignCharacterAtEveryPosition) {
  std::mt19937 rng(4);
  std::vector<std::uint8_t> raw(150);
  for (auto& b : raw) b = static_cast<std::uint8_t>(rng());
  const std::string good = b64url_encode(raw);  // 200 characters: six whole blocks and the rest
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(b64url_decode(good, out));
  ASSERT_EQ(out, raw);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int c = 0; c < 256; ++c) {
    if (alphabet.find(static_cast<char>(c)) != std::string::npos) continue;
    for (std::size_t pos = 0; pos < good.size(); pos += (c % 7) + 1) {
      std::string bad = good;
      bad[pos] = static_cast<char>(c);
      ASSERT_FALSE(b64url_decode(bad, out)) << "byte " << c << " at " << pos;
      ASSERT_TRUE(out.empty());
    }
  }
  // Every alphabet character in every position of a block decodes to its value.
  for (std::size_t v = 0; v < 64; ++v) {
    std::string s(64, 'A');
    for (std::size_t pos = 0; pos < s.size(); ++pos) s[pos] = alphabet[(v + pos) % 64];
    ASSERT_TRUE(b64url_decode(s, out));
    ASSERT_EQ(b64url_encode(out), s);
  }
}

TEST(Base64url, StrictDecoding) {
  std::vector<std::uint8_t> out;
  EXPECT_TRUE(b64url_decode("AQID", out));
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_FALSE(b64url_decode("AQI=", out));  // padding
  EXPECT_FALSE(b64url_decode("AQJ", out));   // non-zero trailing bits
  EXPECT_TRUE(b64url_decode("AQI", out));
  EXPECT_FALSE(b64url_decode("A", out));
  EXPECT_FALSE(b64url_decode("A+/B", out));
}

}  // namespace
}  // namespace pqmcp::mcp
