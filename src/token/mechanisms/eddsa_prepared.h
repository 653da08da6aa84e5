// Ed25519 keys of the token, shared by CKM_EDDSA (ec.cc) and the one-operation composite
// signature (composite_sign.cc).
#pragma once

#include <memory>

#include "core/result.h"
#include "crypto/eddsa.h"
#include "store/object.h"

namespace pqmcp::token {

// An EC_EDWARDS key object on edwards25519 (CKA_EC_PARAMS: the OID or the printable name).
bool is_ed25519_key(const Object& o);
// The private key of an Ed25519 key object, prepared once per key object (prepared_key.h):
// CKR_USER_NOT_LOGGED_IN while sealed, CKR_KEY_HANDLE_INVALID if CKA_VALUE does not load.
Result<std::shared_ptr<const crypto::eddsa::SigningKey>> prepared_ed25519_private(const Object& key);

}  // namespace pqmcp::token
