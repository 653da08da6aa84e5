// Key backup between tokens with CKM_AES_KEY_WRAP_KWP (PKCS#11 3.2 §5.18.6-7): private keys
// leave as PKCS#8 PrivateKeyInfo (docs/token.md "Wrapped private keys"), are unwrapped in another
// slot and sign there; the refusals of §5.14 (unextractable keys, missing CKA_WRAP/UNWRAP,
// CKA_WRAP_WITH_TRUSTED) and the SO-only CKA_TRUSTED rule. The test decrypts the wrapped blobs
// itself with OpenSSL's KWP and parses them with OpenSSL, so the encoding is checked against an
// implementation nobody here wrote, and it crafts blobs the token never makes (seed only,
// expanded only, seed and expanded from different keys).
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/mldsa.h"
#include "crypto/random.h"
#include "p11_fixture.h"

namespace pqmcp::token::test {
namespace {

namespace mldsa = crypto::mldsa;

class TokenWrap : public TokenTest {
 protected:
  void SetUp() override {
    TokenTest::SetUp();
    if (HasFatalFailure()) return;
    s0_ = ready_session(0);
    s1_ = ready_session(1);
    kek_value_.resize(32);
    ASSERT_EQ(crypto::random_bytes(kek_value_), crypto::Status::kOk);
    kek0_ = create_kek(s0_, true, true);
    kek1_ = create_kek(s1_, true, true);
  }

  // The same AES value imported in each token: the backup key both sides hold.
  CK_OBJECT_HANDLE create_kek(CK_SESSION_HANDLE s, bool wrap, bool unwrap, CK_RV expect = CKR_OK) {
    auto t = TemplateBuilder()
                 .ulong(CKA_CLASS, CKO_SECRET_KEY)
                 .ulong(CKA_KEY_TYPE, CKK_AES)
                 .bytes(CKA_VALUE, kek_value_)
                 .boolean(CKA_WRAP, wrap)
                 .boolean(CKA_UNWRAP, unwrap)
                 .build();
    CK_OBJECT_HANDLE h = 0;
    EXPECT_RV(expect, f_->C_CreateObject(s, t.data(), t.size(), &h));
    return h;
  }

  CK_RV wrap(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE kek, CK_OBJECT_HANDLE key, Bytes& out) {
    CK_MECHANISM m{CKM_AES_KEY_WRAP_KWP, nullptr, 0};
    CK_ULONG n = 0;
    CK_RV rv = f_->C_WrapKey(s, &m, kek, key, nullptr, &n);
    if (rv != CKR_OK) return rv;
    out.resize(n);
    rv = f_->C_WrapKey(s, &m, kek, key, out.data(), &n);
    out.resize(n);
    return rv;
  }

  CK_RV unwrap(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE kek, const Bytes& blob, TemplateBuilder t, CK_OBJECT_HANDLE& h) {
    CK_MECHANISM m{CKM_AES_KEY_WRAP_KWP, nullptr, 0};
    auto tt = t.build();
    return f_->C_UnwrapKey(s, &m, kek, const_cast<CK_BYTE_PTR>(blob.data()), blob.size(), tt.data(), tt.size(), &h);
  }

