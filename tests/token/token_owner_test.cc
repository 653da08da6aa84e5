// CKA_PQMCP_OWNER (docs/token.md "Policy inside the token"): given when a key is made, never
// afterwards. A process with the user PIN must not be able to move an agent's key under another
// agent's policy: not by changing the attribute, not by copying the key with another owner, not
// by unwrapping a wrapped copy with an owner of its choice, and a bound key cannot be made
// extractable in the first place (a wrapped copy could otherwise come back unrestricted).
#include <cstring>
#include <optional>

#include <sqlite3.h>

#include "p11_fixture.h"
#include "pkcs11/pqmcp_vendor.h"

namespace pqmcp::token::test {
namespace {

class TokenOwner : public TokenTest {
 protected:
  void SetUp() override {
    TokenTest::SetUp();
    s_ = ready_session();
  }
  static Bytes mechanisms(std::initializer_list<CK_MECHANISM_TYPE> l) {
    Bytes b(l.size() * sizeof(CK_MECHANISM_TYPE));
    std::memcpy(b.data(), l.begin(), b.size());
    return b;
  }
  // Owned, and restricted to the MCP mechanisms as every bound key must be.
  TemplateBuilder bound(const char* owner) {
    return TemplateBuilder()
        .boolean(CKA_TOKEN, true)
        .bytes(CKA_PQMCP_OWNER, bytes(owner))
        .bytes(CKA_ALLOWED_MECHANISMS, mechanisms({CKM_PQMCP_MCP_SIGN_MLDSA, CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA}));
  }
  TemplateBuilder pub() { return TemplateBuilder().boolean(CKA_TOKEN, true).ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65); }
  CK_SESSION_HANDLE s_ = 0;
};

TEST_F(TokenOwner, GivenAtGenerationReadOnlyAfterwards) {
  CK_OBJECT_HANDLE hpub, hpriv;
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), bound("retail-bot"), hpub, hpriv);
  EXPECT_EQ(attr(s_, hpriv, CKA_PQMCP_OWNER), bytes("retail-bot"));
  auto other = TemplateBuilder().bytes(CKA_PQMCP_OWNER, bytes("health-bot")).build();
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_SetAttributeValue(s_, hpriv, other.data(), other.size()));
  CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_CopyObject(s_, hpriv, other.data(), other.size(), &copy));
  // An unbound key cannot be given an owner later either.
  CK_OBJECT_HANDLE upub, upriv;
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), TemplateBuilder().boolean(CKA_TOKEN, true), upub, upriv);
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_SetAttributeValue(s_, upriv, other.data(), other.size()));
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_CopyObject(s_, upriv, other.data(), other.size(), &copy));
  EXPECT_EQ(attr(s_, hpriv, CKA_PQMCP_OWNER), bytes("retail-bot"));
}

TEST_F(TokenOwner, ABoundKeyIsNeverExtractable) {
  CK_OBJECT_HANDLE hpub, hpriv;
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), bound("retail-bot").boolean(CKA_EXTRACTABLE, true), hpub, hpriv,
          CKR_TEMPLATE_INCONSISTENT);
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), bound("retail-bot"), hpub, hpriv);
  EXPECT_EQ(attr(s_, hpriv, CKA_EXTRACTABLE), Bytes{CK_FALSE});
  auto ext = TemplateBuilder().boolean(CKA_EXTRACTABLE, true).build();
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_SetAttributeValue(s_, hpriv, ext.data(), ext.size()));
}

