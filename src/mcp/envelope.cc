#include "mcp/envelope.h"

#include <exception>

#include "crypto/random.h"
#include "crypto/sha3.h"

namespace pqmcp::mcp {

Result<std::vector<std::uint8_t>, std::string> signing_input(const Value& header,
                                                             const Value& signed_msg) noexcept {
  auto h = json::canonicalize(header);
  if (!h.ok()) return unexpected("envelope header: " + h.error().message);
  auto m = json::canonicalize(signed_msg);
  if (!m.ok()) return unexpected("message: " + m.error().message);
  try {
    std::vector<std::uint8_t> out;
    out.reserve(kSigLabel.size() + h->size() + m->size() + 2);
    out.insert(out.end(), kSigLabel.begin(), kSigLabel.end());
    out.push_back(0);
    out.insert(out.end(), h->begin(), h->end());
    out.push_back(0);
    out.insert(out.end(), m->begin(), m->end());
    return out;
  } catch (...) {
    return unexpected(std::string("out of memory"));
  }
}

namespace {

constexpr std::string_view kReqLabel = "io.pqmcp/req/v2";

}  // namespace

std::array<std::uint8_t, 32> request_digest_of_input(std::span<const std::uint8_t> signing_input) noexcept {
  crypto::Sha3_256Sponge h;  // FIPS 202 SHA3-256: rate 136, suffix 01, 32 bytes out
  const std::uint8_t sep = 0;
  h.absorb({reinterpret_cast<const std::uint8_t*>(kReqLabel.data()), kReqLabel.size()});
  h.absorb({&sep, 1});
  h.absorb(signing_input);
  std::array<std::uint8_t, 32> d{};
  h.squeeze(d);
  return d;
}

Result<std::array<std::uint8_t, 32>, std::string> request_digest(const Value& request) noexcept {
  try {
    const auto info = classify(request);
    const Value* holder = info.ok() ? envelope_holder(request, info->kind) : nullptr;
    const auto env = holder && holder->is_object() ? holder->find(kSigKey) : Value::const_iterator{};
    if (holder && holder->is_object() && env != holder->end() && env->is_object()) {
      auto si = signing_input(signed_header(*env), signed_view(request, info->kind));  // as §6 step 7
      if (!si.ok()) return unexpected("cannot canonicalise: " + si.error());
      return request_digest_of_input(*si);
    }
    return received_request_digest(request);
  } catch (...) {
    return unexpected(std::string("out of memory"));
  }
}

Result<std::array<std::uint8_t, 32>, std::string> received_request_digest(const Value& request) noexcept {
  // Unambiguous next to the signing-input form: JCS text starts with '{', a signing input with
  // "io.pqmcp/sig/v1".
  auto c = json::canonicalize(request);
  if (!c.ok()) return unexpected(std::string("cannot canonicalise: ") + c.error().message);
  return request_digest_of_input({reinterpret_cast<const std::uint8_t*>(c->data()), c->size()});
}

Value signed_header(const Value& envelope) {
  Value hdr = Value::object();
  for (auto it = envelope.begin(); it != envelope.end(); ++it)
    if (it.key() != "sig") hdr[it.key()] = it.value();
  return hdr;
}

Result<Kind, std::string> sign_message(Value& msg, const Signer& signer, const EnvelopeFields& f,
                                       std::array<std::uint8_t, 32>* request_digest) noexcept {
  try {
    auto info = classify(msg);
    if (!info.ok()) return unexpected("not a signable message: " + info.error());
    const Kind kind = info->kind;
    const bool response = kind == Kind::kResult || kind == Kind::kError;
    if (response != f.req.has_value()) {
      return unexpected(std::string(response ? "a response must name the request it answers"
                                             : "only responses carry a request digest"));
    }
    // Built member by member: an initializer list makes nlohmann::json check, copy and convert
    // every pair, several times the cost of the members themselves.
    Value hdr = Value::object();
    auto& h = hdr.get_ref<Value::object_t&>();
    h.emplace("v", kEnvelopeVersion);
    h.emplace("alg", std::string(algorithm_id(signer.algorithm())));
    h.emplace("kid", signer.kid());
    h.emplace("iat", f.iat_ms);
    h.emplace("nonce", b64url_encode(f.nonce));
    h.emplace("aud", f.aud);
    h.emplace("sid", f.sid);
    h.emplace("seq", f.seq);
    if (f.req) h.emplace("req", b64url_encode(*f.req));
    // Place the unsigned header first so that params/_meta/data exist exactly as the verifier
    // will see them; the envelope itself is then excluded by the signed view.
    auto placed = place_envelope(msg, kind, hdr);
    if (!placed.ok()) return unexpected(placed.error());
    auto input = signing_input(hdr, signed_view(msg, kind));
    if (!input.ok()) return unexpected(input.error());
    auto sig = signer.sign(*input);
    if (!sig.ok()) return unexpected("signer: " + sig.error().message);
    if (request_digest && kind == Kind::kRequest) *request_digest = request_digest_of_input(*input);
    hdr["sig"] = b64url_encode(*sig);
    // The slot exists now (and error.data is already wrapped): fill it in place.
    Value& slot = kind == Kind::kError    ? msg["error"]["data"]
                  : kind == Kind::kResult ? msg["result"]["_meta"]
                                          : msg["params"]["_meta"];
    slot[std::string(kSigKey)] = std::move(hdr);
    return kind;
  } catch (const std::exception& e) {
    return unexpected(std::string("sign_message: ") + e.what());
  }
}

Result<std::unique_ptr<SigningSession>, std::string> SigningSession::create(const Signer& signer,
                                                                            std::string audience) {
  std::array<std::uint8_t, 12> raw{};
  if (!crypto::is_ok(crypto::random_bytes(raw))) return unexpected(std::string("no randomness"));
  std::unique_ptr<SigningSession> s(new SigningSession(signer, std::move(audience)));
  s->sid_ = b64url_encode(raw);
  return s;
}

Result<Kind, std::string> SigningSession::sign(
    Value& msg, std::int64_t now_ms, const std::optional<std::array<std::uint8_t, 32>>& answers,
    std::array<std::uint8_t, 32>* request_digest) {
  EnvelopeFields f;
  f.aud = aud_;
  f.sid = sid_;
  f.seq = next_seq_.fetch_add(1);
  f.iat_ms = now_ms;
  f.req = answers;
  if (!crypto::is_ok(crypto::random_bytes(f.nonce))) return unexpected(std::string("no randomness"));
  return sign_message(msg, signer_, f, request_digest);
}

}  // namespace pqmcp::mcp