  // RFC 5649 with OpenSSL, outside the token.
  Bytes kwp(const Bytes& in, bool enc) {
    EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    Bytes out(in.size() + 16);
    int n = 0, fin = 0;
    bool ok = EVP_CipherInit_ex(c, EVP_aes_256_wrap_pad(), nullptr, kek_value_.data(), nullptr, enc) == 1 &&
              EVP_CipherUpdate(c, out.data(), &n, in.data(), static_cast<int>(in.size())) == 1 &&
              EVP_CipherFinal_ex(c, out.data() + n, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    EXPECT_TRUE(ok);
    out.resize(ok ? static_cast<std::size_t>(n + fin) : 0);
    return out;
  }

  // The unwrapped key's origin flags: its material has been outside a token (§4.9).
  void expect_unwrapped_flags(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h) {
    EXPECT_EQ(attr(s, h, CKA_ALWAYS_SENSITIVE), Bytes{CK_FALSE});
    EXPECT_EQ(attr(s, h, CKA_NEVER_EXTRACTABLE), Bytes{CK_FALSE});
    EXPECT_EQ(attr(s, h, CKA_LOCAL), Bytes{CK_FALSE});
    EXPECT_EQ(attr(s, h, CKA_SENSITIVE), Bytes{CK_TRUE});
    CK_ATTRIBUTE v{CKA_VALUE, nullptr, 0};
    EXPECT_RV(CKR_ATTRIBUTE_SENSITIVE, f_->C_GetAttributeValue(s, h, &v, 1));
  }

  CK_SESSION_HANDLE s0_ = 0, s1_ = 0;
  CK_OBJECT_HANDLE kek0_ = 0, kek1_ = 0;
  Bytes kek_value_;
};

// DER helpers for the expected encodings.
Bytes der(std::uint8_t tag, const Bytes& content) {
  std::size_t n = content.size();
  Bytes out(content.size() + 4);
  std::size_t h = 0;
  out[h++] = tag;
  if (n >= 0x100) out[h++] = 0x82, out[h++] = static_cast<std::uint8_t>(n >> 8);
  else if (n >= 0x80) out[h++] = 0x81;
  out[h++] = static_cast<std::uint8_t>(n);
  std::copy(content.begin(), content.end(), out.begin() + static_cast<long>(h));
  out.resize(h + n);
  return out;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
// RFC 5958 v1 PrivateKeyInfo with an absent-parameters AlgorithmIdentifier (RFC 9881 §2).
Bytes pkcs8(const Bytes& oid_der, const Bytes& private_key) {
  return der(0x30, cat({{0x02, 0x01, 0x00}, der(0x30, oid_der), der(0x04, private_key)}));
}
const Bytes kMlDsa65Oid{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12};

auto mldsa_unwrap_template() {
  return TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_ML_DSA).boolean(CKA_SIGN, true);
}

TEST_F(TokenWrap, MlDsa65BackupToSecondTokenSignsThere) {
  CK_OBJECT_HANDLE pub, priv;
  keypair(s0_, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65),
          TemplateBuilder().boolean(CKA_EXTRACTABLE, true).boolean(CKA_TOKEN, true), pub, priv);
  Bytes pk = attr(s0_, pub, CKA_VALUE);
  Bytes blob;
  ASSERT_RV(CKR_OK, wrap(s0_, kek0_, priv, blob));
  CK_OBJECT_HANDLE restored = 0;
  ASSERT_RV(CKR_OK, unwrap(s1_, kek1_, blob, mldsa_unwrap_template().boolean(CKA_TOKEN, true), restored));
  EXPECT_EQ(attr_ulong(s1_, restored, CKA_PARAMETER_SET), CKP_ML_DSA_65);
  expect_unwrapped_flags(s1_, restored);
  Bytes msg = bytes("signed by the backup copy in slot 1");
  Bytes sig = sign(s1_, {CKM_ML_DSA, nullptr, 0}, restored, msg);
  EXPECT_RV(CKR_OK, verify(s0_, {CKM_ML_DSA, nullptr, 0}, pub, msg, sig));
  EXPECT_EQ(mldsa::verify(mldsa::ParamSet::kMlDsa65, pk, msg, {}, sig), crypto::Status::kOk);
  // The backup is a token object, sealed at rest: it survives a restart of the module.
  ASSERT_RV(CKR_OK, f_->C_Finalize(nullptr));
  ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
  CK_SESSION_HANDLE s = open(1);
  ASSERT_RV(CKR_OK, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
  auto find = TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_ML_DSA).build();
  ASSERT_RV(CKR_OK, f_->C_FindObjectsInit(s, find.data(), find.size()));
  CK_OBJECT_HANDLE found[2];
  CK_ULONG n = 0;
  ASSERT_RV(CKR_OK, f_->C_FindObjects(s, found, 2, &n));
  ASSERT_RV(CKR_OK, f_->C_FindObjectsFinal(s));
  ASSERT_EQ(n, 1u);
  Bytes sig2 = sign(s, {CKM_ML_DSA, nullptr, 0}, found[0], msg);
  EXPECT_EQ(mldsa::verify(mldsa::ParamSet::kMlDsa65, pk, msg, {}, sig2), crypto::Status::kOk);
}

// The blob is exactly RFC 5958 PrivateKeyInfo { id-ml-dsa-65, both { seed, expandedKey } }.
TEST_F(TokenWrap, MlDsaEncodingIsPkcs8BothForm) {
  CK_OBJECT_HANDLE pub, priv;
  keypair(s0_, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65),
          TemplateBuilder().boolean(CKA_EXTRACTABLE, true).boolean(CKA_SENSITIVE, false), pub, priv);
  Bytes seed = attr(s0_, priv, CKA_SEED), sk = attr(s0_, priv, CKA_VALUE);
  ASSERT_EQ(seed.size(), 32u);
  ASSERT_EQ(sk.size(), 4032u);
  Bytes blob;
  ASSERT_RV(CKR_OK, wrap(s0_, kek0_, priv, blob));
  EXPECT_EQ(kwp(blob, false), pkcs8(kMlDsa65Oid, der(0x30, cat({der(0x04, seed), der(0x04, sk)}))));