// A bound key that could sign with any other mechanism would let a process holding the PIN sign
// arbitrary bytes with an agent's key (puppet attack (b)), so the token refuses to make one: no
// CKA_ALLOWED_MECHANISMS (PKCS#11: every mechanism), an empty one, or one naming another mechanism.
TEST_F(TokenOwner, ABoundKeySignsOnlyThroughTheMcpMechanisms) {
  CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
  auto owned = [] { return TemplateBuilder().boolean(CKA_TOKEN, true).bytes(CKA_PQMCP_OWNER, bytes("retail-bot")); };
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), owned(), hpub, hpriv, CKR_TEMPLATE_INCONSISTENT);
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), owned().bytes(CKA_ALLOWED_MECHANISMS, Bytes{}), hpub, hpriv,
          CKR_TEMPLATE_INCONSISTENT);
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(),
          owned().bytes(CKA_ALLOWED_MECHANISMS, mechanisms({CKM_PQMCP_MCP_SIGN_MLDSA, CKM_ML_DSA})), hpub, hpriv,
          CKR_TEMPLATE_INCONSISTENT);
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), owned().bytes(CKA_ALLOWED_MECHANISMS, mechanisms({CKM_PQMCP_COMPOSITE_SIGN})),
          hpub, hpriv, CKR_TEMPLATE_INCONSISTENT);
  // A list whose length is no whole number of entries is malformed to begin with.
  Bytes ragged = mechanisms({CKM_PQMCP_MCP_SIGN_MLDSA});
  ragged.push_back(0);
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), owned().bytes(CKA_ALLOWED_MECHANISMS, ragged), hpub, hpriv,
          CKR_ATTRIBUTE_VALUE_INVALID);
  // Either MCP mechanism alone is fine; so is an unowned key with any list.
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(),
          owned().bytes(CKA_ALLOWED_MECHANISMS, mechanisms({CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA})), hpub, hpriv);
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), owned().bytes(CKA_ALLOWED_MECHANISMS, mechanisms({CKM_PQMCP_MCP_SIGN_MLDSA})),
          hpub, hpriv);
  EXPECT_EQ(attr(s_, hpriv, CKA_ALLOWED_MECHANISMS), mechanisms({CKM_PQMCP_MCP_SIGN_MLDSA}));
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(),
          TemplateBuilder().boolean(CKA_TOKEN, true).bytes(CKA_ALLOWED_MECHANISMS, mechanisms({CKM_ML_DSA})), hpub, hpriv);
  // C_CreateObject (an imported key) is held to the same rule.
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), TemplateBuilder().boolean(CKA_EXTRACTABLE, true).boolean(CKA_SENSITIVE, false),
          hpub, hpriv);
  const Bytes seed = attr(s_, hpriv, CKA_SEED);
  ASSERT_EQ(seed.size(), 32u);
  {
    auto imported = [&](std::optional<Bytes> allowed) {
      auto t = TemplateBuilder()
                   .ulong(CKA_CLASS, CKO_PRIVATE_KEY)
                   .ulong(CKA_KEY_TYPE, CKK_ML_DSA)
                   .ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65)
                   .bytes(CKA_SEED, seed)
                   .boolean(CKA_SIGN, true)
                   .bytes(CKA_PQMCP_OWNER, bytes("retail-bot"));
      if (allowed) t.bytes(CKA_ALLOWED_MECHANISMS, *allowed);
      return t.build();
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    auto none = imported(std::nullopt), raw = imported(mechanisms({CKM_ML_DSA})),
         good = imported(mechanisms({CKM_PQMCP_MCP_SIGN_MLDSA}));
    EXPECT_RV(CKR_TEMPLATE_INCONSISTENT, f_->C_CreateObject(s_, none.data(), none.size(), &h));
    EXPECT_RV(CKR_TEMPLATE_INCONSISTENT, f_->C_CreateObject(s_, raw.data(), raw.size(), &h));
    EXPECT_RV(CKR_OK, f_->C_CreateObject(s_, good.data(), good.size(), &h));
  }
}

