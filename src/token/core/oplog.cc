#include "core/oplog.h"

#include <openssl/evp.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "audit/merkle.h"
#include "audit/signers.h"
#include "core/token.h"
#include "pkcs11/pqmcp_vendor.h"
#include "pkcs11/rv_names.h"

namespace pqmcp::token::oplog {

namespace {

std::string hex(std::span<const std::uint8_t> b) { return audit::to_hex(b); }

std::string text(const Bytes* b) { return b ? std::string(b->begin(), b->end()) : std::string(); }

// Refusals: the token said no to the caller (policy, key usage, login state, handle); anything
// else that failed is an error.
bool is_refusal(CK_RV rv) {
  switch (rv) {
    case CKR_FUNCTION_REJECTED: case CKR_MECHANISM_INVALID: case CKR_KEY_FUNCTION_NOT_PERMITTED:
    case CKR_USER_NOT_LOGGED_IN: case CKR_KEY_UNEXTRACTABLE: case CKR_KEY_NOT_WRAPPABLE:
    case CKR_ACTION_PROHIBITED: case CKR_KEY_HANDLE_INVALID: case CKR_OBJECT_HANDLE_INVALID:
    case CKR_ATTRIBUTE_READ_ONLY: case CKR_SESSION_READ_ONLY: case CKR_KEY_TYPE_INCONSISTENT:
      return true;
    default:
      return false;
  }
}

thread_local std::string t_policy_rule;

// The relaxed logs alive in this process, so that a process that exits without C_Finalize
// still commits its buffer (the module's state is never destroyed, so no destructor would).
// Leaked on purpose, like the module itself: exit handlers may still reach it.
struct Live {
  std::mutex mu;
  std::set<Log*> logs;
};
Live& live() {
  static Live* l = new Live;
  return *l;
}

// Registered (once) when the first relaxed log opens, hence after the crypto library's own exit
// handler, so it runs before that one (exit handlers run in reverse order). A forked child's
// copies of the parent's logs are skipped (Log::barrier checks the pid).
void at_exit() {
  Live& l = live();
  std::lock_guard g(l.mu);
  for (Log* log : l.logs) log->barrier(std::chrono::seconds(5));
}

}  // namespace

KeyRef key_ref(const Object& o) {
  const Bytes* id = o.get(CKA_ID);
  return {text(o.get(CKA_LABEL)), id ? hex(view(*id)) : "", text(o.get(CKA_PQMCP_OWNER))};
}

KeyRef template_ref(std::span<const CK_ATTRIBUTE> t) {
  KeyRef k;
  for (const auto& a : t) {
    if (!a.pValue || a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > 4096) continue;
    std::span<const std::uint8_t> v(static_cast<const std::uint8_t*>(a.pValue), a.ulValueLen);
    if (a.type == CKA_LABEL) k.label.assign(v.begin(), v.end());
    else if (a.type == CKA_ID) k.id_hex = hex(v);
    else if (a.type == CKA_PQMCP_OWNER) k.owner.assign(v.begin(), v.end());
  }
  return k;
}

// SHA-256 fetched from the provider once (OpenSSL 3: EVP_sha256() makes every EVP_DigestInit_ex
// look the implementation up again, under the library's locks; a digest starts at every C_SignInit
// and C_DecryptInit). Never freed, like the module's other process-wide state.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    const EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return m ? m : EVP_sha256();
  }();
  return md;
}

Digest::~Digest() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

bool Digest::hashing() {
  if (failed_) return false;
  if (ctx_) return true;
  auto* c = EVP_MD_CTX_new();
  if (!c || EVP_DigestInit_ex(c, sha256_md(), nullptr) != 1 ||
      (!kept_.empty() && EVP_DigestUpdate(c, kept_.data(), kept_.size()) != 1)) {
    EVP_MD_CTX_free(c);
    failed_ = true;
    kept_.clear();
    return false;
  }
  ctx_ = c;
  kept_.clear();
  kept_.shrink_to_fit();
  return true;
}

void Digest::update(std::span<const std::uint8_t> d) {
  used_ = true;
  if (d.empty() || failed_) return;
  if (!ctx_ && kept_.size() + d.size() <= kDeferredBytes) {
    kept_.append(reinterpret_cast<const char*>(d.data()), d.size());
    return;
  }
  if (hashing() && EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), d.data(), d.size()) != 1) failed_ = true;
}

