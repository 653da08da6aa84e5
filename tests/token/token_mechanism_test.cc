// Every mechanism of libpqhsm, end to end through the function list; post-quantum results are
// checked against the crypto core directly (a signature made in the token verifies with the
// raw library; encapsulation in the library agrees with decapsulation in the token).
#include <openssl/evp.h>

#include <thread>

#include "crypto/eddsa.h"
#include "crypto/mldsa.h"
#include "crypto/mlkem.h"
#include "p11_fixture.h"
#include "support/vectors.h"

namespace pqmcp::token::test {
namespace {

namespace mldsa = crypto::mldsa;
namespace mlkem = crypto::mlkem;
using pqmcp::test::from_hex;

using TokenMech = TokenTest;

struct MlDsaCase {
  CK_ULONG ckp;
  mldsa::ParamSet p;
};
const MlDsaCase kMlDsa[] = {{CKP_ML_DSA_44, mldsa::ParamSet::kMlDsa44},
                            {CKP_ML_DSA_65, mldsa::ParamSet::kMlDsa65},
                            {CKP_ML_DSA_87, mldsa::ParamSet::kMlDsa87}};

TEST_F(TokenMech, MlDsaSignInTokenVerifyWithLibrary) {
  CK_SESSION_HANDLE s = ready_session();
  for (const auto& c : kMlDsa) {
    CK_OBJECT_HANDLE pub, priv;
    keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, c.ckp), TemplateBuilder(), pub, priv);
    Bytes pk = attr(s, pub, CKA_VALUE);
    ASSERT_EQ(pk.size(), mldsa::sizes(c.p).public_key);
    EXPECT_EQ(attr_ulong(s, priv, CKA_PARAMETER_SET), c.ckp);
    EXPECT_EQ(attr_ulong(s, priv, CKA_KEY_TYPE), CKK_ML_DSA);
    CK_ATTRIBUTE seed{CKA_SEED, nullptr, 0};
    EXPECT_RV(CKR_ATTRIBUTE_SENSITIVE, f_->C_GetAttributeValue(s, priv, &seed, 1));
    Bytes msg = bytes("message signed inside the token");
    Bytes sig = sign(s, {CKM_ML_DSA, nullptr, 0}, priv, msg);
    ASSERT_EQ(sig.size(), mldsa::sizes(c.p).signature);
    EXPECT_EQ(mldsa::verify(c.p, pk, msg, {}, sig), crypto::Status::kOk);
    EXPECT_RV(CKR_OK, verify(s, {CKM_ML_DSA, nullptr, 0}, pub, msg, sig));
    sig[10] ^= 1;
    EXPECT_RV(CKR_SIGNATURE_INVALID, verify(s, {CKM_ML_DSA, nullptr, 0}, pub, msg, sig));
  }
}

