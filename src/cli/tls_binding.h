// The TLS binding (docs/http.md "--tls-binding"): a statement that ties the classical certificate
// of a `pqmcp serve` endpoint to the server identity, signed by that identity's post-quantum key
// in the format of `pqmcp sign` (FILE + FILE.sig). `serve` writes it; `connect --url` checks it
// against the trust bundle and pins the certificate it names, so that the TLS peer's
// authenticity rests on an ML-DSA signature instead of on a CA.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/context.h"
#include "http/server.h"
#include "mcp/signer.h"

namespace pqmcp::cli {

// Writes FILE and FILE.sig for the certificate `s` serves at `url`. Exit code on failure
// (already reported).
int write_tls_binding(Context& ctx, const std::string& identity_name, const http::Server& s, const std::string& url,
                      bool self_signed, const std::string& path);

// Checks FILE + FILE.sig for `pqmcp connect --url`: the signature is by a key that `keys` (the
// trust bundle, or the local registry) lists as valid now for `server_identity`, in one of the
// `allowed` algorithms (gateway.algorithms); the statement, read as I-JSON, names that identity
// and key, is current (iat not in the future, exp present and not past) and names a certificate.
// On success `fingerprint` receives that certificate's SHA-256 (the form --tls-fingerprint
// takes). The URL in the statement is where the server listened, not necessarily the name a
// client uses, so it is not compared. Exit code 1 on any failure (already reported).
int check_tls_binding(const std::string& path, const mcp::KeyResolver& keys, const std::string& server_identity,
                      const std::vector<mcp::Algorithm>& allowed, std::int64_t now_ms, const std::string& name,
                      std::string& fingerprint);

}  // namespace pqmcp::cli
