#include "gateway/side.h"

namespace pqmcp::gateway {

RequestDigest::RequestDigest(const Digest& d) : s_(std::make_shared<State>()) {
  s_->digest = d;
  s_->done = true;
}

std::optional<Digest> RequestDigest::get() const {
  if (!s_) return std::nullopt;
  if (!s_->done) {
    if (auto d = mcp::request_digest(s_->request)) s_->digest = *d;
    s_->request = nullptr;
    s_->done = true;
  }
  return s_->digest;
}

RequestDigest Side::digest_later(json::Value request) {
  RequestDigest r;
  r.s_ = std::make_shared<RequestDigest::State>();
  r.s_->request = std::move(request);
  // Bounded even under a relay that never calls idle(): the older ones are computed now.
  if (deferred_.size() >= 256) idle();
  deferred_.push_back(r.s_);
  return r;
}

void Side::audit(AuditRecord r) {
  unwritten_.push_back(std::move(r));
  if (unwritten_.size() >= 64) flush_audit();
}

void Side::flush_audit() noexcept {
  for (auto& r : unwritten_) audit_.record(r);  // the sink hashes digest_of (resolve_digest)
  unwritten_.clear();
}

Side::~Side() { flush_audit(); }

void Side::idle() {
  flush_audit();
  for (auto& w : deferred_) {
    RequestDigest r;
    r.s_ = w.lock();  // gone: its response came (and computed it) or it was dropped
    if (r.s_) (void)r.get();
  }
  deferred_.clear();
}

Side::Side(FilterConfig cfg, const mcp::Signer& signer, mcp::Verifier& verifier, AuditSink& audit)
    : cfg_(std::move(cfg)), signer_(signer), verifier_(verifier), audit_(audit) {}

json::JsonResult<json::Value> Side::parse(std::string_view line) const {
  return json::parse(line, json::Limits{cfg_.max_line, 64});
}

Side::Incoming Side::read_message(std::string_view line, AuditRecord& rec) {
  Incoming in;
  auto parsed = parse(line);
  if (!parsed) {
    in.parse_failed = true;
    in.error = parsed.error().message;
    rec.verification = rec.reason = reason_of(parsed.error());
  } else {
    in.msg = std::move(parsed.value());
    auto info = mcp::classify(in.msg);
    if (info) {
      in.info = std::move(info.value());
      return in;
    }
    in.error = info.error();
    rec.verification = rec.reason = "malformed-message";
  }
  rec.decision = "drop";
  audit(rec);
  return in;
}

Side::Incoming Side::read_server_message(std::string_view line, AuditRecord& rec, std::string_view writer) {
  Incoming in = read_message(line, rec);
  if (!in.info)
    warn(in.parse_failed ? std::string(writer) + " wrote a line that is not JSON (" + std::to_string(line.size()) +
                               " bytes, " + rec.reason + "); dropped"
                         : std::string(writer) + " wrote a malformed JSON-RPC message (" + in.error + "); dropped");
  return in;
}

std::string Side::drop_reply(const Incoming& in, const AuditRecord& rec) const {
  const std::string who = std::string("pqmcp ") + side_name_;
  if (in.parse_failed)
    return dump(error_response(nullptr, code::kParseError, who + ": not JSON: " + in.error,
                               {{"reason", rec.reason}, {"side", side_name_}}));
  const json::Value& m = in.msg;
  json::Value id = m.is_object() && m.contains("id") && !m["id"].is_object() ? m["id"] : json::Value(nullptr);
  return dump(error_response(id, code::kInvalidRequest, who + ": " + in.error,
                             {{"reason", "malformed-message"}, {"side", side_name_}}));
}

std::string Side::reason_of(const json::Error& e) {
  switch (e.code) {
    case json::ErrorCode::kTooLarge: return "too-large";
    case json::ErrorCode::kTooDeep: return "too-deep";
    default: return "malformed-json";
  }
}

AuditRecord Side::record(const char* dir, std::string_view line) const {
  AuditRecord r;
  r.ts_ms = now();
  r.side = side_name_;
  r.direction = dir;
  r.kind = "invalid";
  r.digest_of = std::make_shared<const std::string>(line);  // hashed by the sink (resolve_digest)
  return r;
}

void Side::fill(AuditRecord& r, const mcp::MessageInfo& info, const json::Value& msg) const {
  r.kind = kind_str(info.kind);
  r.method = info.method;
  if (info.kind != mcp::Kind::kNotification) r.id = id_key(info.id);
  r.target = target_of(msg);
}

bool Side::sign(json::Value& msg, const std::string& aud, const std::optional<Digest>& answers, std::string* error,
                Digest* request_digest) {
  auto& s = sessions_[aud];
  if (!s) {
    auto c = mcp::SigningSession::create(signer_, aud);
    if (!c) {
      warn("cannot start a signing session: " + c.error());
      if (error) *error = c.error();
      return false;
    }
    s = std::move(c.value());
  }
  auto d = s->sign(msg, now(), answers, request_digest);
  if (!d) {
    warn("signing failed: " + d.error());
    if (error) *error = d.error();
    return false;
  }
  return true;
}

std::string Side::signed_error(const json::Value& id, int code, const std::string& message, json::Value data,
                               const std::string& aud, const std::optional<Digest>& answers) {
  data["side"] = side_name_;
  json::Value e = error_response(id, code, message, std::move(data));
  if (answers) {
    json::Value copy = e;
    if (sign(copy, aud, answers)) return dump(copy);
  }
  return dump(e);
}

}  // namespace pqmcp::gateway