TEST_F(TokenMech, MlDsaContextHedgingAndMultipart) {
  CK_SESSION_HANDLE s = ready_session();
  CK_OBJECT_HANDLE pub, priv;
  keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65),
          TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65), pub, priv);
  Bytes pk = attr(s, pub, CKA_VALUE);
  Bytes msg = bytes("context-bound message"), ctx = bytes("pqmcp/test");
  CK_SIGN_ADDITIONAL_CONTEXT det{CKH_DETERMINISTIC_REQUIRED, ctx.data(), ctx.size()};
  CK_MECHANISM m{CKM_ML_DSA, &det, sizeof det};
  Bytes a = sign(s, m, priv, msg), b = sign(s, m, priv, msg);
  EXPECT_EQ(a, b);  // deterministic variant
  EXPECT_EQ(mldsa::verify(mldsa::ParamSet::kMlDsa65, pk, msg, ctx, a), crypto::Status::kOk);
  EXPECT_EQ(mldsa::verify(mldsa::ParamSet::kMlDsa65, pk, msg, {}, a), crypto::Status::kVerifyFailed);
  CK_SIGN_ADDITIONAL_CONTEXT hedged{CKH_HEDGE_REQUIRED, ctx.data(), ctx.size()};
  CK_MECHANISM mh{CKM_ML_DSA, &hedged, sizeof hedged};
  Bytes h1 = sign(s, mh, priv, msg), h2 = sign(s, mh, priv, msg);
  EXPECT_NE(h1, h2);
  EXPECT_RV(CKR_OK, verify(s, mh, pub, msg, h1));
  // Multi-part signing gives the same deterministic signature as single-part.
  ASSERT_RV(CKR_OK, f_->C_SignInit(s, &m, priv));
  ASSERT_RV(CKR_OK, f_->C_SignUpdate(s, msg.data(), 7));
  ASSERT_RV(CKR_OK, f_->C_SignUpdate(s, msg.data() + 7, msg.size() - 7));
  CK_ULONG n = 10;
  Bytes out(a.size());
  EXPECT_RV(CKR_BUFFER_TOO_SMALL, f_->C_SignFinal(s, out.data(), &n));
  EXPECT_EQ(n, a.size());
  ASSERT_RV(CKR_OK, f_->C_SignFinal(s, out.data(), &n));
  EXPECT_EQ(out, a);
  ASSERT_RV(CKR_OK, f_->C_VerifyInit(s, &m, pub));
  ASSERT_RV(CKR_OK, f_->C_VerifyUpdate(s, msg.data(), 3));
  ASSERT_RV(CKR_OK, f_->C_VerifyUpdate(s, msg.data() + 3, msg.size() - 3));
  EXPECT_RV(CKR_OK, f_->C_VerifyFinal(s, a.data(), a.size()));
  // 3.2 C_VerifySignature: signature first.
  ASSERT_RV(CKR_OK, f_->C_VerifySignatureInit(s, &m, pub, a.data(), a.size()));
  EXPECT_RV(CKR_OK, f_->C_VerifySignature(s, msg.data(), msg.size()));
  // Bad parameters.
  Bytes long_ctx(256, 1);
  CK_SIGN_ADDITIONAL_CONTEXT too_long{CKH_HEDGE_PREFERRED, long_ctx.data(), long_ctx.size()};
  CK_MECHANISM bad{CKM_ML_DSA, &too_long, sizeof too_long};
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, f_->C_SignInit(s, &bad, priv));
  CK_SIGN_ADDITIONAL_CONTEXT bad_hedge{7, nullptr, 0};
  bad = {CKM_ML_DSA, &bad_hedge, sizeof bad_hedge};
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, f_->C_SignInit(s, &bad, priv));
  bad = {CKM_ML_DSA, &bad_hedge, 3};
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, f_->C_SignInit(s, &bad, priv));
  CK_MECHANISM plain{CKM_ML_DSA, nullptr, 0};
  ASSERT_RV(CKR_OK, f_->C_SignInit(s, &plain, priv));
  EXPECT_RV(CKR_OPERATION_ACTIVE, f_->C_SignInit(s, &plain, priv));
  // A length query keeps the operation; a too-small buffer too.
  n = 0;
  EXPECT_RV(CKR_OK, f_->C_Sign(s, msg.data(), msg.size(), nullptr, &n));
  EXPECT_RV(CKR_OK, f_->C_Sign(s, msg.data(), msg.size(), out.data(), &n));
  EXPECT_RV(CKR_OPERATION_NOT_INITIALIZED, f_->C_Sign(s, msg.data(), msg.size(), out.data(), &n));
  // Public keys cannot sign; the wrong key type is refused.
  EXPECT_RV(CKR_KEY_FUNCTION_NOT_PERMITTED, f_->C_SignInit(s, &plain, pub));
}

