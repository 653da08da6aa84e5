// The encoding of private keys inside a wrapped blob (C_WrapKey / C_UnwrapKey of a
// CKO_PRIVATE_KEY, PKCS#11 3.2 §5.18.6-7): PKCS#8 PrivateKeyInfo DER (RFC 5958 v1).
//   ML-DSA: id-ml-dsa-44/65/87 (2.16.840.1.101.3.4.3.17/18/19), privateKey = ML-DSA-PrivateKey of
//           RFC 9881 §6 (seed [0] | expandedKey | both SEQUENCE {seed, expandedKey});
//   ML-KEM: id-alg-ml-kem-512/768/1024 (2.16.840.1.101.3.4.4.1/2/3), the same CHOICE with the
//           64-byte seed d ‖ z (draft-ietf-lamps-kyber-certificates, ML-KEM-PrivateKey);
//   Ed25519: id-Ed25519 (1.3.101.112), CurvePrivateKey (RFC 8410 §7);
//   P-256:  id-ecPublicKey + prime256v1, ECPrivateKey (RFC 5915), through OpenSSL.
// Wrapping writes "both" when the key object has CKA_SEED; unwrapping accepts any of the three.
#pragma once

#include <span>

#include "core/bytes.h"
#include "core/result.h"
#include "store/object.h"

namespace pqmcp::token {

// The PrivateKeyInfo of a private key object whose key material is unsealed.
// CKR_KEY_NOT_WRAPPABLE for a key type without an encoding.
Result<Bytes> encode_private_key(const Object& key);

// Parses a PrivateKeyInfo into `key` (built from the unwrap template): sets CKA_VALUE and/or
// CKA_SEED, and CKA_PARAMETER_SET / CKA_EC_PARAMS where the template left them out. A malformed
// encoding is CKR_WRAPPED_KEY_INVALID; an algorithm or parameter set that disagrees with the
// template is CKR_TEMPLATE_INCONSISTENT. The key type's import() still has to run after this
// (it derives and cross-checks seed and expanded forms).
Status decode_private_key(std::span<const std::uint8_t> der, Object& key);

}  // namespace pqmcp::token
