#include "audit/pg/pg_storage.h"

#include <libpq-fe.h>

namespace pqmcp::audit {

namespace {

// Serialises schema creation across processes (CREATE TABLE IF NOT EXISTS races in PostgreSQL).
constexpr const char* kSchema =
    "BEGIN;"
    "SELECT pg_advisory_xact_lock(7346729001);"
    "CREATE TABLE IF NOT EXISTS audit_head(id int PRIMARY KEY CHECK (id = 0), size bigint NOT NULL, edge bytea NOT NULL);"
    "INSERT INTO audit_head VALUES (0, 0, '\\x0000000000000000'::bytea) ON CONFLICT DO NOTHING;"
    "CREATE TABLE IF NOT EXISTS audit_entries(idx bigint PRIMARY KEY, data text NOT NULL, leaf bytea NOT NULL);"
    "CREATE TABLE IF NOT EXISTS audit_checkpoints(id bigserial PRIMARY KEY, size bigint NOT NULL, note text NOT NULL,"
    " created timestamptz NOT NULL DEFAULT now());"
    "COMMIT;";

class Res {
 public:
  explicit Res(PGresult* r) : r_(r) {}
  ~Res() { PQclear(r_); }
  Res(const Res&) = delete;
  Res& operator=(const Res&) = delete;
  PGresult* get() const { return r_; }
  ExecStatusType status() const { return PQresultStatus(r_); }

 private:
  PGresult* r_;
};

// A PostgreSQL array literal of text elements: {"a","b"} with " and \ escaped.
std::string text_array(std::span<const std::string> v) {
  std::string o = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) o += ',';
    o += '"';
    for (char c : v[i]) {
      if (c == '"' || c == '\\') o += '\\';
      o += c;
    }
    o += '"';
  }
  return o + "}";
}

bool unhex(std::string_view s, std::string& out) {
  // bytea in text output: \x followed by hex digits.
  if (s.size() < 2 || s[0] != '\\' || s[1] != 'x' || s.size() % 2) return false;
  out.clear();
  auto v = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  for (std::size_t i = 2; i < s.size(); i += 2) {
    int a = v(s[i]), b = v(s[i + 1]);
    if (a < 0 || b < 0) return false;
    out += static_cast<char>(a * 16 + b);
  }
  return true;
}

class PgStorage final : public Storage {
 public:
  explicit PgStorage(PGconn* c) : c_(c) {}
  ~PgStorage() override { PQfinish(c_); }

  Error err(const std::string& what) { return make_error(Error::Kind::kIo, "postgres " + what + ": " + PQerrorMessage(c_)); }

  Status exec(const char* sql) {
    Res r(PQexec(c_, sql));
    if (r.status() != PGRES_COMMAND_OK && r.status() != PGRES_TUPLES_OK) return err("exec");
    return {};
  }

  Result<AppendResult> append(std::span<const std::string> leaves) override {
    if (auto st = exec("BEGIN"); !st) return st.error();
    auto r = append_locked(leaves);
    if (!r) {
      (void)exec("ROLLBACK");
      return r;
    }
    // synchronous_commit=on (the default, and set by open_postgres): COMMIT returns after the
    // WAL record is flushed, so the acknowledgement follows durability.
    if (auto st = exec("COMMIT"); !st) return st.error();
    return r;
  }

