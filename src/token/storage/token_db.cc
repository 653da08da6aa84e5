#include "storage/token_db.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace pqmcp::token {
namespace {

constexpr int kBusyTimeoutMs = 60000;

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) s = nullptr;
  }
  ~Stmt() { sqlite3_finalize(s); }
  explicit operator bool() const { return s != nullptr; }
};

Status mkdirs(const std::string& dir) {
  for (std::size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      std::string part = dir.substr(0, i);
      if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return Status(CKR_DEVICE_ERROR);
    }
  }
  return kOk;
}

}  // namespace

Result<std::unique_ptr<TokenDb>> TokenDb::open(const std::string& dir) {
  PQ_TRY(mkdirs(dir));
  std::string path = dir + "/token.sqlite";
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return Status(CKR_DEVICE_ERROR);
  }
  ::chmod(path.c_str(), 0600);
  std::unique_ptr<TokenDb> t(new TokenDb(db));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // WAL + synchronous=FULL: a committed key survives power loss; readers never block writers.
  {
    // The pragma answers with the mode now in force: the WAL-index shortcut of changed() is
    // only for a connection that really is in WAL mode.
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, nullptr) != SQLITE_OK) {
      sqlite3_finalize(st);
      return Status(CKR_DEVICE_ERROR);
    }
    const bool row = sqlite3_step(st) == SQLITE_ROW;
    const unsigned char* mode = row ? sqlite3_column_text(st, 0) : nullptr;
    t->wal_ = mode != nullptr && std::strcmp(reinterpret_cast<const char*>(mode), "wal") == 0;
    sqlite3_finalize(st);
    if (!row) return Status(CKR_DEVICE_ERROR);
  }
  PQ_TRY(t->exec("PRAGMA synchronous=FULL"));
  PQ_TRY(t->exec("PRAGMA foreign_keys=ON"));
  PQ_TRY(t->begin());
  Status s = t->exec(
      "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS objects(uid TEXT PRIMARY KEY);"
      "CREATE TABLE IF NOT EXISTS attributes(uid TEXT NOT NULL REFERENCES objects(uid) ON "
      "DELETE CASCADE, type INTEGER NOT NULL, sealed INTEGER NOT NULL, value BLOB NOT NULL, "
      "PRIMARY KEY(uid, type));");
  if (!s.ok()) {
    t->rollback();
    return s;
  }
  PQ_TRY(t->commit());
  return t;
}

TokenDb::~TokenDb() {
  sqlite3_finalize(data_version_stmt_);
  if (db_) sqlite3_close_v2(db_);
}

Status TokenDb::exec(const char* sql) {
  return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK ? kOk
                                                                        : Status(CKR_DEVICE_ERROR);
}

// The WAL-index header (https://sqlite.org/walformat.html §2.1, "The WAL-Index Header"): the
// first 96 bytes of the -shm file are two copies of a 48-byte header that every commit rewrites
// (its mxFrame, frame checksum and iChange counter change; a WAL restart changes the salts).
// Writers update copy 2, then copy 1; readers trust the header only when both copies agree.
// A header still byte-identical to the one read before the last full check therefore means that
// no transaction committed since — in this or any other process — and PRAGMA data_version, a
// read transaction costing two fcntl() lock syscalls, can be skipped. Anything else (a torn read
// while a writer updates it, a commit, a header this code does not recognise, no mapping) takes
// the full check, so the shortcut can only ever skip a check that would have said "unchanged".
bool TokenDb::read_header(std::uint8_t (&out)[kWalIndexHeaderBytes]) const {
  if (!shm_) return false;
  // As SQLite's own reader does (walIndexTryHdr): copy 1, a memory barrier, then copy 2; the
  // writer stores copy 2 before copy 1.
  constexpr std::size_t kCopy = kWalIndexHeaderBytes / 2;
  for (std::size_t i = 0; i < kCopy; ++i) out[i] = shm_[i];
  shm_file_->pMethods->xShmBarrier(shm_file_);
  for (std::size_t i = kCopy; i < kWalIndexHeaderBytes; ++i) out[i] = shm_[i];
  std::uint32_t version = 0;
  std::memcpy(&version, out, 4);  // iVersion, native byte order
  const bool is_init = out[12] == 1;
  return version == 3007000 && is_init && std::memcmp(out, out + kCopy, kCopy) == 0;
}

// SQLite's own mapping of region 0 of the WAL-index, through the VFS method the WAL code uses
// (sqlite3_io_methods::xShmMap, bExtend = 0: never grows or creates anything). Opening the -shm
// file ourselves would be wrong: closing any descriptor of a file drops every POSIX lock this
// process holds on it, SQLite's included. Called after a full check, when the connection has its
// WAL open; the mapping lives until the connection closes.
void TokenDb::map_wal_index() {
  sqlite3_file* f = nullptr;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f || !f->pMethods ||
      f->pMethods->iVersion < 2 || !f->pMethods->xShmMap)
    return;
  if (!f->pMethods->xShmBarrier) return;
  void volatile* p = nullptr;
  if (f->pMethods->xShmMap(f, 0, 32 * 1024, 0, &p) == SQLITE_OK && p) {
    shm_ = static_cast<const volatile std::uint8_t*>(p);
    shm_file_ = f;
  }
}

