// CKM_PQMCP_MCP_SIGN_MLDSA and CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA (pkcs11/pqmcp_vendor.h): sign an
// MCP message only after the token itself has parsed it and its on-token policy allowed it
// (DESIGN.md §1, docs/token.md "Policy inside the token"). A key restricted to these mechanisms
// with CKA_ALLOWED_MECHANISMS cannot sign anything the policy forbids, even for a caller that
// holds the user PIN.
//
// Input: the envelope signing input of docs/protocol.md §4.2,
//   "io.pqmcp/sig/v1" ‖ 0x00 ‖ JCS(H) ‖ 0x00 ‖ JCS(S)
// JCS never emits a raw 0x00, so the two separators split it unambiguously. Both parts must be
// strict I-JSON *and* already canonical: the token decides on exactly the bytes a verifier
// recomputes, never on a lenient reading of them.
#include <chrono>
#include <cstring>
#include <mutex>

#include "crypto/composite.h"
#include "crypto/mldsa.h"
#include "crypto/sha3.h"
#include "json/json.h"
#include "mechanisms/mechanism.h"
#include "mechanisms/mldsa_prepared.h"
#include "pkcs11/pqmcp_vendor.h"
#include "policy/policy.h"

namespace pqmcp::token {
namespace {

namespace mldsa = crypto::mldsa;
namespace cs = crypto::composite;

constexpr std::string_view kDomain = "io.pqmcp/sig/v1";
constexpr std::size_t kMaxInput = 5 * 1024 * 1024;  // the 4 MiB message limit plus the envelope
constexpr std::int64_t kMaxSkewMs = 300'000;        // the verifiers' default (protocol §6)

std::string hex(std::span<const std::uint8_t> b) {
  static constexpr char k[] = "0123456789abcdef";
  std::string s;
  for (auto x : b) s += k[x >> 4], s += k[x & 15];
  return s;
}

// One parsed policy per process, rebuilt when the SO installs another text. The rate limiter
// lives with it: the token's limits count what this process signed.
struct Cached {
  std::string text;
  std::optional<policy::Policy> policy;
  std::unique_ptr<policy::RateLimiter> limiter;
};
std::mutex g_cache_mu;
Cached* g_cache = nullptr;  // never freed: no global destructor runs in the module

struct Verdict {
  policy::Decision d;
  nlohmann::json fields = nlohmann::json::object();
};

class McpSignOp : public SignOp {
 public:
  McpSignOp(mldsa::ParamSet p, ObjectPtr key, TokenContext ctx, std::optional<cs::Algorithm> comp,
            CK_MECHANISM_TYPE mech)
      : p_(p), key_(std::move(key)), ctx_(std::move(ctx)), comp_(comp), mech_(mech) {}

  std::size_t signature_length() const override { return mldsa::sizes(p_).signature; }

  Status update(std::span<const std::uint8_t> d) override {
    if (buf_.size() + d.size() > kMaxInput) return Status(CKR_DATA_LEN_RANGE);
    buf_.insert(buf_.end(), d.begin(), d.end());
    return kOk;
  }

  Status sign(std::span<std::uint8_t> out, std::size_t& written) override {
    Verdict v = decide();
    record(v);
    if (!v.d.allow) return Status(CKR_FUNCTION_REJECTED);
    std::vector<std::uint8_t> msg(buf_.begin(), buf_.end()), ctx, sig;
    if (comp_) {
      // draft-ietf-lamps-pq-composite-sigs: the token builds M' from the checked input, so the
      // caller cannot slip a different message under the composite's ML-DSA half.
      if (cs::message_representative(*comp_, buf_, {}, msg) != crypto::Status::kOk) return Status(CKR_FUNCTION_FAILED);
      const auto label = cs::info(*comp_).label;
      ctx.assign(label.begin(), label.end());
    }
    if (!key_->get(CKA_VALUE)) return Status(CKR_USER_NOT_LOGGED_IN);
    // The key decoded and Â expanded once per key object (mechanisms/prepared_key.h).
    auto sk = prepared_mldsa_private(*key_, p_);
    if (!sk.ok()) return Status(CKR_FUNCTION_FAILED);
    if (mldsa::sign(*sk.value(), msg, ctx, sig) != crypto::Status::kOk) return Status(CKR_FUNCTION_FAILED);
    if (sig.size() > out.size()) return Status(CKR_FUNCTION_FAILED);
    std::memcpy(out.data(), sig.data(), sig.size());
    written = sig.size();
    return kOk;
  }