// A bound key made before the token required the restriction (here: its CKA_ALLOWED_MECHANISMS
// row removed from the database, as a key made by an older libpqhsm through raw PKCS#11 could be)
// still signs only through the MCP mechanisms: the rule holds at use, not only at creation.
TEST_F(TokenOwner, AnOlderBoundKeyWithoutTheRestrictionStillCannotSignRawBytes) {
  CK_OBJECT_HANDLE hpub, hpriv;
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), bound("retail-bot").string(CKA_LABEL, "older"), hpub, hpriv);
  ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/tokens/slot-0/token.sqlite").c_str(), &db), SQLITE_OK);
  const std::string del = "DELETE FROM attributes WHERE type = " + std::to_string(CKA_ALLOWED_MECHANISMS);
  ASSERT_EQ(sqlite3_exec(db, del.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_GE(sqlite3_changes(db), 1);
  sqlite3_close(db);
  ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
  s_ = open();
  ASSERT_RV(CKR_OK, f_->C_Login(s_, CKU_USER, pin(kUserPin), len(kUserPin)));
  auto find = TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).string(CKA_LABEL, "older").build();
  ASSERT_RV(CKR_OK, f_->C_FindObjectsInit(s_, find.data(), find.size()));
  CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;
  CK_ULONG n = 0;
  ASSERT_RV(CKR_OK, f_->C_FindObjects(s_, &k, 1, &n));
  ASSERT_RV(CKR_OK, f_->C_FindObjectsFinal(s_));
  ASSERT_EQ(n, 1u);
  CK_ATTRIBUTE a{CKA_ALLOWED_MECHANISMS, nullptr, 0};
  const CK_RV rv = f_->C_GetAttributeValue(s_, k, &a, 1);
  ASSERT_TRUE(rv != CKR_OK || a.ulValueLen == 0) << "the restriction is gone: " << pkcs11::rv_name(rv);
  CK_MECHANISM raw{CKM_ML_DSA, nullptr, 0};
  EXPECT_RV(CKR_MECHANISM_INVALID, f_->C_SignInit(s_, &raw, k));
  // Nor can it be copied (the copy would carry the same gap).
  CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
  EXPECT_RV(CKR_TEMPLATE_INCONSISTENT, f_->C_CopyObject(s_, k, nullptr, 0, &copy));
}

TEST_F(TokenOwner, UnwrapRefusesAnOwnerInTheTemplate) {
  // An extractable, unbound ML-DSA key wrapped under an AES key; unwrapping it with an owner
  // would mint a key bound to whichever agent the caller names.
  CK_OBJECT_HANDLE hpub, hpriv;
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, pub(), TemplateBuilder().boolean(CKA_EXTRACTABLE, true), hpub, hpriv);
  Bytes kek(32, 0x42);
  auto kt = TemplateBuilder()
                .ulong(CKA_CLASS, CKO_SECRET_KEY)
                .ulong(CKA_KEY_TYPE, CKK_AES)
                .bytes(CKA_VALUE, kek)
                .boolean(CKA_WRAP, true)
                .boolean(CKA_UNWRAP, true)
                .build();
  CK_OBJECT_HANDLE hkek;
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s_, kt.data(), kt.size(), &hkek));
  CK_MECHANISM kwp{CKM_AES_KEY_WRAP_KWP, nullptr, 0};
  CK_ULONG n = 0;
  ASSERT_RV(CKR_OK, f_->C_WrapKey(s_, &kwp, hkek, hpriv, nullptr, &n));
  Bytes blob(n);
  ASSERT_RV(CKR_OK, f_->C_WrapKey(s_, &kwp, hkek, hpriv, blob.data(), &n));
  blob.resize(n);
  auto tmpl = [&](bool owner) {
    auto t = TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_ML_DSA).boolean(CKA_SIGN, true);
    if (owner) t.bytes(CKA_PQMCP_OWNER, bytes("health-bot"));
    return t.build();
  };
  auto with = tmpl(true), without = tmpl(false);
  CK_OBJECT_HANDLE out = CK_INVALID_HANDLE;
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_UnwrapKey(s_, &kwp, hkek, blob.data(), blob.size(), with.data(), with.size(), &out));
  EXPECT_EQ(out, CK_INVALID_HANDLE);
  EXPECT_RV(CKR_OK, f_->C_UnwrapKey(s_, &kwp, hkek, blob.data(), blob.size(), without.data(), without.size(), &out));
  CK_ATTRIBUTE a{CKA_PQMCP_OWNER, nullptr, 0};
  const CK_RV rv = f_->C_GetAttributeValue(s_, out, &a, 1);
  EXPECT_TRUE(rv != CKR_OK || a.ulValueLen == 0) << "an unwrapped key has no owner: " << pkcs11::rv_name(rv);
}

}  // namespace
}  // namespace pqmcp::token::test
