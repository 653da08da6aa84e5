// SQLite backend. Durability model (docs/audit-log.md "Durability"): WAL journal with
// synchronous=FULL, so COMMIT returns after the WAL is fsynced; one transaction per batch gives
// group commit (one fsync for the whole batch). BEGIN IMMEDIATE takes the write lock up front, so
// writers in several processes queue on the database lock instead of forking the tree.
#include <sqlite3.h>

#include <thread>

#include "audit/storage.h"

namespace pqmcp::audit {

namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS entries(idx INTEGER PRIMARY KEY, data BLOB NOT NULL, leaf BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS head(id INTEGER PRIMARY KEY CHECK (id = 0), size INTEGER NOT NULL, edge BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoints(id INTEGER PRIMARY KEY, size INTEGER NOT NULL, note TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS checkpoints_size ON checkpoints(size);"
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta(k, v) VALUES ('schema', 'pqmcp-audit-sqlite/1');";

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(sqlite3* db, bool relaxed) : db_(db), relaxed_(relaxed) {}
  ~SqliteStorage() override { sqlite3_close(db_); }

  Status exec(const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      Error e = make_error(Error::Kind::kIo, std::string("sqlite: ") + (msg ? msg : sqlite3_errmsg(db_)));
      sqlite3_free(msg);
      return e;
    }
    return {};
  }
  Error err(const std::string& what) { return make_error(Error::Kind::kIo, "sqlite " + what + ": " + sqlite3_errmsg(db_)); }

  Result<AppendResult> append(std::span<const std::string> leaves) override {
    // SQLITE_BUSY on BEGIN IMMEDIATE despite busy_timeout (another process holds the lock for
    // long): retry; the batch is not acknowledged until it commits.
    for (int tries = 0;; ++tries) {
      int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) break;
      if (rc != SQLITE_BUSY || tries > 100) return err("begin");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto r = append_locked(leaves);
    if (!r) {
      (void)exec("ROLLBACK");
      return r;
    }
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      Error e = err("commit");
      (void)exec("ROLLBACK");
      return e;
    }
    return r;
  }

  Result<AppendResult> append_locked(std::span<const std::string> leaves) {
    auto edge = load_edge();
    if (!edge) return edge.error();
    CompactRange cr = edge.value();
    AppendResult out;
    out.first = cr.size();
    Stmt ins(db_, "INSERT INTO entries(idx, data, leaf) VALUES (?, ?, ?)");
    if (!ins.ok()) return err("prepare");
    for (const std::string& d : leaves) {
      const Hash h = leaf_hash(d);
      sqlite3_bind_int64(ins.get(), 1, static_cast<sqlite3_int64>(cr.size()));
      sqlite3_bind_blob(ins.get(), 2, d.data(), static_cast<int>(d.size()), SQLITE_STATIC);
      sqlite3_bind_blob(ins.get(), 3, h.data(), 32, SQLITE_TRANSIENT);
      if (sqlite3_step(ins.get()) != SQLITE_DONE) return err("insert entry");
      sqlite3_reset(ins.get());
      cr.append(h);
    }
    const std::string e = cr.serialize();
    Stmt up(db_, "INSERT OR REPLACE INTO head(id, size, edge) VALUES (0, ?, ?)");
    sqlite3_bind_int64(up.get(), 1, static_cast<sqlite3_int64>(cr.size()));
    sqlite3_bind_blob(up.get(), 2, e.data(), static_cast<int>(e.size()), SQLITE_STATIC);
    if (sqlite3_step(up.get()) != SQLITE_DONE) return err("update head");
    out.size = cr.size();
    out.root = cr.root();
    return out;
  }

  Result<CompactRange> load_edge() {
    Stmt q(db_, "SELECT edge FROM head WHERE id = 0");
    if (!q.ok()) return err("prepare");
    CompactRange cr;
    int rc = sqlite3_step(q.get());
    if (rc == SQLITE_ROW) {
      std::string_view b(static_cast<const char*>(sqlite3_column_blob(q.get(), 0)),
                         static_cast<std::size_t>(sqlite3_column_bytes(q.get(), 0)));
      if (!CompactRange::parse(b, cr)) return make_error(Error::Kind::kConflict, "sqlite: the stored tree head is corrupt");
    } else if (rc != SQLITE_DONE) {
      return err("read head");
    }
    return cr;
  }

  Result<Head> head() override {
    auto cr = load_edge();
    if (!cr) return cr.error();
    return Head{cr->size(), cr->root()};
  }

  Status add_checkpoint(std::uint64_t size, std::string_view note) override {
    Stmt s(db_, "INSERT INTO checkpoints(size, note, created_ms) VALUES (?, ?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))");
    if (!s.ok()) return err("prepare");
    sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(size));
    sqlite3_bind_text(s.get(), 2, note.data(), static_cast<int>(note.size()), SQLITE_STATIC);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return err("insert checkpoint");
    // Relaxed commits reach the WAL without an fsync. A WAL checkpoint syncs the WAL and the
    // database (https://sqlite.org/pragma.html#pragma_synchronous, NORMAL in WAL mode), so every
    // entry a signed checkpoint covers is durable: a power loss can only take entries newer than
    // the last checkpoint. PASSIVE never waits for readers.
    if (relaxed_) return exec("PRAGMA wal_checkpoint(PASSIVE);");
    return {};
  }

