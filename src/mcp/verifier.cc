#include "mcp/verifier.h"

#include <algorithm>
#include <exception>
#include <variant>

#include "crypto/composite.h"
#include "crypto/eddsa.h"
#include "crypto/mldsa.h"

namespace pqmcp::mcp {

const char* reason_name(Reason r) noexcept {
  switch (r) {
    case Reason::kTooLarge: return "too-large";
    case Reason::kTooDeep: return "too-deep";
    case Reason::kMalformedJson: return "malformed-json";
    case Reason::kMalformedMessage: return "malformed-message";
    case Reason::kMissingSignature: return "missing-signature";
    case Reason::kMalformedEnvelope: return "malformed-envelope";
    case Reason::kDowngrade: return "downgrade";
    case Reason::kUnknownKey: return "unknown-key";
    case Reason::kRevoked: return "revoked";
    case Reason::kExpired: return "expired";
    case Reason::kStale: return "stale";
    case Reason::kWrongAudience: return "wrong-audience";
    case Reason::kBadSignature: return "bad-signature";
    case Reason::kReplayedNonce: return "replayed-nonce";
    case Reason::kReplayedSequence: return "replayed-sequence";
    case Reason::kRequestMismatch: return "request-mismatch";
    case Reason::kPinMismatch: return "pin-mismatch";
  }
  return "unknown";
}

namespace {

Unexpected<Failure> fail(Reason r, std::string detail) {
  return unexpected(Failure{r, std::move(detail)});
}

constexpr std::uint64_t kMaxSafeInteger = (std::uint64_t{1} << 53) - 1;  // I-JSON §2.2

bool get_uint(const Value& v, std::uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<std::uint64_t>();
  } else if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    out = static_cast<std::uint64_t>(v.get<std::int64_t>());
  } else {
    return false;
  }
  return out <= kMaxSafeInteger;
}

bool get_b64(const Value& v, std::size_t want, std::vector<std::uint8_t>& out) {
  if (!v.is_string() || !b64url_decode(v.get_ref<const std::string&>(), out)) return false;
  return want == 0 || out.size() == want;
}

const std::string* get_str(const Value& v, std::size_t min, std::size_t max) {
  if (!v.is_string()) return nullptr;
  const auto& s = v.get_ref<const std::string&>();
  return s.size() >= min && s.size() <= max ? &s : nullptr;
}

}  // namespace

// A resolved public key in prepared form. The resolver's answer is re-checked on every use
// (algorithm and key bytes), so a kid whose key changes gets a freshly prepared key.
struct Verifier::PreparedKey {
  Algorithm algorithm;
  std::vector<std::uint8_t> public_key;
  std::variant<crypto::composite::VerifyingKey, crypto::mldsa::PreparedPublicKey, crypto::eddsa::VerifyingKey> key;

  // The same answers as verify_signature() on the raw key (empty ML-DSA / composite contexts:
  // the signing input carries pqmcp's own domain label, docs/protocol.md §4.2).
  crypto::Status verify(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> sig) const noexcept {
    if (const auto* c = std::get_if<crypto::composite::VerifyingKey>(&key)) return c->verify(msg, {}, sig);
    if (const auto* m = std::get_if<crypto::mldsa::PreparedPublicKey>(&key)) return crypto::mldsa::verify(*m, msg, {}, sig);
    return std::get<crypto::eddsa::VerifyingKey>(key).verify(msg, sig);
  }
};

namespace {

// Bounds the prepared-key cache (an ML-DSA-65 key takes about 60 KB prepared); past it the
// cache starts over, which costs one preparation per active sender.
constexpr std::size_t kMaxPreparedKeys = 64;

}  // namespace

