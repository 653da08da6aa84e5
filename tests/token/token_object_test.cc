// Objects: templates and their return codes, sensitivity, visibility, search, persistence
// and storage encryption (PKCS#11 3.2 §4, §5.7).
#include <sqlite3.h>

#include "p11_fixture.h"

namespace pqmcp::token::test {
namespace {

using TokenObject = TokenTest;

CK_OBJECT_HANDLE aes_key(CK_FUNCTION_LIST_3_2* f, CK_SESSION_HANDLE s, TemplateBuilder extra) {
  CK_MECHANISM m{CKM_AES_KEY_GEN, nullptr, 0};
  auto t = extra.ulong(CKA_VALUE_LEN, 32).build();
  CK_OBJECT_HANDLE h = 0;
  EXPECT_RV(CKR_OK, f->C_GenerateKey(s, &m, t.data(), t.size(), &h));
  return h;
}

TEST_F(TokenObject, CreateTemplateReturnCodes) {
  CK_SESSION_HANDLE s = ready_session();
  CK_OBJECT_HANDLE h;
  auto create = [&](TemplateBuilder b) {
    auto t = b.build();
    return f_->C_CreateObject(s, t.data(), t.size(), &h);
  };
  EXPECT_RV(CKR_TEMPLATE_INCOMPLETE, create(TemplateBuilder().string(CKA_LABEL, "x")));
  EXPECT_RV(CKR_TEMPLATE_INCOMPLETE, create(TemplateBuilder().ulong(CKA_CLASS, CKO_SECRET_KEY)));
  EXPECT_RV(CKR_ATTRIBUTE_VALUE_INVALID, create(TemplateBuilder().ulong(CKA_CLASS, CKO_CERTIFICATE)));
  EXPECT_RV(CKR_ATTRIBUTE_VALUE_INVALID, create(TemplateBuilder().bytes(CKA_CLASS, Bytes{1, 2})));
  EXPECT_RV(CKR_ATTRIBUTE_TYPE_INVALID, create(TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).boolean(CKA_SIGN, true)));
  EXPECT_RV(CKR_ATTRIBUTE_TYPE_INVALID, create(TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).ulong(0x7fff1234, 1)));
  EXPECT_RV(CKR_ATTRIBUTE_VALUE_INVALID,
            create(TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).bytes(CKA_TOKEN, Bytes{2})));
  EXPECT_RV(CKR_TEMPLATE_INCONSISTENT,
            create(TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).ulong(CKA_CLASS, CKO_SECRET_KEY)));
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, create(TemplateBuilder()
                                                .ulong(CKA_CLASS, CKO_SECRET_KEY)
                                                .ulong(CKA_KEY_TYPE, CKK_AES)
                                                .bytes(CKA_VALUE, Bytes(16, 1))
                                                .boolean(CKA_LOCAL, true)));
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY,
            create(TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).string(CKA_UNIQUE_ID, "forged")));
  EXPECT_RV(CKR_ATTRIBUTE_VALUE_INVALID, create(TemplateBuilder()
                                                    .ulong(CKA_CLASS, CKO_SECRET_KEY)
                                                    .ulong(CKA_KEY_TYPE, CKK_AES)
                                                    .bytes(CKA_VALUE, Bytes(15, 1))));
  EXPECT_RV(CKR_TEMPLATE_INCOMPLETE,
            create(TemplateBuilder().ulong(CKA_CLASS, CKO_PUBLIC_KEY).ulong(CKA_KEY_TYPE, CKK_ML_DSA)));
  EXPECT_RV(CKR_PARAMETER_SET_NOT_SUPPORTED, create(TemplateBuilder()
                                                        .ulong(CKA_CLASS, CKO_PUBLIC_KEY)
                                                        .ulong(CKA_KEY_TYPE, CKK_ML_DSA)
                                                        .ulong(CKA_PARAMETER_SET, 9)
                                                        .bytes(CKA_VALUE, Bytes(1952))));
  EXPECT_RV(CKR_ATTRIBUTE_VALUE_INVALID, create(TemplateBuilder()
                                                    .ulong(CKA_CLASS, CKO_PUBLIC_KEY)
                                                    .ulong(CKA_KEY_TYPE, CKK_ML_DSA)
                                                    .ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65)
                                                    .bytes(CKA_VALUE, Bytes(100))));
  CK_ATTRIBUTE bad{CKA_LABEL, nullptr, 5};
  EXPECT_RV(CKR_TEMPLATE_INCOMPLETE, f_->C_CreateObject(s, &bad, 1, &h));
  EXPECT_RV(CKR_OK, create(TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).string(CKA_LABEL, "ok")));
}

