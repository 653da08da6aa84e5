// mcp-bench: the figures of issue 6, measured in one run.
//   1. Sign and verify ops/s for a typical 1 KB tools/call request and a 64 KB tools/call
//      result, for every envelope algorithm: signing through libpqhsm (HsmSigner, the key stays
//      on a throwaway token) and in process (LocalSigner) side by side; verification always runs
//      in process (docs/architecture.md), parse to verdict.
//   2. Bandwidth: bytes each algorithm's envelope adds to a message, and that as a share of the
//      median message of the recorded session (computed from the file at run time).
// A sign operation is what a sender does per message: envelope, JCS, signing input, signature.
// A verify operation is what a receiver does: strict parse, checks, signature, replay record.
//   mcp-bench [--seconds S] [--iterations N] [--session FILE] [--module PATH]
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "identity/keystore.h"
#include "mcp/verifier.h"
#include "trust/algorithms.h"
#include "trust/hsm_signer.h"

namespace {

using namespace pqmcp;
using Clock = std::chrono::steady_clock;
using mcp::Algorithm;
using mcp::Value;

double g_seconds = 1.0;
long g_iterations = 0;  // > 0: exactly this many operations per figure (smoke tests)
constexpr std::int64_t kNowMs = 1'790'000'000'000;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "mcp-bench: %s\n", what.c_str());
  std::exit(1);
}

// Runs op for g_seconds (or g_iterations times) after one warm-up call; returns ops/s.
template <typename F>
double rate(F&& op) {
  op();
  const auto start = Clock::now();
  long n = 0;
  double el = 0;
  do {
    op();
    ++n;
    el = std::chrono::duration<double>(Clock::now() - start).count();
  } while (g_iterations > 0 ? n < g_iterations : el < g_seconds);
  return n / std::max(el, 1e-9);
}

// A realistic 2025-era tools/call of `bytes` bytes (compact JSON, unsigned): the size is made
// up by the argument text, as an agent passing a document excerpt to a tool would.
Value tools_call(std::size_t bytes) {
  Value m = json::parse(R"({"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"search_docs",
    "arguments":{"query":"","limit":10,"filters":{"lang":"en","after":"2025-01-01"}},
    "_meta":{"progressToken":"p-42"}}})").value();
  const std::size_t base = m.dump().size();
  m["params"]["arguments"]["query"] = std::string(bytes > base ? bytes - base : 0, 'q');
  return m;
}

// A tools/call result of `bytes` bytes: one text content block (a file the tool read).
Value tools_result(std::size_t bytes) {
  Value m = json::parse(R"({"jsonrpc":"2.0","id":42,"result":{"content":[{"type":"text","text":""}],
    "isError":false}})").value();
  const std::size_t base = m.dump().size();
  std::string text;
  static const char kLine[] = "The quick brown fox jumps over the lazy dog, 0123456789.\n";
  while (text.size() + base < bytes) text += kLine;
  text.resize(bytes > base ? bytes - base : 0);
  m["result"]["content"][0]["text"] = text;
  return m;
}

struct Signers {
  Algorithm alg;
  std::unique_ptr<trust::HsmSigner> hsm;
  std::unique_ptr<mcp::LocalSigner> local;
};

