// mcp::KeyResolver over a verified trust bundle (docs/trust-bundle.md): kid → public key, sender
// identity and state. Rotation works because every key version of an identity resolves to the
// same identity name, the retiring one until its not_after; revocation because a revoked key
// resolves as kRevoked (the verifier reports "revoked", never "unknown-key").
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "identity/signed_doc.h"
#include "mcp/signer.h"

namespace pqmcp::trust {

class BundleKeyResolver final : public mcp::KeyResolver {
 public:
  // Verifies the bundle text with the pinned admin key (identity::verify_bundle; `now` in Unix
  // seconds) and indexes its keys.
  static p11::Result<std::unique_ptr<BundleKeyResolver>> load(std::string_view text,
                                                              const identity::PublicKey& admin,
                                                              std::int64_t now);
  // Indexes an already verified bundle.
  explicit BundleKeyResolver(identity::Bundle verified, identity::PublicKey admin);

  // Replaces the bundle with a newly published one (how rotation and revocation propagate),
  // verified with the same pinned admin key. A bundle issued before the current one is refused:
  // replaying an old, validly signed bundle must not un-revoke a key.
  p11::Status update(std::string_view text, std::int64_t now);

  std::int64_t issued_at() const;
  bool lookup(std::string_view kid, std::int64_t at_ms, mcp::ResolvedKey& out) const override;

 private:
  struct Entry {
    mcp::Algorithm alg;
    std::vector<std::uint8_t> public_key;
    std::string identity;
    std::int64_t not_after_ms;  // INT64_MAX: none
    bool revoked;
  };
  using Index = std::map<std::string, Entry, std::less<>>;
  static std::shared_ptr<const Index> index(const identity::Bundle& b);

  identity::PublicKey admin_;
  mutable std::mutex mu_;
  std::int64_t issued_at_ = 0;
  // Swapped whole under mu_ by update(); lookups copy the pointer, so a reader never sees a
  // half-replaced bundle.
  std::shared_ptr<const Index> keys_;
};

}  // namespace pqmcp::trust
