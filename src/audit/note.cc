#include "audit/note.h"

#include <charconv>

#include "crypto/eddsa.h"
#include "crypto/mldsa.h"

namespace pqmcp::audit {

namespace {

constexpr std::string_view kEmDash = "\xE2\x80\x94";  // U+2014, signed-note signature lines
constexpr std::size_t kMaxSignatures = 64;            // signed-note: verifiers MUST accept 16

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void put_u64(Bytes& b, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint64_t get_u64(std::span<const std::uint8_t> b) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

// c2sp.org/tlog-cosignature, ML-DSA: cosigned_message for a checkpoint (start 0, end = size).
Bytes subtree_message(std::string_view name, std::uint64_t timestamp, const Checkpoint& cp) {
  static constexpr char kLabel[12] = {'s', 'u', 'b', 't', 'r', 'e', 'e', '/', 'v', '1', '\n', '\0'};
  Bytes m(kLabel, kLabel + 12);
  m.push_back(static_cast<std::uint8_t>(name.size()));
  m.insert(m.end(), name.begin(), name.end());
  put_u64(m, timestamp);
  m.push_back(static_cast<std::uint8_t>(cp.origin.size()));
  m.insert(m.end(), cp.origin.begin(), cp.origin.end());
  put_u64(m, 0);
  put_u64(m, cp.size);
  m.insert(m.end(), cp.root.begin(), cp.root.end());
  return m;
}

crypto::mldsa::ParamSet param_set(SigType t) {
  return t == SigType::kMlDsa44 ? crypto::mldsa::ParamSet::kMlDsa44
         : t == SigType::kMlDsa65 ? crypto::mldsa::ParamSet::kMlDsa65
                                  : crypto::mldsa::ParamSet::kMlDsa87;
}

std::size_t pk_size(SigType t) { return t == SigType::kEd25519 ? 32 : crypto::mldsa::sizes(param_set(t)).public_key; }

// Element-wise append: GCC 12's -Warray-bounds misfires on vector::insert of one-byte ranges.
void append(Bytes& out, std::span<const std::uint8_t> in) {
  out.reserve(out.size() + in.size());
  for (std::uint8_t c : in) out.push_back(c);
}

bool valid_key_name(std::string_view n) {
  if (n.empty() || n.size() > 255) return false;
  for (unsigned char c : n)
    if (c <= 0x20 || c == '+' || c == 0x7f) return false;
  return true;
}

// C2SP signed-note: UTF-8 with no control characters other than newline. Bytes >= 0x80 are
// passed through (origins we produce are ASCII).
bool clean_text(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  return true;
}

}  // namespace

const char* sig_type_name(SigType t) {
  switch (t) {
    case SigType::kEd25519: return "Ed25519";
    case SigType::kMlDsa44: return "ML-DSA-44";
    case SigType::kMlDsa65: return "ML-DSA-65";
    case SigType::kMlDsa87: return "ML-DSA-87";
  }
  return "?";
}

bool is_mldsa(SigType t) { return t != SigType::kEd25519; }

Bytes sig_type_bytes(SigType t) {
  auto ext = [](std::string_view id) {
    Bytes b{0xff};
    for (char c : id) b.push_back(static_cast<std::uint8_t>(c));
    b.push_back(0x00);
    return b;
  };
  switch (t) {
    case SigType::kEd25519: return {0x01};
    case SigType::kMlDsa44: return {0x06};
    case SigType::kMlDsa65: return ext("pqmcp.dev/mldsa65");
    case SigType::kMlDsa87: return ext("pqmcp.dev/mldsa87");
  }
  return {};
}

std::uint32_t key_id(std::string_view name, SigType t, std::span<const std::uint8_t> pk) {
  Bytes m;
  append(m, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(name.data()), name.size()));
  m.push_back(0x0a);
  append(m, sig_type_bytes(t));
  append(m, pk);
  Hash h = sha256(m);
  return (std::uint32_t(h[0]) << 24) | (std::uint32_t(h[1]) << 16) | (std::uint32_t(h[2]) << 8) | h[3];
}

std::uint32_t VerifierKey::key_id() const { return audit::key_id(name, type, public_key); }

std::string VerifierKey::vkey() const {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", key_id());
  Bytes b = sig_type_bytes(type);
  append(b, public_key);
  return name + "+" + hex + "+" + to_base64(b);
}

Result<VerifierKey> VerifierKey::parse_vkey(std::string_view s) {
  const auto p1 = s.find('+');
  const auto p2 = p1 == std::string_view::npos ? p1 : s.find('+', p1 + 1);
  Bytes b;
  if (p2 == std::string_view::npos || !from_base64(s.substr(p2 + 1), b) || b.empty())
    return make_error(Error::Kind::kInput, "a verifier key must look like name+keyid+base64");
  VerifierKey k;
  k.name = std::string(s.substr(0, p1));
  for (SigType t : {SigType::kEd25519, SigType::kMlDsa44, SigType::kMlDsa65, SigType::kMlDsa87}) {
    Bytes tb = sig_type_bytes(t);
    if (b.size() == tb.size() + pk_size(t) && std::equal(tb.begin(), tb.end(), b.begin())) {
      k.type = t;
      k.public_key.assign(b.begin() + static_cast<std::ptrdiff_t>(tb.size()), b.end());
      char hex[9];
      std::snprintf(hex, sizeof hex, "%08x", k.key_id());
      if (s.substr(p1 + 1, p2 - p1 - 1) != hex) return make_error(Error::Kind::kInput, "the verifier key's key ID does not match its key");
      k.label = k.name + " (" + sig_type_name(t) + ")";
      return k;
    }
  }
  return make_error(Error::Kind::kInput, "unsupported signature type in verifier key");
}

std::string Checkpoint::body() const { return origin + "\n" + std::to_string(size) + "\n" + to_base64(root) + "\n"; }

// c2sp.org/tlog-checkpoint "Note text": origin, decimal size without leading zeroes, base64 root.
// Extension lines are refused: the ML-DSA signature does not cover them (tlog-cosignature).
Result<Checkpoint> Checkpoint::parse_body(std::string_view text) {
  auto bad = [](const std::string& m) { return make_error(Error::Kind::kInput, "checkpoint: " + m); };
  std::vector<std::string_view> lines;
  for (std::size_t i = 0; i < text.size();) {
    const auto nl = text.find('\n', i);
    if (nl == std::string_view::npos) return bad("text must end with a newline");
    lines.push_back(text.substr(i, nl - i));
    i = nl + 1;
  }
  if (lines.size() < 3) return bad("needs origin, size and root hash lines");
  if (lines.size() > 3) return bad("extension lines are not accepted");
  Checkpoint cp;
  cp.origin = std::string(lines[0]);
  if (!valid_key_name(cp.origin)) return bad("bad origin line");
  const auto& sz = lines[1];
  if (sz.empty() || (sz.size() > 1 && sz[0] == '0') ||
      std::from_chars(sz.data(), sz.data() + sz.size(), cp.size).ec != std::errc() ||
      std::to_string(cp.size).size() != sz.size())
    return bad("bad tree size line '" + std::string(sz) + "'");
  Bytes root;
  if (!from_base64(lines[2], root) || root.size() != 32) return bad("bad root hash line");
  std::copy(root.begin(), root.end(), cp.root.begin());
  return cp;
}

std::string Note::serialize() const {
  std::string o = text + "\n";
  for (auto& s : sigs) {
    Bytes b{std::uint8_t(s.key_id >> 24), std::uint8_t(s.key_id >> 16), std::uint8_t(s.key_id >> 8), std::uint8_t(s.key_id)};
    append(b, s.payload);
    o += std::string(kEmDash) + " " + s.name + " " + to_base64(b) + "\n";
  }
  return o;
}

// c2sp.org/signed-note "Format": the text is separated from the signatures by the last blank line.
Result<Note> Note::parse(std::string_view note) {
  auto bad = [](const std::string& m) { return make_error(Error::Kind::kInput, "signed note: " + m); };
  if (!clean_text(note)) return bad("contains control characters");
  if (note.empty() || note.back() != '\n') return bad("must end with a newline");
  const auto split = note.rfind("\n\n");
  if (split == std::string_view::npos) return bad("no blank line before the signatures");
  Note n;
  n.text = std::string(note.substr(0, split + 1));
  std::string_view rest = note.substr(split + 2);
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (line.substr(0, kEmDash.size()) != kEmDash || line.size() < kEmDash.size() + 1 || line[kEmDash.size()] != ' ')
      return bad("malformed signature line");
    line.remove_prefix(kEmDash.size() + 1);
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos) return bad("malformed signature line");
    SignatureLine s;
    s.name = std::string(line.substr(0, sp));
    Bytes b;
    if (!valid_key_name(s.name) || !from_base64(line.substr(sp + 1), b) || b.size() < 5) return bad("malformed signature line");
    s.key_id = (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
    s.payload.assign(b.begin() + 4, b.end());
    n.sigs.push_back(std::move(s));
    if (n.sigs.size() > kMaxSignatures) return bad("too many signatures");
  }
  if (n.sigs.empty()) return bad("no signatures");
  return n;
}