  // The other two CHOICE forms unwrap too: seed only ([0] IMPLICIT) and expandedKey only.
  Bytes msg = bytes("choice forms");
  for (const Bytes& form : {der(0x80, seed), der(0x04, sk)}) {
    CK_OBJECT_HANDLE h = 0;
    ASSERT_RV(CKR_OK, unwrap(s1_, kek1_, kwp(pkcs8(kMlDsa65Oid, form), true),
                             mldsa_unwrap_template().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65), h));
    Bytes sig = sign(s1_, {CKM_ML_DSA, nullptr, 0}, h, msg);
    EXPECT_RV(CKR_OK, verify(s0_, {CKM_ML_DSA, nullptr, 0}, pub, msg, sig));
  }

  // Seed and expanded key of different keys: the token re-derives and refuses.
  CK_OBJECT_HANDLE pub2, priv2;
  keypair(s0_, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65),
          TemplateBuilder().boolean(CKA_EXTRACTABLE, true).boolean(CKA_SENSITIVE, false), pub2, priv2);
  Bytes other_seed = attr(s0_, priv2, CKA_SEED);
  CK_OBJECT_HANDLE h = 0;
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID,
            unwrap(s1_, kek1_, kwp(pkcs8(kMlDsa65Oid, der(0x30, cat({der(0x04, other_seed), der(0x04, sk)}))), true),
                   mldsa_unwrap_template(), h));
  // A corrupted expanded key (the public key no longer recomputes consistently) is refused.
  Bytes bad = sk;
  for (std::size_t i = 128; i < 160; ++i) bad[i] = 0xFF;
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID, unwrap(s1_, kek1_, kwp(pkcs8(kMlDsa65Oid, der(0x04, bad)), true),
                                            mldsa_unwrap_template(), h));
  // Wrong sizes, trailing bytes, unknown algorithm.
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID, unwrap(s1_, kek1_, kwp(pkcs8(kMlDsa65Oid, der(0x80, Bytes(31, 1))), true),
                                            mldsa_unwrap_template(), h));
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID,
            unwrap(s1_, kek1_, kwp(cat({pkcs8(kMlDsa65Oid, der(0x80, seed)), {0}}), true), mldsa_unwrap_template(), h));
  Bytes rsa_oid{0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID, unwrap(s1_, kek1_, kwp(pkcs8(rsa_oid, der(0x80, seed)), true),
                                            mldsa_unwrap_template(), h));
}

TEST_F(TokenWrap, Ed25519BackupParsesWithOpenSslAndSignsInSlot1) {
  CK_OBJECT_HANDLE pub, priv;
  keypair(s0_, CKM_EC_EDWARDS_KEY_PAIR_GEN, TemplateBuilder(), TemplateBuilder().boolean(CKA_EXTRACTABLE, true), pub,
          priv);
  Bytes point = attr(s0_, pub, CKA_EC_POINT);  // 04 20 ‖ A
  ASSERT_EQ(point.size(), 34u);
  Bytes blob;
  ASSERT_RV(CKR_OK, wrap(s0_, kek0_, priv, blob));
  // OpenSSL reads the PKCS#8 (RFC 8410) and finds the same public key.
  Bytes p8 = kwp(blob, false);
  const unsigned char* p = p8.data();
  EVP_PKEY* k = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(p8.size()));
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(EVP_PKEY_get_id(k), EVP_PKEY_ED25519);
  Bytes raw(32);
  std::size_t rl = raw.size();
  EXPECT_EQ(EVP_PKEY_get_raw_public_key(k, raw.data(), &rl), 1);
  EVP_PKEY_free(k);
  EXPECT_EQ(raw, Bytes(point.begin() + 2, point.end()));

  CK_OBJECT_HANDLE restored = 0;
  ASSERT_RV(CKR_OK, unwrap(s1_, kek1_, blob,
                           TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_EC_EDWARDS),
                           restored));
  expect_unwrapped_flags(s1_, restored);
  Bytes msg = bytes("ed25519 backup");
  Bytes sig = sign(s1_, {CKM_EDDSA, nullptr, 0}, restored, msg);
  EXPECT_RV(CKR_OK, verify(s0_, {CKM_EDDSA, nullptr, 0}, pub, msg, sig));
  // The blob names Ed25519: an ML-DSA or P-256 template for it is inconsistent.
  CK_OBJECT_HANDLE h = 0;
  EXPECT_RV(CKR_TEMPLATE_INCONSISTENT, unwrap(s1_, kek1_, blob, mldsa_unwrap_template(), h));
  EXPECT_RV(CKR_TEMPLATE_INCONSISTENT,
            unwrap(s1_, kek1_, blob, TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_EC), h));
}

