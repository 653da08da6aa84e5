#include "trust/bundle_resolver.h"

#include "trust/algorithms.h"

namespace pqmcp::trust {

std::shared_ptr<const BundleKeyResolver::Index> BundleKeyResolver::index(const identity::Bundle& b) {
  auto idx = std::make_shared<Index>();
  for (const auto& bk : b.keys) {
    // Keys the envelope cannot name (P-256, ML-DSA-44+Ed25519, ML-KEM) never sign pqmcp
    // messages: leaving them out makes their kid "unknown-key" rather than a key that could
    // be matched against a differently named algorithm.
    const auto alg = to_mcp(bk.key.public_key.alg);
    if (!alg) continue;
    const std::int64_t na = bk.key.not_after;
    // Bundles count seconds, the envelope milliseconds; saturate instead of overflowing.
    const std::int64_t na_ms = na == 0 ? INT64_MAX : na > INT64_MAX / 1000 ? INT64_MAX : na * 1000;
    (*idx)[bk.key.kid] = Entry{*alg, bk.key.public_key.raw, bk.name, na_ms,
                               bk.key.status == identity::KeyStatus::kRevoked};
  }
  return idx;
}

BundleKeyResolver::BundleKeyResolver(identity::Bundle verified, identity::PublicKey admin)
    : admin_(std::move(admin)), issued_at_(verified.issued_at), keys_(index(verified)) {}

p11::Result<std::unique_ptr<BundleKeyResolver>> BundleKeyResolver::load(std::string_view text,
                                                                        const identity::PublicKey& admin,
                                                                        std::int64_t now) {
  auto b = identity::verify_bundle(text, admin, now);
  if (!b) return std::move(b).error();
  return std::make_unique<BundleKeyResolver>(std::move(b.value()), admin);
}

p11::Status BundleKeyResolver::update(std::string_view text, std::int64_t now) {
  auto b = identity::verify_bundle(text, admin_, now);
  if (!b) return std::move(b).error();
  auto idx = index(*b);
  std::lock_guard lock(mu_);
  if (b->issued_at < issued_at_)
    return p11::make_error(p11::Error::Kind::kInput, "update trust bundle", "",
                           "the new bundle was issued at " + identity::rfc3339(b->issued_at) +
                               ", before the current one (" + identity::rfc3339(issued_at_) +
                               "): refusing a rollback");
  issued_at_ = b->issued_at;
  keys_ = std::move(idx);
  return {};
}

std::int64_t BundleKeyResolver::issued_at() const {
  std::lock_guard lock(mu_);
  return issued_at_;
}

bool BundleKeyResolver::lookup(std::string_view kid, std::int64_t at_ms, mcp::ResolvedKey& out) const {
  std::shared_ptr<const Index> keys;
  {
    std::lock_guard lock(mu_);
    keys = keys_;
  }
  auto it = keys->find(kid);
  if (it == keys->end()) return false;
  const Entry& e = it->second;
  out.algorithm = e.alg;
  out.public_key = e.public_key;
  out.identity = e.identity;
  // Revocation is immediate and has no grace period (docs/trust-bundle.md); not_after ends a
  // retiring key's overlap. A bundle's not_before is the key's creation time at the issuer and
  // is not a validity bound there either, so it is not checked (a verifier whose clock lags the
  // issuer's must still accept a freshly rotated key).
  out.state = e.revoked ? mcp::KeyState::kRevoked
              : at_ms >= e.not_after_ms ? mcp::KeyState::kExpired
                                        : mcp::KeyState::kValid;
  return true;
}

}  // namespace pqmcp::trust