  Status verify(std::span<const std::uint8_t>) override { return Status(CKR_FUNCTION_NOT_SUPPORTED); }

 private:
  static Verdict deny(std::string rule, std::string reason) { return {{false, std::move(rule), std::move(reason)}}; }

  Verdict decide() {
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::span<const std::uint8_t> in(buf_);
    if (in.size() < kDomain.size() + 1 || std::memcmp(in.data(), kDomain.data(), kDomain.size()) != 0 ||
        in[kDomain.size()] != 0)
      return deny("malformed-input", "input is not an MCP envelope signing input");
    in = in.subspan(kDomain.size() + 1);
    const auto* sep = static_cast<const std::uint8_t*>(std::memchr(in.data(), 0, in.size()));
    if (!sep) return deny("malformed-input", "no separator between envelope and message");
    const std::string h_text(in.data(), sep);
    const std::string s_text(sep + 1, in.data() + in.size());
    if (s_text.find('\0') != std::string::npos) return deny("malformed-input", "more than two separators");

    Verdict v;
    std::uint8_t digest[32];
    crypto::sha3_256({reinterpret_cast<const std::uint8_t*>(s_text.data()), s_text.size()}, digest);
    v.fields["message_sha3_256"] = hex(digest);
    auto canonical = [](const std::string& t) -> std::optional<json::Value> {
      auto j = json::parse(t);
      if (!j) return std::nullopt;
      auto c = json::canonicalize(*j);
      if (!c || *c != t) return std::nullopt;
      return std::move(j.value());
    };
    auto h = canonical(h_text);
    auto s = canonical(s_text);
    if (!h || !h->is_object()) return deny("malformed-input", "envelope is not canonical JSON (RFC 8785) object");
    if (!s || !s->is_object()) return deny("malformed-input", "message is not canonical JSON (RFC 8785) object");
    const auto kid = h->find("kid");
    const auto iat = h->find("iat");
    if (kid == h->end() || !kid->is_string() || iat == h->end() || !iat->is_number_integer())
      return deny("malformed-input", "envelope without kid or iat");
    // A message issued far from the token's clock could be held back and replayed inside a
    // verifier's skew window at a time the policy would refuse.
    if (std::llabs(iat->get<std::int64_t>() - now) > kMaxSkewMs)
      return deny("stale", "envelope iat is more than 300 s from the token's clock");
    const Bytes* owner = key_->get(CKA_PQMCP_OWNER);
    const std::string agent = owner ? std::string(owner->begin(), owner->end()) : "";
    v.fields["agent"] = agent;
    v.fields["kid"] = kid->get<std::string>();

    if (!s->contains("method")) {
      // A response is bound by "req" to one request the peer itself sent (protocol §4.4), so the
      // agent may answer (e.g. a sampling request) without a rule of its own.
      if (h->contains("req") && (s->contains("result") || s->contains("error"))) {
        v.d = {true, "response", "response bound to a request by req"};
        return v;
      }
      return deny("malformed-input", "message is neither a request, a notification nor a response");
    }
    auto text = ctx_.policy_text ? ctx_.policy_text() : Result<std::string>(Status(CKR_FUNCTION_REJECTED));
    if (!text.ok()) return deny("no-policy", "no MCP policy object on the token (the SO installs one)");
    const policy::Request r = policy::request_from_message(*s, agent, kid->get<std::string>(), now);
    v.fields["method"] = r.method;
    v.fields["target"] = r.target;
    std::lock_guard lk(g_cache_mu);
    if (!g_cache) g_cache = new Cached();
    if (!g_cache->policy || g_cache->text != text.value()) {
      auto p = policy::Policy::parse(text.value());
      if (!p) return deny("no-policy", "the policy object on the token does not parse");
      g_cache->text = text.value();
      g_cache->policy.emplace(std::move(p.value()));
      g_cache->limiter = std::make_unique<policy::RateLimiter>(*g_cache->policy);
    }
    v.fields["policy"] = g_cache->policy->digest();
    v.d = g_cache->policy->evaluate(r);
    if (v.d.allow) {
      policy::Decision rl = g_cache->limiter->check(r);
      if (!rl.allow) v.d = rl;
    }
    return v;
  }

