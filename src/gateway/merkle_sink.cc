#include "gateway/merkle_sink.h"

#include <cstdio>

#include "gateway/gate.h"

namespace pqmcp::gateway {

namespace {

// Wire strings (methods, tool names, resource URIs) may hold any bytes; an entry needs valid
// UTF-8 (RFC 8785 §3.2.2.2 on its strings). Invalid sequences become U+FFFD, and the result is
// cut at `max` bytes on a character boundary so one huge name cannot bloat the log.
std::string clean(std::string_view s, std::size_t max = 512) {
  std::string o;
  o.reserve(std::min(s.size(), max));
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n != 0 && i + n <= s.size();
    std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (std::size_t j = 1; ok && j < n; ++j) {
      const unsigned char d = static_cast<unsigned char>(s[i + j]);
      ok = (d >> 6) == 2;
      cp = (cp << 6) | (d & 0x3f);
    }
    ok = ok && !((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
                 (cp >= 0xd800 && cp <= 0xdfff));
    const std::string_view piece = ok ? s.substr(i, n) : std::string_view("\xEF\xBF\xBD");
    if (o.size() + piece.size() > max) break;
    o += piece;
    i += ok ? n : 1;
  }
  return o;
}

// A reason that is a protocol or gateway code ("bad-signature", "rate-limit:x"), not prose: only
// codes go into the rule field, so free text (which may quote arguments) never reaches the log.
bool is_code(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' || c == '.')) return false;
  return true;
}

std::string digest_hex(std::string_view d) {
  constexpr std::string_view p = "sha256:";
  if (d.substr(0, p.size()) == p) d.remove_prefix(p.size());
  if (d.size() != 64) return {};
  for (char c : d)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  return std::string(d);
}

}  // namespace

audit::Entry to_entry(const AuditRecord& r, const std::string& source) {
  audit::Entry e;
  e.time_ms = r.ts_ms ? r.ts_ms : audit::now_ms();
  e.source = clean(source.empty() ? r.side : source, 128);
  e.agent = clean(r.agent, 256);
  e.kid = clean(r.kid, 128);
  if (r.kind == "request" || r.kind == "notification") e.direction = r.kind;
  else if (r.kind == "result" || r.kind == "error") e.direction = "response";
  else e.direction = r.direction == "c2s" ? "request" : "response";
  e.method = clean(r.method, 256);
  e.name = clean(r.target);
  std::string rule = !r.rule.empty() ? clean(r.rule, 256) : (r.decision != "allow" && is_code(r.reason) ? r.reason : "");
  if (r.decision == "allow") {
    e.decision = "allow";
  } else if (r.decision == "observe") {
    // Forwarded although a check failed (observe mode): allowed, and the rule says what would
    // have denied it.
    e.decision = "allow";
    rule = "observe:" + (rule.empty() ? clean(r.verification, 64) : rule);
  } else if (r.decision == "deny" || r.decision == "drop") {
    e.decision = "deny";  // not forwarded
  } else {
    e.decision = "error";
  }
  e.rule = std::move(rule);
  e.verify = clean(r.verification, 64);
  e.msg_sha256 = digest_hex(r.digest.empty() && r.digest_of ? sha256_hex(*r.digest_of) : r.digest);
  return e;
}

MerkleSink::MerkleSink(std::unique_ptr<audit::Storage> store, std::vector<std::unique_ptr<audit::NoteSigner>> signers,
                       MerkleSinkOptions o)
    : opt_(std::move(o)), store_(std::move(store)), signers_(std::move(signers)) {
  opt_.writer.signers.clear();
  for (auto& s : signers_) opt_.writer.signers.push_back(s.get());
  writer_ = std::make_unique<audit::Writer>(*store_, opt_.writer);
}

MerkleSink::~MerkleSink() {
  flush();
  if (opt_.final_checkpoint && !signers_.empty())
    if (auto cp = writer_->checkpoint_now(); !cp) failed("final checkpoint: " + cp.error().message);
  writer_.reset();
  if (failures_)
    std::fprintf(stderr, "%s: audit log: %llu of %llu records were NOT written\n", opt_.log_name.c_str(),
                 static_cast<unsigned long long>(failures_.load()),
                 static_cast<unsigned long long>(failures_.load() + written_.load()));
}

void MerkleSink::failed(const std::string& why) noexcept {
  ++failures_;
  std::lock_guard l(mu_);
  if (reported_) return;  // one line per failure kind would flood stderr under a dead disk
  reported_ = true;
  std::fprintf(stderr, "%s: audit log: %s (further failures are counted)\n", opt_.log_name.c_str(), why.c_str());
}

void MerkleSink::record(const AuditRecord& r) noexcept {
  try {
    // The entry — the message's SHA-256 and the canonical bytes — is made on the writer's thread,
    // off the relay's path (to_entry cannot fail on wire strings; canonical() is checked anyway).
    std::size_t charged = 0;
    AuditRecord rec = budget_.admit(r, charged);
    audit::Writer::LeafMaker make = [this, rec = std::move(rec), charged, source = opt_.source]() {
      auto leaf = to_entry(rec, source).canonical();
      budget_.give_back(charged);  // the message's bytes are hashed (and dropped with the maker)
      if (!leaf) return audit::Result<std::string>(audit::make_error(leaf.error().kind, "entry refused: " + leaf.error().message));
      return leaf;
    };
    {
      std::unique_lock l(mu_);
      // Bounded: a storage that stalls makes the relay wait at most max_wait per record.
      if (!cv_.wait_for(l, opt_.max_wait, [&] { return pending_ < opt_.max_pending; })) {
        l.unlock();
        budget_.give_back(charged);
        return failed("queue full, the storage is not keeping up; record dropped");
      }
      ++pending_;
    }
    writer_->append_async(std::move(make), [this](audit::Result<std::uint64_t> res) {
      if (res) ++written_;
      else failed("append failed: " + res.error().message);
      {
        std::lock_guard l(mu_);
        --pending_;
      }
      cv_.notify_all();
    });
  } catch (...) {
    ++failures_;
  }
}

void MerkleSink::flush() {
  std::unique_lock l(mu_);
  cv_.wait(l, [&] { return pending_ == 0; });
}

}  // namespace pqmcp::gateway