std::shared_ptr<const Verifier::PreparedKey> Verifier::prepared_key(const std::string& kid, const ResolvedKey& key) {
  {
    std::lock_guard<std::mutex> lk(prepared_mu_);
    auto it = prepared_.find(kid);
    if (it != prepared_.end() && it->second->algorithm == key.algorithm && it->second->public_key == key.public_key)
      return it->second;
  }
  // Prepared outside the lock: a concurrent first use of the same kid just prepares it twice.
  auto p = std::make_shared<PreparedKey>();
  p->algorithm = key.algorithm;
  p->public_key = key.public_key;
  crypto::Status st = crypto::Status::kOk;
  switch (key.algorithm) {
    case Algorithm::kMlDsa65Ed25519: {
      crypto::composite::VerifyingKey k;
      st = crypto::composite::VerifyingKey::load(crypto::composite::Algorithm::kMlDsa65Ed25519, key.public_key, k);
      p->key = std::move(k);
      break;
    }
    case Algorithm::kEd25519: {
      crypto::eddsa::VerifyingKey k;
      st = crypto::eddsa::VerifyingKey::load(crypto::eddsa::Curve::kEd25519, key.public_key, k);
      p->key = std::move(k);
      break;
    }
    default: {
      const auto ps = key.algorithm == Algorithm::kMlDsa44   ? crypto::mldsa::ParamSet::kMlDsa44
                      : key.algorithm == Algorithm::kMlDsa65 ? crypto::mldsa::ParamSet::kMlDsa65
                                                             : crypto::mldsa::ParamSet::kMlDsa87;
      crypto::mldsa::PreparedPublicKey k;
      st = crypto::mldsa::PreparedPublicKey::load(ps, key.public_key, k);
      p->key = std::move(k);
      break;
    }
  }
  if (!crypto::is_ok(st)) return nullptr;  // a malformed key verifies nothing
  std::lock_guard<std::mutex> lk(prepared_mu_);
  if (prepared_.size() >= kMaxPreparedKeys && prepared_.find(kid) == prepared_.end()) prepared_.clear();
  prepared_[kid] = p;
  return p;
}

Result<Verified, Failure> Verifier::verify_text(
    std::string_view text, std::int64_t now_ms,
    const std::optional<std::array<std::uint8_t, 32>>& answers) noexcept {
  auto v = json::parse(text, cfg_.limits);
  if (!v.ok()) {
    const auto c = v.error().code;
    return fail(c == json::ErrorCode::kTooLarge  ? Reason::kTooLarge
                : c == json::ErrorCode::kTooDeep ? Reason::kTooDeep
                                                 : Reason::kMalformedJson,
                v.error().message);
  }
  return verify(*v, now_ms, answers);
}

Result<Verified, Failure> Verifier::verify(
    const Value& msg, std::int64_t now_ms,
    const std::optional<std::array<std::uint8_t, 32>>& answers) noexcept {
  try {
    return verify_impl(msg, now_ms, answers);
  } catch (const std::exception& e) {
    return fail(Reason::kMalformedMessage, std::string("internal: ") + e.what());
  } catch (...) {
    return fail(Reason::kMalformedMessage, "internal failure");
  }
}

