// Detached file signatures and trust bundles (docs/trust-bundle.md).
//
// Detached signature: a small JSON document
//   {"type":"pqmcp-signature","version":1,"alg":"ML-DSA-65","kid":"…","ctx":"pqmcp-file-v1","sig":"<b64url>"}
// over the file's exact bytes, with context "pqmcp-file-v1" for ML-DSA and composite.
//
// Trust bundle: {"payload":"<b64url of body JSON bytes>","signatures":[{"kid","alg","sig"}]}.
// Signatures cover the exact payload bytes (context "pqmcp-trust-bundle-v1"), so no JSON
// canonical form is needed: verifiers check the bytes, then parse them.
#pragma once

#include <functional>
#include <optional>

#include "identity/registry.h"

namespace pqmcp::identity {

inline constexpr std::string_view kFileContext = "pqmcp-file-v1";
inline constexpr std::string_view kBundleContext = "pqmcp-trust-bundle-v1";

struct DetachedSignature {
  Alg alg = Alg::kMlDsa65Ed25519;
  std::string kid;
  Bytes sig;
  std::string to_json() const;
  static Result<DetachedSignature> parse(std::string_view text);
};

// Checks d over a file's exact bytes with pk, as `pqmcp verify` does (context kFileContext where
// the algorithm takes one). False if the signature does not match; the caller checks that pk is
// the key d names (kid, algorithm).
Result<bool> verify_file(const PublicKey& pk, std::string_view data, const DetachedSignature& d);

// A key listed in a bundle, with the validity the bundle asserts.
struct BundleKey {
  std::string name, role;
  KeyVersion key;  // parts empty; status/not_after/revoked_at as published
};

struct Bundle {
  std::int64_t issued_at = 0;
  std::string issuer;       // admin identity name
  std::string issuer_kid;
  std::vector<BundleKey> keys;

  // The key with this kid if the bundle lists it as valid at t (not-after honoured, a revoked
  // key never valid).
  const BundleKey* valid_key(std::string_view kid, std::int64_t t) const;
};

// Builds the body from the registry (every identity, every key with its status) and signs it
// with the admin key through `signer`.
using Signer = std::function<Result<Bytes>(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> ctx)>;
Result<std::string> export_bundle(const Registry& reg, const Identity& admin, const KeyVersion& admin_key,
                                  const Signer& signer, std::int64_t now);

// Verifies the bundle with the pinned admin key: a signature by that kid, with that key's
// algorithm, over the payload bytes. Unknown algorithms, an admin key the bundle itself lists
// as revoked, and any malformed field are rejected.
Result<Bundle> verify_bundle(std::string_view text, const PublicKey& admin, std::int64_t now);
// The kids of the bundle's signatures, without verifying (to find the admin key to pin).
Result<std::vector<std::string>> bundle_signer_kids(std::string_view text);

// The JWS-style envelope shared by trust bundles and other signed documents (tool-pin
// manifests, docs/protocol.md §8.1): {"payload":"<b64url>","signatures":[{"kid","alg","sig"}]},
// every signature over the exact payload bytes with a per-document-type context (ML-DSA and
// composite; Ed25519/ES256 take none, so the payload's "type" member must separate them).
Result<std::string> sign_document(std::string_view payload, const KeyVersion& key, const Signer& signer,
                                  std::string_view ctx);
// Returns the payload bytes if a signature by key's kid, naming key's algorithm, verifies over
// them; `op` names the operation in errors. The payload is not parsed.
Result<Bytes> verify_document(std::string_view text, const PublicKey& key, std::string_view ctx, const char* op);

}  // namespace pqmcp::identity