// PRAGMA data_version (https://sqlite.org/pragma.html#pragma_data_version) changes when another
// connection commits, so a token shared by several processes sees their changes.
Result<bool> TokenDb::changed() {
  std::uint8_t hdr[kWalIndexHeaderBytes];
  const bool have_hdr = read_header(hdr);  // read before the full check: conservative
  if (have_hdr && hdr_known_ && std::memcmp(hdr, hdr_, sizeof hdr) == 0) return false;
  if (!data_version_stmt_ && sqlite3_prepare_v2(db_, "PRAGMA data_version", -1, &data_version_stmt_, nullptr) != SQLITE_OK) {
    data_version_stmt_ = nullptr;
    return Status(CKR_DEVICE_ERROR);
  }
  const int rc = sqlite3_step(data_version_stmt_);
  const std::int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(data_version_stmt_, 0) : 0;
  sqlite3_reset(data_version_stmt_);
  if (rc != SQLITE_ROW) return Status(CKR_DEVICE_ERROR);
  bool c = v != data_version_;
  data_version_ = v;
  hdr_known_ = have_hdr;
  if (have_hdr) std::memcpy(hdr_, hdr, sizeof hdr);
  if (!shm_ && wal_) map_wal_index();
  return c;
}

Status TokenDb::read_all(std::map<std::string, std::vector<std::uint8_t>>& meta,
                         std::vector<StoredObject>& objects) {
  meta.clear();
  objects.clear();
  PQ_TRY(exec("BEGIN"));
  Status result = kOk;
  {
    Stmt m(db_, "SELECT name, value FROM meta");
    Stmt a(db_, "SELECT uid, type, sealed, value FROM attributes ORDER BY uid");
    Stmt o(db_, "SELECT uid FROM objects ORDER BY uid");
    if (!m || !a || !o) result = Status(CKR_DEVICE_ERROR);
    int rc;
    while (result.ok() && (rc = sqlite3_step(m.s)) == SQLITE_ROW) {
      auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(m.s, 1));
      meta[reinterpret_cast<const char*>(sqlite3_column_text(m.s, 0))] =
          std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(m.s, 1));
    }
    std::map<std::string, std::size_t> index;
    while (result.ok() && (rc = sqlite3_step(o.s)) == SQLITE_ROW) {
      std::string uid = reinterpret_cast<const char*>(sqlite3_column_text(o.s, 0));
      index[uid] = objects.size();
      objects.push_back({uid, {}});
    }
    while (result.ok() && (rc = sqlite3_step(a.s)) == SQLITE_ROW) {
      std::string uid = reinterpret_cast<const char*>(sqlite3_column_text(a.s, 0));
      auto it = index.find(uid);
      if (it == index.end()) continue;
      auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(a.s, 3));
      objects[it->second].attributes.push_back(
          {static_cast<CK_ATTRIBUTE_TYPE>(sqlite3_column_int64(a.s, 1)),
           sqlite3_column_int(a.s, 2) != 0,
           std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(a.s, 3))});
    }
  }
  exec("COMMIT").ok();
  return result;
}

Status TokenDb::begin() { return exec("BEGIN IMMEDIATE"); }
Status TokenDb::commit() { return exec("COMMIT"); }
void TokenDb::rollback() noexcept { (void)exec("ROLLBACK"); }

Status TokenDb::put_meta(const std::string& name, const std::vector<std::uint8_t>& value) {
  Stmt st(db_, "INSERT OR REPLACE INTO meta(name, value) VALUES(?, ?)");
  if (!st) return Status(CKR_DEVICE_ERROR);
  sqlite3_bind_text(st.s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob(st.s, 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return sqlite3_step(st.s) == SQLITE_DONE ? kOk : Status(CKR_DEVICE_ERROR);
}

Status TokenDb::delete_meta(const std::string& name) {
  Stmt st(db_, "DELETE FROM meta WHERE name = ?");
  if (!st) return Status(CKR_DEVICE_ERROR);
  sqlite3_bind_text(st.s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  return sqlite3_step(st.s) == SQLITE_DONE ? kOk : Status(CKR_DEVICE_ERROR);
}

Status TokenDb::put_object(const StoredObject& obj) {
  PQ_TRY(delete_object(obj.uid));
  {
    Stmt st(db_, "INSERT INTO objects(uid) VALUES(?)");
    if (!st) return Status(CKR_DEVICE_ERROR);
    sqlite3_bind_text(st.s, 1, obj.uid.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st.s) != SQLITE_DONE) return Status(CKR_DEVICE_ERROR);
  }
  Stmt st(db_, "INSERT INTO attributes(uid, type, sealed, value) VALUES(?, ?, ?, ?)");
  if (!st) return Status(CKR_DEVICE_ERROR);
  for (const auto& a : obj.attributes) {
    sqlite3_reset(st.s);
    sqlite3_bind_text(st.s, 1, obj.uid.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st.s, 2, static_cast<sqlite3_int64>(a.type));
    sqlite3_bind_int(st.s, 3, a.sealed ? 1 : 0);
    // A zero-length blob must still be a blob (not NULL): bind a valid pointer.
    static const std::uint8_t kEmpty = 0;
    sqlite3_bind_blob(st.s, 4, a.value.empty() ? &kEmpty : a.value.data(),
                      static_cast<int>(a.value.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st.s) != SQLITE_DONE) return Status(CKR_DEVICE_ERROR);
  }
  return kOk;
}

Status TokenDb::delete_object(const std::string& uid) {
  Stmt st(db_, "DELETE FROM objects WHERE uid = ?");
  if (!st) return Status(CKR_DEVICE_ERROR);
  sqlite3_bind_text(st.s, 1, uid.c_str(), -1, SQLITE_TRANSIENT);
  return sqlite3_step(st.s) == SQLITE_DONE ? kOk : Status(CKR_DEVICE_ERROR);
}

Status TokenDb::delete_all_objects() { return exec("DELETE FROM attributes; DELETE FROM objects;"); }

}  // namespace pqmcp::token