std::string Digest::hex() {
  if (!used_ || failed_ || !hashing()) return {};
  std::uint8_t md[32];
  unsigned n = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &n) != 1 || n != 32) return {};
  used_ = false;
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
  ctx_ = nullptr;
  return oplog::hex(md);
}

Digest::Taken Digest::take() {
  Taken t;
  if (used_ && !ctx_ && !failed_) {
    t.data = std::move(kept_);
    t.deferred = true;
    kept_.clear();
    used_ = false;
    return t;
  }
  t.hex = hex();
  return t;
}

std::string sha256_hex(const CK_BYTE* p, CK_ULONG n) {
  if (!p) return {};
  Digest d;
  d.update({p, n});
  return d.hex();
}

audit::Result<audit::Bytes> LogSigner::sign(std::span<const std::uint8_t> msg) {
  std::lock_guard l(mu_);
  if (!key_) return audit::make_error(audit::Error::Kind::kSigner, "the token's log key is locked until a user or the SO logs in");
  return key_->sign(msg);
}

Status LogSigner::unlock(std::span<const std::uint8_t> seed) {
  std::lock_guard l(mu_);
  if (key_) return kOk;
  auto k = audit::signer_from_seed(audit::SigType::kMlDsa65, seed);
  if (!k) return Status(CKR_FUNCTION_FAILED);
  pk_ = k.value()->public_key();
  key_ = std::move(k.value());
  return kOk;
}

bool LogSigner::unlocked() const {
  std::lock_guard l(mu_);
  return key_ != nullptr;
}

Result<std::unique_ptr<Log>> Log::open(const std::string& dir, const std::string& origin, LogSigner& signer,
                                       bool relaxed) {
  const std::string path = dir + "/" + kLogFile;
  auto s = audit::open_sqlite(path, false, relaxed);
  if (!s) return Status(CKR_DEVICE_ERROR);
  std::unique_ptr<Log> l(new Log());
  l->store_ = std::move(s.value());
  l->signer_ = &signer;
  l->path_ = path;
  l->relaxed_ = relaxed;
  l->pid_ = ::getpid();
  // A checkpoint every 64 operations or 10 s, and one when the module is finalised. Batches are
  // at most the buffer's size. Relaxed: entries gather for up to kBatchDelay so that a busy token
  // commits tens of entries per transaction instead of one (the commit would otherwise cost the
  // machine about as much CPU as an ECDSA signature, per signature).
  audit::WriterOptions o{origin, {&signer}, 64, std::chrono::seconds(10), kBufferedEntries,
                         relaxed ? kBatchDelay : std::chrono::microseconds(0)};
  l->writer_ = std::make_unique<audit::Writer>(*l->store_, o);
  if (relaxed) {
    static std::once_flag once;
    std::call_once(once, [] { std::atexit(at_exit); });
    std::lock_guard g(live().mu);
    live().logs.insert(l.get());
  }
  return l;
}

Log::~Log() {
  if (relaxed_) {
    std::lock_guard g(live().mu);
    live().logs.erase(this);
  }
  // checkpoint_now first commits everything queued: the buffer is empty after it, so the
  // completion callbacks (which touch this object) have all run.
  if (signer_->unlocked()) (void)writer_->checkpoint_now();
  writer_.reset();
}

void Log::barrier(std::chrono::milliseconds limit) {
  if (pid_ != ::getpid()) return;  // a forked child's copy: the writer thread is the parent's
  std::unique_lock l(mu_);
  if (!room_.wait_for(l, limit, [&] { return buffered_ == 0 || failed_.load(); })) return;
  l.unlock();
  if (signer_->unlocked() && !failed_.load()) (void)writer_->checkpoint_now();
}

void Log::committed(const audit::Result<std::uint64_t>& r) {
  if (!r && !failed_.exchange(true, std::memory_order_acq_rel)) {
    // Once per log, and nothing secret: the path and the storage's reason (no entry content).
    std::fprintf(stderr,
                 "libpqhsm: the key-operation log %s cannot be written (%s); every further private-key "
                 "operation is refused with CKR_DEVICE_ERROR until the module is re-initialised\n",
                 path_.c_str(), r.error().message.c_str());
  }
  {
    std::lock_guard l(mu_);
    --buffered_;
  }
  room_.notify_all();
}