TEST_F(TokenObject, SensitiveAndExtractableEnforced) {
  CK_SESSION_HANDLE s = ready_session();
  CK_OBJECT_HANDLE k = aes_key(f_, s, TemplateBuilder());
  EXPECT_EQ(attr(s, k, CKA_SENSITIVE), Bytes{CK_TRUE});
  EXPECT_EQ(attr(s, k, CKA_ALWAYS_SENSITIVE), Bytes{CK_TRUE});
  EXPECT_EQ(attr(s, k, CKA_NEVER_EXTRACTABLE), Bytes{CK_TRUE});
  EXPECT_EQ(attr(s, k, CKA_LOCAL), Bytes{CK_TRUE});
  EXPECT_EQ(attr_ulong(s, k, CKA_KEY_GEN_MECHANISM), CKM_AES_KEY_GEN);
  Bytes buf(64);
  CK_ATTRIBUTE a[3] = {{CKA_VALUE, buf.data(), buf.size()}, {CKA_LABEL, nullptr, 0}, {0x7fff0000, nullptr, 0}};
  EXPECT_RV(CKR_ATTRIBUTE_SENSITIVE, f_->C_GetAttributeValue(s, k, a, 3));
  EXPECT_EQ(a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  EXPECT_EQ(a[1].ulValueLen, 0u);  // the rest of the template is still processed
  EXPECT_EQ(a[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  // SENSITIVE can only go TRUE, EXTRACTABLE only FALSE.
  auto set = [&](CK_OBJECT_HANDLE o, TemplateBuilder b) {
    auto t = b.build();
    return f_->C_SetAttributeValue(s, o, t.data(), t.size());
  };
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, set(k, TemplateBuilder().boolean(CKA_SENSITIVE, false)));
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, set(k, TemplateBuilder().boolean(CKA_EXTRACTABLE, true)));
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, set(k, TemplateBuilder().bytes(CKA_VALUE, Bytes(32))));
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, set(k, TemplateBuilder().ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET)));
  EXPECT_RV(CKR_ATTRIBUTE_TYPE_INVALID, set(k, TemplateBuilder().ulong(CKA_PARAMETER_SET, 1)));
  EXPECT_RV(CKR_OK, set(k, TemplateBuilder().string(CKA_LABEL, "renamed").bytes(CKA_ID, Bytes{1, 2})));
  EXPECT_EQ(attr(s, k, CKA_LABEL), bytes("renamed"));
  // An extractable, non-sensitive key reveals its value.
  CK_OBJECT_HANDLE open_key =
      aes_key(f_, s, TemplateBuilder().boolean(CKA_SENSITIVE, false).boolean(CKA_EXTRACTABLE, true));
  CK_ATTRIBUTE v{CKA_VALUE, nullptr, 0};
  ASSERT_RV(CKR_OK, f_->C_GetAttributeValue(s, open_key, &v, 1));
  EXPECT_EQ(v.ulValueLen, 32u);
  Bytes small(4);
  v = {CKA_VALUE, small.data(), small.size()};
  EXPECT_RV(CKR_BUFFER_TOO_SMALL, f_->C_GetAttributeValue(s, open_key, &v, 1));
  EXPECT_EQ(v.ulValueLen, CK_UNAVAILABLE_INFORMATION);
  EXPECT_EQ(attr(s, open_key, CKA_ALWAYS_SENSITIVE), Bytes{CK_FALSE});
  EXPECT_RV(CKR_OK, set(open_key, TemplateBuilder().boolean(CKA_SENSITIVE, true)));
  EXPECT_RV(CKR_ATTRIBUTE_SENSITIVE, f_->C_GetAttributeValue(s, open_key, &v, 1));
  // An unmodifiable object refuses every change.
  CK_OBJECT_HANDLE frozen = aes_key(f_, s, TemplateBuilder().boolean(CKA_MODIFIABLE, false));
  EXPECT_RV(CKR_ACTION_PROHIBITED, set(frozen, TemplateBuilder().string(CKA_LABEL, "x")));
}