TEST_F(TokenMech, HashMlDsa) {
  CK_SESSION_HANDLE s = ready_session();
  CK_OBJECT_HANDLE pub, priv;
  keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_44), TemplateBuilder(),
          pub, priv);
  Bytes pk = attr(s, pub, CKA_VALUE);
  Bytes msg = bytes("pre-hashed message"), ctx = bytes("ctx");
  CK_SIGN_ADDITIONAL_CONTEXT sc{CKH_HEDGE_PREFERRED, ctx.data(), ctx.size()};
  Bytes s256 = sign(s, {CKM_HASH_ML_DSA_SHA256, &sc, sizeof sc}, priv, msg);
  EXPECT_EQ(mldsa::verify_prehash(mldsa::ParamSet::kMlDsa44, pk, msg, ctx, mldsa::PreHash::kSha256, s256),
            crypto::Status::kOk);
  Bytes s512 = sign(s, {CKM_HASH_ML_DSA_SHA512, nullptr, 0}, priv, msg);
  EXPECT_EQ(mldsa::verify_prehash(mldsa::ParamSet::kMlDsa44, pk, msg, {}, mldsa::PreHash::kSha512, s512),
            crypto::Status::kOk);
  EXPECT_RV(CKR_OK, verify(s, {CKM_HASH_ML_DSA_SHA512, nullptr, 0}, pub, msg, s512));
  // CKM_HASH_ML_DSA: the caller hashes; the parameter names the hash.
  Bytes digest(32);
  unsigned dn = 0;
  EVP_Digest(msg.data(), msg.size(), digest.data(), &dn, EVP_sha256(), nullptr);
  CK_HASH_SIGN_ADDITIONAL_CONTEXT hc{CKH_HEDGE_PREFERRED, ctx.data(), ctx.size(), CKM_SHA256};
  Bytes sh = sign(s, {CKM_HASH_ML_DSA, &hc, sizeof hc}, priv, digest);
  EXPECT_EQ(mldsa::verify_prehash(mldsa::ParamSet::kMlDsa44, pk, msg, ctx, mldsa::PreHash::kSha256, sh),
            crypto::Status::kOk);
  CK_MECHANISM no_param{CKM_HASH_ML_DSA, nullptr, 0};
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, f_->C_SignInit(s, &no_param, priv));
  CK_MECHANISM hm{CKM_HASH_ML_DSA, &hc, sizeof hc};
  ASSERT_RV(CKR_OK, f_->C_SignInit(s, &hm, priv));
  CK_ULONG n = 5000;
  Bytes out(n);
  EXPECT_RV(CKR_DATA_LEN_RANGE, f_->C_Sign(s, msg.data(), msg.size(), out.data(), &n));  // not a digest
}

TEST_F(TokenMech, MlDsaImportSeedAndValue) {
  CK_SESSION_HANDLE s = ready_session();
  std::vector<std::uint8_t> pk;
  crypto::SecureBuffer sk;
  mldsa::Seed seed;
  ASSERT_EQ(mldsa::keygen(mldsa::ParamSet::kMlDsa65, pk, sk, &seed), crypto::Status::kOk);
  auto base = [] {
    return TemplateBuilder()
        .ulong(CKA_CLASS, CKO_PRIVATE_KEY)
        .ulong(CKA_KEY_TYPE, CKK_ML_DSA)
        .ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65);
  };
  CK_OBJECT_HANDLE h;
  auto t1 = base().bytes(CKA_SEED, seed.span()).build();
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s, t1.data(), t1.size(), &h));
  Bytes msg = bytes("imported");
  Bytes sig = sign(s, {CKM_ML_DSA, nullptr, 0}, h, msg);
  EXPECT_EQ(mldsa::verify(mldsa::ParamSet::kMlDsa65, pk, msg, {}, sig), crypto::Status::kOk);
  EXPECT_EQ(attr(s, h, CKA_ALWAYS_SENSITIVE), Bytes{CK_FALSE});  // it was outside the token
  auto t2 = base().bytes(CKA_SEED, seed.span()).bytes(CKA_VALUE, sk.span()).build();
  EXPECT_RV(CKR_OK, f_->C_CreateObject(s, t2.data(), t2.size(), &h));
  Bytes other(sk.span().begin(), sk.span().end());
  other[200] ^= 1;
  auto t3 = base().bytes(CKA_SEED, seed.span()).bytes(CKA_VALUE, other).build();
  EXPECT_RV(CKR_TEMPLATE_INCONSISTENT, f_->C_CreateObject(s, t3.data(), t3.size(), &h));
  auto t4 = base().bytes(CKA_VALUE, sk.span()).build();
  EXPECT_RV(CKR_OK, f_->C_CreateObject(s, t4.data(), t4.size(), &h));
  auto t5 = base().bytes(CKA_SEED, Bytes(31)).build();
  EXPECT_RV(CKR_ATTRIBUTE_VALUE_INVALID, f_->C_CreateObject(s, t5.data(), t5.size(), &h));
  auto t6 = base().build();
  EXPECT_RV(CKR_TEMPLATE_INCOMPLETE, f_->C_CreateObject(s, t6.data(), t6.size(), &h));
  // Key generation refuses key material and bad parameter sets.
  CK_OBJECT_HANDLE a, b;
  keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, 7), TemplateBuilder(), a, b,
          CKR_PARAMETER_SET_NOT_SUPPORTED);
  keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder(), TemplateBuilder(), a, b, CKR_TEMPLATE_INCOMPLETE);
  keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, 1),
          TemplateBuilder().bytes(CKA_SEED, seed.span()), a, b, CKR_TEMPLATE_INCONSISTENT);
  keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, 1).ulong(CKA_KEY_TYPE, CKK_EC),
          TemplateBuilder(), a, b, CKR_TEMPLATE_INCONSISTENT);
}