  void record(Verdict& v) {
    if (!ctx_.record) return;
    const Bytes* id = key_->get(CKA_ID);
    v.fields["event"] = "mcp-sign";
    v.fields["mechanism"] = mech_ == CKM_PQMCP_MCP_SIGN_MLDSA ? "CKM_PQMCP_MCP_SIGN_MLDSA" : "CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA";
    v.fields["key_id"] = id ? hex(view(*id)) : "";
    v.fields["decision"] = v.d.allow ? "allow" : "deny";
    v.fields["rule"] = v.d.rule;
    v.fields["reason"] = v.d.reason;
    ctx_.record(v.fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

  mldsa::ParamSet p_;
  ObjectPtr key_;
  TokenContext ctx_;
  std::optional<cs::Algorithm> comp_;
  CK_MECHANISM_TYPE mech_;
  std::vector<std::uint8_t> buf_;
};

class McpSign : public Mechanism {
 public:
  explicit McpSign(CK_MECHANISM_TYPE t) : t_(t) {}
  CK_MECHANISM_TYPE type() const override { return t_; }
  CK_MECHANISM_INFO info() const override { return {1312, 2592, CKF_SIGN}; }

  Result<std::unique_ptr<SignOp>> sign_init(const CK_MECHANISM& m, ObjectPtr key, bool verify) const override {
    return sign_init_with(m, std::move(key), verify, TokenContext{});
  }

  Result<std::unique_ptr<SignOp>> sign_init_with(const CK_MECHANISM& m, ObjectPtr key, bool verify,
                                                 const TokenContext& ctx) const override {
    if (verify) return Status(CKR_MECHANISM_INVALID);
    if (key->key_type() != CKK_ML_DSA || key->cls() != CKO_PRIVATE_KEY) return Status(CKR_KEY_TYPE_INCONSISTENT);
    std::optional<mldsa::ParamSet> p;
    switch (key->ulong(CKA_PARAMETER_SET).value_or(0)) {
      case CKP_ML_DSA_44: p = mldsa::ParamSet::kMlDsa44; break;
      case CKP_ML_DSA_65: p = mldsa::ParamSet::kMlDsa65; break;
      case CKP_ML_DSA_87: p = mldsa::ParamSet::kMlDsa87; break;
      default: return Status(CKR_KEY_TYPE_INCONSISTENT);
    }
    std::optional<cs::Algorithm> comp;
    if (t_ == CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA) {
      const auto* a = mechanism_param<CK_ULONG>(m);
      if (!a) return Status(CKR_MECHANISM_PARAM_INVALID);
      if (*a == CKP_PQMCP_COMPOSITE_MLDSA44_ED25519 && *p == mldsa::ParamSet::kMlDsa44) comp = cs::Algorithm::kMlDsa44Ed25519;
      else if (*a == CKP_PQMCP_COMPOSITE_MLDSA65_ED25519 && *p == mldsa::ParamSet::kMlDsa65) comp = cs::Algorithm::kMlDsa65Ed25519;
      else return Status(CKR_MECHANISM_PARAM_INVALID);
    } else if (m.pParameter != nullptr || m.ulParameterLen != 0) {
      return Status(CKR_MECHANISM_PARAM_INVALID);  // the protocol fixes an empty context
    }
    const Bytes* owner = key->get(CKA_PQMCP_OWNER);
    if (!owner || owner->empty()) {
      if (ctx.record)
        ctx.record(nlohmann::json{{"event", "mcp-sign"}, {"decision", "deny"}, {"rule", "no-owner"},
                                  {"reason", "key has no CKA_PQMCP_OWNER, so the token cannot tell whose policy applies"}}
                       .dump());
      return Status(CKR_KEY_FUNCTION_NOT_PERMITTED);
    }
    if (!key->get(CKA_VALUE)) return Status(key->sealed.count(CKA_VALUE) ? CKR_USER_NOT_LOGGED_IN : CKR_KEY_HANDLE_INVALID);
    if (key->get(CKA_VALUE)->size() != mldsa::sizes(*p).private_key) return Status(CKR_KEY_HANDLE_INVALID);
    return std::unique_ptr<SignOp>(std::make_unique<McpSignOp>(*p, std::move(key), ctx, comp, t_));
  }

 private:
  CK_MECHANISM_TYPE t_;
};

}  // namespace

void register_mcp_sign(Registry& r) {
  r.add(std::make_unique<McpSign>(CKM_PQMCP_MCP_SIGN_MLDSA));
  r.add(std::make_unique<McpSign>(CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA));
}

}  // namespace pqmcp::token
