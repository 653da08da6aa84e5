// HsmSigner, BundleKeyResolver and signed tool-pin manifests against libpqhsm: keys generated
// on a throwaway token, messages signed through PKCS#11 and verified in process by mcp::Verifier
// with keys from a trust bundle.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mcp/verifier.h"
#include "trust/algorithms.h"
#include "trust/bundle_resolver.h"
#include "trust/hsm_signer.h"
#include "trust/pin_manifest.h"

namespace pqmcp::trust {
namespace {

using identity::Alg;
using identity::KeyStatus;
using identity::KeyVersion;

constexpr std::int64_t kNowS = 1'790'000'000;  // fixed clock (2026-09), seconds
constexpr std::int64_t kNowMs = kNowS * 1000;
const char* kUser = "user-pin-1234";
const char* kSo = "so-pin-5678";

std::span<const std::uint8_t> bytes_of(const char* s) {
  return {reinterpret_cast<const std::uint8_t*>(s), std::strlen(s)};
}

// One token for the whole suite: key generation is the slow part, so every test shares the
// identities made in SetUpTestSuite and only builds registries and bundles of its own.
class TrustTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/pqmcp-trust-XXXXXX";
    root_ = new std::string(mkdtemp(tmpl));
    std::ofstream(*root_ + "/pqhsm.conf") << "token_dir = " << *root_ << "/pqhsm\nslots = 4\n"
                                          << "kdf_iterations = 10\n";
    setenv("PQHSM_CONF", (*root_ + "/pqhsm.conf").c_str(), 1);
    auto m = p11::Module::load(PQHSM_MODULE_PATH);
    ASSERT_TRUE(m) << m.error().to_string();
    ASSERT_TRUE((*m)->init_token("trust", bytes_of(kSo), bytes_of(kUser)));
    auto t = p11::Token::open(*m, "trust", "", 4);
    ASSERT_TRUE(t) << t.error().to_string();
    ASSERT_TRUE((*t)->login(bytes_of(kUser)));
    token_ = new std::shared_ptr<p11::Token>(*t);
    keys_ = new std::map<Alg, KeyVersion>();
    for (Alg a : {Alg::kMlDsa44, Alg::kMlDsa65, Alg::kMlDsa87, Alg::kMlDsa65Ed25519, Alg::kEd25519,
                  Alg::kP256}) {
      auto k = identity::create_key(a, **token_, nullptr, "k", kNowS - 100);
      ASSERT_TRUE(k) << k.error().to_string();
      (*keys_)[a] = *k;
    }
    auto admin = identity::create_key(Alg::kMlDsa65, **token_, nullptr, "admin", kNowS - 100);
    ASSERT_TRUE(admin);
    admin_ = new KeyVersion(*admin);
    auto spare = identity::create_key(Alg::kMlDsa65Ed25519, **token_, nullptr, "spare", kNowS - 100);
    ASSERT_TRUE(spare);
    spare_ = new KeyVersion(*spare);
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete admin_;
    delete spare_;
    delete token_;
    std::filesystem::remove_all(*root_);
    delete root_;
  }

