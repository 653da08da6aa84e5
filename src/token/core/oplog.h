// libpqhsm's own key-operation log (docs/token.md "Key-operation log"): every private-key
// operation — sign, decrypt, decapsulate, wrap, unwrap, key generation, destroy — allowed or
// refused, as one audit::Entry (docs/audit-log.md) in <slot dir>/keyops-audit.db. With
// keyops_log = on the entry is durable before the C function returns; with relaxed (the default)
// its fields are handed to a bounded buffer on the caller's thread and the audit writer's thread
// makes the canonical bytes and commits them in batches (docs/token.md "Key-operation log" for the exact guarantees and the
// fail-closed rule). Checkpoints are signed by the token's log key, an
// ML-DSA-65 key that is no PKCS#11 object: its seed is sealed under the token's master key in the
// token database (meta "oplog_key"), so no C_* function can find, export or use it. Its public key
// is published as a signed-note vkey in <slot dir>/keyops-audit.vkey (one line per key ever used).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <sys/types.h>

#include "audit/note.h"
#include "audit/storage.h"
#include "audit/writer.h"
#include "core/result.h"
#include "store/object.h"

namespace pqmcp::token {
class Token;
}

namespace pqmcp::token::oplog {

inline constexpr const char* kLogFile = "keyops-audit.db";
inline constexpr const char* kVkeyFile = "keyops-audit.vkey";

// What the entry says about the key: CKA_LABEL, hex CKA_ID, CKA_PQMCP_OWNER. Never key material.
struct KeyRef {
  std::string label, id_hex, owner;
};
KeyRef key_ref(const Object& o);
KeyRef template_ref(std::span<const CK_ATTRIBUTE> t);

// SHA-256 of the data an operation consumed (the entry's msg_sha256). Up to kDeferredBytes the
// data is only kept, so that a relaxed log can hash it on its own thread (take()); beyond that it
// is hashed as it comes. 4 KiB holds the signing input of an MCP message, and bounds what a full
// relaxed buffer (kBufferedEntries) can hold to 16 MiB.
class Digest {
 public:
  static constexpr std::size_t kDeferredBytes = 4 * 1024;
  Digest() = default;
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  void update(std::span<const std::uint8_t> d);
  std::string hex();  // finishes; "" when nothing was consumed
  // Finishes: the hex digest, or — while the data is still kept — the data to hash instead.
  struct Taken {
    std::string hex;
    std::string data;
    bool deferred = false;  // data holds the consumed bytes and hex is still to be computed
  };
  Taken take();

 private:
  bool hashing();  // switches to hashing (what was kept first); false if OpenSSL failed
  void* ctx_ = nullptr;
  std::string kept_;
  bool used_ = false;
  bool failed_ = false;  // OpenSSL failed once: no digest rather than one of part of the data
};

// SHA-256 of a caller's buffer as hex ("" for NULL).
std::string sha256_hex(const CK_BYTE* p, CK_ULONG n);

// A multi-part operation's record, kept in the session from *Init to the call that ends it.
struct Pending {
  CK_MECHANISM_TYPE mech = 0;
  KeyRef key;
  Digest digest;
};

// The checkpoint signer: locked (sign fails) until the seed has been unsealed at a login.
class LogSigner final : public audit::NoteSigner {
 public:
  audit::SigType type() const override { return audit::SigType::kMlDsa65; }
  const audit::Bytes& public_key() const override { return pk_; }
  audit::Result<audit::Bytes> sign(std::span<const std::uint8_t> msg) override;
  // Installs the key from its seed (once per process; later calls are ignored).
  Status unlock(std::span<const std::uint8_t> seed);
  bool unlocked() const;

 private:
  mutable std::mutex mu_;
  std::unique_ptr<audit::NoteSigner> key_;
  audit::Bytes pk_;
};

// Entries a relaxed log holds in memory at most (written by the caller, not yet committed). At
// the limit an operation waits for room: memory stays bounded and no entry is dropped. A
// hardware HSM's audit RAM plays the same role. 4096 entries (~2 MiB) are about 0.12 s of the
// fastest signing this token does (ECDSA P-256, ~33,000/s on one core), a dozen batch delays.
inline constexpr std::size_t kBufferedEntries = 4096;
// How long a relaxed log's thread lets entries gather before it commits them together.
inline constexpr std::chrono::microseconds kBatchDelay{10000};

// What a relaxed log's failure turns every later private-key operation into (docs/token.md):
// a persistent condition of the token, not of the call, hence CKR_DEVICE_ERROR (PKCS#11 base
// spec §5.1, codes of functions that use a token: "some problem has occurred with the token")
// rather than CKR_FUNCTION_FAILED, which says this one call failed for an unstated reason.
inline constexpr CK_RV kLogFailed = CKR_DEVICE_ERROR;

class Log {
 public:
  static Result<std::unique_ptr<Log>> open(const std::string& dir, const std::string& origin, LogSigner& signer,
                                           bool relaxed);
  // Commits what is buffered, then signs a checkpoint of what this process appended when the
  // signer is unlocked: the durability barrier of C_Finalize.
  ~Log();
  // One entry. on: CKR_OK once durable, CKR_FUNCTION_FAILED if it could not be. relaxed: CKR_OK
  // once buffered (waiting for room at kBufferedEntries), kLogFailed once an earlier entry could
  // not be committed; its canonical bytes are made on the log's thread, not the caller's.
  CK_RV append(audit::Entry e, std::optional<std::string> msg = std::nullopt);
  // kLogFailed once a buffered entry could not be committed (relaxed only); CKR_OK otherwise.
  CK_RV health() const { return failed_.load(std::memory_order_acquire) ? kLogFailed : CKR_OK; }
  // Waits up to `limit` for the buffer to empty, then signs a checkpoint (process exit).
  void barrier(std::chrono::milliseconds limit);

 private:
  Log() = default;
  void committed(const audit::Result<std::uint64_t>& r);
  std::unique_ptr<audit::Storage> store_;
  std::unique_ptr<audit::Writer> writer_;
  LogSigner* signer_ = nullptr;
  std::string path_;
  bool relaxed_ = false;
  pid_t pid_ = 0;
  std::mutex mu_;
  std::condition_variable room_;  // buffered_ fell, or the log failed
  std::size_t buffered_ = 0;
  std::atomic<bool> failed_{false};
};

// kLogFailed when the token's relaxed log has failed (the operation must not run); CKR_OK
// otherwise, including when the log is off or cannot be opened (finish then fails the operation).
// Opens the log on first use.
CK_RV gate(Token& t);

// The record of one operation. rv is what the C function is about to return; the result is what
// it must return instead: rv, or — when a successful operation could not be logged —
// CKR_FUNCTION_FAILED (on) or kLogFailed (relaxed); the caller then wipes any output.
struct Op {
  const char* fn;
  CK_MECHANISM_TYPE mech = 0;
  KeyRef key;
  std::string msg_sha256;
  std::string msg{};          // with msg_deferred: the data whose SHA-256 the entry carries
  bool msg_deferred = false;  // (hashed where the entry is made: the log's thread when relaxed)
};
CK_RV finish(Token& t, Op op, CK_RV rv);

// The MCP signing mechanism's policy rule for the operation running on this thread (set from the
// decision log, read by finish), so a refusal names the rule, not only CKR_FUNCTION_REJECTED.
void note_policy_rule(const std::string& decision_line);

}  // namespace pqmcp::token::oplog