namespace {
// The entry's canonical bytes. Labels, owners and the policy rule are caller or policy bytes: one
// that is not UTF-8 (a label of raw bytes, a rule cut inside a character) is logged as hex, so
// that an entry never fails for what its strings hold.
audit::Result<std::string> leaf_of(audit::Entry e, const std::optional<std::string>& msg) {
  if (msg) e.msg_sha256 = sha256_hex(reinterpret_cast<const CK_BYTE*>(msg->data()), msg->size());
  auto leaf = e.canonical();
  if (leaf) return leaf;
  auto as_hex = [](const std::string& s) {
    return "hex:" + hex({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  };
  e.name = as_hex(e.name);
  e.agent = as_hex(e.agent);
  leaf = e.canonical();
  if (leaf) return leaf;
  e.rule = as_hex(e.rule);
  return e.canonical();
}
}  // namespace

CK_RV Log::append(audit::Entry e, std::optional<std::string> msg) {
  if (!relaxed_) {
    auto leaf = leaf_of(std::move(e), msg);
    return leaf && writer_->append_leaf(std::move(leaf.value())).ok() ? CKR_OK : CKR_FUNCTION_FAILED;
  }
  {
    std::unique_lock l(mu_);
    // Back-pressure: wait for the log thread rather than drop an entry or grow without bound.
    room_.wait(l, [&] { return buffered_ < kBufferedEntries || failed_.load(); });
    if (failed_.load()) return kLogFailed;
    ++buffered_;
  }
  writer_->append_async([e = std::move(e), msg = std::move(msg)]() { return leaf_of(e, msg); },
                        [this](audit::Result<std::uint64_t> r) { committed(r); });
  return CKR_OK;
}

CK_RV gate(Token& t) {
  if (!t.keyops_log() || !t.keyops_relaxed()) return CKR_OK;
  Log* log = t.oplog();
  return log ? log->health() : CKR_OK;  // a log that cannot be opened fails the operation in finish
}

void note_policy_rule(const std::string& line) {
  // The decision log's "rule" member of an mcp-sign line (written by mechanisms/mcp_sign.cc).
  const auto k = line.find("\"rule\":\"");
  if (line.find("\"event\":\"mcp-sign\"") == std::string::npos || k == std::string::npos) return;
  const auto b = k + 8, e = line.find('"', b);
  if (e != std::string::npos) t_policy_rule = line.substr(b, std::min<std::size_t>(e - b, 128));
}

CK_RV finish(Token& t, Op op, CK_RV rv) {
  if (!t.keyops_log()) {
    t_policy_rule.clear();
    return rv;
  }
  audit::Entry e;
  e.time_ms = audit::now_ms();
  e.source = "pqhsm";
  e.agent = op.key.owner;
  e.kid = op.key.id_hex;
  e.direction = "key-op";
  e.method = op.fn;
  e.name = op.key.label;
  e.decision = rv == CKR_OK ? "allow" : is_refusal(rv) ? "deny" : "error";
  e.rule = pkcs11::rv_name(rv);
  if (op.mech) {  // " mechanism=0x%08lx", without printf's locale and format parsing per operation
    static constexpr char kHex[] = "0123456789abcdef";
    char m[32] = " mechanism=0x";
    std::size_t n = 13;
    const auto v = static_cast<unsigned long>(op.mech);
    int digits = 8;
    while (digits < 16 && (v >> (4 * digits)) != 0) ++digits;
    for (int i = digits - 1; i >= 0; --i) m[n++] = kHex[(v >> (4 * i)) & 15];
    e.rule.append(m, n);
  }
  if (!t_policy_rule.empty()) {
    if (op.mech == CKM_PQMCP_MCP_SIGN_MLDSA || op.mech == CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA) e.rule += " policy:" + t_policy_rule;
    t_policy_rule.clear();
  }
  e.msg_sha256 = op.msg_sha256;
  Log* log = t.oplog();
  std::optional<std::string> msg;
  if (op.msg_deferred) msg = std::move(op.msg);
  const CK_RV logged = !log ? CKR_FUNCTION_FAILED : log->append(std::move(e), std::move(msg));
  // An operation that succeeded but could not be logged does not count as done; a refusal keeps
  // its own code.
  return logged == CKR_OK || rv != CKR_OK ? rv : logged;
}

}  // namespace pqmcp::token::oplog