TEST_F(TokenObject, PrivateObjectsInvisibleBeforeLogin) {
  CK_SESSION_HANDLE s = ready_session();
  auto t = TemplateBuilder()
               .ulong(CKA_CLASS, CKO_DATA)
               .boolean(CKA_TOKEN, true)
               .boolean(CKA_PRIVATE, true)
               .string(CKA_LABEL, "secret-data")
               .string(CKA_VALUE, "hidden")
               .build();
  CK_OBJECT_HANDLE priv;
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s, t.data(), t.size(), &priv));
  auto pt = TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).boolean(CKA_TOKEN, true).string(CKA_LABEL, "pub").build();
  CK_OBJECT_HANDLE pub;
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s, pt.data(), pt.size(), &pub));
  ASSERT_RV(CKR_OK, f_->C_Logout(s));
  CK_ATTRIBUTE a{CKA_LABEL, nullptr, 0};
  EXPECT_RV(CKR_OBJECT_HANDLE_INVALID, f_->C_GetAttributeValue(s, priv, &a, 1));
  EXPECT_RV(CKR_OK, f_->C_GetAttributeValue(s, pub, &a, 1));
  ASSERT_RV(CKR_OK, f_->C_FindObjectsInit(s, nullptr, 0));
  CK_OBJECT_HANDLE found[4];
  CK_ULONG n = 0;
  ASSERT_RV(CKR_OK, f_->C_FindObjects(s, found, 4, &n));
  EXPECT_RV(CKR_OPERATION_ACTIVE, f_->C_FindObjectsInit(s, nullptr, 0));
  ASSERT_RV(CKR_OK, f_->C_FindObjectsFinal(s));
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(found[0], pub);
  // Creating a private object needs the user.
  EXPECT_RV(CKR_USER_NOT_LOGGED_IN, f_->C_CreateObject(s, t.data(), t.size(), &priv));
  // Token objects need a read/write session.
  CK_SESSION_HANDLE ro = open(0, false);
  EXPECT_RV(CKR_SESSION_READ_ONLY, f_->C_CreateObject(ro, pt.data(), pt.size(), &pub));
  EXPECT_RV(CKR_SESSION_READ_ONLY, f_->C_DestroyObject(ro, pub));
  ASSERT_RV(CKR_OK, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
  EXPECT_EQ(attr(s, priv, CKA_VALUE), bytes("hidden"));
}