TEST_F(TokenWrap, P256BackupParsesWithOpenSslAndSignsInSlot1) {
  const Bytes p256{0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
  CK_OBJECT_HANDLE pub, priv;
  keypair(s0_, CKM_EC_KEY_PAIR_GEN, TemplateBuilder().bytes(CKA_EC_PARAMS, p256),
          TemplateBuilder().boolean(CKA_EXTRACTABLE, true), pub, priv);
  Bytes point = attr(s0_, pub, CKA_EC_POINT);  // 04 41 ‖ 04 X Y
  Bytes blob;
  ASSERT_RV(CKR_OK, wrap(s0_, kek0_, priv, blob));
  Bytes p8 = kwp(blob, false);
  const unsigned char* p = p8.data();
  EVP_PKEY* k = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(p8.size()));
  ASSERT_NE(k, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(k, "EC"));
  unsigned char q[65];
  std::size_t ql = 0;
  EXPECT_EQ(EVP_PKEY_get_octet_string_param(k, "pub", q, sizeof q, &ql), 1);
  EVP_PKEY_free(k);
  EXPECT_EQ(Bytes(q, q + ql), Bytes(point.begin() + 2, point.end()));

  CK_OBJECT_HANDLE restored = 0;
  ASSERT_RV(CKR_OK, unwrap(s1_, kek1_, blob,
                           TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_EC), restored));
  expect_unwrapped_flags(s1_, restored);
  EXPECT_EQ(attr(s1_, restored, CKA_EC_PARAMS), p256);
  Bytes msg = bytes("p-256 backup");
  Bytes sig = sign(s1_, {CKM_ECDSA_SHA256, nullptr, 0}, restored, msg);
  EXPECT_RV(CKR_OK, verify(s0_, {CKM_ECDSA_SHA256, nullptr, 0}, pub, msg, sig));
}