  Result<AppendResult> append_locked(std::span<const std::string> leaves) {
    Res h(PQexec(c_, "SELECT edge FROM audit_head WHERE id = 0 FOR UPDATE"));
    if (h.status() != PGRES_TUPLES_OK || PQntuples(h.get()) != 1) return err("lock head");
    std::string edge;
    CompactRange cr;
    if (!unhex(PQgetvalue(h.get(), 0, 0), edge) || !CompactRange::parse(edge, cr))
      return make_error(Error::Kind::kConflict, "postgres: the stored tree head is corrupt");
    AppendResult out;
    out.first = cr.size();
    std::vector<std::string> hexes;
    hexes.reserve(leaves.size());
    for (const std::string& d : leaves) {
      const Hash lh = leaf_hash(d);
      hexes.push_back(to_hex(lh));
      cr.append(lh);
    }
    const std::string first = std::to_string(out.first), data = text_array(leaves), lh = text_array(hexes);
    const char* p[3] = {first.c_str(), data.c_str(), lh.c_str()};
    Res ins(PQexecParams(c_,
                         "INSERT INTO audit_entries(idx, data, leaf) SELECT $1::bigint + o - 1, d, decode(l, 'hex') "
                         "FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(d, l, o)",
                         3, nullptr, p, nullptr, nullptr, 0));
    if (ins.status() != PGRES_COMMAND_OK) return err("insert entries");
    const std::string edge_bytes = cr.serialize();  // once: the span below must point into one string
    const std::string size = std::to_string(cr.size()),
                      e = to_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(edge_bytes.data()), edge_bytes.size()));
    const char* q[2] = {size.c_str(), e.c_str()};
    Res up(PQexecParams(c_, "UPDATE audit_head SET size = $1::bigint, edge = decode($2, 'hex') WHERE id = 0", 2, nullptr, q,
                        nullptr, nullptr, 0));
    if (up.status() != PGRES_COMMAND_OK) return err("update head");
    out.size = cr.size();
    out.root = cr.root();
    return out;
  }

  Result<Head> head() override {
    Res h(PQexec(c_, "SELECT edge FROM audit_head WHERE id = 0"));
    std::string edge;
    CompactRange cr;
    if (h.status() != PGRES_TUPLES_OK || PQntuples(h.get()) != 1) return err("read head");
    if (!unhex(PQgetvalue(h.get(), 0, 0), edge) || !CompactRange::parse(edge, cr))
      return make_error(Error::Kind::kConflict, "postgres: the stored tree head is corrupt");
    return Head{cr.size(), cr.root()};
  }

  Status add_checkpoint(std::uint64_t size, std::string_view note) override {
    const std::string s = std::to_string(size), n(note);
    const char* p[2] = {s.c_str(), n.c_str()};
    Res r(PQexecParams(c_, "INSERT INTO audit_checkpoints(size, note) VALUES ($1::bigint, $2)", 2, nullptr, p, nullptr, nullptr, 0));
    if (r.status() != PGRES_COMMAND_OK) return err("insert checkpoint");
    return {};
  }

  Result<std::uint64_t> entry_count() override {
    Res r(PQexec(c_, "SELECT count(*) FROM audit_entries"));
    if (r.status() != PGRES_TUPLES_OK) return err("count");
    return std::stoull(PQgetvalue(r.get(), 0, 0));
  }

  // Pages of 10,000 rows keep memory flat on large logs.
  Status scan(std::uint64_t begin, std::uint64_t end, const ScanFn& fn) override {
    for (std::uint64_t from = begin;;) {
      const std::string a = std::to_string(from), b = std::to_string(std::min<std::uint64_t>(end, INT64_MAX));
      const char* p[2] = {a.c_str(), b.c_str()};
      Res r(PQexecParams(c_, "SELECT idx, data, leaf FROM audit_entries WHERE idx >= $1::bigint AND idx < $2::bigint ORDER BY idx LIMIT 10000",
                         2, nullptr, p, nullptr, nullptr, 0));
      if (r.status() != PGRES_TUPLES_OK) return err("scan");
      const int n = PQntuples(r.get());
      std::string leaf;
      for (int i = 0; i < n; ++i) {
        const std::uint64_t idx = std::stoull(PQgetvalue(r.get(), i, 0));
        if (!unhex(PQgetvalue(r.get(), i, 2), leaf)) leaf.clear();
        if (!fn(idx, std::string_view(PQgetvalue(r.get(), i, 1), static_cast<std::size_t>(PQgetlength(r.get(), i, 1))),
                std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(leaf.data()), leaf.size())))
          return {};
        from = idx + 1;
      }
      if (n < 10000) return {};
    }
  }

  Result<std::vector<StoredCheckpoint>> checkpoints() override {
    Res r(PQexec(c_, "SELECT size, note FROM audit_checkpoints ORDER BY size, id"));
    if (r.status() != PGRES_TUPLES_OK) return err("read checkpoints");
    std::vector<StoredCheckpoint> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back({std::stoull(PQgetvalue(r.get(), i, 0)), PQgetvalue(r.get(), i, 1)});
    return out;
  }

 private:
  PGconn* c_;
};

}  // namespace

Result<std::unique_ptr<Storage>> open_postgres(const std::string& conninfo) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string m = PQerrorMessage(c);
    PQfinish(c);
    // The connection string may hold a password; it is not repeated in the message.
    return make_error(Error::Kind::kIo, "cannot connect to PostgreSQL: " + m);
  }
  auto s = std::make_unique<PgStorage>(c);
  if (auto st = s->exec("SET synchronous_commit = on"); !st) return st.error();
  // "relation … already exists, skipping" from CREATE TABLE IF NOT EXISTS on every open is noise
  // on the gateways' stderr; warnings and errors still come through.
  if (auto st = s->exec("SET client_min_messages = warning"); !st) return st.error();
  if (auto st = s->exec(kSchema); !st) {
    (void)s->exec("ROLLBACK");
    return st.error();
  }
  return std::unique_ptr<Storage>(std::move(s));
}

}  // namespace pqmcp::audit