Result<Verified, Failure> Verifier::verify_impl(
    const Value& msg, std::int64_t now_ms,
    const std::optional<std::array<std::uint8_t, 32>>& answers) {
  // §6 step 1: structure.
  auto info = classify(msg);
  if (!info.ok()) return fail(Reason::kMalformedMessage, info.error());
  const Kind kind = info->kind;

  // Step 2: locate and parse the envelope.
  const Value* holder = envelope_holder(msg, kind);
  const auto env_it = holder ? holder->find(kSigKey) : Value::const_iterator{};
  if (holder == nullptr || env_it == holder->end()) {
    return fail(Reason::kMissingSignature, std::string("no io.pqmcp/sig on this ") + kind_name(kind));
  }
  const Value& env = *env_it;
  if (!env.is_object()) return fail(Reason::kMalformedEnvelope, "envelope is not an object");
  if (kind == Kind::kError && holder->contains(kDataKey)) {
    for (const auto& kv : holder->items()) {
      if (kv.key() != kDataKey && kv.key() != kSigKey) {
        return fail(Reason::kMalformedEnvelope, "wrapped error.data carries other members");
      }
    }
  }
  const bool response = kind == Kind::kResult || kind == Kind::kError;
  static constexpr std::string_view kMembers[] = {"v",   "alg", "kid", "iat", "nonce",
                                                  "aud", "sid", "seq", "req", "sig"};
  for (const auto& kv : env.items()) {
    if (std::find(std::begin(kMembers), std::end(kMembers), kv.key()) == std::end(kMembers)) {
      return fail(Reason::kMalformedEnvelope, "unknown envelope member \"" + kv.key() + "\"");
    }
  }
  for (std::string_view m : kMembers) {
    const bool need = m != "req" || response;
    if (env.contains(m) != need) {
      return fail(Reason::kMalformedEnvelope, std::string(need ? "missing" : "unexpected") +
                                                  " envelope member \"" + std::string(m) + "\"");
    }
  }
  std::uint64_t version = 0, seq = 0;
  if (!get_uint(env["v"], version) || version != kEnvelopeVersion) {
    return fail(Reason::kMalformedEnvelope, "unsupported envelope version");
  }
  const std::string* alg_id = get_str(env["alg"], 1, 64);
  const std::string* kid = get_str(env["kid"], 1, 256);
  const std::string* aud = get_str(env["aud"], 0, 1024);
  const std::string* sid = get_str(env["sid"], 1, 64);
  if (!alg_id || !kid || !aud || !sid) {
    return fail(Reason::kMalformedEnvelope, "alg/kid/aud/sid must be strings of bounded length");
  }
  if (!env["iat"].is_number_integer() || !get_uint(env["seq"], seq)) {
    return fail(Reason::kMalformedEnvelope, "iat and seq must be integers");
  }
  const std::int64_t iat = env["iat"].get<std::int64_t>();
  std::vector<std::uint8_t> nonce, req, sig;
  if (!get_b64(env["nonce"], kNonceBytes, nonce)) {
    return fail(Reason::kMalformedEnvelope, "nonce must be 16 bytes of base64url");
  }
  if (response && !get_b64(env["req"], 32, req)) {
    return fail(Reason::kMalformedEnvelope, "req must be 32 bytes of base64url");
  }
  if (!get_b64(env["sig"], 0, sig)) return fail(Reason::kMalformedEnvelope, "sig is not base64url");

  // Step 3: algorithm policy is the verifier's, never the sender's (no downgrade).
  const auto alg = algorithm_from_id(*alg_id);
  if (!alg || std::find(cfg_.allowed.begin(), cfg_.allowed.end(), *alg) == cfg_.allowed.end()) {
    return fail(Reason::kDowngrade, "algorithm \"" + *alg_id + "\" is not allowed here");
  }
  // Step 4: freshness and addressing.
  const std::int64_t skew = iat > now_ms ? iat - now_ms : now_ms - iat;
  if (skew > cfg_.max_skew_ms || iat < now_ms - cfg_.max_skew_ms) {
    return fail(Reason::kStale, "issued-at is " + std::to_string(skew) + " ms from now");
  }
  if (std::find(cfg_.audiences.begin(), cfg_.audiences.end(), *aud) == cfg_.audiences.end()) {
    return fail(Reason::kWrongAudience, "addressed to \"" + *aud + "\"");
  }
  // Step 5: the key, judged at the verifier's time.
  ResolvedKey key;
  if (!keys_.lookup(*kid, now_ms, key)) return fail(Reason::kUnknownKey, "kid \"" + *kid + "\"");
  if (key.state == KeyState::kRevoked) return fail(Reason::kRevoked, "kid \"" + *kid + "\"");
  if (key.state != KeyState::kValid) return fail(Reason::kExpired, "kid \"" + *kid + "\"");
  if (key.algorithm != *alg) {
    return fail(Reason::kDowngrade, "key \"" + *kid + "\" is registered for " +
                                        std::string(algorithm_id(key.algorithm)));
  }
  // Step 6: a response must answer the request this side sent.
  if (response && (!answers || !std::equal(req.begin(), req.end(), answers->begin()))) {
    return fail(Reason::kRequestMismatch,
                answers ? "req does not match the request" : "no outstanding request to answer");
  }
  const std::string nonce_s(nonce.begin(), nonce.end());
  // Cheap replay pre-check before the expensive signature check; recorded only after it.
  if (auto f = check_and_record(*kid, *sid, seq, nonce_s, iat, now_ms, false)) {
    return unexpected(std::move(*f));
  }
  // Step 7: the signature over label ‖ JCS(header) ‖ JCS(signed view).
  if (sig.size() != signature_size(*alg)) {
    return fail(Reason::kBadSignature, "signature has the wrong length");
  }
  Value view = signed_view(msg, kind);
  auto input = signing_input(signed_header(env), view);
  if (!input.ok()) return fail(Reason::kMalformedMessage, input.error());
  const auto prepared = prepared_key(*kid, key);
  if (!prepared || !crypto::is_ok(prepared->verify(*input, sig))) {
    return fail(Reason::kBadSignature, "signature does not verify under kid \"" + *kid + "\"");
  }
  // Step 8: record nonce and sequence (under the lock, re-checked: a concurrent duplicate loses).
  if (auto f = check_and_record(*kid, *sid, seq, nonce_s, iat, now_ms, true)) {
    return unexpected(std::move(*f));
  }
  std::optional<std::array<std::uint8_t, 32>> digest;
  if (kind == Kind::kRequest) digest = request_digest_of_input(*input);
  return Verified{*info, strip_envelope(std::move(view), msg, kind), *kid, key.identity, *sid, *alg, seq, iat, digest};
}