  Result<std::uint64_t> entry_count() override {
    Stmt q(db_, "SELECT count(*) FROM entries");
    if (!q.ok() || sqlite3_step(q.get()) != SQLITE_ROW) return err("count");
    return static_cast<std::uint64_t>(sqlite3_column_int64(q.get(), 0));
  }

  Status scan(std::uint64_t begin, std::uint64_t end, const ScanFn& fn) override {
    Stmt q(db_, "SELECT idx, data, leaf FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx");
    if (!q.ok()) return err("prepare");
    sqlite3_bind_int64(q.get(), 1, static_cast<sqlite3_int64>(begin));
    sqlite3_bind_int64(q.get(), 2, static_cast<sqlite3_int64>(std::min<std::uint64_t>(end, INT64_MAX)));
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      const auto idx = static_cast<std::uint64_t>(sqlite3_column_int64(q.get(), 0));
      std::string_view d(static_cast<const char*>(sqlite3_column_blob(q.get(), 1)),
                         static_cast<std::size_t>(sqlite3_column_bytes(q.get(), 1)));
      std::span<const std::uint8_t> leaf(static_cast<const std::uint8_t*>(sqlite3_column_blob(q.get(), 2)),
                                         static_cast<std::size_t>(sqlite3_column_bytes(q.get(), 2)));
      if (!fn(idx, d, leaf)) return {};
    }
    if (rc != SQLITE_DONE) return err("scan");
    return {};
  }

  Result<std::vector<StoredCheckpoint>> checkpoints() override {
    Stmt q(db_, "SELECT size, note FROM checkpoints ORDER BY size, id");
    if (!q.ok()) return err("prepare");
    std::vector<StoredCheckpoint> out;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW)
      out.push_back({static_cast<std::uint64_t>(sqlite3_column_int64(q.get(), 0)),
                     std::string(reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 1)),
                                 static_cast<std::size_t>(sqlite3_column_bytes(q.get(), 1)))});
    if (rc != SQLITE_DONE) return err("read checkpoints");
    return out;
  }

 private:
  sqlite3* db_;
  bool relaxed_;
};

}  // namespace

Result<std::unique_ptr<Storage>> open_sqlite(const std::string& path, bool read_only, bool relaxed) {
  sqlite3* db = nullptr;
  const int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error(Error::Kind::kIo, "cannot open audit log " + path + ": " + m);
  }
  auto s = std::make_unique<SqliteStorage>(db, relaxed && !read_only);
  sqlite3_busy_timeout(db, 10000);
  if (!read_only) {
    // WAL + FULL: a commit is durable when it returns (https://sqlite.org/pragma.html#pragma_synchronous).
    if (auto st = s->exec(relaxed ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"); !st)
      return st.error();
    if (auto st = s->exec(kSchema); !st) return st.error();
  }
  return std::unique_ptr<Storage>(std::move(s));
}

}  // namespace pqmcp::audit