// Hand-made blobs for the classical keys: the private key must agree with the public key the
// encoding carries, and a P-256 scalar must be in [1, n-1].
TEST_F(TokenWrap, ClassicalConsistencyChecks) {
  const Bytes p256{0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
  const Bytes ec_alg = cat({{0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01}, p256});
  auto ec_priv = TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_EC);
  auto open = TemplateBuilder().boolean(CKA_EXTRACTABLE, true).boolean(CKA_SENSITIVE, false);
  CK_OBJECT_HANDLE pub1, priv1, pub2, priv2, h = 0;
  keypair(s0_, CKM_EC_KEY_PAIR_GEN, TemplateBuilder().bytes(CKA_EC_PARAMS, p256), open, pub1, priv1);
  keypair(s0_, CKM_EC_KEY_PAIR_GEN, TemplateBuilder().bytes(CKA_EC_PARAMS, p256), open, pub2, priv2);
  Bytes d1 = attr(s0_, priv1, CKA_VALUE), q1 = attr(s0_, pub1, CKA_EC_POINT), q2 = attr(s0_, pub2, CKA_EC_POINT);
  auto ec_key = [&](const Bytes& d, const Bytes& point) {  // RFC 5915 ECPrivateKey, no [0] parameters
    Bytes bits = cat({{0x00}, Bytes(point.begin() + 2, point.end())});
    return kwp(pkcs8(ec_alg, der(0x30, cat({{0x02, 0x01, 0x01}, der(0x04, d), der(0xA1, der(0x03, bits))}))), true);
  };
  ASSERT_RV(CKR_OK, unwrap(s1_, kek1_, ec_key(d1, q1), ec_priv, h));
  Bytes msg = bytes("hand-made ECPrivateKey");
  EXPECT_RV(CKR_OK, verify(s0_, {CKM_ECDSA_SHA256, nullptr, 0}, pub1, msg, sign(s1_, {CKM_ECDSA_SHA256, nullptr, 0}, h, msg)));
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID, unwrap(s1_, kek1_, ec_key(d1, q2), ec_priv, h));
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID, unwrap(s1_, kek1_, ec_key(Bytes(32, 0), q1), ec_priv, h));
  const Bytes order{0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID, unwrap(s1_, kek1_, ec_key(order, q1), ec_priv, h));
  // The template's curve must be the blob's.
  EXPECT_RV(CKR_TEMPLATE_INCONSISTENT,
            unwrap(s1_, kek1_, ec_key(d1, q1), TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_EC)
                                                   .bytes(CKA_EC_PARAMS, Bytes{0x06, 0x03, 0x2B, 0x65, 0x70}), h));

  // Ed25519 as a v2 OneAsymmetricKey with [1] publicKey: it must be the seed's public key.
  CK_OBJECT_HANDLE epub1, epriv1, epub2, epriv2;
  keypair(s0_, CKM_EC_EDWARDS_KEY_PAIR_GEN, TemplateBuilder(), open, epub1, epriv1);
  keypair(s0_, CKM_EC_EDWARDS_KEY_PAIR_GEN, TemplateBuilder(), open, epub2, epriv2);
  Bytes seed = attr(s0_, epriv1, CKA_VALUE), a1 = attr(s0_, epub1, CKA_EC_POINT), a2 = attr(s0_, epub2, CKA_EC_POINT);
  auto ed_key = [&](const Bytes& point) {
    Bytes pk = cat({{0x00}, Bytes(point.begin() + 2, point.end())});
    return kwp(der(0x30, cat({{0x02, 0x01, 0x01}, der(0x30, {0x06, 0x03, 0x2B, 0x65, 0x70}),
                              der(0x04, der(0x04, seed)), der(0x81, pk)})),
               true);
  };
  auto ed_priv = TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_EC_EDWARDS);
  ASSERT_RV(CKR_OK, unwrap(s1_, kek1_, ed_key(a1), ed_priv, h));
  EXPECT_RV(CKR_OK, verify(s0_, {CKM_EDDSA, nullptr, 0}, epub1, msg, sign(s1_, {CKM_EDDSA, nullptr, 0}, h, msg)));
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID, unwrap(s1_, kek1_, ed_key(a2), ed_priv, h));
}

TEST_F(TokenWrap, MlKemBackupDecapsulatesInSlot1) {
  CK_OBJECT_HANDLE pub, priv;
  keypair(s0_, CKM_ML_KEM_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_KEM_768),
          TemplateBuilder().boolean(CKA_EXTRACTABLE, true), pub, priv);
  Bytes blob;
  ASSERT_RV(CKR_OK, wrap(s0_, kek0_, priv, blob));
  CK_OBJECT_HANDLE restored = 0;
  ASSERT_RV(CKR_OK, unwrap(s1_, kek1_, blob,
                           TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_ML_KEM), restored));
  EXPECT_EQ(attr_ulong(s1_, restored, CKA_PARAMETER_SET), CKP_ML_KEM_768);
  EXPECT_EQ(attr(s1_, restored, CKA_DECAPSULATE), Bytes{CK_TRUE});
  auto st = TemplateBuilder().ulong(CKA_CLASS, CKO_SECRET_KEY).ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
                .boolean(CKA_SENSITIVE, false).build();
  CK_MECHANISM m{CKM_ML_KEM, nullptr, 0};
  Bytes ct(1088);
  CK_ULONG ctl = ct.size();
  CK_OBJECT_HANDLE k0 = 0, k1 = 0;
  ASSERT_RV(CKR_OK, f_->C_EncapsulateKey(s0_, &m, pub, st.data(), st.size(), ct.data(), &ctl, &k0));
  ASSERT_RV(CKR_OK, f_->C_DecapsulateKey(s1_, &m, restored, st.data(), st.size(), ct.data(), ct.size(), &k1));
  EXPECT_EQ(attr(s0_, k0, CKA_VALUE), attr(s1_, k1, CKA_VALUE));
  // A parameter set other than the blob's is inconsistent.
  CK_OBJECT_HANDLE h = 0;
  EXPECT_RV(CKR_TEMPLATE_INCONSISTENT,
            unwrap(s1_, kek1_, blob,
                   TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_ML_KEM)
                       .ulong(CKA_PARAMETER_SET, CKP_ML_KEM_512), h));
}

