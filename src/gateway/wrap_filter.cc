#include "gateway/wrap_filter.h"

namespace pqmcp::gateway {

using json::Value;
using mcp::Kind;

WrapFilter::WrapFilter(FilterConfig cfg, const mcp::Signer& signer, mcp::Verifier& verifier, AuditSink& audit,
                       PolicyCheck* policy)
    : Side(std::move(cfg), signer, verifier, audit), policy_(policy) {
  side_name_ = "wrap";
}

void WrapFilter::from_client(std::string_view line, Emit& out) {
  AuditRecord rec = record("c2s", line);
  Incoming in = read_message(line, rec);
  if (!in.info) {
    warn(in.parse_failed ? "rejected a line from the client that is not a JSON-RPC message (" + rec.reason + ")"
                         : "rejected a malformed JSON-RPC message from the client: " + in.error);
    out.to_client(drop_reply(in, rec));
    return;
  }
  Value msg = std::move(in.msg);
  auto& info = in.info;
  fill(rec, *info, msg);
  const bool response = info->kind == Kind::kResult || info->kind == Kind::kError;
  const std::string key = id_key(info->id);
  std::optional<Digest> answers;
  if (response)
    if (auto* d = to_agent_.find(key)) answers = d->get();

  auto v = verifier_.verify(msg, now(), answers);
  std::string reason, detail;
  if (!v) {
    reason = mcp::reason_name(v.error().reason);
    detail = v.error().detail;
  } else if ((!agent_.empty() && v->identity != agent_) || (!cfg_.peer.empty() && v->identity != cfg_.peer)) {
    // One session, one agent: a second signer on the same pipe is someone else's traffic.
    reason = "unexpected-sender";
    detail = "signed by '" + v->identity + "', session agent is '" + (agent_.empty() ? cfg_.peer : agent_) + "'";
  }
  Value deliver;
  std::string agent, kid;
  if (!reason.empty()) {
    rec.verification = rec.reason = reason;
    if (cfg_.mode == Mode::kRequire) {
      rec.decision = "deny";
      audit(rec);
      warn("rejected " + std::string(kind_str(info->kind)) + (info->method.empty() ? "" : " " + info->method) +
           (response || info->kind == Kind::kRequest ? " id " + key : "") + ": " + reason + " (" + detail + ")");
      // A replay is a copy of a request that was (or will be) answered already: a second answer
      // under the same id would break JSON-RPC and could fail the genuine request. Drop it. The
      // same for any refused request whose id is still in flight to the server: its answer
      // would end, at connect, the wait of the genuine request, whose result then gets lost.
      const bool replay = reason == "replayed-nonce" || reason == "replayed-sequence" ||
                          (info->kind == Kind::kRequest && from_agent_.find(key) != nullptr);
      if (info->kind == Kind::kRequest && !replay) {
        std::optional<Digest> d;
        // Named as received (protocol §4.4): a refused copy with, say, its signature garbled must
        // not read as the answer to the request its sender signed.
        if (auto rd = mcp::received_request_digest(msg)) d = *rd;
        out.to_client(signed_error(info->id, code::kSignatureRejected, "pqmcp wrap: request rejected: " + reason,
                                   {{"reason", reason}, {"detail", detail}}, refusal_audience(msg, info->kind), d));
      } else if (response && answers) {
        // The server is waiting for this answer; tell it instead of leaving it hanging.
        to_agent_.take(key);
        out.to_server(dump(error_response(info->id, code::kSignatureRejected,
                                          "pqmcp wrap: the client's response was rejected: " + reason)));
      }
      return;
    }
    rec.decision = "observe";
    warn("observe mode: passing " + std::string(kind_str(info->kind)) + " " + info->method + " that would be rejected: " +
         reason + " (" + detail + ")");
    deliver = mcp::strip_envelope(msg, info->kind);
  } else {
    if (agent_.empty()) agent_ = v->identity;
    rec.verification = "ok";
    rec.agent = rec.sender = agent = v->identity;
    rec.kid = kid = v->kid;
    deliver = std::move(v->message);
  }

  if (info->kind == Kind::kRequest) {
    // The request as received, verified or not (observe mode): what its response must name.
    RequestDigest d = v && v->request_digest ? RequestDigest(*v->request_digest) : digest_later(std::move(msg));
    if (policy_) {
      PolicyVerdict pv = policy_->check(deliver, agent, kid, now());
      rec.rule = pv.rule;
      if (!pv.allow) {
        rec.reason = pv.reason;
        if (cfg_.mode == Mode::kRequire) {
          rec.decision = "deny";
          audit(rec);
          warn("policy denied " + info->method + (rec.target.empty() ? "" : " " + rec.target) + " for '" + agent +
               "': " + pv.reason + (pv.rule.empty() ? "" : " (rule " + pv.rule + ")"));
          out.to_client(signed_error(info->id, pv.rate_limited ? code::kRateLimited : code::kPolicyDenied,
                                     std::string("pqmcp wrap: ") + (pv.rate_limited ? "rate limited: " : "policy denied: ") +
                                         pv.reason,
                                     {{"reason", pv.rate_limited ? "rate-limited" : "policy-denied"},
                                      {"rule", pv.rule},
                                      {"detail", pv.reason}},
                                     audience(), d.get()));
          return;
        }
        rec.decision = "observe";
        warn("observe mode: policy would deny " + info->method + " for '" + agent + "': " + pv.reason);
      }
    }
    from_agent_.put(key, Pending{d, info->method, rec.target});
  } else if (response) {
    to_agent_.take(key);
  }
  if (rec.decision.empty()) rec.decision = "allow";
  audit(rec);
  out.to_server(dump(deliver));
}

std::string WrapFilter::refusal_audience(const Value& msg, Kind kind) const {
  if (!agent_.empty() || !cfg_.peer.empty()) return audience();
  const Value* holder = mcp::envelope_holder(msg, kind);
  if (holder && holder->is_object()) {
    auto env = holder->find(mcp::kSigKey);
    if (env != holder->end() && env->is_object()) {
      auto kid = env->find("kid");
      if (kid != env->end() && kid->is_string()) {
        std::string who = verifier_.identity_of(kid->get<std::string>(), now());
        if (!who.empty()) return who;
      }
    }
  }
  return audience();
}

void WrapFilter::from_server(std::string_view line, Emit& out) {
  AuditRecord rec = record("s2c", line);
  // MCP stdio: "The server MUST NOT write anything to its stdout that is not a valid MCP
  // message." Such a line is the server's bug; it is dropped, not forwarded unsigned.
  Incoming in = read_server_message(line, rec, "the server");
  if (!in.info) return;
  Value msg = std::move(in.msg);
  auto& info = in.info;
  fill(rec, *info, msg);
  const std::string key = id_key(info->id);
  std::optional<Digest> answers;
  if (info->kind == Kind::kResult || info->kind == Kind::kError) {
    auto p = from_agent_.take(key);
    if (!p) {
      rec.decision = "drop";
      rec.reason = "no-pending-request";
      audit(rec);
      warn("the server answered id " + key + ", which no pending request has; dropped");
      return;
    }
    answers = p->digest.get();
    rec.method = p->method;
    rec.target = p->target;
  }
  std::string err;
  Digest sent{};  // a request's digest, from the signing input
  const bool signed_ok = sign(msg, audience(), answers, &err, &sent);
  if (!signed_ok) {
    rec.decision = "drop";
    rec.reason = "signing-failed";
    audit(rec);
    if (answers)
      out.to_client(dump(error_response(info->id, code::kSigningFailed, "pqmcp wrap: cannot sign the response: " + err)));
    return;
  }
  rec.verification = "signed";
  rec.decision = "allow";
  rec.agent = agent_;
  rec.sender = cfg_.self;
  audit(rec);
  out.to_client(dump(msg));
  if (info->kind == Kind::kRequest) to_agent_.put(key, RequestDigest(sent));
}

void WrapFilter::client_overlong(const Overlong& o, Emit& out) {
  AuditRecord rec = record("c2s", o.head);
  rec.verification = rec.reason = "too-large";
  rec.decision = "drop";
  Value id = overlong_id(o);
  rec.id = id.is_null() ? "" : id_key(id);
  audit(rec);
  warn("a message from the client was " + std::to_string(o.bytes) + " bytes, above the limit of " +
       std::to_string(cfg_.max_line) + "; dropped");
  out.to_client(dump(error_response(id, code::kTooLarge,
                                    "pqmcp wrap: message of " + std::to_string(o.bytes) + " bytes exceeds the limit of " +
                                        std::to_string(cfg_.max_line),
                                    {{"reason", "too-large"}, {"side", "wrap"}})));
}

void WrapFilter::server_overlong(const Overlong& o, Emit& out) {
  AuditRecord rec = record("s2c", o.head);
  rec.verification = rec.reason = "too-large";
  rec.decision = "drop";
  Value id = overlong_id(o);
  auto p = id.is_null() ? std::nullopt : from_agent_.take(id_key(id));
  warn("the server wrote a message of " + std::to_string(o.bytes) + " bytes, above the limit of " +
       std::to_string(cfg_.max_line) + "; dropped" + (p ? ", answering request " + id_key(id) + " with an error" : ""));
  if (p) {
    rec.id = id_key(id);
    rec.method = p->method;
    rec.target = p->target;
    out.to_client(signed_error(id, code::kTooLarge,
                               "pqmcp wrap: the server's response of " + std::to_string(o.bytes) +
                                   " bytes exceeds the limit of " + std::to_string(cfg_.max_line),
                               {{"reason", "too-large"}}, audience(), p->digest.get()));
  }
  audit(rec);
}

void WrapFilter::server_gone(Emit& out) {
  for (auto& [key, p] : from_agent_.drain()) {
    auto id = json::parse(key);
    if (!id) continue;
    out.to_client(signed_error(*id, code::kServerUnavailable, "pqmcp wrap: the server exited before answering",
                               {{"reason", "server-exited"}}, audience(), p.digest.get()));
  }
}

}  // namespace pqmcp::gateway
