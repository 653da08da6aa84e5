// Identity formats and trust bundles, in process with software keys (no token needed).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>

#include "crypto/composite.h"
#include "crypto/eddsa.h"
#include "crypto/mldsa.h"
#include "identity/signed_doc.h"
#include <nlohmann/json.hpp>
#include <openssl/objects.h>

namespace pqmcp::identity {
namespace {

namespace cs = crypto::composite;

TEST(Encoding, Base64UrlRoundTripsAndRejectsNonCanonical) {
  for (std::size_t n = 0; n < 40; ++n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 37 + n);
    EXPECT_EQ(from_base64url(base64url(b)).value(), b);
    EXPECT_EQ(from_base64(base64(b)).value(), b);
  }
  EXPECT_FALSE(from_base64url("AB"));  // non-zero trailing bits
  EXPECT_FALSE(from_base64url("A+"));
  EXPECT_EQ(parse_rfc3339(rfc3339(1767225600)).value(), 1767225600);
  EXPECT_EQ(parse_duration("7d").value(), 7 * 86400);
  EXPECT_FALSE(parse_duration("7x"));
}

TEST(PublicKey, CompositeOidsMatchTheCryptoCore) {
  // The SPKI OID table must stay in step with composite::info(a).oid.
  for (auto [alg, ca] : {std::pair{Alg::kMlDsa65Ed25519, cs::Algorithm::kMlDsa65Ed25519},
                         std::pair{Alg::kMlDsa44Ed25519, cs::Algorithm::kMlDsa44Ed25519}}) {
    PublicKey pk{alg, Bytes(public_key_size(alg), 1)};
    Bytes der = pk.spki_der();
    ASN1_OBJECT* obj = nullptr;
    const unsigned char* p = der.data() + 4 + 2;  // SEQ hdr (4), SEQ hdr (2) → OID
    ASSERT_NE(d2i_ASN1_OBJECT(&obj, &p, static_cast<long>(der.size() - 6)), nullptr);
    char text[64];
    OBJ_obj2txt(text, sizeof text, obj, 1);
    ASN1_OBJECT_free(obj);
    EXPECT_EQ(std::string(text), std::string(cs::info(ca).oid));
  }
}

TEST(PublicKey, SpkiPemJwkRoundTripAndKid) {
  for (Alg a : {Alg::kMlDsa44, Alg::kMlDsa65, Alg::kMlDsa87, Alg::kMlDsa44Ed25519, Alg::kMlDsa65Ed25519, Alg::kEd25519,
                Alg::kMlKem768}) {
    SCOPED_TRACE(alg_name(a));
    PublicKey pk{a, Bytes(public_key_size(a), 0x5A)};
    auto back = parse_public_key(pk.pem());
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->alg, a);
    EXPECT_EQ(back->raw, pk.raw);
    auto j = parse_public_key(pk.jwk());
    ASSERT_TRUE(j) << j.error().to_string();
    EXPECT_EQ(j->raw, pk.raw);
    // kid = base64url(SHA-256(SPKI DER)[0..16)).
    Bytes der = pk.spki_der();
    unsigned char h[32];
    unsigned n = 0;
    EVP_Digest(der.data(), der.size(), h, &n, EVP_sha256(), nullptr);
    EXPECT_EQ(pk.kid(), base64url(std::span<const std::uint8_t>(h, 16)));
    EXPECT_EQ(pk.kid().size(), 22u);
  }
  EXPECT_FALSE(public_key_from_raw(Alg::kMlDsa65, Bytes(1951)));
  EXPECT_FALSE(parse_public_key("{\"kty\":\"AKP\",\"alg\":\"RSA\",\"pub\":\"AA\"}"));
  EXPECT_FALSE(parse_public_key("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\",\"d\":\"AA\"}"));
}

struct SoftKey {
  Alg alg;
  crypto::SecureBuffer sk;
  PublicKey pk;
};

SoftKey composite_key() {
  Bytes pk;
  crypto::SecureBuffer sk;
  EXPECT_EQ(cs::keygen(cs::Algorithm::kMlDsa65Ed25519, pk, sk), crypto::Status::kOk);
  return {Alg::kMlDsa65Ed25519, std::move(sk), PublicKey{Alg::kMlDsa65Ed25519, pk}};
}

