#include "identity/keystore.h"

#include <openssl/rand.h>

#include "pkcs11/pqmcp_vendor.h"

namespace pqmcp::identity {

namespace {

using p11::KeyType;

struct PartSpec {
  KeyType type;
  bool classical;  // goes to the classical token when one is given
};

std::vector<PartSpec> parts_of(Alg a) {
  switch (a) {
    case Alg::kMlDsa44: return {{KeyType::kMlDsa44, false}};
    case Alg::kMlDsa65: return {{KeyType::kMlDsa65, false}};
    case Alg::kMlDsa87: return {{KeyType::kMlDsa87, false}};
    case Alg::kMlDsa44Ed25519: return {{KeyType::kMlDsa44, false}, {KeyType::kEd25519, true}};
    case Alg::kMlDsa65Ed25519: return {{KeyType::kMlDsa65, false}, {KeyType::kEd25519, true}};
    case Alg::kEd25519: return {{KeyType::kEd25519, true}};
    case Alg::kP256: return {{KeyType::kP256, true}};
    default: return {};
  }
}

std::optional<KeyType> type_of_part(const std::string& name) {
  for (KeyType k : {KeyType::kMlDsa44, KeyType::kMlDsa65, KeyType::kMlDsa87, KeyType::kEd25519, KeyType::kP256})
    if (name == p11::key_type_name(k)) return k;
  return std::nullopt;
}

Error part_error(const KeyPart& p, const std::string& why) {
  return p11::make_error(Error::Kind::kInput, "use key", p.token, "key part " + p.part + ": " + why);
}

}  // namespace

Result<KeyVersion> create_key(Alg a, p11::Token& main, p11::Token* classical, const std::string& label, std::int64_t now,
                              const std::string& policy_owner) {
  auto specs = parts_of(a);
  if (specs.empty())
    return p11::make_error(Error::Kind::kInput, "create key", main.label(), std::string(alg_name(a)) + " is not a signing algorithm");
  const bool bound = !policy_owner.empty();
  const CK_MECHANISM_TYPE mcp_mech = is_composite(a) ? CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA : CKM_PQMCP_MCP_SIGN_MLDSA;
  if (bound) {
    if (a != Alg::kMlDsa44 && a != Alg::kMlDsa65 && a != Alg::kMlDsa87 && a != Alg::kMlDsa44Ed25519 && a != Alg::kMlDsa65Ed25519)
      return p11::make_error(Error::Kind::kInput, "create key", main.label(),
                             std::string("a policy-bound key needs ML-DSA (mldsa44|65|87 or mldsa44|65-ed25519), not ") + alg_name(a));
    if (auto st = main.module().require(main.info(), mcp_mech, CKF_SIGN, "create a policy-bound key (libpqhsm's MCP mechanism)"); !st)
      return std::move(st).error();
  }
  // Check every mechanism first, so that a module lacking one fails before anything is created.
  for (auto& s : specs) {
    p11::Token& t = (s.classical && classical) ? *classical : main;
    CK_MECHANISM_TYPE gen = s.type == KeyType::kEd25519 ? CKM_EC_EDWARDS_KEY_PAIR_GEN
                            : s.type == KeyType::kP256  ? CKM_EC_KEY_PAIR_GEN
                                                        : CKM_ML_DSA_KEY_PAIR_GEN;
    if (auto st = t.module().require(t.info(), gen, CKF_GENERATE_KEY_PAIR,
                                     std::string("generate ") + p11::key_type_name(s.type) + " keys");
        !st)
      return std::move(st).error();
  }
  Bytes id(16);
  if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1)
    return p11::make_error(Error::Kind::kIo, "create key", main.label(), "the random number generator failed");
  KeyVersion k;
  Bytes raw;
  std::vector<std::pair<p11::Token*, KeyType>> made;
  for (auto& s : specs) {
    p11::Token& t = (s.classical && classical) ? *classical : main;
    p11::GenerateOptions opt{id, label, true, {}, {}};
    if (bound && !s.classical) {
      opt.owner = policy_owner;
      opt.allowed_mechanisms = {mcp_mech};
    }
    auto kp = p11::generate_key_pair(t, s.type, opt);
    if (!kp) {
      for (auto& [tok, type] : made) (void)p11::destroy_key_pair(*tok, type, id);
      return std::move(kp).error();
    }
    made.emplace_back(&t, s.type);
    raw.insert(raw.end(), kp->public_key.begin(), kp->public_key.end());
    k.parts.push_back({p11::key_type_name(s.type), t.module().path(), t.label(), hex(id)});
  }
  auto pk = public_key_from_raw(a, raw);
  if (!pk) {
    for (auto& [tok, type] : made) (void)p11::destroy_key_pair(*tok, type, id);
    return std::move(pk).error();
  }
  k.public_key = pk.value();
  k.kid = k.public_key.kid();
  k.created = now;
  k.policy_bound = bound;
  return k;
}