TEST_F(TokenMech, MlKemEncapsulateDecapsulateAgree) {
  CK_SESSION_HANDLE s = ready_session();
  CK_OBJECT_HANDLE pub, priv;
  keypair(s, CKM_ML_KEM_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_KEM_768), TemplateBuilder(),
          pub, priv);
  EXPECT_EQ(attr(s, pub, CKA_ENCAPSULATE), Bytes{CK_TRUE});
  EXPECT_EQ(attr(s, priv, CKA_DECAPSULATE), Bytes{CK_TRUE});
  Bytes ek = attr(s, pub, CKA_VALUE);
  ASSERT_EQ(ek.size(), 1184u);
  auto secret_tmpl = TemplateBuilder()
                         .ulong(CKA_CLASS, CKO_SECRET_KEY)
                         .ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
                         .boolean(CKA_SENSITIVE, false)
                         .build();
  CK_MECHANISM m{CKM_ML_KEM, nullptr, 0};
  CK_ULONG ctlen = 0;
  CK_OBJECT_HANDLE k1 = 0, k2 = 0;
  ASSERT_RV(CKR_OK, f_->C_EncapsulateKey(s, &m, pub, secret_tmpl.data(), secret_tmpl.size(), nullptr, &ctlen, &k1));
  EXPECT_EQ(ctlen, 1088u);
  EXPECT_EQ(k1, 0u);  // a length query makes no key
  Bytes ct(ctlen);
  CK_ULONG small = 10;
  EXPECT_RV(CKR_BUFFER_TOO_SMALL,
            f_->C_EncapsulateKey(s, &m, pub, secret_tmpl.data(), secret_tmpl.size(), ct.data(), &small, &k1));
  EXPECT_EQ(small, 1088u);
  ASSERT_RV(CKR_OK, f_->C_EncapsulateKey(s, &m, pub, secret_tmpl.data(), secret_tmpl.size(), ct.data(), &ctlen, &k1));
  ASSERT_RV(CKR_OK, f_->C_DecapsulateKey(s, &m, priv, secret_tmpl.data(), secret_tmpl.size(), ct.data(), ct.size(), &k2));
  Bytes v1 = attr(s, k1, CKA_VALUE), v2 = attr(s, k2, CKA_VALUE);
  EXPECT_EQ(v1.size(), 32u);
  EXPECT_EQ(v1, v2);
  EXPECT_EQ(attr(s, k1, CKA_EXTRACTABLE), Bytes{CK_TRUE});
  EXPECT_EQ(attr(s, k1, CKA_NEVER_EXTRACTABLE), Bytes{CK_FALSE});
  EXPECT_RV(CKR_ENCRYPTED_DATA_LEN_RANGE,
            f_->C_DecapsulateKey(s, &m, priv, secret_tmpl.data(), secret_tmpl.size(), ct.data(), 100, &k2));
  EXPECT_RV(CKR_KEY_FUNCTION_NOT_PERMITTED,
            f_->C_EncapsulateKey(s, &m, priv, secret_tmpl.data(), secret_tmpl.size(), ct.data(), &ctlen, &k1));
  CK_MECHANISM withp{CKM_ML_KEM, ct.data(), 4};
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID,
            f_->C_EncapsulateKey(s, &withp, pub, secret_tmpl.data(), secret_tmpl.size(), ct.data(), &ctlen, &k1));
  // Library encapsulation against the token's ek agrees with the token's decapsulation, into AES.
  std::vector<std::uint8_t> ct2;
  mlkem::SharedSecret ss;
  ASSERT_EQ(mlkem::encaps(mlkem::ParamSet::kMlKem768, ek, ct2, ss), crypto::Status::kOk);
  auto aes_tmpl = TemplateBuilder()
                      .ulong(CKA_CLASS, CKO_SECRET_KEY)
                      .ulong(CKA_KEY_TYPE, CKK_AES)
                      .boolean(CKA_SENSITIVE, false)
                      .boolean(CKA_ENCRYPT, true)
                      .build();
  CK_OBJECT_HANDLE k3;
  ASSERT_RV(CKR_OK, f_->C_DecapsulateKey(s, &m, priv, aes_tmpl.data(), aes_tmpl.size(), ct2.data(), ct2.size(), &k3));
  EXPECT_EQ(attr(s, k3, CKA_VALUE), Bytes(ss.span().begin(), ss.span().end()));
  EXPECT_EQ(attr_ulong(s, k3, CKA_VALUE_LEN), 32u);
}