Signer signer_for(const SoftKey& k) {
  return [&k](std::span<const std::uint8_t> m, std::span<const std::uint8_t> c) -> Result<Bytes> {
    Bytes sig;
    if (cs::sign(cs::Algorithm::kMlDsa65Ed25519, k.sk, m, c, sig) != crypto::Status::kOk)
      return p11::make_error(Error::Kind::kInput, "sign", "", "failed");
    return sig;
  };
}

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = composite_key();
    agent_ = composite_key();
    KeyVersion a{admin_.pk.kid(), admin_.pk, 1000, 0, KeyStatus::kActive, 0, {}};
    KeyVersion old{agent_.pk.kid(), agent_.pk, 1000, 5000, KeyStatus::kRetiring, 0, {}};
    reg_.identities().push_back({"admin", "admin", {a}});
    reg_.identities().push_back({"agent", "agent", {old}});
  }
  std::string bundle() {
    auto& admin = reg_.identities()[0];
    auto b = export_bundle(reg_, admin, admin.keys[0], signer_for(admin_), 2000);
    EXPECT_TRUE(b);
    return b ? *b : "";
  }
  SoftKey admin_, agent_;
  Registry reg_;
};

TEST_F(BundleTest, VerifiesAndHonoursNotAfterAndRevocation) {
  auto b = verify_bundle(bundle(), admin_.pk, 3000);
  ASSERT_TRUE(b) << b.error().to_string();
  EXPECT_NE(b->valid_key(agent_.pk.kid(), 4999), nullptr);
  EXPECT_EQ(b->valid_key(agent_.pk.kid(), 5000), nullptr) << "not-after is exclusive";
  EXPECT_EQ(b->valid_key("unknown-kid", 3000), nullptr);
  reg_.identities()[1].keys[0].status = KeyStatus::kRevoked;
  reg_.identities()[1].keys[0].revoked_at = 2500;
  auto r = verify_bundle(bundle(), admin_.pk, 3000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->valid_key(agent_.pk.kid(), 3000), nullptr) << "revocation is immediate";
}

TEST_F(BundleTest, RejectsTamperingOtherKeysAndUnknownAlgorithms) {
  const std::string good = bundle();
  auto j = nlohmann::json::parse(good);
  auto payload = from_base64url(j["payload"].get<std::string>()).value();
  std::string text(payload.begin(), payload.end());
  text.replace(text.find("retiring"), 8, "active  ");
  j["payload"] = base64url(as_bytes(text));
  EXPECT_FALSE(verify_bundle(j.dump(), admin_.pk, 3000)) << "payload changed";
  EXPECT_FALSE(verify_bundle(good, agent_.pk, 3000)) << "not signed by this admin";
  auto k = nlohmann::json::parse(good);
  k["signatures"][0]["alg"] = "HS256";
  EXPECT_FALSE(verify_bundle(k.dump(), admin_.pk, 3000)) << "unknown algorithm";
  EXPECT_FALSE(verify_bundle("{}", admin_.pk, 3000));
  EXPECT_FALSE(verify_bundle(good, admin_.pk, 1000)) << "issued in the future";
}

TEST(DetachedSignature, RoundTripsAndVerifiesInProcess) {
  SoftKey k = composite_key();
  const Bytes msg = {1, 2, 3};
  Bytes sig;
  ASSERT_EQ(cs::sign(cs::Algorithm::kMlDsa65Ed25519, k.sk, msg, as_bytes(kFileContext), sig), crypto::Status::kOk);
  DetachedSignature d{k.pk.alg, k.pk.kid(), sig};
  auto back = DetachedSignature::parse(d.to_json());
  ASSERT_TRUE(back);
  EXPECT_TRUE(verify(k.pk, msg, as_bytes(kFileContext), back->sig).value());
  EXPECT_FALSE(verify(k.pk, Bytes{1, 2, 4}, as_bytes(kFileContext), back->sig).value());
  EXPECT_FALSE(DetachedSignature::parse("{\"type\":\"pqmcp-signature\",\"version\":1,\"alg\":\"RS256\",\"kid\":\"x\",\"sig\":\"AA\"}"));
}

TEST(Registry, SavesAtomicallyAndRefusesCorruptFiles) {
  char tmpl[] = "/tmp/pqmcp-reg-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/identities.json";
  auto r = Registry::load(path);
  ASSERT_TRUE(r);
  SoftKey k = composite_key();
  r->identities().push_back({"a", "agent", {KeyVersion{k.pk.kid(), k.pk, 10, 20, KeyStatus::kRetiring, 0, {{"ML-DSA-65", "/m.so", "t", "00ff"}}}}});
  ASSERT_TRUE(r->save());
  auto again = Registry::load(path);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->identities().size(), 1u);
  EXPECT_EQ(again->identities()[0].keys[0].not_after, 20);
  EXPECT_EQ(again->identities()[0].keys[0].parts[0].id_hex, "00ff");
  ASSERT_TRUE(write_file_atomic(path, "{not json"));
  auto bad = Registry::load(path);
  EXPECT_FALSE(bad);
  EXPECT_EQ(read_file(path).value(), "{not json") << "a corrupt registry is left untouched";
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace pqmcp::identity
