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

// A statement of the write path, prepared on first use and kept for the connection's life: the
// token's log commits a batch every few milliseconds, and compiling its SQL text each time (BEGIN,
// the inserts, COMMIT) cost about as much CPU as running it. Always reset after use, so that no
// cached statement holds a read transaction open between batches.
class Cached {
 public:
  explicit Cached(const char* sql) : sql_(sql) {}
  ~Cached() { sqlite3_finalize(s_); }
  Cached(const Cached&) = delete;
  Cached& operator=(const Cached&) = delete;
  // nullptr when the SQL cannot be prepared (sqlite3_errmsg says why).
  sqlite3_stmt* get(sqlite3* db) {
    if (!s_ && sqlite3_prepare_v3(db, sql_, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK) {
      sqlite3_finalize(s_);
      s_ = nullptr;
    }
    return s_;
  }
  // Steps a statement without result rows to completion, then resets it; the sqlite3 code.
  int run(sqlite3* db) {
    sqlite3_stmt* st = get(db);
    if (!st) return SQLITE_ERROR;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
  }

 private:
  const char* sql_;
  sqlite3_stmt* s_ = nullptr;
};

// Resets a cached statement on scope exit (early returns included).
struct Reset {
  sqlite3_stmt* s;
  ~Reset() {
    if (s) {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  }
};

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(sqlite3* db, bool relaxed) : db_(db), closer_{db}, relaxed_(relaxed) {}

  Status exec(const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      Error e = make_error(Error::Kind::kIo, std::string("sqlite: ") + (msg ? msg : sqlite3_errmsg(db_)));
      sqlite3_free(msg);
      return e;
    }
    return {};
  }
  // exec() for statements that are safe to run again (the open's pragmas and its idempotent
  // schema). When several processes open a new file at once (connect and wrap starting together
  // on one log), SQLite answers some of them SQLITE_BUSY at once instead of waiting in the busy
  // handler: it does so where waiting could deadlock, e.g. switching a fresh file to WAL while
  // another connection reads it. Measured before this retry: 152 failed opens of 400 (two
  // processes racing on 200 fresh files). Each statement commits on its own (no transaction is
  // left open by a failure), and all of them are idempotent, so a rerun is always safe.
  Status exec_retrying(const char* sql) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (unsigned n = 0;; ++n) {
      Status st = exec(sql);
      const int rc = sqlite3_errcode(db_);
      if (st || (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= deadline) return st;
      std::this_thread::sleep_for(std::chrono::microseconds(500 + 250 * (n % 8)));
    }
  }
  Error err(const std::string& what) { return make_error(Error::Kind::kIo, "sqlite " + what + ": " + sqlite3_errmsg(db_)); }

  Result<AppendResult> append(std::span<const std::string> leaves) override {
    // SQLITE_BUSY on BEGIN IMMEDIATE despite busy_timeout (another process holds the lock for
    // long): retry; the batch is not acknowledged until it commits.
    for (int tries = 0;; ++tries) {
      int rc = begin_.run(db_);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_BUSY || tries > 100) return err("begin");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto r = append_locked(leaves);
    if (!r) {
      rollback();
      return r;
    }
    if (commit_.run(db_) != SQLITE_DONE) {
      Error e = err("commit");
      rollback();
      return e;
    }
    return r;
  }

  // After a failed statement or COMMIT; a no-op when SQLite has already rolled back.
  void rollback() {
    if (!sqlite3_get_autocommit(db_)) (void)rollback_.run(db_);
  }

