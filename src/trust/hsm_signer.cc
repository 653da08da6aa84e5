#include "trust/hsm_signer.h"

#include "pkcs11/pqmcp_vendor.h"
#include "trust/algorithms.h"

namespace pqmcp::trust {

namespace {

using p11::Error;
using p11::KeyType;

Error input_error(const std::string& kid, const std::string& why) {
  return p11::make_error(Error::Kind::kInput, "prepare MCP signer", "", "key " + kid + ": " + why);
}

std::optional<KeyType> part_type(const std::string& name) {
  for (KeyType k : {KeyType::kMlDsa44, KeyType::kMlDsa65, KeyType::kMlDsa87, KeyType::kEd25519})
    if (name == p11::key_type_name(k)) return k;
  return std::nullopt;
}

KeyType single_part_type(mcp::Algorithm a) {
  switch (a) {
    case mcp::Algorithm::kMlDsa44: return KeyType::kMlDsa44;
    case mcp::Algorithm::kMlDsa87: return KeyType::kMlDsa87;
    case mcp::Algorithm::kEd25519: return KeyType::kEd25519;
    default: return KeyType::kMlDsa65;
  }
}

}  // namespace

p11::Result<std::unique_ptr<HsmSigner>> HsmSigner::create(const identity::KeyVersion& key,
                                                          const identity::TokenResolver& resolve,
                                                          std::int64_t now) {
  const auto alg = to_mcp(key.public_key.alg);
  if (!alg)
    return input_error(key.kid, std::string(identity::alg_name(key.public_key.alg)) +
                                    " has no io.pqmcp/sig algorithm identifier (docs/protocol.md §5)");
  if (key.parts.empty()) return input_error(key.kid, "an imported public key cannot sign here");
  if (!key.valid_at(now))
    return input_error(key.kid, std::string("the key is ") +
                                    (key.status == identity::KeyStatus::kRevoked ? "revoked" : "past its not-after date"));
  const std::size_t want = *alg == mcp::Algorithm::kMlDsa65Ed25519 ? 2 : 1;
  if (key.parts.size() != want) return input_error(key.kid, "the registry lists the wrong number of key parts");

  std::unique_ptr<HsmSigner> s(new HsmSigner());
  s->alg_ = *alg;
  s->kid_ = key.kid;
  s->public_key_ = key.public_key.raw;
  s->policy_bound_ = key.policy_bound;
  for (const auto& p : key.parts) {
    auto type = part_type(p.part);
    auto id = identity::from_hex(p.id_hex);
    if (!type || !id) return input_error(key.kid, "unknown part '" + p.part + "' or bad CKA_ID in the registry");
    auto t = resolve(p.module, p.token);
    if (!t) return std::move(t).error();
    auto h = p11::find_key(**t, CKO_PRIVATE_KEY, *type, *id);
    if (!h) return std::move(h).error();
    s->parts_.push_back({*t, *type, *h});
  }
  // sign() relies on the ML-DSA half coming first for a composite; do not trust file order.
  if (want == 2) {
    if (s->parts_[0].type == KeyType::kEd25519) std::swap(s->parts_[0], s->parts_[1]);
    if (s->parts_[0].type != KeyType::kMlDsa65 || s->parts_[1].type != KeyType::kEd25519)
      return input_error(key.kid, "a ML-DSA-65-Ed25519 key needs an ML-DSA-65 and an Ed25519 part");
    // Both halves on one token that signs a whole composite in one operation (libpqhsm; other
    // modules do not list the vendor mechanism and keep the two operations).
    p11::Token& t = *s->parts_[0].token;
    if (!s->policy_bound_ && s->parts_[0].token == s->parts_[1].token && p11::offers_pqmcp_mechanisms(t) &&
        t.module().require(t.info(), CKM_PQMCP_COMPOSITE_SIGN, CKF_SIGN, "sign a composite in one operation"))
      s->one_operation_.store(true);
  } else if (s->parts_[0].type != single_part_type(*alg)) {
    return input_error(key.kid, "the key part does not match the key's algorithm");
  }
  return s;
}

p11::Result<std::unique_ptr<HsmSigner>> HsmSigner::for_identity(const identity::Identity& id,
                                                                const identity::TokenResolver& resolve,
                                                                std::int64_t now) {
  const identity::KeyVersion* k = id.signing_key();
  if (k == nullptr)
    return p11::make_error(Error::Kind::kNotFound, "prepare MCP signer", "",
                           "identity '" + id.name + "' has no active key (see `pqmcp identity list`)");
  return create(*k, resolve, now);
}

Result<std::vector<std::uint8_t>, mcp::SignError> HsmSigner::sign(std::span<const std::uint8_t> input) const {
  // docs/protocol.md §5: every envelope algorithm signs with an empty context; the signing
  // input's own label does the domain separation.
  p11::Result<p11::Bytes> sig = p11::make_error(Error::Kind::kInput, "sign", "", "no key part");
  if (alg_ == mcp::Algorithm::kMlDsa65Ed25519) {
    p11::CompositeKey ck;
    ck.alg = crypto::composite::Algorithm::kMlDsa65Ed25519;
    ck.mldsa_token = parts_[0].token.get();
    ck.mldsa_priv = parts_[0].priv;
    ck.trad_token = parts_[1].token.get();
    ck.trad_priv = parts_[1].priv;
    ck.mcp_bound = policy_bound_;
    ck.one_operation = &one_operation_;
    sig = p11::sign_composite(ck, input, {});
  } else if (policy_bound_) {
    sig = p11::sign_mcp(*parts_[0].token, parts_[0].type, parts_[0].priv, input);
  } else {
    sig = p11::sign(*parts_[0].token, parts_[0].type, parts_[0].priv, input);
  }
  // Error::to_string() names the operation, token and CK_RV; it never carries a PIN or key.
  if (!sig) return unexpected(mcp::SignError{sig.error().to_string()});
  return std::move(sig).value();
}

}  // namespace pqmcp::trust