  static identity::TokenResolver resolver() {
    return [](const std::string&, const std::string& label) -> p11::Result<std::shared_ptr<p11::Token>> {
      if (label != "trust") return p11::make_error(p11::Error::Kind::kNotFound, "resolve", label, "no such token");
      return *token_;
    };
  }
  static identity::Signer signer_of(const KeyVersion& k) {
    return [k](std::span<const std::uint8_t> m, std::span<const std::uint8_t> c) {
      return identity::sign(k, resolver(), m, c);
    };
  }
  // A bundle listing the admin and `ids` ({name, keys}), signed by the admin key on the token.
  static std::string bundle(const std::vector<identity::Identity>& ids, std::int64_t issued = kNowS) {
    auto reg = identity::Registry::load(*root_ + "/no-such-registry.json");
    EXPECT_TRUE(reg);
    reg->identities().push_back({"admin", "admin", {*admin_}});
    for (auto& i : ids) reg->identities().push_back(i);
    auto& adm = reg->identities()[0];
    auto b = identity::export_bundle(*reg, adm, adm.keys[0], signer_of(*admin_), issued);
    EXPECT_TRUE(b) << b.error().to_string();
    return b ? *b : "";
  }
  static std::unique_ptr<BundleKeyResolver> resolver_for(const std::string& text) {
    auto r = BundleKeyResolver::load(text, admin_->public_key, kNowS);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? std::move(*r) : nullptr;
  }
  static mcp::VerifierConfig config() {
    mcp::VerifierConfig c;
    c.allowed.assign(std::begin(mcp::kAllAlgorithms), std::end(mcp::kAllAlgorithms));
    c.audiences = {"server:example"};
    return c;
  }
  static mcp::Value tools_call() {
    return json::parse(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}})")
        .value();
  }
  // Signs a fresh tools/call with s at now_ms and verifies it with a fresh verifier.
  static Result<mcp::Verified, mcp::Failure> round_trip(const mcp::Signer& s, const mcp::KeyResolver& keys,
                                                        std::int64_t now_ms = kNowMs) {
    auto session = mcp::SigningSession::create(s, "server:example");
    EXPECT_TRUE(session.ok());
    mcp::Value msg = tools_call();
    auto signed_ok = (*session)->sign(msg, now_ms);
    EXPECT_TRUE(signed_ok.ok()) << (signed_ok.ok() ? "" : signed_ok.error());
    mcp::Verifier v(config(), keys);
    return v.verify(msg, now_ms);
  }

  static std::string* root_;
  static std::shared_ptr<p11::Token>* token_;
  static std::map<Alg, KeyVersion>* keys_;
  static KeyVersion* admin_;
  static KeyVersion* spare_;
};
std::string* TrustTest::root_ = nullptr;
std::shared_ptr<p11::Token>* TrustTest::token_ = nullptr;
std::map<Alg, KeyVersion>* TrustTest::keys_ = nullptr;
KeyVersion* TrustTest::admin_ = nullptr;
KeyVersion* TrustTest::spare_ = nullptr;

TEST_F(TrustTest, HsmSignerSignsEveryEnvelopeAlgorithmAndBundleKeysVerifyIt) {
  std::vector<identity::Identity> ids;
  for (Alg a : {Alg::kMlDsa44, Alg::kMlDsa65, Alg::kMlDsa87, Alg::kMlDsa65Ed25519, Alg::kEd25519})
    ids.push_back({std::string("agent-") + identity::alg_name(a), "agent", {keys_->at(a)}});
  auto keys = resolver_for(bundle(ids));
  ASSERT_TRUE(keys);
  for (const auto& id : ids) {
    SCOPED_TRACE(id.name);
    auto s = HsmSigner::for_identity(id, resolver(), kNowS);
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ((*s)->kid(), id.keys[0].kid);
    EXPECT_EQ((*s)->algorithm(), to_mcp(id.keys[0].public_key.alg).value());
    auto v = round_trip(**s, *keys);
    ASSERT_TRUE(v.ok()) << mcp::reason_name(v.error().reason) << ": " << v.error().detail;
    EXPECT_EQ(v->identity, id.name);
    EXPECT_EQ(v->kid, id.keys[0].kid);
    // The raw signature from the token verifies in process under the envelope algorithm (for
    // the composite: the p11 path builds the same M' as crypto::composite).
    const std::uint8_t msg[] = {'x', 0, 'y'};
    auto sig = (*s)->sign(msg);
    ASSERT_TRUE(sig.ok()) << sig.error().message;
    EXPECT_EQ(sig->size(), mcp::signature_size((*s)->algorithm()));
    EXPECT_EQ(mcp::verify_signature((*s)->algorithm(), (*s)->public_key(), msg, *sig), crypto::Status::kOk);
  }
}

TEST_F(TrustTest, HsmSignerRefusesKeysThatMustNotSign) {
  KeyVersion imported = keys_->at(Alg::kMlDsa65);
  imported.parts.clear();
  EXPECT_FALSE(HsmSigner::create(imported, resolver(), kNowS)) << "public key only";
  KeyVersion revoked = keys_->at(Alg::kMlDsa65);
  revoked.status = KeyStatus::kRevoked;
  EXPECT_FALSE(HsmSigner::create(revoked, resolver(), kNowS));
  KeyVersion expired = keys_->at(Alg::kMlDsa65);
  expired.not_after = kNowS;
  EXPECT_FALSE(HsmSigner::create(expired, resolver(), kNowS)) << "not-after is exclusive";
  auto p256 = HsmSigner::create(keys_->at(Alg::kP256), resolver(), kNowS);
  ASSERT_FALSE(p256) << "no io.pqmcp/sig identifier for P-256";
  EXPECT_NE(p256.error().message.find("protocol.md"), std::string::npos);
  KeyVersion elsewhere = keys_->at(Alg::kEd25519);
  elsewhere.parts[0].token = "other";
  EXPECT_FALSE(HsmSigner::create(elsewhere, resolver(), kNowS)) << "token resolver failure propagates";
  identity::Identity none{"nobody", "agent", {}};
  EXPECT_FALSE(HsmSigner::for_identity(none, resolver(), kNowS));
}