TEST_F(TokenMech, MlKemImport) {
  CK_SESSION_HANDLE s = ready_session();
  std::vector<std::uint8_t> ek;
  crypto::SecureBuffer dk;
  mlkem::Seed seed;
  ASSERT_EQ(mlkem::keygen(mlkem::ParamSet::kMlKem512, ek, dk, &seed), crypto::Status::kOk);
  auto base = [] {
    return TemplateBuilder()
        .ulong(CKA_CLASS, CKO_PRIVATE_KEY)
        .ulong(CKA_KEY_TYPE, CKK_ML_KEM)
        .ulong(CKA_PARAMETER_SET, CKP_ML_KEM_512);
  };
  CK_OBJECT_HANDLE priv;
  auto t = base().bytes(CKA_SEED, seed.span()).bytes(CKA_VALUE, dk.span()).build();
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s, t.data(), t.size(), &priv));
  Bytes bad_seed(seed.span().begin(), seed.span().end());
  bad_seed[0] ^= 1;
  auto t2 = base().bytes(CKA_SEED, bad_seed).bytes(CKA_VALUE, dk.span()).build();
  CK_OBJECT_HANDLE h;
  EXPECT_RV(CKR_TEMPLATE_INCONSISTENT, f_->C_CreateObject(s, t2.data(), t2.size(), &h));
  auto pt = TemplateBuilder()
                .ulong(CKA_CLASS, CKO_PUBLIC_KEY)
                .ulong(CKA_KEY_TYPE, CKK_ML_KEM)
                .ulong(CKA_PARAMETER_SET, CKP_ML_KEM_512)
                .bytes(CKA_VALUE, ek)
                .build();
  CK_OBJECT_HANDLE pub;
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s, pt.data(), pt.size(), &pub));
  auto st = TemplateBuilder()
                .ulong(CKA_CLASS, CKO_SECRET_KEY)
                .ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
                .boolean(CKA_SENSITIVE, false)
                .build();
  CK_MECHANISM m{CKM_ML_KEM, nullptr, 0};
  Bytes ct(768);
  CK_ULONG n = ct.size();
  CK_OBJECT_HANDLE k1, k2;
  ASSERT_RV(CKR_OK, f_->C_EncapsulateKey(s, &m, pub, st.data(), st.size(), ct.data(), &n, &k1));
  mlkem::SharedSecret ss;
  ASSERT_EQ(mlkem::decaps(mlkem::ParamSet::kMlKem512, dk.span(), ct, ss), crypto::Status::kOk);
  EXPECT_EQ(attr(s, k1, CKA_VALUE), Bytes(ss.span().begin(), ss.span().end()));
  ASSERT_RV(CKR_OK, f_->C_DecapsulateKey(s, &m, priv, st.data(), st.size(), ct.data(), n, &k2));
  EXPECT_EQ(attr(s, k2, CKA_VALUE), attr(s, k1, CKA_VALUE));
}

