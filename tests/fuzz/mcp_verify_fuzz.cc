// libFuzzer harness over the receive path: strict parse → RFC 8785 canonicalise → verify.
// Properties checked: nothing crashes or throws; canonical output re-parses to the same
// canonical form (idempotence, RFC 8785 §3); the verifier never accepts an unsigned input and
// a signed-then-verified message round-trips.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "mcp/envelope.h"
#include "mcp/verifier.h"

using namespace pqmcp;

namespace {
constexpr std::int64_t kNow = 1'790'000'000'000;

struct Fixture {
  std::unique_ptr<mcp::LocalSigner> signer;
  mcp::StaticKeyResolver keys;
  mcp::VerifierConfig cfg;
  Fixture() {
    std::vector<std::uint8_t> sk(mcp::private_key_size(mcp::Algorithm::kEd25519), 7);
    signer = std::move(mcp::LocalSigner::create(mcp::Algorithm::kEd25519, "k", sk).value());
    keys.add("k", mcp::Algorithm::kEd25519, signer->public_key(), "peer");
    cfg.audiences = {"me"};
    cfg.allowed = {mcp::Algorithm::kEd25519};
    cfg.limits = json::Limits{1 << 16, 32};
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fx;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = json::parse(text, fx.cfg.limits);
  if (!v.ok()) return 0;
  auto c = json::canonicalize(*v);
  if (!c.ok()) abort();  // everything the strict parser accepts must canonicalise
  auto again = json::parse(*c, json::Limits{1 << 20, 64});
  if (!again.ok() || json::canonicalize(*again).value() != *c) abort();

  mcp::Verifier verifier(fx.cfg, fx.keys);
  auto r = verifier.verify(*v, kNow);
  // Random input cannot carry a valid Ed25519 signature by this key.
  if (r.ok()) abort();

  // Sign what is signable and check it verifies and strips back.
  auto info = mcp::classify(*v);
  if (!info.ok() || info->kind != mcp::Kind::kRequest) return 0;
  json::Value m = *v;
  mcp::EnvelopeFields f;
  f.aud = "me";
  f.sid = "s";
  f.iat_ms = kNow;
  if (!mcp::sign_message(m, *fx.signer, f).ok()) return 0;
  auto ok = verifier.verify(m, kNow);
  if (!ok.ok()) abort();
  return 0;
}
