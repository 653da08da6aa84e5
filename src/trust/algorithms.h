// The two algorithm vocabularies that meet here: identity::Alg (registry, bundles, tokens) and
// mcp::Algorithm (the io.pqmcp/sig envelope, docs/protocol.md §5).
#pragma once

#include <optional>

#include "identity/public_key.h"
#include "mcp/algorithm.h"

namespace pqmcp::trust {

// The envelope algorithm an identity key signs with, or nullopt for keys the envelope has no
// identifier for (ML-DSA-44+Ed25519, P-256, ML-KEM): such keys never sign pqmcp messages.
std::optional<mcp::Algorithm> to_mcp(identity::Alg a) noexcept;
identity::Alg to_identity(mcp::Algorithm a) noexcept;

}  // namespace pqmcp::trust
