// Signed tool-pin manifests (docs/protocol.md §8.1): a server operator publishes the digests of
// the server's tool definitions in a JWS-style document (identity::sign_document, the trust
// bundle's envelope); the agent side verifies it against its trust bundle and pins the digests
// (mcp::PinStore::pin_manifest) instead of trusting first use.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "identity/signed_doc.h"
#include "mcp/pins.h"
#include "mcp/signer.h"

namespace pqmcp::trust {

inline constexpr std::string_view kManifestContext = "pqmcp-tool-manifest-v1";

struct PinManifest {
  std::string server;                        // the server identity whose tools these are
  std::int64_t issued_at = 0;                // Unix seconds
  std::map<std::string, std::string> tools;  // tool name → "sha3-256:<64 lower-case hex>"
  std::string signer_kid, signer_identity;   // filled in by verification
};

// Serialises the body and signs it with `key` through `signer` (context kManifestContext).
p11::Result<std::string> sign_pin_manifest(const PinManifest& m, const identity::KeyVersion& key,
                                           const identity::Signer& signer);

// Verifies a manifest: a signature whose kid `keys` (the trust bundle) resolves to a key valid
// at now_ms, naming that key's algorithm, over the payload; then the payload is parsed and the
// signer's identity must be the manifest's `server` or one of `also_trusted` (e.g. the admin).
// Revoked, expired, unknown and foreign signers, malformed digests and a future issued_at
// (beyond 5 minutes of skew) are errors.
p11::Result<PinManifest> verify_pin_manifest(std::string_view text, const mcp::KeyResolver& keys,
                                             std::int64_t now_ms,
                                             const std::vector<std::string>& also_trusted = {});

// verify_pin_manifest, then pins every listed digest for the manifest's server.
p11::Result<PinManifest> apply_pin_manifest(mcp::PinStore& store, std::string_view text,
                                            const mcp::KeyResolver& keys, std::int64_t now_ms,
                                            const std::vector<std::string>& also_trusted = {});

}  // namespace pqmcp::trust
