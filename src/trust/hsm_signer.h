// mcp::Signer over an identity key held on PKCS#11 token(s): the private key never leaves the
// token; composite identities sign through p11::sign_composite (ML-DSA half and Ed25519 half
// possibly on different modules). A policy-bound key (KeyVersion::policy_bound) signs through
// libpqhsm's CKM_PQMCP_MCP_SIGN_* mechanisms: the token checks its policy before signing.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "identity/keystore.h"
#include "mcp/signer.h"

namespace pqmcp::trust {

class HsmSigner final : public mcp::Signer {
 public:
  // Opens the key's token(s) through `resolve` (which logs in) and finds the private-key
  // objects once, so that sign() costs one C_Sign (two for a composite) and no C_FindObjects.
  // Fails for imported (public-only) keys, for algorithms the envelope cannot carry, and for
  // keys that are not valid at `now` (Unix seconds): a revoked or expired key must not sign.
  static p11::Result<std::unique_ptr<HsmSigner>> create(const identity::KeyVersion& key,
                                                        const identity::TokenResolver& resolve,
                                                        std::int64_t now);
  // The identity's current signing key (Identity::signing_key()).
  static p11::Result<std::unique_ptr<HsmSigner>> for_identity(const identity::Identity& id,
                                                              const identity::TokenResolver& resolve,
                                                              std::int64_t now);

  mcp::Algorithm algorithm() const override { return alg_; }
  const std::string& kid() const override { return kid_; }
  const std::vector<std::uint8_t>& public_key() const { return public_key_; }
  // Thread-safe: each call borrows a session from the token's pool.
  Result<std::vector<std::uint8_t>, mcp::SignError> sign(
      std::span<const std::uint8_t> input) const override;

 private:
  struct Part {
    std::shared_ptr<p11::Token> token;  // keeps the token (and its login) alive
    p11::KeyType type;
    CK_OBJECT_HANDLE priv;
  };
  HsmSigner() = default;
  mcp::Algorithm alg_ = mcp::Algorithm::kMlDsa65Ed25519;
  std::string kid_;
  std::vector<std::uint8_t> public_key_;
  std::vector<Part> parts_;  // composite: ML-DSA half first, then Ed25519 (registry order)
  bool policy_bound_ = false;  // the ML-DSA half signs through CKM_PQMCP_MCP_SIGN_* (token policy)
  // A composite whose halves share a token offering CKM_PQMCP_COMPOSITE_SIGN signs in one
  // operation (p11::CompositeKey::one_operation); cleared if the token refuses it for these keys.
  mutable std::atomic<bool> one_operation_{false};
};

}  // namespace pqmcp::trust
