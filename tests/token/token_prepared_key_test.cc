// libpqhsm keeps each signing key prepared (ML-DSA decoded with Â expanded, Ed25519 imported
// into OpenSSL) on its key object (mechanisms/prepared_key.h). These tests check that the
// cache follows the key material: it is not usable after a logout, a destroyed key's handle
// never signs with the old key, and every signature from the cached key verifies.
#include "crypto/eddsa.h"
#include "crypto/mldsa.h"
#include "p11_fixture.h"
#include "support/vectors.h"

namespace pqmcp::token::test {
namespace {

namespace mldsa = crypto::mldsa;
using pqmcp::test::from_hex;
using TokenPrepared = TokenTest;

CK_SIGN_ADDITIONAL_CONTEXT g_det{CKH_DETERMINISTIC_REQUIRED, nullptr, 0};
const CK_MECHANISM kDet{CKM_ML_DSA, &g_det, sizeof g_det};

TEST_F(TokenPrepared, TokenKeySignsManyMessagesAndStopsAtLogout) {
  CK_SESSION_HANDLE s = ready_session();
  CK_OBJECT_HANDLE pub, priv;
  keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65).boolean(CKA_TOKEN, true),
          TemplateBuilder().boolean(CKA_TOKEN, true).boolean(CKA_PRIVATE, true), pub, priv);
  const Bytes pk = attr(s, pub, CKA_VALUE);
  std::vector<Bytes> first;
  for (int i = 0; i < 8; ++i) {
    const Bytes msg = bytes(("message " + std::to_string(i)).c_str());
    const Bytes sig = sign(s, kDet, priv, msg);
    EXPECT_EQ(mldsa::verify(mldsa::ParamSet::kMlDsa65, pk, msg, {}, sig), crypto::Status::kOk);
    EXPECT_RV(CKR_OK, verify(s, {CKM_ML_DSA, nullptr, 0}, pub, msg, sig));
    first.push_back(sig);
  }
  // Logged out, the key material is gone, and so is the prepared key.
  ASSERT_RV(CKR_OK, f_->C_Logout(s));
  CK_MECHANISM m = kDet;
  const Bytes msg = bytes("message 0");
  CK_RV rv = f_->C_SignInit(s, &m, priv);
  if (rv == CKR_OK) {
    CK_ULONG n = 5000;
    Bytes sig(n);
    rv = f_->C_Sign(s, const_cast<CK_BYTE_PTR>(msg.data()), msg.size(), sig.data(), &n);
  }
  EXPECT_NE(rv, static_cast<CK_RV>(CKR_OK));
  // Logged in again: the same key signs the same deterministic signatures.
  ASSERT_RV(CKR_OK, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
  for (int i = 0; i < 8; ++i) {
    const Bytes again = sign(s, kDet, priv, bytes(("message " + std::to_string(i)).c_str()));
    EXPECT_EQ(again, first[static_cast<std::size_t>(i)]);
  }
}

TEST_F(TokenPrepared, DestroyedKeyNeverSignsAgain) {
  CK_SESSION_HANDLE s = ready_session();
  const Bytes msg = bytes("after destroy");
  Bytes old_pk;
  for (int round = 0; round < 3; ++round) {
    CK_OBJECT_HANDLE pub, priv;
    keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_44), TemplateBuilder(),
            pub, priv);
    const Bytes pk = attr(s, pub, CKA_VALUE);
    const Bytes sig = sign(s, kDet, priv, msg);
    // Only the new key's signature: a stale prepared key would still verify under old_pk.
    EXPECT_EQ(mldsa::verify(mldsa::ParamSet::kMlDsa44, pk, msg, {}, sig), crypto::Status::kOk);
    if (!old_pk.empty()) {
      EXPECT_EQ(mldsa::verify(mldsa::ParamSet::kMlDsa44, old_pk, msg, {}, sig), crypto::Status::kVerifyFailed);
    }
    EXPECT_RV(CKR_OK, verify(s, {CKM_ML_DSA, nullptr, 0}, pub, msg, sig));
    ASSERT_RV(CKR_OK, f_->C_DestroyObject(s, priv));
    ASSERT_RV(CKR_OK, f_->C_DestroyObject(s, pub));
    CK_MECHANISM m = kDet;
    EXPECT_RV(CKR_KEY_HANDLE_INVALID, f_->C_SignInit(s, &m, priv));
    old_pk = pk;
  }
}

TEST_F(TokenPrepared, Ed25519KeysArePreparedOnce) {
  CK_SESSION_HANDLE s = ready_session();
  Bytes old_point;
  for (int round = 0; round < 2; ++round) {
    CK_OBJECT_HANDLE pub, priv;
    keypair(s, CKM_EC_EDWARDS_KEY_PAIR_GEN, TemplateBuilder().bytes(CKA_EC_PARAMS, from_hex("06032b6570")),
            TemplateBuilder(), pub, priv);
    const Bytes ep = attr(s, pub, CKA_EC_POINT);
    ASSERT_EQ(ep.size(), 34u);
    const auto point = std::span(ep).subspan(2);
    for (int i = 0; i < 4; ++i) {
      const Bytes msg = bytes(("ed25519 " + std::to_string(i)).c_str());
      Bytes sig = sign(s, {CKM_EDDSA, nullptr, 0}, priv, msg);
      EXPECT_EQ(crypto::eddsa::verify(crypto::eddsa::Curve::kEd25519, point, msg, sig), crypto::Status::kOk);
      if (!old_point.empty()) {
        EXPECT_EQ(crypto::eddsa::verify(crypto::eddsa::Curve::kEd25519, std::span(old_point).subspan(2), msg, sig),
                  crypto::Status::kVerifyFailed);
      }
      EXPECT_RV(CKR_OK, verify(s, {CKM_EDDSA, nullptr, 0}, pub, msg, sig));
      sig[3] ^= 1;
      EXPECT_RV(CKR_SIGNATURE_INVALID, verify(s, {CKM_EDDSA, nullptr, 0}, pub, msg, sig));
    }
    ASSERT_RV(CKR_OK, f_->C_DestroyObject(s, priv));
    ASSERT_RV(CKR_OK, f_->C_DestroyObject(s, pub));
    old_point = ep;
  }
}

}  // namespace
}  // namespace pqmcp::token::test