// A throwaway libpqhsm token in a temporary directory (low PIN-KDF cost: the benchmark measures
// signing, not login) with one identity key per algorithm. The random PIN lives only in memory.
class Token {
 public:
  explicit Token(const std::string& module) {
    char tmpl[] = "/tmp/mcp-bench-XXXXXX";
    if (!mkdtemp(tmpl)) die("cannot create a temporary directory");
    root_ = tmpl;
    std::ofstream(root_ + "/pqhsm.conf") << "token_dir = " << root_ << "/pqhsm\nslots = 2\nkdf_iterations = 10\n";
    ::setenv("PQHSM_CONF", (root_ + "/pqhsm.conf").c_str(), 1);
    auto m = p11::Module::load(module);
    if (!m) die(m.error().to_string());
    auto so = p11::random_pin(24), user = p11::random_pin(24);
    if (!so || !user) die("cannot generate PINs");
    if (auto ti = (*m)->init_token("mcp-bench", so->span(), user->span()); !ti) die(ti.error().to_string());
    auto t = p11::Token::open(*m, "mcp-bench", "", 2);
    if (!t) die(t.error().to_string());
    if (auto st = (*t)->login(user->span()); !st) die(st.error().to_string());
    token_ = *t;
  }
  ~Token() {
    token_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  identity::TokenResolver resolver() const {
    auto t = token_;
    return [t](const std::string&, const std::string&) -> p11::Result<std::shared_ptr<p11::Token>> { return t; };
  }
  p11::Token& token() { return *token_; }

 private:
  std::string root_;
  std::shared_ptr<p11::Token> token_;
};

Signers make_signers(Token& tok, Algorithm a) {
  Signers s{a, nullptr, nullptr};
  auto k = identity::create_key(trust::to_identity(a), tok.token(), nullptr, "bench", identity::now());
  if (!k) die(k.error().to_string());
  auto h = trust::HsmSigner::create(*k, tok.resolver(), identity::now());
  if (!h) die(h.error().to_string());
  s.hsm = std::move(*h);
  // The same kid length (22 characters) as a real identity, so envelopes are the same size.
  auto l = mcp::LocalSigner::generate(a, "local-" + k->kid.substr(0, 16));
  if (!l.ok()) die(l.error().message);
  s.local = std::move(*l);
  return s;
}

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, v >= 100 ? "%.0f" : "%.1f", v);
  return b;
}

// Columns before `left` are left-aligned (names), the rest right-aligned (figures).
void print_table(const std::string& title, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, std::size_t left = 1) {
  std::vector<std::size_t> w(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
  for (auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
  std::printf("\n%s\n", title.c_str());
  auto line = [&](const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size(); ++i)
      std::printf("%s%*s", i ? "  " : "", i < left ? -static_cast<int>(w[i]) : static_cast<int>(w[i]), r[i].c_str());
    std::printf("\n");
  };
  line(header);
  for (auto& r : rows) line(r);
}

const std::array<std::uint8_t, 32> kAnswers{};  // the request digest a benchmark result carries

// Signs one copy of msg per call with a session of s (seq, nonce and iat as in real traffic).
double sign_rate(const mcp::Signer& s, const Value& msg, bool response) {
  auto session = mcp::SigningSession::create(s, "server:bench");
  if (!session.ok()) die(session.error());
  return rate([&] {
    Value m = msg;
    auto r = response ? (*session)->sign(m, kNowMs, kAnswers) : (*session)->sign(m, kNowMs);
    if (!r.ok()) die("sign: " + r.error());
  });
}

// Verifies pre-signed texts; each one once per verifier (a second time would be a replay), so
// a pool of signed copies is cycled and the verifier renewed with each pass over it.
double verify_rate(const mcp::Signer& s, const mcp::KeyResolver& keys, const Value& msg, bool response) {
  auto session = mcp::SigningSession::create(s, "server:bench");
  if (!session.ok()) die(session.error());
  std::vector<std::string> texts;
  for (int i = 0; i < 32; ++i) {
    Value m = msg;
    auto r = response ? (*session)->sign(m, kNowMs, kAnswers) : (*session)->sign(m, kNowMs);
    if (!r.ok()) die("sign: " + r.error());
    texts.push_back(m.dump());
  }
  mcp::VerifierConfig cfg;
  cfg.allowed.assign(std::begin(mcp::kAllAlgorithms), std::end(mcp::kAllAlgorithms));
  cfg.audiences = {"server:bench"};
  auto v = std::make_unique<mcp::Verifier>(cfg, keys);
  std::size_t i = 0;
  return rate([&] {
    if (i == texts.size()) {
      v = std::make_unique<mcp::Verifier>(cfg, keys);
      i = 0;
    }
    auto r = v->verify_text(texts[i++], kNowMs, response ? std::optional(kAnswers) : std::nullopt);
    if (!r.ok()) die(std::string("verify: ") + mcp::reason_name(r.error().reason) + ": " + r.error().detail);
  });
}

struct Recorded {
  bool c2s;
  Value msg;
  std::size_t size;  // compact JSON bytes, unsigned
};

std::vector<Recorded> load_session(const std::string& path) {
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  std::vector<Recorded> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto v = json::parse(line);
    if (!v.ok() || !v->contains("msg")) die("malformed line in " + path);
    out.push_back({(*v)["dir"] == "c2s", (*v)["msg"], (*v)["msg"].dump().size()});
  }
  if (out.empty()) die(path + " holds no messages");
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Bytes the envelope adds to each message of the session (as it would be signed on the wire:
// responses carry "req"), and the median message size.
void bandwidth(const std::vector<Signers>& all, const std::string& session_path) {
  const auto session = load_session(session_path);
  std::vector<double> sizes;
  for (auto& r : session) sizes.push_back(static_cast<double>(r.size));
  const double med = median(sizes);
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : all) {
    // The local signer's kid and signature have the HSM signer's sizes (same algorithm, 22-char
    // kid), and signing the session in process keeps this table quick.
    auto sess = mcp::SigningSession::create(*s.local, "server:example");
    if (!sess.ok()) die(sess.error());
    std::vector<double> added;
    for (const auto& r : session) {
      Value m = r.msg;
      const auto kind = mcp::classify(m);
      if (!kind.ok()) die("session message: " + kind.error());
      const bool response = kind->kind == mcp::Kind::kResult || kind->kind == mcp::Kind::kError;
      auto d = response ? (*sess)->sign(m, kNowMs, kAnswers) : (*sess)->sign(m, kNowMs);
      if (!d.ok()) die("sign: " + d.error());
      added.push_back(static_cast<double>(m.dump().size() - r.size));
    }
    const double a = median(added);
    rows.push_back({std::string(mcp::algorithm_id(s.alg)), std::to_string(mcp::signature_size(s.alg)),
                    fmt(a), fmt(*std::min_element(added.begin(), added.end())) + "-" +
                                fmt(*std::max_element(added.begin(), added.end())),
                    fmt(100.0 * a / med) + "%"});
  }
  print_table("Bandwidth: bytes added per message (" + std::to_string(session.size()) + " messages of " +
                  std::filesystem::path(session_path).filename().string() + ", median message " + fmt(med) +
                  " B)",
              {"algorithm", "signature B", "added B (median)", "added B (min-max)", "% of median message"}, rows);
}

}  // namespace

