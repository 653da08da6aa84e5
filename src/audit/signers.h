// In-process NoteSigners over raw private keys: for tests, benchmarks and deployments without an
// HSM. Production checkpoints are signed through the CLI's HSM signer (src/cli/audit_signer.cc)
// or, inside libpqhsm, by the token's own key; both implement the same NoteSigner.
#pragma once

#include <memory>

#include "audit/note.h"
#include "crypto/secure.h"

namespace pqmcp::audit {

// Generates a fresh key of type t (ML-DSA from a random seed, Ed25519 from OpenSSL).
Result<std::unique_ptr<NoteSigner>> generate_signer(SigType t);
// From an ML-DSA seed ξ (32 bytes) or an Ed25519 private key (32 bytes).
Result<std::unique_ptr<NoteSigner>> signer_from_seed(SigType t, std::span<const std::uint8_t> seed);

}  // namespace pqmcp::audit
