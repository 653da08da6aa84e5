// ML-DSA keys of the token prepared once per key object (mechanisms/prepared_key.h), shared by
// the CKM_ML_DSA family (mldsa.cc) and the MCP signing mechanisms (mcp_sign.cc).
#pragma once

#include <memory>

#include "core/result.h"
#include "crypto/mldsa.h"
#include "store/object.h"

namespace pqmcp::token {

// From CKA_VALUE of an ML-DSA private / public key object of parameter set p:
// CKR_USER_NOT_LOGGED_IN while it is sealed, CKR_KEY_HANDLE_INVALID if it does not decode.
Result<std::shared_ptr<const crypto::mldsa::PreparedPrivateKey>> prepared_mldsa_private(const Object& key,
                                                                                        crypto::mldsa::ParamSet p);
Result<std::shared_ptr<const crypto::mldsa::PreparedPublicKey>> prepared_mldsa_public(const Object& key,
                                                                                      crypto::mldsa::ParamSet p);

}  // namespace pqmcp::token