TEST_F(TokenObject, FindByAttributesAndCopyDestroy) {
  CK_SESSION_HANDLE s = ready_session();
  auto mk = [&](const char* label, Bytes id, bool token) {
    auto t = TemplateBuilder()
                 .ulong(CKA_CLASS, CKO_DATA)
                 .boolean(CKA_TOKEN, token)
                 .string(CKA_LABEL, label)
                 .string(CKA_APPLICATION, "app")
                 .build();
    (void)id;
    CK_OBJECT_HANDLE h;
    EXPECT_RV(CKR_OK, f_->C_CreateObject(s, t.data(), t.size(), &h));
    return h;
  };
  CK_OBJECT_HANDLE a = mk("alpha", {}, true), b = mk("beta", {}, false);
  (void)b;
  auto find = [&](TemplateBuilder tb) {
    auto t = tb.build();
    EXPECT_RV(CKR_OK, f_->C_FindObjectsInit(s, t.data(), t.size()));
    std::vector<CK_OBJECT_HANDLE> out(8);
    CK_ULONG n = 0;
    EXPECT_RV(CKR_OK, f_->C_FindObjects(s, out.data(), out.size(), &n));
    EXPECT_RV(CKR_OK, f_->C_FindObjectsFinal(s));
    out.resize(n);
    return out;
  };
  EXPECT_EQ(find(TemplateBuilder().string(CKA_LABEL, "alpha")), std::vector<CK_OBJECT_HANDLE>{a});
  EXPECT_EQ(find(TemplateBuilder().ulong(CKA_CLASS, CKO_DATA)).size(), 2u);
  EXPECT_EQ(find(TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).boolean(CKA_TOKEN, true)).size(), 1u);
  EXPECT_TRUE(find(TemplateBuilder().string(CKA_LABEL, "gamma")).empty());
  auto ct = TemplateBuilder().string(CKA_LABEL, "alpha-copy").boolean(CKA_TOKEN, false).build();
  CK_OBJECT_HANDLE c;
  ASSERT_RV(CKR_OK, f_->C_CopyObject(s, a, ct.data(), ct.size(), &c));
  EXPECT_EQ(attr(s, c, CKA_LABEL), bytes("alpha-copy"));
  EXPECT_NE(attr(s, c, CKA_UNIQUE_ID), attr(s, a, CKA_UNIQUE_ID));
  auto bad = TemplateBuilder().ulong(CKA_CLASS, CKO_SECRET_KEY).build();
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_CopyObject(s, a, bad.data(), bad.size(), &c));
  ASSERT_RV(CKR_OK, f_->C_DestroyObject(s, a));
  EXPECT_RV(CKR_OBJECT_HANDLE_INVALID, f_->C_DestroyObject(s, a));
  EXPECT_TRUE(find(TemplateBuilder().string(CKA_LABEL, "alpha")).empty());
  auto nd = TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).boolean(CKA_DESTROYABLE, false).build();
  CK_OBJECT_HANDLE keep;
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s, nd.data(), nd.size(), &keep));
  EXPECT_RV(CKR_ACTION_PROHIBITED, f_->C_DestroyObject(s, keep));
  auto nc = TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).boolean(CKA_COPYABLE, false).build();
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s, nc.data(), nc.size(), &keep));
  EXPECT_RV(CKR_ACTION_PROHIBITED, f_->C_CopyObject(s, keep, nullptr, 0, &c));
}

TEST_F(TokenObject, SessionObjectsDieWithTheirSession) {
  CK_SESSION_HANDLE s = ready_session();
  CK_SESSION_HANDLE other = open();
  auto t = TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).string(CKA_LABEL, "temp").build();
  CK_OBJECT_HANDLE h;
  ASSERT_RV(CKR_OK, f_->C_CreateObject(other, t.data(), t.size(), &h));
  EXPECT_EQ(attr(s, h, CKA_LABEL), bytes("temp"));  // visible to the application's sessions
  ASSERT_RV(CKR_OK, f_->C_CloseSession(other));
  CK_ATTRIBUTE a{CKA_LABEL, nullptr, 0};
  EXPECT_RV(CKR_OBJECT_HANDLE_INVALID, f_->C_GetAttributeValue(s, h, &a, 1));
}

