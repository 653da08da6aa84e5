#include "gateway/connect_filter.h"

#include <chrono>

namespace pqmcp::gateway {

using json::Value;
using mcp::Kind;

ConnectFilter::ConnectFilter(FilterConfig cfg, const mcp::Signer& signer, mcp::Verifier& verifier, AuditSink& audit,
                             PinConfig pins, std::int64_t answer_wait_ms)
    : Side(std::move(cfg), signer, verifier, audit), pins_cfg_(std::move(pins)), answer_wait_ms_(answer_wait_ms) {
  side_name_ = "connect";
}

void ConnectFilter::from_client(std::string_view line, Emit& out) {
  AuditRecord rec = record("c2s", line);
  Incoming in = read_message(line, rec);
  if (!in.info) {
    if (in.parse_failed)
      warn("the client sent a line that is not JSON (" + rec.reason + "); answered with a parse error");
    out.to_client(drop_reply(in, rec));
    return;
  }
  Value msg = std::move(in.msg);
  auto& info = in.info;
  fill(rec, *info, msg);
  rec.agent = rec.sender = cfg_.self;
  const std::string key = id_key(info->id);
  if (info->kind == Kind::kRequest && info->method == "tools/call" && blocked(rec.target)) {
    rec.decision = "deny";
    rec.reason = "pin-mismatch";
    audit(rec);
    warn("refused a call to tool '" + rec.target + "': its definition changed since it was approved; review it with `pqmcp tools list` and run `pqmcp tools approve " + cfg_.peer + " " + rec.target + "`");
    out.to_client(dump(error_response(
        info->id, code::kToolBlocked,
        "pqmcp connect: tool '" + rec.target + "' is blocked: its definition changed since it was approved (pin-mismatch)",
        {{"reason", "pin-mismatch"}, {"side", "connect"}, {"tool", rec.target}, {"digest", blocked_[rec.target]}})));
    return;
  }
  std::optional<Digest> answers;
  if (info->kind == Kind::kResult || info->kind == Kind::kError) {
    if (auto p = from_server_.take(key)) answers = p->get();
    if (!answers) {
      rec.decision = "drop";
      rec.reason = "no-pending-request";
      audit(rec);
      warn("the client answered id " + key + ", which no pending server request has; dropped");
      return;
    }
  }
  std::string err;
  Digest sent{};  // a request's digest, from the signing input
  const bool signed_ok = sign(msg, cfg_.peer, answers, &err, &sent);
  if (!signed_ok) {
    rec.decision = "deny";
    rec.reason = "signing-failed";
    audit(rec);
    if (info->kind == Kind::kRequest)
      out.to_client(dump(error_response(info->id, code::kSigningFailed, "pqmcp connect: cannot sign the request: " + err,
                                        {{"reason", "signing-failed"}, {"side", "connect"}})));
    return;
  }
  rec.verification = "signed";
  rec.decision = "allow";
  audit(rec);
  out.to_server(dump(msg));
  if (info->kind == Kind::kRequest) to_server_.put(key, Pending{RequestDigest(sent), info->method, rec.target, std::nullopt});
}

void ConnectFilter::reject_response(const std::string& key, const std::string& reason, Emit& out, int c,
                                    const std::string& message) {
  auto id = json::parse(key);
  if (!id) return;
  out.to_client(dump(error_response(*id, c, message, {{"reason", reason}, {"side", "connect"}})));
}

void ConnectFilter::from_server(std::string_view line, Emit& out) {
  AuditRecord rec = record("s2c", line);
  Incoming in = read_server_message(line, rec, "the server side");
  if (!in.info) return;
  Value msg = std::move(in.msg);
  auto& info = in.info;
  fill(rec, *info, msg);
  rec.agent = cfg_.self;
  const bool response = info->kind == Kind::kResult || info->kind == Kind::kError;
  const std::string key = id_key(info->id);
  std::optional<Pending> pending;
  if (response) {
    pending = to_server_.take(key);
    if (pending) rec.method = pending->method, rec.target = pending->target;
  }
  std::optional<Digest> answers;
  if (pending) answers = pending->digest.get();
  auto v = verifier_.verify(msg, now(), answers);
  std::string reason, detail;
  if (!v) {
    reason = mcp::reason_name(v.error().reason);
    detail = v.error().detail;
  } else if (!cfg_.peer.empty() && v->identity != cfg_.peer) {
    reason = "unexpected-sender";
    detail = "signed by '" + v->identity + "', expected the server '" + cfg_.peer + "'";
  }
  if (!v && v.error().reason == mcp::Reason::kRequestMismatch && pending && info->kind == Kind::kError &&
      bound_error(msg, rec, key, *pending, out))
    return;
  Value deliver;
  if (!reason.empty()) {
    rec.verification = rec.reason = reason;
    if (cfg_.mode == Mode::kRequire) {
      rec.decision = "deny";
      audit(rec);
      warn("rejected " + std::string(kind_str(info->kind)) + (info->method.empty() ? "" : " " + info->method) +
           (info->kind == Kind::kNotification ? "" : " id " + key) + " from the server: " + reason + " (" + detail + ")");
      if (pending) {
        hold(key, std::move(*pending), reason, code::kSignatureRejected,
             "pqmcp connect: the server's response was rejected: " + reason, out);
      } else if (info->kind == Kind::kRequest && reason != "replayed-nonce" && reason != "replayed-sequence") {
        // (A replayed server request is dropped unanswered: its original gets the answer.)
        std::optional<Digest> d;
        // Named as received (protocol §4.4): a refused copy with, say, its signature garbled must
        // not read as the answer to the request its sender signed.
        if (auto rd = mcp::received_request_digest(msg)) d = *rd;
        out.to_server(signed_error(info->id, code::kSignatureRejected, "pqmcp connect: request rejected: " + reason,
                                   {{"reason", reason}, {"detail", detail}}, cfg_.peer, d));
      }
      return;
    }
    rec.decision = "observe";
    warn("observe mode: passing " + std::string(kind_str(info->kind)) + " that would be rejected: " + reason + " (" +
         detail + ")");
    deliver = mcp::strip_envelope(msg, info->kind);
  } else {
    rec.verification = "ok";
    if (pending && pending->held) {
      warn("request " + key + ": a verified answer came after the rejected message under its id; delivered");
    }
    rec.agent = cfg_.self;
    rec.sender = v->identity;
    rec.kid = v->kid;
    deliver = std::move(v->message);
  }
  if (rec.decision.empty()) rec.decision = "allow";
  audit(rec);
  if (pending && pending->method == "tools/list" && info->kind == Kind::kResult) check_pins(deliver, rec);
  out.to_client(dump(deliver));
  // The server's request as received: what the client's answer must name (from the verifier's
  // signing input when it had one; observe mode may pass an unverified request).
  if (info->kind == Kind::kRequest)
    from_server_.put(key, v && v->request_digest ? RequestDigest(*v->request_digest) : digest_later(std::move(msg)));
}

// An error response signed by the server side but bound to a request other than the one this
// side sent: the server side received an altered request (a byte flipped, the signature removed)
// and refused it. Re-verified against the request it names — signature, sender, freshness and
// replay all still checked — it is passed on as an error carrying the server side's reason, so
// the client learns why; an error can only fail the request, never forge a result.
bool ConnectFilter::bound_error(const Value& msg, AuditRecord& rec, const std::string& key, Pending& p, Emit& out) {
  const Value* holder = mcp::envelope_holder(msg, Kind::kError);
  if (!holder || !holder->is_object()) return false;
  auto env = holder->find(mcp::kSigKey);
  if (env == holder->end() || !env->is_object() || !env->contains("req") || !(*env)["req"].is_string()) return false;
  std::vector<std::uint8_t> req;
  if (!mcp::b64url_decode((*env)["req"].get<std::string>(), req) || req.size() != 32) return false;
  Digest named;
  std::copy(req.begin(), req.end(), named.begin());
  auto v = verifier_.verify(msg, now(), named);
  if (!v || v->identity != cfg_.peer) return false;
  std::string why = "request-rejected";
  int c = code::kSignatureRejected;
  const Value& e = v->message["error"];
  if (e.is_object()) {
    if (e.contains("code") && e["code"].is_number_integer()) c = e["code"].get<int>();
    auto d = e.find("data");
    if (d != e.end() && d->is_object() && d->contains("pqmcp") && (*d)["pqmcp"].is_object())
      why = (*d)["pqmcp"].value("reason", why);
  }
  rec.verification = "request-mismatch";
  rec.decision = "deny";
  rec.reason = why;
  rec.agent = cfg_.self;
  rec.sender = v->identity;
  rec.kid = v->kid;
  audit(rec);
  warn("the server side rejected request " + key + " (" + why + "): it received a different request than this side sent");
  hold(key, std::move(p), why, c,
       "pqmcp: the server side rejected the request: " + why +
           " (what it received under this id was altered in transit; no verified answer to the request as sent came)",
       out);
  return true;
}

// Why wait: the rejected message proves only that something other than the genuine answer came
// under this id. A man in the middle that sends a tampered copy of a request ahead of it, or a
// forged response ahead of the real one, would otherwise have the client told that its request
// failed while it ran (and perhaps retried, running twice). Holding the request open lets the
// genuine answer through; if none comes, the client gets the first rejection's error. A man in
// the middle can still delay or drop the answer, as it always could: only its false report is
// taken away.
void ConnectFilter::hold(const std::string& key, Pending p, const std::string& reason, int c, const std::string& message,
                         Emit& out) {
  if (answer_wait_ms_ <= 0) return reject_response(key, reason, out, c, message);
  if (!p.held) {
    p.held = Pending::Held{wait_clock_ms() + answer_wait_ms_, reason, message, c};
    held_.emplace_back(p.held->until, key);
    warn("request " + key + " stays open for up to " + std::to_string(answer_wait_ms_) +
         " ms: the request as sent may still be answered");
  }
  to_server_.put(key, std::move(p));
}

std::int64_t ConnectFilter::wait_clock_ms() const {
  if (cfg_.now_ms) return cfg_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t ConnectFilter::due(Emit& out) {
  if (held_.empty()) return -1;
  const std::int64_t t = wait_clock_ms();
  while (!held_.empty()) {
    const auto& [until, key] = held_.front();
    const Pending* p = to_server_.find(key);
    if (!p || !p->held || p->held->until != until) {  // answered, forgotten, or a later request's hold
      held_.pop_front();
      continue;
    }
    if (until > t) return until - t;
    auto taken = to_server_.take(key);
    const Pending::Held& h = *taken->held;
    warn("request " + key + ": no verified answer came; the client gets the error (" + h.reason + ")");
    reject_response(key, h.reason, out, h.code, h.message);
    held_.pop_front();
  }
  return -1;
}

void ConnectFilter::forget(const Value& id) {
  (void)to_server_.take(id_key(id));  // its entry in held_, if any, is skipped by due()
}

void ConnectFilter::check_pins(Value& msg, const AuditRecord& base) {
  if (pins_cfg_.path.empty()) return;
  auto r = msg.find("result");
  if (r == msg.end() || !r->is_object()) return;
  auto tools = r->find("tools");
  if (tools == r->end() || !tools->is_array()) return;
  auto withhold_all = [&](const std::string& why) {
    // Fail closed: without a readable pin store nothing can be told apart from a rug pull.
    warn("tool pins unavailable (" + why + "); withholding all " + std::to_string(tools->size()) + " tools");
    for (auto& t : *tools)
      if (t.is_object() && t.contains("name") && t["name"].is_string()) blocked_[t["name"]] = "";
    *tools = Value::array();
  };
  // Reloaded each time: `pqmcp tools approve` runs in another process.
  auto store = mcp::PinStore::load(pins_cfg_.path);
  if (!store) return withhold_all(store.error());
  auto verdicts = store->check(cfg_.peer, *tools, pins_cfg_.trust_on_first_use);
  if (!verdicts) return withhold_all(verdicts.error());
  Value kept = Value::array();
  bool changed = false;
  for (std::size_t i = 0; i < verdicts->size(); ++i) {
    const auto& tv = (*verdicts)[i];
    if (tv.verdict == mcp::PinVerdict::kMatch || tv.verdict == mcp::PinVerdict::kPinnedNow) {
      blocked_.erase(tv.tool);
      changed |= tv.verdict == mcp::PinVerdict::kPinnedNow;
      kept.push_back(std::move((*tools)[i]));
      continue;
    }
    changed = true;
    blocked_[tv.tool] = tv.digest;
    AuditRecord rec = base;
    rec.target = tv.tool;
    rec.decision = "deny";
    rec.reason = tv.verdict == mcp::PinVerdict::kChanged ? "pin-mismatch" : "unpinned";
    rec.digest = tv.digest;
    rec.digest_of.reset();
    audit(rec);
    warn("tool '" + tv.tool + "' of server '" + cfg_.peer + "' " +
         (tv.verdict == mcp::PinVerdict::kChanged ? "changed since it was pinned (pin-mismatch: " + tv.pinned + " -> " + tv.digest + ")"
                                                  : "is not pinned (" + tv.digest + ")") +
         "; withheld until `pqmcp tools approve " + cfg_.peer + " " + tv.tool + "`");
  }
  *tools = std::move(kept);
  if (changed)
    if (auto s = store->save(); !s) warn("cannot save the pin store: " + s.error());
}

bool ConnectFilter::blocked(const std::string& tool) {
  auto it = blocked_.find(tool);
  if (it == blocked_.end()) return false;
  // Approved since? The approval names the digest that was withheld.
  auto store = mcp::PinStore::load(pins_cfg_.path);
  if (!store || it->second.empty()) return true;
  const Value& doc = store->document();
  auto s = doc["servers"].find(cfg_.peer);
  if (s == doc["servers"].end()) return true;
  auto t = s->find(tool);
  if (t == s->end() || !t->is_object() || t->contains("pending")) return true;
  if (t->value("digest", "") != it->second) return true;
  blocked_.erase(it);
  return false;
}

void ConnectFilter::client_overlong(const Overlong& o, Emit& out) {
  AuditRecord rec = record("c2s", o.head);
  rec.verification = rec.reason = "too-large";
  rec.decision = "drop";
  Value id = overlong_id(o);
  rec.id = id.is_null() ? "" : id_key(id);
  audit(rec);
  warn("the client sent a message of " + std::to_string(o.bytes) + " bytes, above the limit of " +
       std::to_string(cfg_.max_line) + "; dropped");
  out.to_client(dump(error_response(id, code::kTooLarge,
                                    "pqmcp connect: message of " + std::to_string(o.bytes) +
                                        " bytes exceeds the limit of " + std::to_string(cfg_.max_line),
                                    {{"reason", "too-large"}, {"side", "connect"}})));
}

void ConnectFilter::server_overlong(const Overlong& o, Emit& out) {
  AuditRecord rec = record("s2c", o.head);
  rec.verification = rec.reason = "too-large";
  rec.decision = "drop";
  Value id = overlong_id(o);
  auto p = id.is_null() ? std::nullopt : to_server_.take(id_key(id));
  if (p) rec.id = id_key(id), rec.method = p->method, rec.target = p->target;
  audit(rec);
  warn("the server side wrote a message of " + std::to_string(o.bytes) + " bytes, above the limit of " +
       std::to_string(cfg_.max_line) + "; dropped");
  if (p)
    hold(id_key(id), std::move(*p), "too-large", code::kTooLarge,
         "pqmcp connect: the server's response of " + std::to_string(o.bytes) + " bytes exceeds the limit of " +
             std::to_string(cfg_.max_line),
         out);
}

void ConnectFilter::server_gone(Emit& out) {
  held_.clear();
  for (auto& [key, p] : to_server_.drain()) {
    if (p.held)  // no answer will come now: the rejection it was held for is the reason
      reject_response(key, p.held->reason, out, p.held->code, p.held->message);
    else
      reject_response(key, "server-exited", out, code::kServerUnavailable,
                      "pqmcp connect: the server exited before answering");
  }
}

}  // namespace pqmcp::gateway