TEST_F(TrustTest, ResolverHonoursRotationOverlapAndNotAfter) {
  KeyVersion old_key = keys_->at(Alg::kMlDsa65Ed25519);
  old_key.status = KeyStatus::kRetiring;
  old_key.not_after = kNowS + 3600;
  const KeyVersion& new_key = *spare_;
  auto keys = resolver_for(bundle({{"agent", "agent", {old_key, new_key}}}));
  ASSERT_TRUE(keys);
  auto old_signer = HsmSigner::create(old_key, resolver(), kNowS);
  auto new_signer = HsmSigner::create(new_key, resolver(), kNowS);
  ASSERT_TRUE(old_signer && new_signer);
  // During the overlap both versions verify and name the same identity.
  auto a = round_trip(**old_signer, *keys), b = round_trip(**new_signer, *keys);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->identity, "agent");
  EXPECT_EQ(b->identity, "agent");
  // At not_after (exclusive) the retiring key is expired; the successor is unaffected.
  const std::int64_t end = (kNowS + 3600) * 1000;
  auto late = round_trip(**old_signer, *keys, end);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().reason, mcp::Reason::kExpired);
  EXPECT_TRUE(round_trip(**new_signer, *keys, end).ok());
  EXPECT_TRUE(round_trip(**old_signer, *keys, end - 1).ok());
  mcp::ResolvedKey rk;
  EXPECT_FALSE(keys->lookup("no-such-kid", kNowMs, rk));
}

TEST_F(TrustTest, RevocationInANewBundleTakesEffectAndRollbackIsRefused) {
  KeyVersion k = keys_->at(Alg::kMlDsa65);
  const std::string first = bundle({{"agent", "agent", {k}}}, kNowS - 60);
  auto keys = resolver_for(first);
  ASSERT_TRUE(keys);
  auto s = HsmSigner::create(k, resolver(), kNowS);
  ASSERT_TRUE(s);
  ASSERT_TRUE(round_trip(**s, *keys).ok());
  k.status = KeyStatus::kRevoked;
  k.revoked_at = kNowS - 1;
  auto st = keys->update(bundle({{"agent", "agent", {k}}}), kNowS);
  ASSERT_TRUE(st) << st.error().to_string();
  EXPECT_EQ(keys->issued_at(), kNowS);
  auto r = round_trip(**s, *keys);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, mcp::Reason::kRevoked);
  // Replaying the older, validly signed bundle must not un-revoke the key.
  auto rollback = keys->update(first, kNowS);
  ASSERT_FALSE(rollback);
  EXPECT_NE(rollback.error().message.find("rollback"), std::string::npos);
  EXPECT_EQ(round_trip(**s, *keys).error().reason, mcp::Reason::kRevoked);
  // Keys the envelope cannot name are unknown, not mismatched.
  auto with_p256 = resolver_for(bundle({{"web", "server", {keys_->at(Alg::kP256)}}}));
  mcp::ResolvedKey rk;
  EXPECT_FALSE(with_p256->lookup(keys_->at(Alg::kP256).kid, kNowMs, rk));
}

TEST_F(TrustTest, ResolverRefusesBundlesTheAdminDidNotSign) {
  const std::string text = bundle({{"agent", "agent", {keys_->at(Alg::kEd25519)}}});
  EXPECT_FALSE(BundleKeyResolver::load(text, keys_->at(Alg::kMlDsa65).public_key, kNowS)) << "other admin";
  auto j = nlohmann::json::parse(text);
  auto payload = identity::from_base64url(j["payload"].get<std::string>()).value();
  std::string body(payload.begin(), payload.end());
  body.replace(body.find("\"agent\""), 7, "\"admin\"");
  j["payload"] = identity::base64url(identity::as_bytes(body));
  auto keys = resolver_for(text);
  ASSERT_TRUE(keys);
  EXPECT_FALSE(keys->update(j.dump(), kNowS)) << "tampered payload";
}

// --- signed tool-pin manifests ---

mcp::Value tools() {
  return json::parse(R"([{"name":"echo","description":"Echoes","inputSchema":{"type":"object"}},
                         {"name":"add","description":"Adds","inputSchema":{"type":"object"}}])")
      .value();
}