TEST_F(TokenObject, PersistsAcrossFinalizeAndEncryptsSecrets) {
  CK_SESSION_HANDLE s = ready_session();
  CK_OBJECT_HANDLE k = aes_key(f_, s,
                               TemplateBuilder()
                                   .boolean(CKA_TOKEN, true)
                                   .boolean(CKA_SENSITIVE, false)
                                   .boolean(CKA_EXTRACTABLE, true)
                                   .string(CKA_LABEL, "persist"));
  Bytes value = attr(s, k, CKA_VALUE);
  Bytes uid = attr(s, k, CKA_UNIQUE_ID);
  ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
  // The raw database never holds the key value in clear.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/tokens/slot-0/token.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT value, sealed FROM attributes WHERE type = 17", -1, &st, nullptr),
            SQLITE_OK);
  int rows = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    ++rows;
    EXPECT_EQ(sqlite3_column_int(st, 1), 1);
    Bytes blob(static_cast<const std::uint8_t*>(sqlite3_column_blob(st, 0)),
               static_cast<const std::uint8_t*>(sqlite3_column_blob(st, 0)) + sqlite3_column_bytes(st, 0));
    EXPECT_EQ(std::search(blob.begin(), blob.end(), value.begin(), value.end()), blob.end());
  }
  sqlite3_finalize(st);
  EXPECT_EQ(rows, 1);
  sqlite3_close(db);
  ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
  s = open();
  ASSERT_RV(CKR_OK, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
  auto t = TemplateBuilder().string(CKA_LABEL, "persist").build();
  ASSERT_RV(CKR_OK, f_->C_FindObjectsInit(s, t.data(), t.size()));
  CK_ULONG n = 0;
  ASSERT_RV(CKR_OK, f_->C_FindObjects(s, &k, 1, &n));
  ASSERT_RV(CKR_OK, f_->C_FindObjectsFinal(s));
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(attr(s, k, CKA_VALUE), value);
  EXPECT_EQ(attr(s, k, CKA_UNIQUE_ID), uid);
}

TEST_F(TokenObject, SealedBlocksCannotBeMovedBetweenObjects) {
  CK_SESSION_HANDLE s = ready_session();
  auto tb = [] {
    return TemplateBuilder().boolean(CKA_TOKEN, true).boolean(CKA_SENSITIVE, false).boolean(CKA_EXTRACTABLE, true);
  };
  CK_OBJECT_HANDLE k1 = aes_key(f_, s, tb().string(CKA_LABEL, "k1"));
  CK_OBJECT_HANDLE k2 = aes_key(f_, s, tb().string(CKA_LABEL, "k2"));
  (void)k2;
  Bytes v1 = attr(s, k1, CKA_VALUE);
  ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/tokens/slot-0/token.sqlite").c_str(), &db), SQLITE_OK);
  // Copy k1's sealed value over k2's.
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE attributes SET value = (SELECT a.value FROM attributes a JOIN attributes l ON "
                         "a.uid = l.uid WHERE a.type = 17 AND l.type = 3 AND l.value = CAST('k1' AS BLOB)) "
                         "WHERE type = 17 AND uid = (SELECT uid FROM attributes WHERE type = 3 AND value = "
                         "CAST('k2' AS BLOB))",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
  s = open();
  ASSERT_RV(CKR_OK, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
  auto t = TemplateBuilder().string(CKA_LABEL, "k2").build();
  ASSERT_RV(CKR_OK, f_->C_FindObjectsInit(s, t.data(), t.size()));
  CK_ULONG n = 0;
  ASSERT_RV(CKR_OK, f_->C_FindObjects(s, &k2, 1, &n));
  ASSERT_RV(CKR_OK, f_->C_FindObjectsFinal(s));
  ASSERT_EQ(n, 1u);
  CK_ATTRIBUTE a{CKA_VALUE, nullptr, 0};
  EXPECT_NE(f_->C_GetAttributeValue(s, k2, &a, 1), CKR_OK);  // the moved block does not open
  CK_MECHANISM m{CKM_SHA256_HMAC, nullptr, 0};
  EXPECT_NE(f_->C_SignInit(s, &m, k2), CKR_OK);
}

}  // namespace
}  // namespace pqmcp::token::test