TEST_F(TokenWrap, Refusals) {
  CK_OBJECT_HANDLE pub, locked, sens_only, open_key;
  auto ps = TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_44);
  keypair(s0_, CKM_ML_DSA_KEY_PAIR_GEN, ps, TemplateBuilder(), pub, locked);  // default: unextractable
  keypair(s0_, CKM_ML_DSA_KEY_PAIR_GEN, ps,
          TemplateBuilder().boolean(CKA_SENSITIVE, true).boolean(CKA_EXTRACTABLE, false), pub, sens_only);
  keypair(s0_, CKM_ML_DSA_KEY_PAIR_GEN, ps, TemplateBuilder().boolean(CKA_EXTRACTABLE, true), pub, open_key);
  Bytes blob;
  EXPECT_RV(CKR_KEY_UNEXTRACTABLE, wrap(s0_, kek0_, locked, blob));
  EXPECT_RV(CKR_KEY_UNEXTRACTABLE, wrap(s0_, kek0_, sens_only, blob));
  // CKA_EXTRACTABLE can be switched off, never on (§4.9): then the key stays in.
  auto off = TemplateBuilder().boolean(CKA_EXTRACTABLE, false).build();
  CK_OBJECT_HANDLE later;
  keypair(s0_, CKM_ML_DSA_KEY_PAIR_GEN, ps, TemplateBuilder().boolean(CKA_EXTRACTABLE, true), pub, later);
  ASSERT_RV(CKR_OK, f_->C_SetAttributeValue(s0_, later, off.data(), off.size()));
  EXPECT_RV(CKR_KEY_UNEXTRACTABLE, wrap(s0_, kek0_, later, blob));
  auto on = TemplateBuilder().boolean(CKA_EXTRACTABLE, true).build();
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_SetAttributeValue(s0_, later, on.data(), on.size()));
  // A public key is not wrapped; a key without CKA_WRAP does not wrap.
  EXPECT_RV(CKR_KEY_NOT_WRAPPABLE, wrap(s0_, kek0_, pub, blob));
  CK_OBJECT_HANDLE no_wrap = create_kek(s0_, false, true);
  EXPECT_RV(CKR_KEY_FUNCTION_NOT_PERMITTED, wrap(s0_, no_wrap, open_key, blob));
  // An ML-DSA public key has no CKA_WRAP; a data object is no key at all.
  EXPECT_RV(CKR_KEY_FUNCTION_NOT_PERMITTED, wrap(s0_, pub, open_key, blob));
  auto data = TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).build();
  CK_OBJECT_HANDLE dobj = 0;
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s0_, data.data(), data.size(), &dobj));
  EXPECT_RV(CKR_WRAPPING_KEY_HANDLE_INVALID, wrap(s0_, dobj, open_key, blob));
  EXPECT_RV(CKR_KEY_HANDLE_INVALID, wrap(s0_, kek0_, dobj, blob));

  ASSERT_RV(CKR_OK, wrap(s0_, kek0_, open_key, blob));
  CK_OBJECT_HANDLE h = 0;
  CK_OBJECT_HANDLE no_unwrap = create_kek(s1_, true, false);
  EXPECT_RV(CKR_KEY_FUNCTION_NOT_PERMITTED, unwrap(s1_, no_unwrap, blob, mldsa_unwrap_template(), h));
  // The unwrap template may not claim the origin flags nor carry key material (§5.14.4).
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY,
            unwrap(s1_, kek1_, blob, mldsa_unwrap_template().boolean(CKA_NEVER_EXTRACTABLE, true), h));
  EXPECT_RV(CKR_TEMPLATE_INCONSISTENT,
            unwrap(s1_, kek1_, blob, mldsa_unwrap_template().bytes(CKA_SEED, Bytes(32, 7)), h));
  // A tampered blob fails the KWP integrity check; a different KEK too.
  Bytes bad = blob;
  bad[bad.size() / 2] ^= 1;
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID, unwrap(s1_, kek1_, bad, mldsa_unwrap_template(), h));
  kek_value_[0] ^= 1;
  CK_OBJECT_HANDLE other = create_kek(s1_, true, true);
  EXPECT_RV(CKR_WRAPPED_KEY_INVALID, unwrap(s1_, other, blob, mldsa_unwrap_template(), h));
  // Logged out, the (private) KEK is invisible (§4.4), so nothing unwraps.
  ASSERT_RV(CKR_OK, f_->C_Logout(s1_));
  EXPECT_RV(CKR_UNWRAPPING_KEY_HANDLE_INVALID, unwrap(s1_, kek1_, blob, mldsa_unwrap_template(), h));
}

