// ML-KEM (FIPS 203) in PKCS#11 3.2 §6 (ML-KEM): CKM_ML_KEM_KEY_PAIR_GEN and CKM_ML_KEM, which
// has no parameter and is used only by C_EncapsulateKey / C_DecapsulateKey; the shared
// secret K becomes CKA_VALUE of the new secret key (the session layer builds that object).
#include "crypto/mlkem.h"

#include "mechanisms/mechanism.h"
#include "mechanisms/pq_common.h"

namespace pqmcp::token {
namespace {

namespace mlkem = crypto::mlkem;

std::optional<mlkem::ParamSet> param_set(CK_ULONG p) {
  switch (p) {
    case CKP_ML_KEM_512: return mlkem::ParamSet::kMlKem512;
    case CKP_ML_KEM_768: return mlkem::ParamSet::kMlKem768;
    case CKP_ML_KEM_1024: return mlkem::ParamSet::kMlKem1024;
    default: return std::nullopt;
  }
}

Result<mlkem::ParamSet> key_param_set(const Object& key) {
  if (key.key_type() != CKK_ML_KEM) return Status(CKR_KEY_TYPE_INCONSISTENT);
  auto p = param_set(key.ulong(CKA_PARAMETER_SET).value_or(0));
  if (!p) return Status(CKR_KEY_TYPE_INCONSISTENT);
  return *p;
}

class MlKem : public Mechanism {
 public:
  CK_MECHANISM_TYPE type() const override { return CKM_ML_KEM; }
  CK_MECHANISM_INFO info() const override { return {800, 1568, CKF_ENCAPSULATE | CKF_DECAPSULATE}; }

  Result<std::size_t> ciphertext_length(const Object& pub) const override {
    PQ_ASSIGN(p, key_param_set(pub));
    return mlkem::sizes(p).ciphertext;
  }

  Status encapsulate(const CK_MECHANISM& m, const Object& pub, std::vector<std::uint8_t>& ct,
                     Bytes& secret) const override {
    if (m.pParameter != nullptr || m.ulParameterLen != 0) return Status(CKR_MECHANISM_PARAM_INVALID);
    PQ_ASSIGN(p, key_param_set(pub));
    PQ_ASSIGN(ek, key_material(pub, CKA_VALUE));
    mlkem::SharedSecret k;
    // FIPS 203 Algorithm 20, with the §7.2 input checks on ek.
    if (!crypto::is_ok(mlkem::encaps(p, view(*ek), ct, k))) return Status(CKR_KEY_HANDLE_INVALID);
    secret = to_bytes(k.span());
    return kOk;
  }

  Status decapsulate(const CK_MECHANISM& m, const Object& priv, std::span<const std::uint8_t> ct,
                     Bytes& secret) const override {
    if (m.pParameter != nullptr || m.ulParameterLen != 0) return Status(CKR_MECHANISM_PARAM_INVALID);
    PQ_ASSIGN(p, key_param_set(priv));
    PQ_ASSIGN(dk, key_material(priv, CKA_VALUE));
    if (ct.size() != mlkem::sizes(p).ciphertext) return Status(CKR_ENCRYPTED_DATA_LEN_RANGE);
    mlkem::SharedSecret k;
    // FIPS 203 Algorithm 21; a wrong ciphertext yields the implicit-rejection key, not an error.
    if (!crypto::is_ok(mlkem::decaps(p, view(*dk), ct, k))) return Status(CKR_FUNCTION_FAILED);
    secret = to_bytes(k.span());
    return kOk;
  }
};

class MlKemKeyGen : public Mechanism {
 public:
  CK_MECHANISM_TYPE type() const override { return CKM_ML_KEM_KEY_PAIR_GEN; }
  CK_MECHANISM_INFO info() const override { return {800, 1568, CKF_GENERATE_KEY_PAIR}; }
  CK_KEY_TYPE key_type() const override { return CKK_ML_KEM; }

  Status generate_key_pair(const CK_MECHANISM& m, Object& pub, Object& priv) const override {
    if (m.pParameter != nullptr || m.ulParameterLen != 0) return Status(CKR_MECHANISM_PARAM_INVALID);
    PQ_ASSIGN(ps, keygen_parameter_set(pub, priv));
    auto p = param_set(ps);
    if (!p) return Status(CKR_PARAMETER_SET_NOT_SUPPORTED);
    std::vector<std::uint8_t> ek;
    crypto::SecureBuffer dk;
    mlkem::Seed seed;
    if (!crypto::is_ok(mlkem::keygen(*p, ek, dk, &seed))) return Status(CKR_FUNCTION_FAILED);
    pub.set_ulong(CKA_PARAMETER_SET, ps);
    priv.set_ulong(CKA_PARAMETER_SET, ps);
    pub.set_bytes(CKA_VALUE, ek);
    priv.set_bytes(CKA_VALUE, dk.span());
    priv.set_bytes(CKA_SEED, seed.span());
    return kOk;
  }
};

class MlKemKeyType : public KeyType {
 public:
  CK_KEY_TYPE type() const override { return CKK_ML_KEM; }
  Status import(Object& o) const override {
    auto ps = o.ulong(CKA_PARAMETER_SET);
    if (!ps) return Status(CKR_TEMPLATE_INCOMPLETE);
    auto p = param_set(*ps);
    if (!p) return Status(CKR_PARAMETER_SET_NOT_SUPPORTED);
    const Bytes* value = o.get(CKA_VALUE);
    if (o.cls() == CKO_PUBLIC_KEY) {
      if (!value) return Status(CKR_TEMPLATE_INCOMPLETE);
      return crypto::is_ok(mlkem::check_encaps_key(*p, view(*value)))
                 ? kOk
                 : Status(CKR_ATTRIBUTE_VALUE_INVALID);
    }
    const Bytes* seed = o.get(CKA_SEED);
    if (!seed && !value) return Status(CKR_TEMPLATE_INCOMPLETE);
    if (seed && seed->size() != mlkem::kSeedBytes) return Status(CKR_ATTRIBUTE_VALUE_INVALID);
    auto seed_span = [&] {
      return std::span<const std::uint8_t, mlkem::kSeedBytes>(seed->data(), mlkem::kSeedBytes);
    };
    if (value) {
      if (!crypto::is_ok(mlkem::check_decaps_key(*p, view(*value))))
        return Status(CKR_ATTRIBUTE_VALUE_INVALID);
      // Both forms given: the seed must derive exactly this dk (FIPS 203 §3.3 seed form).
      if (seed && !crypto::is_ok(mlkem::check_seed_matches(*p, seed_span(), view(*value))))
        return Status(CKR_TEMPLATE_INCONSISTENT);
      return kOk;
    }
    std::vector<std::uint8_t> ek;
    crypto::SecureBuffer dk;
    if (!crypto::is_ok(mlkem::keygen_from_seed(*p, seed_span(), ek, dk)))
      return Status(CKR_ATTRIBUTE_VALUE_INVALID);
    o.set_bytes(CKA_VALUE, dk.span());
    return kOk;
  }
};

}  // namespace

void register_mlkem(Registry& r) {
  r.add(std::make_unique<MlKem>());
  r.add(std::make_unique<MlKemKeyGen>());
  r.add(std::make_unique<MlKemKeyType>());
}

}  // namespace pqmcp::token
