// CKM_PQMCP_COMPOSITE_SIGN (pkcs11/pqmcp_vendor.h): a whole ML-DSA + Ed25519 composite signature
// (draft-ietf-lamps-pq-composite-sigs, "Composite-ML-DSA.Sign") in one PKCS#11 operation. The
// caller used to make two (CKM_ML_DSA with context Label on M', then CKM_EDDSA on M'), each with
// its C_SignInit, its key-operation log entry and its log commit; one operation halves that, and
// the token, not the caller, builds M' from the message it is given.
//
// The operation's own key is the ML-DSA private key; the Ed25519 key comes by handle in the
// parameter and passes the same checks (TokenContext::key). M is pre-hashed as it streams in, so
// a large message is never buffered.
#include <cstring>

#include "crypto/composite.h"
#include "crypto/mldsa.h"
#include "crypto/secure.h"
#include "crypto/sha2.h"
#include "mechanisms/eddsa_prepared.h"
#include "mechanisms/mechanism.h"
#include "mechanisms/mldsa_prepared.h"
#include "pkcs11/pqmcp_vendor.h"

namespace pqmcp::token {
namespace {

namespace mldsa = crypto::mldsa;
namespace cs = crypto::composite;

class CompositeSignOp : public SignOp {
 public:
  CompositeSignOp(cs::Algorithm a, ObjectPtr mldsa_key, ObjectPtr ed_key, std::vector<std::uint8_t> ctx)
      : alg_(a), mldsa_key_(std::move(mldsa_key)), ed_key_(std::move(ed_key)), ctx_(std::move(ctx)) {}

  std::size_t signature_length() const override { return cs::info(alg_).signature; }
  Status update(std::span<const std::uint8_t> d) override {
    ph_.update(d);
    return kOk;
  }
  Status sign(std::span<std::uint8_t> out, std::size_t& written) override {
    const cs::Info& in = cs::info(alg_);
    std::uint8_t ph[64];
    ph_.finish(ph);
    std::vector<std::uint8_t> mprime;
    if (cs::message_representative_from_prehash(alg_, ctx_, std::span<const std::uint8_t, 64>(ph), mprime) !=
        crypto::Status::kOk)
      return Status(CKR_FUNCTION_FAILED);
    // Both keys decoded once per key object (mechanisms/prepared_key.h).
    PQ_ASSIGN(sk, prepared_mldsa_private(*mldsa_key_, in.mldsa));
    PQ_ASSIGN(ed, prepared_ed25519_private(*ed_key_));
    std::vector<std::uint8_t> pq_sig, ed_sig;
    // ML-DSA signs M' with its FIPS 204 context set to the Label (the draft's domain separation
    // between composite and stand-alone use of the component key); hedged (FIPS 204 §3.4).
    const auto label = std::span(reinterpret_cast<const std::uint8_t*>(in.label.data()), in.label.size());
    if (mldsa::sign(*sk, mprime, label, pq_sig) != crypto::Status::kOk) return Status(CKR_FUNCTION_FAILED);
    if (ed->sign(mprime, ed_sig) != crypto::Status::kOk) return Status(CKR_FUNCTION_FAILED);
    if (pq_sig.size() + ed_sig.size() != in.signature || out.size() < in.signature) return Status(CKR_FUNCTION_FAILED);
    std::memcpy(out.data(), pq_sig.data(), pq_sig.size());
    std::memcpy(out.data() + pq_sig.size(), ed_sig.data(), ed_sig.size());
    written = in.signature;
    return kOk;
  }
  Status verify(std::span<const std::uint8_t>) override { return Status(CKR_FUNCTION_NOT_SUPPORTED); }

 private:
  cs::Algorithm alg_;
  ObjectPtr mldsa_key_, ed_key_;
  std::vector<std::uint8_t> ctx_;
  // Both Ed25519 composites pre-hash with SHA-512 (the draft's id-MLDSA44/65-Ed25519-SHA512).
  crypto::Sha512 ph_;
};

class CompositeSign : public Mechanism {
 public:
  CK_MECHANISM_TYPE type() const override { return CKM_PQMCP_COMPOSITE_SIGN; }
  // Key sizes as CKM_ML_DSA reports them (the ML-DSA key is the operation's key).
  CK_MECHANISM_INFO info() const override { return {1312, 1952, CKF_SIGN}; }
  Result<std::unique_ptr<SignOp>> sign_init(const CK_MECHANISM& m, ObjectPtr key, bool verify) const override {
    return sign_init_with(m, std::move(key), verify, TokenContext{});
  }
  Result<std::unique_ptr<SignOp>> sign_init_with(const CK_MECHANISM& m, ObjectPtr key, bool verify,
                                                 const TokenContext& tc) const override {
    if (verify) return Status(CKR_MECHANISM_INVALID);
    const auto* prm = mechanism_param<CK_PQMCP_COMPOSITE_SIGN_PARAMS>(m);
    if (!prm) return Status(CKR_MECHANISM_PARAM_INVALID);
    if (prm->ulContextLen > 255 || (prm->ulContextLen != 0 && prm->pContext == nullptr))
      return Status(CKR_MECHANISM_PARAM_INVALID);
    if (key->key_type() != CKK_ML_DSA || key->cls() != CKO_PRIVATE_KEY) return Status(CKR_KEY_TYPE_INCONSISTENT);
    const CK_ULONG set = key->ulong(CKA_PARAMETER_SET).value_or(0);
    cs::Algorithm alg;
    if (prm->ulComposite == CKP_PQMCP_COMPOSITE_MLDSA44_ED25519 && set == CKP_ML_DSA_44) alg = cs::Algorithm::kMlDsa44Ed25519;
    else if (prm->ulComposite == CKP_PQMCP_COMPOSITE_MLDSA65_ED25519 && set == CKP_ML_DSA_65) alg = cs::Algorithm::kMlDsa65Ed25519;
    else return Status(CKR_MECHANISM_PARAM_INVALID);  // unknown, or not the key's parameter set (as mcp_sign.cc)
    if (!tc.key) return Status(CKR_MECHANISM_PARAM_INVALID);  // no session to resolve the handle in
    // The Ed25519 half: a key the caller may sign with, under the same rules as the ML-DSA one.
    // A bad handle is the parameter's fault, not the operation key's.
    auto ed = tc.key(prm->hTraditionalKey, CKA_SIGN);
    if (!ed.ok()) return Status(ed.rv() == CKR_KEY_HANDLE_INVALID ? CKR_MECHANISM_PARAM_INVALID : ed.rv());
    const Object& e = *ed.value();
    if (e.cls() != CKO_PRIVATE_KEY || e.key_type() != CKK_EC_EDWARDS || !is_ed25519_key(e))
      return Status(CKR_KEY_TYPE_INCONSISTENT);
    std::vector<std::uint8_t> ctx;
    if (prm->ulContextLen) ctx.assign(prm->pContext, prm->pContext + prm->ulContextLen);
    auto op = std::make_unique<CompositeSignOp>(alg, std::move(key), ed.value(), std::move(ctx));
    return std::unique_ptr<SignOp>(std::move(op));
  }
};

}  // namespace

void register_composite_sign(Registry& r) { r.add(std::make_unique<CompositeSign>()); }

}  // namespace pqmcp::token