// CKA_WRAP_WITH_TRUSTED keys leave only under a CKA_TRUSTED key, which only the SO can make.
TEST_F(TokenWrap, WrapWithTrustedNeedsSoTrustedKek) {
  CK_OBJECT_HANDLE pub, priv;
  keypair(s0_, CKM_EC_EDWARDS_KEY_PAIR_GEN, TemplateBuilder(),
          TemplateBuilder().boolean(CKA_EXTRACTABLE, true).boolean(CKA_WRAP_WITH_TRUSTED, true), pub, priv);
  Bytes blob;
  EXPECT_RV(CKR_KEY_NOT_WRAPPABLE, wrap(s0_, kek0_, priv, blob));
  // The user cannot mark the KEK trusted.
  auto trusted = TemplateBuilder()
                     .ulong(CKA_CLASS, CKO_SECRET_KEY)
                     .ulong(CKA_KEY_TYPE, CKK_AES)
                     .bytes(CKA_VALUE, kek_value_)
                     .boolean(CKA_WRAP, true)
                     .boolean(CKA_TRUSTED, true)
                     .boolean(CKA_PRIVATE, false)
                     .boolean(CKA_TOKEN, true);
  auto tt = trusted.build();
  CK_OBJECT_HANDLE h = 0;
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_CreateObject(s0_, tt.data(), tt.size(), &h));
  // The SO can (a public token object: the SO has no access to private ones).
  ASSERT_RV(CKR_OK, f_->C_Logout(s0_));
  ASSERT_RV(CKR_OK, f_->C_Login(s0_, CKU_SO, pin(kSoPin), len(kSoPin)));
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s0_, tt.data(), tt.size(), &h));
  EXPECT_EQ(attr(s0_, h, CKA_TRUSTED), Bytes{CK_TRUE});
  ASSERT_RV(CKR_OK, f_->C_Logout(s0_));
  ASSERT_RV(CKR_OK, f_->C_Login(s0_, CKU_USER, pin(kUserPin), len(kUserPin)));
  ASSERT_RV(CKR_OK, wrap(s0_, h, priv, blob));
  CK_OBJECT_HANDLE restored = 0;
  ASSERT_RV(CKR_OK, unwrap(s1_, kek1_, blob,
                           TemplateBuilder().ulong(CKA_CLASS, CKO_PRIVATE_KEY).ulong(CKA_KEY_TYPE, CKK_EC_EDWARDS),
                           restored));
}

// PKCS#11 §4.8/§4.10: CKA_TRUSTED can only be set to CK_TRUE by the SO.
TEST_F(TokenWrap, TrustedOnlyBySo) {
  auto secret = [&](bool trusted) {
    return TemplateBuilder()
        .ulong(CKA_CLASS, CKO_SECRET_KEY)
        .ulong(CKA_KEY_TYPE, CKK_AES)
        .bytes(CKA_VALUE, Bytes(16, 3))
        .boolean(CKA_PRIVATE, false)
        .boolean(CKA_TRUSTED, trusted)
        .build();
  };
  CK_OBJECT_HANDLE h = 0;
  auto t = secret(true), f = secret(false);
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_CreateObject(s0_, t.data(), t.size(), &h));
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s0_, f.data(), f.size(), &h));
  EXPECT_EQ(attr(s0_, h, CKA_TRUSTED), Bytes{CK_FALSE});
  // Not by C_SetAttributeValue either (it is not modifiable, §4.8 table).
  auto set = TemplateBuilder().boolean(CKA_TRUSTED, true).build();
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_SetAttributeValue(s0_, h, set.data(), set.size()));
  // Nor through generation, or on a public key.
  CK_MECHANISM gen{CKM_AES_KEY_GEN, nullptr, 0};
  auto gt = TemplateBuilder().ulong(CKA_VALUE_LEN, 32).boolean(CKA_TRUSTED, true).build();
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_GenerateKey(s0_, &gen, gt.data(), gt.size(), &h));
  CK_OBJECT_HANDLE pub, priv;
  keypair(s0_, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_44).boolean(CKA_TRUSTED, true),
          TemplateBuilder(), pub, priv, CKR_ATTRIBUTE_READ_ONLY);
  // The SO may, in a session of its own on another token.
  ASSERT_RV(CKR_OK, f_->C_Logout(s1_));
  ASSERT_RV(CKR_OK, f_->C_Login(s1_, CKU_SO, pin(kSoPin), len(kSoPin)));
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s1_, t.data(), t.size(), &h));
  EXPECT_EQ(attr(s1_, h, CKA_TRUSTED), Bytes{CK_TRUE});
}

