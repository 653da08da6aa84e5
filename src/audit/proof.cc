#include "audit/proof.h"

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace pqmcp::audit {

namespace {

constexpr std::string_view kTlogProof = "c2sp.org/tlog-proof@v1";
constexpr std::string_view kConsProof = "pqmcp.dev/consistency-proof@v1";

bool parse_u64(std::string_view s, std::uint64_t& v) {
  return !s.empty() && (s.size() == 1 || s[0] != '0') && std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc() &&
         std::to_string(v).size() == s.size();
}

bool parse_hash(std::string_view s, Hash& h) {
  std::vector<std::uint8_t> b;
  if (!from_base64(s, b) || b.size() != 32) return false;
  std::copy(b.begin(), b.end(), h.begin());
  return true;
}

}  // namespace

Result<std::vector<Hash>> load_leaf_hashes(LogReader& log, std::uint64_t n) {
  std::vector<Hash> out;
  out.reserve(n);
  bool gap = false;
  auto st = log.scan(0, n, [&](std::uint64_t idx, std::string_view data, std::span<const std::uint8_t>) {
    if (idx != out.size()) return !(gap = true);
    out.push_back(leaf_hash(data));
    return true;
  });
  if (!st) return st.error();
  if (gap || out.size() != n) return make_error(Error::Kind::kNotFound, "the log does not hold entries #0..#" + std::to_string(n - 1) + " contiguously");
  return out;
}

std::string inclusion_proof_file(std::string_view entry, std::uint64_t index, std::span<const Hash> path,
                                 std::string_view note) {
  std::string o = std::string(kTlogProof) + "\nextra " +
                  to_base64(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size())) +
                  "\nindex " + std::to_string(index) + "\n";
  for (const Hash& h : path) o += to_base64(h) + "\n";
  return o + "\n" + std::string(note);
}

std::string consistency_proof_file(std::uint64_t old_size, const Hash& old_root, std::span<const Hash> path,
                                   std::string_view note) {
  std::string o = std::string(kConsProof) + "\nold " + std::to_string(old_size) + " " + to_base64(old_root) + "\n";
  for (const Hash& h : path) o += to_base64(h) + "\n";
  return o + "\n" + std::string(note);
}

Result<CheckedProof> check_proof_file(std::string_view text, std::span<const VerifierKey> keys) {
  auto bad = [](const std::string& m) { return make_error(Error::Kind::kInput, "proof file: " + m); };
  const auto blank = text.find("\n\n");
  if (blank == std::string_view::npos) return bad("no blank line before the checkpoint");
  std::string_view head = text.substr(0, blank + 1);
  CheckedProof out;
  std::vector<Hash> path;
  std::vector<std::string_view> lines;
  for (std::size_t i = 0; i < head.size();) {
    const auto nl = head.find('\n', i);
    lines.push_back(head.substr(i, nl - i));
    i = nl + 1;
  }
  std::size_t li = 1;
  if (lines[0] == kTlogProof) {
    if (li < lines.size() && lines[li].substr(0, 6) == "extra ") {
      std::vector<std::uint8_t> e;
      if (!from_base64(lines[li].substr(6), e)) return bad("bad extra line");
      out.entry.assign(e.begin(), e.end());
      ++li;
    }
    if (li >= lines.size() || lines[li].substr(0, 6) != "index " || !parse_u64(lines[li].substr(6), out.index)) return bad("bad index line");
  } else if (lines[0] == kConsProof) {
    out.inclusion = false;
    const auto sp = li < lines.size() ? lines[li].find(' ', 4) : std::string_view::npos;
    if (li >= lines.size() || lines[li].substr(0, 4) != "old " || sp == std::string_view::npos ||
        !parse_u64(lines[li].substr(4, sp - 4), out.old_size) || !parse_hash(lines[li].substr(sp + 1), out.old_root))
      return bad("bad old line");
  } else {
    return bad("unknown proof type '" + std::string(lines[0]) + "'");
  }
  for (++li; li < lines.size(); ++li) {
    Hash h;
    if (!parse_hash(lines[li], h)) return bad("bad proof hash on line " + std::to_string(li + 1));
    path.push_back(h);
  }
  if (path.size() > 64) return bad("proof longer than any tree allows");
  auto cp = verify_checkpoint(text.substr(blank + 2), keys);
  if (!cp) return cp.error();
  out.checkpoint = std::move(cp.value());
  const Checkpoint& c = out.checkpoint.cp;
  if (out.inclusion) {
    if (!out.entry.size()) return bad("an inclusion proof needs the entry (extra line)");
    if (!verify_inclusion(leaf_hash(out.entry), out.index, c.size, path, c.root))
      return make_error(Error::Kind::kVerify, "the inclusion proof of entry #" + std::to_string(out.index) +
                                                  " does not lead to the checkpoint's root at size " + std::to_string(c.size));
  } else if (!verify_consistency(out.old_size, c.size, out.old_root, c.root, path)) {
    return make_error(Error::Kind::kVerify, "the consistency proof from size " + std::to_string(out.old_size) +
                                                " does not lead to the checkpoint's root at size " + std::to_string(c.size));
  }
  return out;
}

