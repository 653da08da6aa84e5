// CKM_PQMCP_COMPOSITE_SIGN (pkcs11/pqmcp_vendor.h): a whole ML-DSA + Ed25519 composite signature
// in one operation. Its signatures verify under the crypto core's composite verifier (the draft's
// Composite-ML-DSA.Verify) for both parameter sets, with and without a context, in one part or
// streamed; the Ed25519 key named in the parameter passes the same checks as an operation key;
// bad parameters are refused; the key-operation log gets one entry naming both keys.
#include "audit/entry.h"
#include "audit/verifier.h"
#include "crypto/composite.h"
#include "p11_fixture.h"
#include "pkcs11/pqmcp_vendor.h"

namespace pqmcp::token::test {
namespace {

namespace cs = crypto::composite;

const Bytes kEd25519Oid{0x06, 0x03, 0x2b, 0x65, 0x70};

class TokenComposite : public TokenTest {
 protected:
  void SetUp() override {
    TokenTest::SetUp();
    s_ = ready_session();
  }

  struct Pair {
    CK_OBJECT_HANDLE mldsa = CK_INVALID_HANDLE, ed = CK_INVALID_HANDLE;
    Bytes pk;  // composite public key: ML-DSA pk ‖ Ed25519 pk
  };
  Pair make(CK_ULONG set, TemplateBuilder mldsa_priv = TemplateBuilder(), TemplateBuilder ed_priv = TemplateBuilder()) {
    Pair p;
    CK_OBJECT_HANDLE mpub, epub;
    keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, set), std::move(mldsa_priv), mpub,
            p.mldsa);
    keypair(s_, CKM_EC_EDWARDS_KEY_PAIR_GEN, TemplateBuilder().bytes(CKA_EC_PARAMS, kEd25519Oid), std::move(ed_priv),
            epub, p.ed);
    p.pk = attr(s_, mpub, CKA_VALUE);
    Bytes point = attr(s_, epub, CKA_EC_POINT);  // DER OCTET STRING around the 32-byte key
    EXPECT_EQ(point.size(), 34u);
    p.pk.insert(p.pk.end(), point.begin() + 2, point.end());
    return p;
  }
  CK_RV init(CK_OBJECT_HANDLE key, CK_PQMCP_COMPOSITE_SIGN_PARAMS prm) {
    CK_MECHANISM m{CKM_PQMCP_COMPOSITE_SIGN, &prm, sizeof prm};
    return f_->C_SignInit(s_, &m, key);
  }
  static CK_PQMCP_COMPOSITE_SIGN_PARAMS params(CK_ULONG comp, CK_OBJECT_HANDLE ed, Bytes* ctx = nullptr) {
    return {comp, ed, ctx ? ctx->data() : nullptr, ctx ? static_cast<CK_ULONG>(ctx->size()) : 0};
  }
  std::vector<audit::Entry> log_entries() {
    f_->C_Finalize(nullptr);  // the relaxed log is complete once the module is finalised
    f_ = nullptr;
    auto s = audit::open_sqlite(dir_ + "/tokens/slot-0/keyops-audit.db", true);
    std::vector<audit::Entry> out;
    EXPECT_TRUE(s.ok());
    if (!s.ok()) return out;
    (void)(*s)->scan(0, UINT64_MAX, [&](std::uint64_t, std::string_view d, std::span<const std::uint8_t>) {
      auto e = audit::Entry::from_canonical(d);
      if (e.ok()) out.push_back(e.value());
      return true;
    });
    return out;
  }

  CK_SESSION_HANDLE s_ = 0;
};

TEST_F(TokenComposite, TheMechanismIsListedForSigning) {
  CK_MECHANISM_INFO mi{};
  ASSERT_RV(CKR_OK, f_->C_GetMechanismInfo(0, CKM_PQMCP_COMPOSITE_SIGN, &mi));
  EXPECT_TRUE(mi.flags & CKF_SIGN);
  EXPECT_FALSE(mi.flags & CKF_VERIFY);
}