TEST_F(TokenMech, EcdsaP256AndEd25519) {
  CK_SESSION_HANDLE s = ready_session();
  const Bytes p256 = from_hex("06082a8648ce3d030107");
  CK_OBJECT_HANDLE pub, priv;
  keypair(s, CKM_EC_KEY_PAIR_GEN, TemplateBuilder().bytes(CKA_EC_PARAMS, p256), TemplateBuilder(), pub, priv);
  Bytes point = attr(s, pub, CKA_EC_POINT);
  ASSERT_EQ(point.size(), 67u);
  EXPECT_EQ(point[0], 0x04);
  EXPECT_EQ(point[2], 0x04);
  Bytes msg = bytes("ecdsa message");
  Bytes sig = sign(s, {CKM_ECDSA_SHA256, nullptr, 0}, priv, msg);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_RV(CKR_OK, verify(s, {CKM_ECDSA_SHA256, nullptr, 0}, pub, msg, sig));
  Bytes digest(32);
  unsigned dn = 0;
  EVP_Digest(msg.data(), msg.size(), digest.data(), &dn, EVP_sha256(), nullptr);
  EXPECT_RV(CKR_OK, verify(s, {CKM_ECDSA, nullptr, 0}, pub, digest, sig));  // raw ECDSA over the hash
  sig[5] ^= 1;
  EXPECT_RV(CKR_SIGNATURE_INVALID, verify(s, {CKM_ECDSA_SHA256, nullptr, 0}, pub, msg, sig));
  keypair(s, CKM_EC_KEY_PAIR_GEN, TemplateBuilder().bytes(CKA_EC_PARAMS, from_hex("06052b81040022")),
          TemplateBuilder(), pub, priv, CKR_CURVE_NOT_SUPPORTED);
  CK_OBJECT_HANDLE epub, epriv;
  keypair(s, CKM_EC_EDWARDS_KEY_PAIR_GEN, TemplateBuilder().bytes(CKA_EC_PARAMS, from_hex("06032b6570")),
          TemplateBuilder(), epub, epriv);
  Bytes ep = attr(s, epub, CKA_EC_POINT);
  ASSERT_EQ(ep.size(), 34u);
  Bytes esig = sign(s, {CKM_EDDSA, nullptr, 0}, epriv, msg);
  EXPECT_EQ(crypto::eddsa::verify(crypto::eddsa::Curve::kEd25519, std::span(ep).subspan(2), msg, esig),
            crypto::Status::kOk);
  EXPECT_RV(CKR_OK, verify(s, {CKM_EDDSA, nullptr, 0}, epub, msg, esig));
  CK_EDDSA_PARAMS ph{CK_TRUE, 0, nullptr};
  CK_MECHANISM phm{CKM_EDDSA, &ph, sizeof ph};
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, f_->C_SignInit(s, &phm, epriv));
  CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
  EXPECT_RV(CKR_KEY_TYPE_INCONSISTENT, f_->C_SignInit(s, &ecdsa, epriv));
}