  Result<AppendResult> append_locked(std::span<const std::string> leaves) {
    auto edge = load_edge();
    if (!edge) return edge.error();
    CompactRange cr = edge.value();
    AppendResult out;
    out.first = cr.size();
    sqlite3_stmt* ins = insert_entry_.get(db_);
    if (!ins) return err("prepare");
    Reset ins_reset{ins};
    for (const std::string& d : leaves) {
      const Hash h = leaf_hash(d);
      sqlite3_bind_int64(ins, 1, static_cast<sqlite3_int64>(cr.size()));
      sqlite3_bind_blob(ins, 2, d.data(), static_cast<int>(d.size()), SQLITE_STATIC);
      sqlite3_bind_blob(ins, 3, h.data(), 32, SQLITE_STATIC);  // h outlives the step
      if (sqlite3_step(ins) != SQLITE_DONE) return err("insert entry");
      sqlite3_reset(ins);
      cr.append(h);
    }
    const std::string e = cr.serialize();
    sqlite3_stmt* up = update_head_.get(db_);
    if (!up) return err("prepare");
    Reset up_reset{up};
    sqlite3_bind_int64(up, 1, static_cast<sqlite3_int64>(cr.size()));
    sqlite3_bind_blob(up, 2, e.data(), static_cast<int>(e.size()), SQLITE_STATIC);
    if (sqlite3_step(up) != SQLITE_DONE) return err("update head");
    out.size = cr.size();
    out.root = cr.root();
    return out;
  }

  Result<CompactRange> load_edge() {
    sqlite3_stmt* q = select_edge_.get(db_);
    if (!q) return err("prepare");
    Reset q_reset{q};  // outside a batch, an unreset SELECT would hold a read transaction open
    CompactRange cr;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
      std::string_view b(static_cast<const char*>(sqlite3_column_blob(q, 0)),
                         static_cast<std::size_t>(sqlite3_column_bytes(q, 0)));
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
    sqlite3_stmt* s = insert_checkpoint_.get(db_);
    if (!s) return err("prepare");
    // Relaxed commits reach the WAL without an fsync. The checkpoint row is committed with
    // synchronous=FULL instead, so SQLite fsyncs the WAL — every frame in it, hence every entry
    // the checkpoint covers — before the commit becomes visible to any reader
    // (https://sqlite.org/pragma.html#pragma_synchronous, FULL in WAL mode): a checkpoint exists
    // only once it and its entries are durable, and a power loss can only take entries newer
    // than the last checkpoint. (A PRAGMA wal_checkpoint here also copied every page back into
    // the database and synced that file as well, twice the fsyncs; and when a reader pinned the
    // WAL it could skip the sync altogether.) The database file itself is synced by SQLite's
    // automatic WAL checkpoints, which sync before the WAL is ever reused.
    if (relaxed_ && sync_full_.run(db_) != SQLITE_DONE) return err("synchronous=FULL");
    struct Relax {
      SqliteStorage* self;
      ~Relax() {
        if (self) (void)self->sync_normal_.run(self->db_);
      }
    } relax{relaxed_ ? this : nullptr};
    Reset s_reset{s};
    sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(size));
    sqlite3_bind_text(s, 2, note.data(), static_cast<int>(note.size()), SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) return err("insert checkpoint");
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
  struct Closer {
    sqlite3* db;
    ~Closer() { sqlite3_close(db); }
  };
  sqlite3* db_;
  // Declared before the statements, so destroyed after them: sqlite3_close refuses a connection
  // whose statements are not finalised yet.
  Closer closer_;
  bool relaxed_;
  Cached begin_{"BEGIN IMMEDIATE"}, commit_{"COMMIT"}, rollback_{"ROLLBACK"};
  Cached insert_entry_{"INSERT INTO entries(idx, data, leaf) VALUES (?, ?, ?)"};
  Cached select_edge_{"SELECT edge FROM head WHERE id = 0"};
  Cached update_head_{"INSERT OR REPLACE INTO head(id, size, edge) VALUES (0, ?, ?)"};
  Cached insert_checkpoint_{
      "INSERT INTO checkpoints(size, note, created_ms) VALUES (?, ?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))"};
  // (SQLite applies a PRAGMA while compiling it and recompiles it on every run, so caching these
  // two saves nothing; what matters is that each run really changes the setting, which it does.)
  Cached sync_full_{"PRAGMA synchronous=FULL"}, sync_normal_{"PRAGMA synchronous=NORMAL"};
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
    if (auto st = s->exec_retrying(relaxed ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                           : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
        !st)
      return st.error();
    if (auto st = s->exec_retrying(kSchema); !st) return st.error();
  }
  return std::unique_ptr<Storage>(std::move(s));
}

}  // namespace pqmcp::audit