TEST_F(TokenComposite, SignaturesVerifyAsTheDraftsCompositeForBothParameterSets) {
  struct Case {
    CK_ULONG set, comp;
    cs::Algorithm alg;
  };
  for (const Case c : {Case{CKP_ML_DSA_65, CKP_PQMCP_COMPOSITE_MLDSA65_ED25519, cs::Algorithm::kMlDsa65Ed25519},
                       Case{CKP_ML_DSA_44, CKP_PQMCP_COMPOSITE_MLDSA44_ED25519, cs::Algorithm::kMlDsa44Ed25519}}) {
    SCOPED_TRACE(cs::info(c.alg).name);
    Pair p = make(c.set);
    Bytes msg = bytes("io.pqmcp/sig/v1 ... a signing input"), ctx = bytes("pqmcp-file-v1");
    for (Bytes* x : {static_cast<Bytes*>(nullptr), &ctx}) {
      auto prm = params(c.comp, p.ed, x);
      CK_MECHANISM m{CKM_PQMCP_COMPOSITE_SIGN, &prm, sizeof prm};
      Bytes sig = sign(s_, m, p.mldsa, msg);
      ASSERT_EQ(sig.size(), cs::info(c.alg).signature);
      const std::span<const std::uint8_t> cx = x ? std::span<const std::uint8_t>(*x) : std::span<const std::uint8_t>();
      EXPECT_EQ(cs::verify(c.alg, p.pk, msg, cx, sig), crypto::Status::kOk);
      // Not under another context, nor for another message.
      EXPECT_NE(cs::verify(c.alg, p.pk, msg, x ? std::span<const std::uint8_t>() : std::span<const std::uint8_t>(ctx), sig),
                crypto::Status::kOk);
      Bytes other = msg;
      other[0] ^= 1;
      EXPECT_NE(cs::verify(c.alg, p.pk, other, cx, sig), crypto::Status::kOk);
    }
  }
}

TEST_F(TokenComposite, AStreamedMessageSignsLikeOnePart) {
  Pair p = make(CKP_ML_DSA_65);
  Bytes msg(300000);
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::uint8_t>(i * 31);
  ASSERT_RV(CKR_OK, init(p.mldsa, params(CKP_PQMCP_COMPOSITE_MLDSA65_ED25519, p.ed)));
  for (std::size_t off = 0; off < msg.size(); off += 65536) {
    const CK_ULONG n = static_cast<CK_ULONG>(std::min<std::size_t>(65536, msg.size() - off));
    ASSERT_RV(CKR_OK, f_->C_SignUpdate(s_, msg.data() + off, n));
  }
  CK_ULONG n = 0;
  ASSERT_RV(CKR_OK, f_->C_SignFinal(s_, nullptr, &n));
  Bytes sig(n);
  ASSERT_RV(CKR_OK, f_->C_SignFinal(s_, sig.data(), &n));
  EXPECT_EQ(cs::verify(cs::Algorithm::kMlDsa65Ed25519, p.pk, msg, {}, sig), crypto::Status::kOk);
}

TEST_F(TokenComposite, BadParametersAndKeysAreRefused) {
  Pair p = make(CKP_ML_DSA_65);
  const CK_ULONG k65 = CKP_PQMCP_COMPOSITE_MLDSA65_ED25519;
  // No parameter, a parameter of the wrong size, an unknown composite.
  CK_MECHANISM none{CKM_PQMCP_COMPOSITE_SIGN, nullptr, 0};
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, f_->C_SignInit(s_, &none, p.mldsa));
  CK_ULONG shortp = k65;
  CK_MECHANISM small{CKM_PQMCP_COMPOSITE_SIGN, &shortp, sizeof shortp};
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, f_->C_SignInit(s_, &small, p.mldsa));
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, init(p.mldsa, params(99, p.ed)));
  // A context over 255 bytes, or a length without bytes.
  Bytes big(256, 'c');
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, init(p.mldsa, params(k65, p.ed, &big)));
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, init(p.mldsa, {k65, p.ed, nullptr, 5}));
  // The composite does not match the ML-DSA key's parameter set.
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, init(p.mldsa, params(CKP_PQMCP_COMPOSITE_MLDSA44_ED25519, p.ed)));
  // The operation key is not ML-DSA; the parameter's key is not an Ed25519 private key.
  EXPECT_RV(CKR_KEY_TYPE_INCONSISTENT, init(p.ed, params(k65, p.ed)));
  EXPECT_RV(CKR_KEY_TYPE_INCONSISTENT, init(p.mldsa, params(k65, p.mldsa)));
  CK_OBJECT_HANDLE ecpub, ecpriv;
  keypair(s_, CKM_EC_KEY_PAIR_GEN, TemplateBuilder().bytes(CKA_EC_PARAMS, Bytes{0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07}),
          TemplateBuilder(), ecpub, ecpriv);
  EXPECT_RV(CKR_KEY_TYPE_INCONSISTENT, init(p.mldsa, params(k65, ecpriv)));
  // A handle that names nothing, and the Ed25519 public key (no CKA_SIGN on a public key).
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, init(p.mldsa, params(k65, 0x7fffff)));
  CK_OBJECT_HANDLE edpub2, edpriv2;
  keypair(s_, CKM_EC_EDWARDS_KEY_PAIR_GEN, TemplateBuilder().bytes(CKA_EC_PARAMS, kEd25519Oid), TemplateBuilder(), edpub2,
          edpriv2);
  EXPECT_NE(init(p.mldsa, params(k65, edpub2)), static_cast<CK_RV>(CKR_OK));
  // After every refusal no operation is left active: a good init works.
  EXPECT_RV(CKR_OK, init(p.mldsa, params(k65, p.ed)));
}