TEST_F(TokenMech, AesGcmKwpDigestHmacRandom) {
  CK_SESSION_HANDLE s = ready_session();
  CK_MECHANISM gen{CKM_AES_KEY_GEN, nullptr, 0};
  auto kt = TemplateBuilder().ulong(CKA_VALUE_LEN, 32).build();
  CK_OBJECT_HANDLE key;
  ASSERT_RV(CKR_OK, f_->C_GenerateKey(s, &gen, kt.data(), kt.size(), &key));
  Bytes iv(12, 7), aad = bytes("header"), pt = bytes("plaintext for gcm");
  CK_GCM_PARAMS gp{iv.data(), iv.size(), 96, aad.data(), aad.size(), 128};
  CK_MECHANISM gcm{CKM_AES_GCM, &gp, sizeof gp};
  ASSERT_RV(CKR_OK, f_->C_EncryptInit(s, &gcm, key));
  CK_ULONG n = 0;
  ASSERT_RV(CKR_OK, f_->C_Encrypt(s, pt.data(), pt.size(), nullptr, &n));
  EXPECT_EQ(n, pt.size() + 16);
  Bytes ct(n);
  ASSERT_RV(CKR_OK, f_->C_Encrypt(s, pt.data(), pt.size(), ct.data(), &n));
  ASSERT_RV(CKR_OK, f_->C_DecryptInit(s, &gcm, key));
  Bytes back(ct.size());
  n = back.size();
  ASSERT_RV(CKR_OK, f_->C_Decrypt(s, ct.data(), ct.size(), back.data(), &n));
  back.resize(n);
  EXPECT_EQ(back, pt);
  ct.back() ^= 1;
  ASSERT_RV(CKR_OK, f_->C_DecryptInit(s, &gcm, key));
  n = back.size() + 16;
  Bytes out(n);
  EXPECT_RV(CKR_ENCRYPTED_DATA_INVALID, f_->C_Decrypt(s, ct.data(), ct.size(), out.data(), &n));
  gp.ulTagBits = 40;
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, f_->C_EncryptInit(s, &gcm, key));

  // KWP: extractable keys leave wrapped; unextractable ones never leave.
  auto wt = TemplateBuilder().ulong(CKA_VALUE_LEN, 32).boolean(CKA_WRAP, true).boolean(CKA_UNWRAP, true).build();
  CK_OBJECT_HANDLE kek, target, locked;
  ASSERT_RV(CKR_OK, f_->C_GenerateKey(s, &gen, wt.data(), wt.size(), &kek));
  auto tt = TemplateBuilder().ulong(CKA_VALUE_LEN, 24).boolean(CKA_EXTRACTABLE, true).boolean(CKA_SENSITIVE, false).build();
  ASSERT_RV(CKR_OK, f_->C_GenerateKey(s, &gen, tt.data(), tt.size(), &target));
  ASSERT_RV(CKR_OK, f_->C_GenerateKey(s, &gen, kt.data(), kt.size(), &locked));
  CK_MECHANISM kwp{CKM_AES_KEY_WRAP_KWP, nullptr, 0};
  CK_ULONG wl = 0;
  ASSERT_RV(CKR_OK, f_->C_WrapKey(s, &kwp, kek, target, nullptr, &wl));
  Bytes wrapped(wl);
  ASSERT_RV(CKR_OK, f_->C_WrapKey(s, &kwp, kek, target, wrapped.data(), &wl));
  EXPECT_EQ(wl, 32u);
  EXPECT_RV(CKR_KEY_UNEXTRACTABLE, f_->C_WrapKey(s, &kwp, kek, locked, wrapped.data(), &wl));
  EXPECT_RV(CKR_KEY_FUNCTION_NOT_PERMITTED, f_->C_WrapKey(s, &kwp, target, target, wrapped.data(), &wl));
  auto ut = TemplateBuilder()
                .ulong(CKA_CLASS, CKO_SECRET_KEY)
                .ulong(CKA_KEY_TYPE, CKK_AES)
                .boolean(CKA_SENSITIVE, false)
                .boolean(CKA_EXTRACTABLE, true)
                .build();
  CK_OBJECT_HANDLE unwrapped;
  ASSERT_RV(CKR_OK, f_->C_UnwrapKey(s, &kwp, kek, wrapped.data(), wrapped.size(), ut.data(), ut.size(), &unwrapped));
  EXPECT_EQ(attr(s, unwrapped, CKA_VALUE), attr(s, target, CKA_VALUE));
  wrapped[3] ^= 1;
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID,
            f_->C_UnwrapKey(s, &kwp, kek, wrapped.data(), wrapped.size(), ut.data(), ut.size(), &unwrapped));

  // Digests: FIPS 180-4 and FIPS 202 "abc" examples.
  auto digest = [&](CK_MECHANISM_TYPE t, const Bytes& in) {
    CK_MECHANISM m{t, nullptr, 0};
    EXPECT_RV(CKR_OK, f_->C_DigestInit(s, &m));
    CK_ULONG dl = 64;
    Bytes d(dl);
    EXPECT_RV(CKR_OK, f_->C_DigestUpdate(s, const_cast<CK_BYTE_PTR>(in.data()), 1));
    EXPECT_RV(CKR_OK, f_->C_DigestUpdate(s, const_cast<CK_BYTE_PTR>(in.data()) + 1, in.size() - 1));
    EXPECT_RV(CKR_OK, f_->C_DigestFinal(s, d.data(), &dl));
    d.resize(dl);
    return d;
  };
  EXPECT_EQ(digest(CKM_SHA256, bytes("abc")), from_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_EQ(digest(CKM_SHA3_256, bytes("abc")), from_hex("3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"));

  // HMAC-SHA256 with a generic secret (RFC 4231 test case 2).
  auto ht = TemplateBuilder()
                .ulong(CKA_CLASS, CKO_SECRET_KEY)
                .ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
                .string(CKA_VALUE, "Jefe")
                .build();
  CK_OBJECT_HANDLE hk;
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s, ht.data(), ht.size(), &hk));
  Bytes mac = sign(s, {CKM_SHA256_HMAC, nullptr, 0}, hk, bytes("what do ya want for nothing?"));
  EXPECT_EQ(mac, from_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  EXPECT_RV(CKR_OK, verify(s, {CKM_SHA256_HMAC, nullptr, 0}, hk, bytes("what do ya want for nothing?"), mac));

  Bytes r1(48), r2(48);
  ASSERT_RV(CKR_OK, f_->C_GenerateRandom(s, r1.data(), r1.size()));
  ASSERT_RV(CKR_OK, f_->C_GenerateRandom(s, r2.data(), r2.size()));
  EXPECT_NE(r1, r2);
}