int main(int argc, char** argv) {
  std::string module = PQHSM_MODULE_PATH, session = PQMCP_SESSION_FILE;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--seconds") g_seconds = std::atof(next().c_str());
    else if (a == "--iterations") g_iterations = std::atol(next().c_str());
    else if (a == "--session") session = next();
    else if (a == "--module") module = next();
    else die("usage: mcp-bench [--seconds S] [--iterations N] [--session FILE] [--module PATH]");
  }

  Token tok(module);
  std::vector<Signers> all;
  mcp::StaticKeyResolver keys;
  for (Algorithm a : {Algorithm::kMlDsa44, Algorithm::kMlDsa65, Algorithm::kMlDsa87, Algorithm::kMlDsa65Ed25519,
                      Algorithm::kEd25519}) {
    all.push_back(make_signers(tok, a));
    keys.add(all.back().hsm->kid(), a, all.back().hsm->public_key(), "bench-hsm");
    keys.add(all.back().local->kid(), a, all.back().local->public_key(), "bench-local");
  }

  const struct {
    const char* name;
    Value msg;
    bool response;
  } cases[] = {{"1 KB tools/call", tools_call(1024), false}, {"64 KB result", tools_result(64 * 1024), true}};
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : cases) {
    for (const auto& s : all) {
      const double hsm = sign_rate(*s.hsm, c.msg, c.response);
      const double local = sign_rate(*s.local, c.msg, c.response);
      const double ver = verify_rate(*s.hsm, keys, c.msg, c.response);
      rows.push_back({c.name, std::string(mcp::algorithm_id(s.alg)), fmt(hsm), fmt(local),
                      fmt(100.0 * hsm / local) + "%", fmt(ver)});
    }
  }
  print_table("Sign + verify ops/s (HSM = HsmSigner via libpqhsm; local = in-process LocalSigner; verify in process)",
              {"message", "algorithm", "sign HSM/s", "sign local/s", "HSM/local", "verify/s"}, rows, 2);
  bandwidth(all, session);
  return 0;
}
