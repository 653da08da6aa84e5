// Identity keys on PKCS#11 tokens: creating a key version (both halves of a composite share
// one random CKA_ID) and signing with one. Verification never comes here: it runs in process
// from public keys (public_key.h).
#pragma once

#include <functional>
#include <memory>

#include "identity/registry.h"
#include "identity/signed_doc.h"
#include "p11/keys.h"

namespace pqmcp::identity {

// Finds the token a key part lives on, logged in. The CLI implements it from its config
// (module path + label → PIN source).
using TokenResolver = std::function<Result<std::shared_ptr<p11::Token>>(const std::string& module, const std::string& label)>;

// Generates a key version of algorithm a on `main` (every part), except that the Ed25519 half
// of a composite goes to `classical` when given (a PQC-capable module for ML-DSA, any module for
// Ed25519). On failure nothing is left on the tokens.
// A non-empty policy_owner makes the key policy-bound (KeyVersion::policy_bound): its ML-DSA
// private key gets CKA_PQMCP_OWNER = policy_owner and CKA_ALLOWED_MECHANISMS = {the matching
// CKM_PQMCP_MCP_SIGN_* mechanism}; the Ed25519 half of a composite stays an ordinary key.
Result<KeyVersion> create_key(Alg a, p11::Token& main, p11::Token* classical, const std::string& label, std::int64_t now,
                              const std::string& policy_owner = {});

// Removes the key objects of a version (used to undo a creation whose registry write failed).
Status destroy_key(const KeyVersion& k, const TokenResolver& resolve);

// Signs msg with ctx (ignored by Ed25519 / ES256) using the key's parts. Arbitrary bytes: a
// policy-bound key is asked with the plain mechanism too, and the token refuses it
// (CKR_MECHANISM_INVALID: not in CKA_ALLOWED_MECHANISMS); MCP messages go through trust::HsmSigner.
Result<Bytes> sign(const KeyVersion& k, const TokenResolver& resolve, std::span<const std::uint8_t> msg,
                   std::span<const std::uint8_t> ctx);

// Signs a file's exact bytes as `pqmcp sign` does (context kFileContext where the algorithm
// takes one), for a detached signature file.
Result<DetachedSignature> sign_file(const KeyVersion& k, const TokenResolver& resolve, std::string_view data);

}  // namespace pqmcp::identity