TEST_F(TokenComposite, TheSecondKeyPassesTheSameChecksAsTheOperationKey) {
  const CK_ULONG k65 = CKP_PQMCP_COMPOSITE_MLDSA65_ED25519;
  CK_MECHANISM_TYPE eddsa_only[] = {CKM_EDDSA};
  const Bytes only_eddsa(reinterpret_cast<std::uint8_t*>(eddsa_only), reinterpret_cast<std::uint8_t*>(eddsa_only) + sizeof eddsa_only);
  {  // The Ed25519 key may not sign at all.
    Pair p = make(CKP_ML_DSA_65, TemplateBuilder(), TemplateBuilder().boolean(CKA_SIGN, false));
    EXPECT_RV(CKR_KEY_FUNCTION_NOT_PERMITTED, init(p.mldsa, params(k65, p.ed)));
  }
  {  // Its CKA_ALLOWED_MECHANISMS does not list the composite mechanism.
    Pair p = make(CKP_ML_DSA_65, TemplateBuilder(), TemplateBuilder().bytes(CKA_ALLOWED_MECHANISMS, only_eddsa));
    EXPECT_RV(CKR_MECHANISM_INVALID, init(p.mldsa, params(k65, p.ed)));
  }
  {  // Nor does the ML-DSA key's (a key bound to CKM_ML_DSA, or to the MCP mechanisms).
    CK_MECHANISM_TYPE mldsa_only[] = {CKM_ML_DSA};
    Pair p = make(CKP_ML_DSA_65, TemplateBuilder().bytes(CKA_ALLOWED_MECHANISMS,
                                                         Bytes(reinterpret_cast<std::uint8_t*>(mldsa_only),
                                                               reinterpret_cast<std::uint8_t*>(mldsa_only) + sizeof mldsa_only)));
    EXPECT_RV(CKR_MECHANISM_INVALID, init(p.mldsa, params(k65, p.ed)));
  }
  {  // Both list it: allowed.
    CK_MECHANISM_TYPE comp[] = {CKM_PQMCP_COMPOSITE_SIGN};
    const Bytes c(reinterpret_cast<std::uint8_t*>(comp), reinterpret_cast<std::uint8_t*>(comp) + sizeof comp);
    Pair p = make(CKP_ML_DSA_65, TemplateBuilder().bytes(CKA_ALLOWED_MECHANISMS, c),
                  TemplateBuilder().bytes(CKA_ALLOWED_MECHANISMS, c));
    auto prm = params(k65, p.ed);
    Bytes msg = bytes("allowed");
    Bytes sig = sign(s_, {CKM_PQMCP_COMPOSITE_SIGN, &prm, sizeof prm}, p.mldsa, msg);
    EXPECT_EQ(cs::verify(cs::Algorithm::kMlDsa65Ed25519, p.pk, msg, {}, sig), crypto::Status::kOk);
  }
}

TEST_F(TokenComposite, OneLogEntryNamesBothKeys) {
  // Different CKA_IDs for the two halves, so the entry must name both.
  Pair p = make(CKP_ML_DSA_65, TemplateBuilder().bytes(CKA_ID, Bytes{0xaa, 0x01}).bytes(CKA_LABEL, bytes("pq-half")),
                TemplateBuilder().bytes(CKA_ID, Bytes{0xbb, 0x02}).bytes(CKA_LABEL, bytes("ed-half")));
  auto prm = params(CKP_PQMCP_COMPOSITE_MLDSA65_ED25519, p.ed);
  (void)sign(s_, {CKM_PQMCP_COMPOSITE_SIGN, &prm, sizeof prm}, p.mldsa, bytes("logged once"));
  int signs = 0;
  for (const auto& e : log_entries()) {
    if (e.method != "C_Sign") continue;
    ++signs;
    EXPECT_EQ(e.decision, "allow");
    EXPECT_EQ(e.kid, "aa01+bb02");
    EXPECT_EQ(e.name, "pq-half+ed-half");
    EXPECT_NE(e.rule.find("mechanism=0xd0510003"), std::string::npos) << e.rule;
  }
  EXPECT_EQ(signs, 1);
}

}  // namespace
}  // namespace pqmcp::token::test