Status write_export(LogReader& log, std::uint64_t size, std::ostream& out) {
  auto cps = log.checkpoints();
  if (!cps) return cps.error();
  std::vector<const StoredCheckpoint*> sel;
  for (auto& c : *cps)
    if (c.size <= size) sel.push_back(&c);
  out << "pqmcp-audit-export/v1\ncheckpoints " << sel.size() << "\n";
  for (auto* c : sel) out << "note " << c->note.size() << "\n" << c->note;
  out << "entries " << size << "\n";
  std::uint64_t next = 0;
  auto st = log.scan(0, size, [&](std::uint64_t idx, std::string_view d, std::span<const std::uint8_t>) {
    if (idx != next++ || d.find('\n') != std::string_view::npos) return false;
    out.write(d.data(), static_cast<std::streamsize>(d.size()));
    out.put('\n');
    return true;
  });
  if (!st) return st;
  if (next != size) return make_error(Error::Kind::kConflict, "cannot export: entry #" + std::to_string(next - 1) + " is missing or malformed");
  out.flush();
  if (!out) return make_error(Error::Kind::kIo, "cannot write the export");
  return {};
}

namespace {
class ExportReader final : public LogReader {
 public:
  std::vector<std::string> entries;
  std::vector<StoredCheckpoint> cps;
  Result<std::uint64_t> entry_count() override { return entries.size(); }
  Status scan(std::uint64_t b, std::uint64_t e, const ScanFn& fn) override {
    for (std::uint64_t i = b; i < e && i < entries.size(); ++i)
      if (!fn(i, entries[i], {})) break;
    return {};
  }
  Result<std::vector<StoredCheckpoint>> checkpoints() override { return cps; }
};
}  // namespace

Result<std::unique_ptr<LogReader>> read_export(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(Error::Kind::kIo, "cannot read " + path);
  auto bad = [&](const std::string& m) { return make_error(Error::Kind::kInput, path + ": " + m); };
  auto r = std::make_unique<ExportReader>();
  std::string line;
  std::uint64_t k = 0, n = 0;
  if (!std::getline(f, line) || line != "pqmcp-audit-export/v1") return bad("not a pqmcp audit export");
  if (!std::getline(f, line) || line.substr(0, 12) != "checkpoints " || !parse_u64(line.substr(12), k) || k > 1000000)
    return bad("bad checkpoints line");
  for (std::uint64_t i = 0; i < k; ++i) {
    std::uint64_t len = 0;
    if (!std::getline(f, line) || line.substr(0, 5) != "note " || !parse_u64(line.substr(5), len) || len > 1 << 20) return bad("bad note line");
    std::string note(len, '\0');
    if (!f.read(note.data(), static_cast<std::streamsize>(len))) return bad("truncated note");
    auto cp = Note::parse(note);
    std::uint64_t sz = 0;
    if (cp) {
      auto body = Checkpoint::parse_body(cp->text);
      if (body) sz = body->size;
    }
    r->cps.push_back({sz, std::move(note)});
  }
  if (!std::getline(f, line) || line.substr(0, 8) != "entries " || !parse_u64(line.substr(8), n)) return bad("bad entries line");
  while (std::getline(f, line)) r->entries.push_back(line);
  if (r->entries.size() != n)
    return bad("announces " + std::to_string(n) + " entries but holds " + std::to_string(r->entries.size()));
  return std::unique_ptr<LogReader>(std::move(r));
}

}  // namespace pqmcp::audit