std::string Verifier::identity_of(std::string_view kid, std::int64_t now_ms) const noexcept {
  try {
    ResolvedKey key;
    return keys_.lookup(kid, now_ms, key) ? key.identity : std::string();
  } catch (...) {
    return {};
  }
}

std::optional<Failure> Verifier::check_and_record(const std::string& kid, const std::string& sid,
                                                  std::uint64_t seq, const std::string& nonce,
                                                  std::int64_t iat_ms, std::int64_t now_ms,
                                                  bool commit) {
  std::lock_guard lock(mu_);
  Sender& s = senders_[kid];
  // Forget nonces that the skew check alone now rejects.
  const std::int64_t horizon = now_ms - cfg_.max_skew_ms;
  while (!s.by_time.empty() && s.by_time.begin()->first < horizon) {
    s.nonces.erase(s.by_time.begin()->second);
    s.by_time.erase(s.by_time.begin());
  }
  if (iat_ms <= s.floor_ms) {
    return Failure{Reason::kStale, "nonce cache for this sender is full at this issued-at"};
  }
  if (s.nonces.count(nonce)) return Failure{Reason::kReplayedNonce, "nonce already seen"};
  auto sit = s.sessions.find(sid);
  if (sit != s.sessions.end()) {
    const SeqState& st = sit->second;
    if (seq <= st.highest) {
      const std::uint64_t back = st.highest - seq;
      if (back >= cfg_.seq_window || ((st.seen >> back) & 1)) {
        return Failure{Reason::kReplayedSequence,
                       "seq " + std::to_string(seq) + " after " + std::to_string(st.highest)};
      }
    }
  }
  if (!commit) return std::nullopt;
  // Bounded memory: evict the oldest nonce and raise the floor instead of growing.
  if (s.nonces.size() >= cfg_.max_nonces_per_sender && !s.by_time.empty()) {
    s.floor_ms = std::max(s.floor_ms, s.by_time.begin()->first);
    s.nonces.erase(s.by_time.begin()->second);
    s.by_time.erase(s.by_time.begin());
  }
  s.nonces.emplace(nonce, iat_ms);
  s.by_time.emplace(iat_ms, nonce);
  if (sit == s.sessions.end()) {
    if (s.sessions.size() >= cfg_.max_sessions_per_sender) s.sessions.erase(s.sessions.begin());
    s.sessions.emplace(sid, SeqState{seq, 1});
  } else {
    SeqState& st = sit->second;
    if (seq > st.highest) {
      const std::uint64_t shift = seq - st.highest;
      st.seen = shift >= 64 ? 1 : (st.seen << shift) | 1;
      st.highest = seq;
    } else {
      st.seen |= std::uint64_t{1} << (st.highest - seq);
    }
  }
  return std::nullopt;
}

}  // namespace pqmcp::mcp