PinManifest manifest_for(const mcp::Value& ts, std::int64_t issued = kNowS) {
  PinManifest m;
  m.server = "server:example";
  m.issued_at = issued;
  for (const auto& t : ts) m.tools[t["name"].get<std::string>()] = mcp::tool_digest_string(t);
  return m;
}

TEST_F(TrustTest, ManifestSignedByTheServerPinsItsTools) {
  const KeyVersion& server_key = keys_->at(Alg::kMlDsa65Ed25519);
  auto keys = resolver_for(bundle({{"server:example", "server", {server_key}}, {"other", "server", {*spare_}}}));
  ASSERT_TRUE(keys);
  auto text = sign_pin_manifest(manifest_for(tools()), server_key, signer_of(server_key));
  ASSERT_TRUE(text) << text.error().to_string();

  const std::string path = *root_ + "/pins.json";
  auto store = mcp::PinStore::load(path);
  ASSERT_TRUE(store.ok());
  auto m = apply_pin_manifest(*store, *text, *keys, kNowMs);
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->signer_identity, "server:example");
  EXPECT_EQ(m->tools.size(), 2u);
  // With first use disabled, only the manifest's digests make the tools acceptable.
  auto v = store->check("server:example", tools(), /*trust_on_first_use=*/false);
  ASSERT_TRUE(v.ok());
  for (auto& t : *v) EXPECT_EQ(t.verdict, mcp::PinVerdict::kMatch) << t.tool;
  EXPECT_EQ(store->document()["servers"]["server:example"]["echo"]["source"], "manifest");
  // A changed definition is still a rug pull.
  mcp::Value changed = tools();
  changed[0]["description"] = "Echoes, and mails your files elsewhere";
  auto c = store->check("server:example", changed, false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)[0].verdict, mcp::PinVerdict::kChanged);

  // Another server's key may not vouch for this server's tools, unless trusted to.
  auto foreign = sign_pin_manifest(manifest_for(tools()), *spare_, signer_of(*spare_));
  ASSERT_TRUE(foreign);
  EXPECT_FALSE(verify_pin_manifest(*foreign, *keys, kNowMs));
  EXPECT_TRUE(verify_pin_manifest(*foreign, *keys, kNowMs, {"other"}));
}

TEST_F(TrustTest, ManifestRejectsTamperingRevokedSignersAndBadContent) {
  KeyVersion server_key = keys_->at(Alg::kEd25519);
  auto keys = resolver_for(bundle({{"server:example", "server", {server_key}}}));
  ASSERT_TRUE(keys);
  auto text = sign_pin_manifest(manifest_for(tools()), server_key, signer_of(server_key));
  ASSERT_TRUE(text);
  ASSERT_TRUE(verify_pin_manifest(*text, *keys, kNowMs));

  auto j = nlohmann::json::parse(*text);
  auto payload = identity::from_base64url(j["payload"].get<std::string>()).value();
  std::string body(payload.begin(), payload.end());
  const auto at = body.find("sha3-256:") + 9;
  body[at] = body[at] == '0' ? '1' : '0';
  j["payload"] = identity::base64url(identity::as_bytes(body));
  EXPECT_FALSE(verify_pin_manifest(j.dump(), *keys, kNowMs)) << "digest altered";

  auto no_signer = mcp::StaticKeyResolver();
  auto unknown = verify_pin_manifest(*text, no_signer, kNowMs);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, p11::Error::Kind::kNotFound);

  server_key.status = KeyStatus::kRevoked;
  auto revoked_keys = resolver_for(bundle({{"server:example", "server", {server_key}}}));
  auto revoked = verify_pin_manifest(*text, *revoked_keys, kNowMs);
  ASSERT_FALSE(revoked);
  EXPECT_NE(revoked.error().message.find("revoked"), std::string::npos);

  auto future = sign_pin_manifest(manifest_for(tools(), kNowS + 3600), keys_->at(Alg::kEd25519),
                                  signer_of(keys_->at(Alg::kEd25519)));
  ASSERT_TRUE(future);
  EXPECT_FALSE(verify_pin_manifest(*future, *keys, kNowMs)) << "issued in the future";
  PinManifest bad = manifest_for(tools());
  bad.tools["echo"] = "sha256:00";
  EXPECT_FALSE(sign_pin_manifest(bad, keys_->at(Alg::kEd25519), signer_of(keys_->at(Alg::kEd25519))));
  // A trust bundle is not a manifest: a different context and type.
  EXPECT_FALSE(verify_pin_manifest(bundle({}), *keys, kNowMs));
}

}  // namespace
}  // namespace pqmcp::trust
