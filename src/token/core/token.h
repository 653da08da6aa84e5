// One token in one slot: login state, PINs and their retry counters, and the object store,
// backed by the token's database. One mutex per token guards all of it; cryptographic work
// runs outside that lock on immutable ObjectPtr snapshots, so sessions sign in parallel.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/oplog.h"
#include "core/result.h"
#include "storage/sealing.h"
#include "storage/token_db.h"
#include "store/object_store.h"

namespace pqmcp::token {

inline constexpr CK_USER_TYPE kNobody = ~0UL;
inline constexpr CK_ULONG kMinPin = 4, kMaxPin = 255;

class Token {
 public:
  Token(CK_SLOT_ID id, std::string dir, const Config& cfg) : id_(id), dir_(std::move(dir)), cfg_(cfg) {}

  std::mutex mu;  // guards every member below; methods expect it held

  CK_SLOT_ID id() const { return id_; }
  const std::string& dir() const { return dir_; }  // <token_dir>/slot-<n>
  bool keyops_log() const { return cfg_.keyops_log; }
  bool keyops_relaxed() const { return cfg_.keyops_relaxed; }
  // Re-reads the database if another process changed it; checks at most once per C call
  // (core/call_scope.h).
  Status refresh();
  bool initialized() const { return meta_.count("so_wrap") != 0; }
  Status fill_info(CK_TOKEN_INFO& info);

  // C_InitToken (base spec §5.6.3); the caller checked that no session is open.
  Status init_token(std::span<const std::uint8_t> so_pin, std::span<const std::uint8_t, 32> label);
  Status login(CK_USER_TYPE user, std::span<const std::uint8_t> pin);
  void logout();
  Status init_pin(std::span<const std::uint8_t> pin);
  Status set_pin(std::span<const std::uint8_t> old_pin, std::span<const std::uint8_t> new_pin);
  CK_USER_TYPE logged_in() const { return login_; }

  // Session bookkeeping used by the login rules (§5.6: SO needs no read-only sessions).
  unsigned ro_sessions = 0, rw_sessions = 0;

  // Objects. `visible` hides private objects before user login (base spec §4.4).
  bool visible(const Object& o) const { return !o.is_private() || login_ == CKU_USER; }
  Result<ObjectPtr> object(CK_OBJECT_HANDLE h);
  // Stores new objects (one transaction for all, so a key pair is never half written).
  Result<std::vector<CK_OBJECT_HANDLE>> add(std::vector<Object> objs, CK_SESSION_HANDLE owner);
  Status update(CK_OBJECT_HANDLE h, Object o);
  Status destroy(CK_OBJECT_HANDLE h);
  void drop_session_objects(CK_SESSION_HANDLE s);
  void drop_all_session_objects();
  std::vector<CK_OBJECT_HANDLE> find(std::span<const CK_ATTRIBUTE> tmpl);

  // The key-operation log (core/oplog.h), opened on first use; nullptr when it cannot be. Call
  // without mu held.
  oplog::Log* oplog();
  // Whether an open relaxed log has failed (oplog::Log::health), without opening it.
  bool oplog_failed();

  // Used when a forked child re-initialises: never touch the parent's database handle.
  void abandon_db() {
    if (db_) db_->abandon();
  }

 private:
  Status open_db();
  // Unseals (or creates, on first use) the log key with the master key; mu held.
  Status unlock_log_key();
  Result<StoredObject> seal_object(Object& o);
  void unseal(Object& o) const;
  unsigned failures(const char* key) const;
  Status set_failures(const char* key, unsigned n);
  Result<sealing::Key> check_pin(const char* wrap_key, const char* fail_key,
                                 std::span<const std::uint8_t> pin);

  CK_SLOT_ID id_;
  std::string dir_;
  const Config& cfg_;
  std::unique_ptr<TokenDb> db_;
  std::map<std::string, std::vector<std::uint8_t>> meta_;
  ObjectStore store_;
  CK_USER_TYPE login_ = kNobody;
  std::optional<sealing::Key> mk_;
  std::vector<std::uint8_t> login_epoch_;
  std::uint64_t refreshed_in_call_ = 0;  // CallScope id of the call that last checked the database
  // Declared in this order so that the log (which signs with the key) goes first.
  std::unique_ptr<oplog::LogSigner> log_signer_ = std::make_unique<oplog::LogSigner>();
  std::mutex oplog_mu_;
  std::unique_ptr<oplog::Log> oplog_;
};

}  // namespace pqmcp::token
