// Composite ML-DSA (draft-ietf-lamps-pq-composite-sigs, §4 "Composite ML-DSA Signature
// Algorithm"): key generation, message representative, sign and verify.
#include "crypto/composite.h"

#include <array>
#include <cstring>

#include "crypto/eddsa.h"
#include "crypto/random.h"
#include "crypto/sha2.h"
#include "crypto/sha3.h"

namespace pqmcp::crypto::composite {
namespace {

// The draft's fixed prefix, ASCII "CompositeAlgorithmSignatures2025".
constexpr std::string_view kPrefix = "CompositeAlgorithmSignatures2025";

enum class PreHash { kSha512, kShake256_64 };

struct Params {
  Info info;
  eddsa::Curve curve;
  PreHash ph;
};

// OIDs from the draft's IANA assignments (1.3.6.1.5.5.7.6.x); labels from its algParams table.
const Params kParams[] = {
    {{"id-MLDSA44-Ed25519-SHA512", "1.3.6.1.5.5.7.6.39", "COMPSIG-MLDSA44-Ed25519-SHA512",
      mldsa::ParamSet::kMlDsa44, 32, 32, 64, 1312 + 32, 32 + 32, 2420 + 64},
     eddsa::Curve::kEd25519, PreHash::kSha512},
    {{"id-MLDSA65-Ed25519-SHA512", "1.3.6.1.5.5.7.6.48", "COMPSIG-MLDSA65-Ed25519-SHA512",
      mldsa::ParamSet::kMlDsa65, 32, 32, 64, 1952 + 32, 32 + 32, 3309 + 64},
     eddsa::Curve::kEd25519, PreHash::kSha512},
    {{"id-MLDSA87-Ed448-SHAKE256", "1.3.6.1.5.5.7.6.51", "COMPSIG-MLDSA87-Ed448-SHAKE256",
      mldsa::ParamSet::kMlDsa87, 57, 57, 114, 2592 + 57, 32 + 57, 4627 + 114},
     eddsa::Curve::kEd448, PreHash::kShake256_64},
};

const Params& params(Algorithm a) { return kParams[static_cast<std::size_t>(a)]; }

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

const Info& info(Algorithm a) noexcept { return params(a).info; }

Status message_representative(Algorithm a, std::span<const std::uint8_t> msg,
                              std::span<const std::uint8_t> ctx,
                              std::vector<std::uint8_t>& mprime) noexcept {
  mprime.clear();
  if (ctx.size() > 255) return Status::kBadContext;
  const Params& p = params(a);
  std::array<std::uint8_t, 64> ph{};  // both pre-hashes are 64 bytes long
  if (p.ph == PreHash::kSha512) {
    sha512(msg, ph);
  } else {
    shake256(msg, ph);
  }
  return message_representative_from_prehash(a, ctx, ph, mprime);
}

Status message_representative_from_prehash(Algorithm a, std::span<const std::uint8_t> ctx,
                                           std::span<const std::uint8_t, 64> ph,
                                           std::vector<std::uint8_t>& mprime) noexcept {
  mprime.clear();
  if (ctx.size() > 255) return Status::kBadContext;
  const auto label = bytes(params(a).info.label);
  try {
    mprime.resize(kPrefix.size() + label.size() + 1 + ctx.size() + ph.size());
    std::uint8_t* p = mprime.data();
    std::memcpy(p, kPrefix.data(), kPrefix.size());
    p += kPrefix.size();
    std::memcpy(p, label.data(), label.size());
    p += label.size();
    *p++ = static_cast<std::uint8_t>(ctx.size());
    if (!ctx.empty()) std::memcpy(p, ctx.data(), ctx.size());
    p += ctx.size();
    std::memcpy(p, ph.data(), ph.size());
  } catch (...) {
    mprime.clear();
    return Status::kInternal;
  }
  return Status::kOk;
}

Status keygen(Algorithm a, std::vector<std::uint8_t>& pk, SecureBuffer& sk) noexcept {
  pk.clear();
  sk.clear();
  const Params& p = params(a);
  SecretArray<mldsa::kSeedBytes> xi;
  if (Status s = random_bytes(xi.span()); s != Status::kOk) return s;
  std::vector<std::uint8_t> mldsa_pk, trad_pk;
  SecureBuffer mldsa_sk, trad_sk;
  if (Status s = mldsa::keygen_from_seed(p.info.mldsa, xi, mldsa_pk, mldsa_sk); s != Status::kOk)
    return s;
  if (Status s = eddsa::keygen(p.curve, trad_pk, trad_sk); s != Status::kOk) return s;
  sk.resize(p.info.private_key);
  std::memcpy(sk.data(), xi.data(), xi.size());
  std::memcpy(sk.data() + xi.size(), trad_sk.data(), trad_sk.size());
  pk = std::move(mldsa_pk);
  pk.insert(pk.end(), trad_pk.begin(), trad_pk.end());
  return Status::kOk;
}

Status SigningKey::load(Algorithm a, std::span<const std::uint8_t> sk, SigningKey& out) noexcept {
  out = SigningKey();
  const Params& p = params(a);
  if (sk.size() != p.info.private_key) return Status::kBadLength;
  // The ML-DSA half is stored as its seed; the draft regenerates the key with KeyGen_internal.
  std::vector<std::uint8_t> mldsa_pk, trad_pk;
  SecureBuffer mldsa_sk;
  SigningKey k;
  k.alg_ = a;
  if (Status s = mldsa::keygen_from_seed(p.info.mldsa, sk.first<mldsa::kSeedBytes>(), mldsa_pk, mldsa_sk);
      s != Status::kOk)
    return s;
  if (Status s = mldsa::PreparedPrivateKey::load(p.info.mldsa, mldsa_sk, k.mldsa_); s != Status::kOk) return s;
  if (Status s = eddsa::SigningKey::load(p.curve, sk.subspan(mldsa::kSeedBytes), k.trad_); s != Status::kOk)
    return s;
  if (Status s = k.trad_.public_key(trad_pk); s != Status::kOk) return s;
  try {
    k.pk_ = std::move(mldsa_pk);
    k.pk_.insert(k.pk_.end(), trad_pk.begin(), trad_pk.end());
  } catch (...) {
    return Status::kInternal;
  }
  out = std::move(k);
  return Status::kOk;
}

Status SigningKey::sign(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> ctx,
                        std::vector<std::uint8_t>& sig, mldsa::Randomness r) const noexcept {
  sig.clear();
  if (mldsa_.empty() || trad_.empty()) return Status::kBadKey;
  const Params& p = params(alg_);
  std::vector<std::uint8_t> mprime, mldsa_sig, trad_sig;
  if (Status s = message_representative(alg_, msg, ctx, mprime); s != Status::kOk) return s;
  // ML-DSA signs M' with its own FIPS 204 context set to the Label (domain separation between
  // composite and stand-alone use of the component key).
  if (Status s = mldsa::sign(mldsa_, mprime, bytes(p.info.label), mldsa_sig, r); s != Status::kOk) return s;
  if (Status s = trad_.sign(mprime, trad_sig); s != Status::kOk) return s;
  try {
    sig = std::move(mldsa_sig);
    sig.insert(sig.end(), trad_sig.begin(), trad_sig.end());
  } catch (...) {
    sig.clear();
    return Status::kInternal;
  }
  return Status::kOk;
}

Status VerifyingKey::load(Algorithm a, std::span<const std::uint8_t> pk, VerifyingKey& out, bool precompute) noexcept {
  out = VerifyingKey();
  const Params& p = params(a);
  if (pk.size() != p.info.public_key) return Status::kBadLength;
  const std::size_t mldsa_pk_len = p.info.public_key - p.info.trad_public_key;
  VerifyingKey k;
  k.alg_ = a;
  if (Status s = mldsa::PreparedPublicKey::load(p.info.mldsa, pk.first(mldsa_pk_len), k.mldsa_); s != Status::kOk)
    return s;
  if (Status s = eddsa::VerifyingKey::load(p.curve, pk.subspan(mldsa_pk_len), k.trad_, precompute); s != Status::kOk)
    return s;
  try {
    k.pk_.assign(pk.begin(), pk.end());
  } catch (...) {
    return Status::kInternal;
  }
  out = std::move(k);
  return Status::kOk;
}

Status VerifyingKey::verify(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> ctx,
                            std::span<const std::uint8_t> sig) const noexcept {
  if (mldsa_.empty() || trad_.empty()) return Status::kBadKey;
  const Params& p = params(alg_);
  if (sig.size() != p.info.signature) return Status::kBadLength;
  std::vector<std::uint8_t> mprime;
  if (Status s = message_representative(alg_, msg, ctx, mprime); s != Status::kOk) return s;
  const std::size_t mldsa_sig_len = p.info.signature - p.info.trad_signature;
  const Status m = mldsa::verify(mldsa_, mprime, bytes(p.info.label), sig.first(mldsa_sig_len));
  const Status t = trad_.verify(mprime, sig.subspan(mldsa_sig_len));
  // Both components must verify; report the ML-DSA reason first since it is the PQ guarantee.
  if (m != Status::kOk) return m;
  return t;
}

Status public_from_private(Algorithm a, std::span<const std::uint8_t> sk,
                           std::vector<std::uint8_t>& pk) noexcept {
  pk.clear();
  SigningKey k;
  if (Status s = SigningKey::load(a, sk, k); s != Status::kOk) return s;
  pk = k.public_key();
  return Status::kOk;
}

Status sign(Algorithm a, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> msg,
            std::span<const std::uint8_t> ctx, std::vector<std::uint8_t>& sig,
            mldsa::Randomness r) noexcept {
  sig.clear();
  SigningKey k;
  if (Status s = SigningKey::load(a, sk, k); s != Status::kOk) return s;
  return k.sign(msg, ctx, sig, r);
}

Status verify(Algorithm a, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t> ctx, std::span<const std::uint8_t> sig) noexcept {
  const Params& p = params(a);
  if (pk.size() != p.info.public_key || sig.size() != p.info.signature) return Status::kBadLength;
  if (ctx.size() > 255) return Status::kBadContext;
  VerifyingKey k;
  if (Status s = VerifyingKey::load(a, pk, k, /*precompute=*/false); s != Status::kOk) return s;  // used once
  return k.verify(msg, ctx, sig);
}

}  // namespace pqmcp::crypto::composite