TEST_F(TokenMech, AllowedMechanismsAndUsageFlags) {
  CK_SESSION_HANDLE s = ready_session();
  CK_MECHANISM_TYPE allowed[] = {CKM_ML_DSA};
  CK_OBJECT_HANDLE pub, priv;
  keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_44),
          TemplateBuilder().bytes(CKA_ALLOWED_MECHANISMS,
                                  {reinterpret_cast<std::uint8_t*>(allowed), sizeof allowed}),
          pub, priv);
  CK_MECHANISM ok{CKM_ML_DSA, nullptr, 0}, other{CKM_HASH_ML_DSA_SHA256, nullptr, 0};
  EXPECT_RV(CKR_MECHANISM_INVALID, f_->C_SignInit(s, &other, priv));
  EXPECT_RV(CKR_OK, f_->C_SignInit(s, &ok, priv));
  CK_OBJECT_HANDLE p2, k2;
  keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_44),
          TemplateBuilder().boolean(CKA_SIGN, false), p2, k2);
  CK_SESSION_HANDLE s2 = open();
  EXPECT_RV(CKR_KEY_FUNCTION_NOT_PERMITTED, f_->C_SignInit(s2, &ok, k2));
  CK_MECHANISM unknown{0x7ff0, nullptr, 0};
  EXPECT_RV(CKR_MECHANISM_INVALID, f_->C_SignInit(s2, &unknown, priv));
  CK_MECHANISM kem{CKM_ML_KEM, nullptr, 0};
  EXPECT_RV(CKR_MECHANISM_INVALID, f_->C_SignInit(s2, &kem, priv));
}

TEST_F(TokenMech, TwoSessionsSignInParallel) {
  CK_SESSION_HANDLE s = ready_session();
  CK_OBJECT_HANDLE pub, priv;
  keypair(s, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65), TemplateBuilder(),
          pub, priv);
  Bytes pk = attr(s, pub, CKA_VALUE);
  std::atomic<int> good{0};
  auto worker = [&](int id) {
    CK_SESSION_HANDLE mine = 0;
    f_->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &mine);
    for (int i = 0; i < 20; ++i) {
      Bytes msg = bytes(("thread " + std::to_string(id) + " msg " + std::to_string(i)).c_str());
      CK_MECHANISM m{CKM_ML_DSA, nullptr, 0};
      if (f_->C_SignInit(mine, &m, priv) != CKR_OK) continue;
      Bytes sig(4000);
      CK_ULONG n = sig.size();
      if (f_->C_Sign(mine, msg.data(), msg.size(), sig.data(), &n) != CKR_OK) continue;
      sig.resize(n);
      if (mldsa::verify(mldsa::ParamSet::kMlDsa65, pk, msg, {}, sig) == crypto::Status::kOk) ++good;
    }
    f_->C_CloseSession(mine);
  };
  std::thread a(worker, 1), b(worker, 2);
  a.join();
  b.join();
  EXPECT_EQ(good.load(), 40);
}

}  // namespace
}  // namespace pqmcp::token::test