Result<std::string> sign_checkpoint(const Checkpoint& cp, std::string_view name, std::span<NoteSigner* const> signers,
                                    std::uint64_t timestamp) {
  if (!valid_key_name(name) || !valid_key_name(cp.origin))
    return make_error(Error::Kind::kInput, "key name and origin must be non-empty, without spaces or '+'");
  if (timestamp > (std::uint64_t(1) << 63) - 1) return make_error(Error::Kind::kInput, "timestamp out of range");
  Note n;
  n.text = cp.body();
  for (NoteSigner* s : signers) {
    SignatureLine line;
    line.name = std::string(name);
    line.key_id = key_id(name, s->type(), s->public_key());
    if (is_mldsa(s->type())) {
      auto sig = s->sign(subtree_message(name, timestamp, cp));
      if (!sig) return sig.error();
      put_u64(line.payload, timestamp);
      line.payload.insert(line.payload.end(), sig->begin(), sig->end());
    } else {
      auto sig = s->sign(as_bytes(n.text));
      if (!sig) return sig.error();
      line.payload = std::move(sig.value());
    }
    n.sigs.push_back(std::move(line));
  }
  if (n.sigs.empty()) return make_error(Error::Kind::kSigner, "no checkpoint signer configured");
  return n.serialize();
}

