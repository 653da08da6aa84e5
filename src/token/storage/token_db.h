// The storage backend: one SQLite database per token (<token_dir>/slot-<id>/token.sqlite).
// Every change is one SQLite transaction (BEGIN IMMEDIATE … COMMIT), so a crash leaves either
// the old or the new state; WAL mode lets readers in other processes continue while one
// process writes, and a busy timeout makes concurrent writers wait instead of failing.
// PRAGMA data_version tells a connection that another process committed, so the token
// re-reads its cache before each operation (SoftHSM issues #614/#845: processes sharing a
// token must see each other's changes).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3_file;

namespace pqmcp::token {

struct StoredAttribute {
  CK_ATTRIBUTE_TYPE type;
  bool sealed;  // value is sealing::seal() output, not plaintext
  std::vector<std::uint8_t> value;
};

struct StoredObject {
  std::string uid;
  std::vector<StoredAttribute> attributes;
};

class TokenDb {
 public:
  static Result<std::unique_ptr<TokenDb>> open(const std::string& dir);
  ~TokenDb();
  TokenDb(const TokenDb&) = delete;
  TokenDb& operator=(const TokenDb&) = delete;

  // True when another connection has committed since the last call.
  Result<bool> changed();
  // Makes the next changed() report a change (a re-read that failed must be retried).
  void forget_version() noexcept {
    data_version_ = -1;
    hdr_known_ = false;
  }

  // Consistent snapshot of the whole token.
  Status read_all(std::map<std::string, std::vector<std::uint8_t>>& meta,
                  std::vector<StoredObject>& objects);

  Status begin();  // BEGIN IMMEDIATE: takes the write lock now, waiting up to the timeout
  Status commit();
  void rollback() noexcept;

  Status put_meta(const std::string& name, const std::vector<std::uint8_t>& value);
  Status delete_meta(const std::string& name);
  Status put_object(const StoredObject& obj);  // inserts or replaces all attributes
  Status delete_object(const std::string& uid);
  Status delete_all_objects();

  // Leaves the connection open without closing it; used in a forked child, which must not
  // touch the parent's SQLite state (sqlite.org/howtocorrupt.html §2.6).
  void abandon() noexcept {
    db_ = nullptr;
    shm_ = nullptr;
    shm_file_ = nullptr;
    hdr_known_ = false;
  }

 private:
  explicit TokenDb(sqlite3* db) : db_(db) {}
  Status exec(const char* sql);
  sqlite3* db_;
  std::int64_t data_version_ = -1;
  // "PRAGMA data_version", prepared once: changed() runs before every object lookup.
  sqlite3_stmt* data_version_stmt_ = nullptr;
  // The fast path of changed() (token_db.cc): SQLite's own mapping of the WAL-index (-shm) and
  // the header it held before the last full check.
  static constexpr std::size_t kWalIndexHeaderBytes = 96;  // two copies of 48 bytes
  bool read_header(std::uint8_t (&out)[kWalIndexHeaderBytes]) const;
  void map_wal_index();
  const volatile std::uint8_t* shm_ = nullptr;
  sqlite3_file* shm_file_ = nullptr;  // the database file whose -shm shm_ maps
  bool wal_ = false;                  // journal_mode=WAL took effect
  std::uint8_t hdr_[kWalIndexHeaderBytes] = {};
  bool hdr_known_ = false;
};

// RAII transaction: rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(TokenDb& db) : db_(db) {}
  ~Transaction() {
    if (open_) db_.rollback();
  }
  Status begin() {
    Status s = db_.begin();
    open_ = s.ok();
    return s;
  }
  Status commit() {
    Status s = db_.commit();
    if (s.ok()) open_ = false;
    return s;
  }

 private:
  TokenDb& db_;
  bool open_ = false;
};

}  // namespace pqmcp::token
