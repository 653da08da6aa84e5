#include "mcp/signer.h"

#include <optional>

#include "crypto/composite.h"
#include "crypto/eddsa.h"
#include "crypto/mldsa.h"
#include "crypto/random.h"

namespace pqmcp::mcp {

namespace {
namespace mldsa = crypto::mldsa;
namespace composite = crypto::composite;
namespace eddsa = crypto::eddsa;

mldsa::ParamSet param_set(Algorithm a) {
  return a == Algorithm::kMlDsa44   ? mldsa::ParamSet::kMlDsa44
         : a == Algorithm::kMlDsa87 ? mldsa::ParamSet::kMlDsa87
                                    : mldsa::ParamSet::kMlDsa65;
}
}  // namespace

struct LocalSigner::Impl {
  crypto::SecureBuffer sk;          // expanded ML-DSA key or raw Ed25519 key
  composite::SigningKey composite;  // for the composite algorithm
};

LocalSigner::~LocalSigner() = default;

Result<std::unique_ptr<LocalSigner>, SignError> LocalSigner::create(
    Algorithm a, std::string kid, std::span<const std::uint8_t> private_key, bool deterministic) {
  if (private_key.size() != private_key_size(a)) {
    return unexpected(SignError{"private key has the wrong length for " +
                                std::string(algorithm_id(a))});
  }
  std::unique_ptr<LocalSigner> s(new LocalSigner());
  s->alg_ = a;
  s->kid_ = std::move(kid);
  s->deterministic_ = deterministic;
  s->impl_ = std::make_unique<Impl>();
  crypto::Status st;
  switch (a) {
    case Algorithm::kMlDsa65Ed25519:
      st = composite::SigningKey::load(composite::Algorithm::kMlDsa65Ed25519, private_key,
                                       s->impl_->composite);
      if (crypto::is_ok(st)) s->pk_ = s->impl_->composite.public_key();
      break;
    case Algorithm::kEd25519:
      s->impl_->sk = crypto::SecureBuffer(private_key);
      st = eddsa::public_from_private(eddsa::Curve::kEd25519, private_key, s->pk_);
      break;
    default:
      st = mldsa::keygen_from_seed(param_set(a), private_key.first<mldsa::kSeedBytes>(), s->pk_,
                                   s->impl_->sk);
  }
  if (!crypto::is_ok(st)) {
    return unexpected(SignError{std::string("key load failed: ") + crypto::status_name(st)});
  }
  return s;
}

Result<std::unique_ptr<LocalSigner>, SignError> LocalSigner::generate(Algorithm a,
                                                                      std::string kid) {
  crypto::SecureBuffer sk(private_key_size(a));
  if (!crypto::is_ok(crypto::random_bytes(sk.span()))) {
    return unexpected(SignError{"randomness source failed"});
  }
  return create(a, std::move(kid), sk.span());
}

Result<std::vector<std::uint8_t>, SignError> LocalSigner::sign(
    std::span<const std::uint8_t> input) const {
  std::vector<std::uint8_t> sig;
  const auto r = deterministic_ ? mldsa::Randomness::kDeterministic : mldsa::Randomness::kHedged;
  crypto::Status st;
  switch (alg_) {
    case Algorithm::kMlDsa65Ed25519: st = impl_->composite.sign(input, {}, sig, r); break;
    case Algorithm::kEd25519: st = eddsa::sign(eddsa::Curve::kEd25519, impl_->sk, input, sig); break;
    default: st = mldsa::sign(param_set(alg_), impl_->sk, input, {}, sig, r);
  }
  if (!crypto::is_ok(st)) {
    return unexpected(SignError{std::string("sign failed: ") + crypto::status_name(st)});
  }
  return sig;
}

void StaticKeyResolver::add(std::string kid, Algorithm a, std::vector<std::uint8_t> public_key,
                            std::string identity, std::int64_t not_before_ms,
                            std::int64_t not_after_ms) {
  std::lock_guard lock(mu_);
  keys_[std::move(kid)] =
      Entry{ResolvedKey{a, std::move(public_key), std::move(identity), KeyState::kValid},
            not_before_ms, not_after_ms};
}

void StaticKeyResolver::revoke(std::string_view kid, std::int64_t revoked_at_ms) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(kid);
  if (it != keys_.end()) it->second.revoked_at = revoked_at_ms;
}

bool StaticKeyResolver::lookup(std::string_view kid, std::int64_t at_ms, ResolvedKey& out) const {
  std::lock_guard lock(mu_);
  auto it = keys_.find(kid);
  if (it == keys_.end()) return false;
  out = it->second.key;
  const Entry& e = it->second;
  out.state = at_ms >= e.revoked_at  ? KeyState::kRevoked
              : at_ms > e.not_after  ? KeyState::kExpired
              : at_ms < e.not_before ? KeyState::kNotYetValid
                                     : KeyState::kValid;
  return true;
}

}  // namespace pqmcp::mcp
