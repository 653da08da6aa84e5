// The part of a filter both gateway ends share: parsing under the line limit, signing toward an
// audience, and filling audit records.
#pragma once

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/gate.h"
#include "gateway/relay.h"
#include "mcp/envelope.h"
#include "mcp/verifier.h"

namespace pqmcp::gateway {

using Digest = std::array<std::uint8_t, 32>;

// The digest a response must name (mcp::request_digest(): SHA3-256 over the request's signing
// input, a few hundred bytes of JCS). Nothing needs it until the response arrives, so a side
// forwards the request first and computes the digest in Filter::idle(); get() computes it on
// first use if idle() has not run (a relay that never calls it stays correct).
class RequestDigest {
 public:
  RequestDigest() = default;
  explicit RequestDigest(const Digest& d);
  // nullopt: the request has no canonical form (it was parsed or signed, so it always has one).
  std::optional<Digest> get() const;

 private:
  friend class Side;
  struct State {
    json::Value request;  // until computed
    std::optional<Digest> digest;
    bool done = false;
  };
  std::shared_ptr<State> s_;
};

class Side : public Filter {
 public:
  ~Side() override;
  const FilterConfig& config() const { return cfg_; }
  // Writes the audit records of the messages handled since the last call, then computes the
  // request digests deferred by digest_later().
  void idle() override;
  // Writes the audit records queued by audit() (idle() does this first).
  void flush_audit() noexcept;

 protected:
  Side(FilterConfig cfg, const mcp::Signer& signer, mcp::Verifier& verifier, AuditSink& audit);

  std::int64_t now() const { return cfg_.now_ms ? cfg_.now_ms() : wall_ms(); }
  json::JsonResult<json::Value> parse(std::string_view line) const;
  // One line read as a classified JSON-RPC message. When it is not one, the drop is already
  // audited (rec.reason says why) and info is empty; the caller only decides how to answer.
  struct Incoming {
    json::Value msg;                       // null when the line did not parse
    std::optional<mcp::MessageInfo> info;  // empty: dropped
    bool parse_failed = false;             // not JSON at all (else: JSON but not JSON-RPC/MCP)
    std::string error;                     // the parser's or classifier's message
  };
  Incoming read_message(std::string_view line, AuditRecord& rec);
  // read_message for a line from the server side, which gets no answer: a line that is not a
  // message is warned about (`writer` names who wrote it) and dropped (nullopt info).
  Incoming read_server_message(std::string_view line, AuditRecord& rec, std::string_view writer);
  // The JSON-RPC error answering a dropped client line (JSON-RPC 2.0 §5: parse errors carry id
  // null; a malformed message is answered on its id when it has a usable one).
  std::string drop_reply(const Incoming& in, const AuditRecord& rec) const;
  // Audit record prefilled with side, direction, time and the digest of the bytes received.
  AuditRecord record(const char* dir, std::string_view line) const;
  void fill(AuditRecord& r, const mcp::MessageInfo& info, const json::Value& msg) const;
  // Queues r for the sink. The transports call idle() as soon as a message's output is written,
  // so a decision reaches the sink microseconds after the message moved on, and the sink's write
  // is off the message's path (docs/gateway.md, "Audit"). Bounded even under a relay that never
  // calls idle(), and flushed when the filter is destroyed.
  void audit(AuditRecord r);
  // Signs msg toward aud (a session per audience: sequence numbers are per sender and session).
  // False on failure, after warning.
  // For a request, *request_digest (when given) receives the digest its response must name.
  bool sign(json::Value& msg, const std::string& aud, const std::optional<Digest>& answers,
            std::string* error = nullptr, Digest* request_digest = nullptr);
  // An error response for a request, signed toward aud when answers is known; unsigned
  // otherwise (there is nothing it could be bound to).
  std::string signed_error(const json::Value& id, int code, const std::string& message, json::Value data,
                           const std::string& aud, const std::optional<Digest>& answers);
  // The digest of request (a signed request as sent or received), computed in idle().
  RequestDigest digest_later(json::Value request);
  void warn(const std::string& msg) const {
    if (!cfg_.quiet) gateway::warn(cfg_.log_name, msg);
  }
  static std::string reason_of(const json::Error& e);

  FilterConfig cfg_;
  const mcp::Signer& signer_;
  mcp::Verifier& verifier_;
  AuditSink& audit_;
  const char* side_name_ = "";

 private:
  std::map<std::string, std::unique_ptr<mcp::SigningSession>> sessions_;
  std::vector<std::weak_ptr<RequestDigest::State>> deferred_;  // computed by the next idle()
  std::vector<AuditRecord> unwritten_;                         // written by the next idle()
};

// Bound on requests awaiting a response per direction: a peer that never answers cannot grow
// the gateway's memory without limit (the oldest entries are forgotten first).
inline constexpr std::size_t kMaxPending = 1 << 16;

template <typename V>
class PendingMap {
 public:
  void put(const std::string& k, V v) {
    if (m_.size() >= kMaxPending) m_.erase(order_.front()), order_.pop_front();
    if (m_.insert_or_assign(k, std::move(v)).second) order_.push_back(k);
  }
  std::optional<V> take(const std::string& k) {
    auto it = m_.find(k);
    if (it == m_.end()) return std::nullopt;
    V v = std::move(it->second);
    m_.erase(it);
    for (auto o = order_.begin(); o != order_.end(); ++o)
      if (*o == k) {
        order_.erase(o);
        break;
      }
    return v;
  }
  const V* find(const std::string& k) const {
    auto it = m_.find(k);
    return it == m_.end() ? nullptr : &it->second;
  }
  std::unordered_map<std::string, V> drain() {
    auto out = std::move(m_);
    m_.clear();
    order_.clear();
    return out;
  }
  std::size_t size() const { return m_.size(); }

 private:
  std::unordered_map<std::string, V> m_;
  std::deque<std::string> order_;
};

}  // namespace pqmcp::gateway