Status destroy_key(const KeyVersion& k, const TokenResolver& resolve) {
  for (auto& p : k.parts) {
    auto t = resolve(p.module, p.token);
    auto type = type_of_part(p.part);
    auto id = from_hex(p.id_hex);
    if (!t) return std::move(t).error();
    if (!type || !id) return part_error(p, "unknown part or bad CKA_ID");
    if (auto st = p11::destroy_key_pair(**t, *type, *id); !st) return st;
  }
  return {};
}

namespace {
Result<Bytes> sign_parts(const KeyVersion& k, const TokenResolver& resolve, std::span<const std::uint8_t> msg,
                         std::span<const std::uint8_t> ctx);
}  // namespace

Result<Bytes> sign(const KeyVersion& k, const TokenResolver& resolve, std::span<const std::uint8_t> msg,
                   std::span<const std::uint8_t> ctx) {
  auto r = sign_parts(k, resolve, msg, ctx);
  if (!r && k.policy_bound && r.error().rv == CKR_MECHANISM_INVALID) {
    Error e = std::move(r).error();
    e.message = "the token refused the mechanism: key " + k.kid +
                " is policy-bound (CKA_ALLOWED_MECHANISMS = CKM_PQMCP_MCP_SIGN_*), so it signs only MCP messages "
                "the token's policy allows, never arbitrary bytes";
    return e;
  }
  return r;
}

namespace {
Result<Bytes> sign_parts(const KeyVersion& k, const TokenResolver& resolve, std::span<const std::uint8_t> msg,
                         std::span<const std::uint8_t> ctx) {
  if (k.parts.empty())
    return p11::make_error(Error::Kind::kNotFound, "sign", "", "key " + k.kid + " is an imported public key; it cannot sign here");
  struct Loaded {
    std::shared_ptr<p11::Token> token;
    KeyType type;
    CK_OBJECT_HANDLE priv;
  };
  std::vector<Loaded> parts;
  for (auto& p : k.parts) {
    auto t = resolve(p.module, p.token);
    if (!t) return std::move(t).error();
    auto type = type_of_part(p.part);
    auto id = from_hex(p.id_hex);
    if (!type || !id) return part_error(p, "unknown part or bad CKA_ID in the registry");
    auto h = p11::find_key(**t, CKO_PRIVATE_KEY, *type, *id);
    if (!h) return std::move(h).error();
    parts.push_back({*t, *type, *h});
  }
  if (is_composite(k.public_key.alg)) {
    if (parts.size() != 2) return part_error(k.parts.front(), "a composite key needs two parts");
    p11::CompositeKey ck;
    ck.alg = k.public_key.alg == Alg::kMlDsa44Ed25519 ? crypto::composite::Algorithm::kMlDsa44Ed25519
                                                       : crypto::composite::Algorithm::kMlDsa65Ed25519;
    ck.mldsa_token = parts[0].token.get();
    ck.mldsa_priv = parts[0].priv;
    ck.trad_token = parts[1].token.get();
    ck.trad_priv = parts[1].priv;
    return p11::sign_composite(ck, msg, ctx);
  }
  return p11::sign(*parts[0].token, parts[0].type, parts[0].priv, msg, takes_context(k.public_key.alg) ? ctx : std::span<const std::uint8_t>());
}
}  // namespace

Result<DetachedSignature> sign_file(const KeyVersion& k, const TokenResolver& resolve, std::string_view data) {
  auto sig = sign(k, resolve, as_bytes(data), as_bytes(kFileContext));
  if (!sig) return sig.error();
  return DetachedSignature{k.public_key.alg, k.kid, std::move(sig.value())};
}

}  // namespace pqmcp::identity