Result<VerifiedCheckpoint> verify_checkpoint(std::string_view note, std::span<const VerifierKey> keys) {
  auto n = Note::parse(note);
  if (!n) return n.error();
  auto cp = Checkpoint::parse_body(n->text);
  if (!cp) return cp.error();
  VerifiedCheckpoint v;
  v.cp = std::move(cp.value());
  v.text = std::string(note);
  for (const SignatureLine& s : n->sigs) {
    for (const VerifierKey& k : keys) {
      if (k.name != s.name || k.key_id() != s.key_id) continue;  // unknown keys are ignored
      bool ok = false;
      std::uint64_t ts = 0;
      if (is_mldsa(k.type)) {
        const std::size_t sig_len = crypto::mldsa::sizes(param_set(k.type)).signature;
        if (s.payload.size() == 8 + sig_len) {
          ts = get_u64(s.payload);
          const Bytes msg = subtree_message(s.name, ts, v.cp);
          ok = ts <= (std::uint64_t(1) << 63) - 1 &&
               crypto::mldsa::verify(param_set(k.type), k.public_key, msg, {},
                                     std::span<const std::uint8_t>(s.payload).subspan(8)) == crypto::Status::kOk;
        }
      } else {
        ok = s.payload.size() == 64 &&
             crypto::eddsa::verify(crypto::eddsa::Curve::kEd25519, k.public_key, as_bytes(n->text), s.payload) ==
                 crypto::Status::kOk;
      }
      if (!ok)
        return make_error(Error::Kind::kVerify, "checkpoint at size " + std::to_string(v.cp.size) + ": the " +
                                                    sig_type_name(k.type) + " signature of " + k.label + " does not verify");
      v.signers.push_back(k.label);
      if (is_mldsa(k.type)) {
        v.mldsa = true;
        v.timestamp = std::max(v.timestamp, ts);
      }
    }
  }
  if (v.signers.empty())
    return make_error(Error::Kind::kVerify, "checkpoint at size " + std::to_string(v.cp.size) + " carries no signature by a trusted key");
  return v;
}

}  // namespace pqmcp::audit