// 3.2 §6 CKM_HASH_ML_DSA_SHAKE128 / _SHAKE256: FIPS 204 HashML-DSA with the SHAKE pre-hashes
// (256 and 512 output bits), checked against the crypto core's own HashML-DSA.
TEST_F(TokenWrap, HashMlDsaShake) {
  for (CK_MECHANISM_TYPE t : {CKM_HASH_ML_DSA_SHAKE128, CKM_HASH_ML_DSA_SHAKE256}) {
    CK_MECHANISM_INFO mi{};
    ASSERT_RV(CKR_OK, f_->C_GetMechanismInfo(0, t, &mi));
    EXPECT_EQ(mi.flags & (CKF_SIGN | CKF_VERIFY), CKF_SIGN | CKF_VERIFY);
  }
  CK_OBJECT_HANDLE pub, priv;
  keypair(s0_, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_44),
          TemplateBuilder().boolean(CKA_SENSITIVE, false).boolean(CKA_EXTRACTABLE, true), pub, priv);
  Bytes pk = attr(s0_, pub, CKA_VALUE), sk = attr(s0_, priv, CKA_VALUE);
  Bytes msg = bytes("pre-hashed with SHAKE"), ctx = bytes("ctx");
  CK_SIGN_ADDITIONAL_CONTEXT sc{CKH_HEDGE_PREFERRED, ctx.data(), ctx.size()};
  struct Case {
    CK_MECHANISM_TYPE mech;
    mldsa::PreHash ph, other;
  };
  for (Case c : {Case{CKM_HASH_ML_DSA_SHAKE128, mldsa::PreHash::kShake128, mldsa::PreHash::kShake256},
                 Case{CKM_HASH_ML_DSA_SHAKE256, mldsa::PreHash::kShake256, mldsa::PreHash::kShake128}}) {
    Bytes sig = sign(s0_, {c.mech, &sc, sizeof sc}, priv, msg);
    EXPECT_EQ(mldsa::verify_prehash(mldsa::ParamSet::kMlDsa44, pk, msg, ctx, c.ph, sig), crypto::Status::kOk);
    EXPECT_EQ(mldsa::verify_prehash(mldsa::ParamSet::kMlDsa44, pk, msg, ctx, c.other, sig),
              crypto::Status::kVerifyFailed);
    EXPECT_RV(CKR_OK, verify(s0_, {c.mech, &sc, sizeof sc}, pub, msg, sig));
    // A library signature verifies in the token, multi-part.
    std::vector<std::uint8_t> lib;
    ASSERT_EQ(mldsa::sign_prehash(mldsa::ParamSet::kMlDsa44, sk, msg, ctx, c.ph, lib), crypto::Status::kOk);
    CK_MECHANISM m{c.mech, &sc, sizeof sc};
    ASSERT_RV(CKR_OK, f_->C_VerifyInit(s0_, &m, pub));
    ASSERT_RV(CKR_OK, f_->C_VerifyUpdate(s0_, msg.data(), 5));
    ASSERT_RV(CKR_OK, f_->C_VerifyUpdate(s0_, msg.data() + 5, msg.size() - 5));
    EXPECT_RV(CKR_OK, f_->C_VerifyFinal(s0_, lib.data(), lib.size()));
    // Not usable as the hash of CKM_HASH_ML_DSA: 3.2 has no SHAKE digest mechanism to name.
    CK_HASH_SIGN_ADDITIONAL_CONTEXT hc{CKH_HEDGE_PREFERRED, nullptr, 0, c.mech};
    CK_MECHANISM hm{CKM_HASH_ML_DSA, &hc, sizeof hc};
    EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, f_->C_SignInit(s0_, &hm, priv));
  }
}

}  // namespace
}  // namespace pqmcp::token::test
