// libpqhsm's own key-operation log (docs/token.md "Key-operation log"): every private-key
// operation — sign, decrypt, decapsulate, wrap, unwrap, key generation, destroy — allowed or
// refused, as one audit::Entry (docs/audit-log.md) in <slot dir>/keyops-audit.db, appended
// durably before the C function returns. Checkpoints are signed by the token's log key, an
// ML-DSA-65 key that is no PKCS#11 object: its seed is sealed under the token's master key in the
// token database (meta "oplog_key"), so no C_* function can find, export or use it. Its public key
// is published as a signed-note vkey in <slot dir>/keyops-audit.vkey (one line per key ever used).
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>

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

// Incremental SHA-256 of the data an operation consumed (the entry's msg_sha256).
class Digest {
 public:
  Digest();
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  void update(std::span<const std::uint8_t> d);
  std::string hex();  // finishes; "" when nothing was hashed

 private:
  void* ctx_;
  bool used_ = false;
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

class Log {
 public:
  static Result<std::unique_ptr<Log>> open(const std::string& dir, const std::string& origin, LogSigner& signer,
                                           bool relaxed);
  ~Log();  // signs a checkpoint of what this process appended, when the signer is unlocked
  // Durable when it returns true.
  bool append(const audit::Entry& e);

 private:
  Log() = default;
  std::unique_ptr<audit::Storage> store_;
  std::unique_ptr<audit::Writer> writer_;
  LogSigner* signer_ = nullptr;
};

// The record of one operation. rv is what the C function is about to return; the result is what
// it must return instead: rv, or CKR_FUNCTION_FAILED when a successful operation could not be
// logged (the caller then wipes any output).
struct Op {
  const char* fn;
  CK_MECHANISM_TYPE mech = 0;
  KeyRef key;
  std::string msg_sha256;
};
CK_RV finish(Token& t, const Op& op, CK_RV rv);

// The MCP signing mechanism's policy rule for the operation running on this thread (set from the
// decision log, read by finish), so a refusal names the rule, not only CKR_FUNCTION_REJECTED.
void note_policy_rule(const std::string& decision_line);

}  // namespace pqmcp::token::oplog
