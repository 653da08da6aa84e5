// Encryption at rest (docs/token.md "Storage format"):
//  - a random 256-bit token master key MK encrypts every sensitive attribute with AES-256-GCM
//    (NIST SP 800-38D), 96-bit random nonce, associated data = "pqhsm/attr/v1" ‖ object unique
//    id ‖ attribute type, so a sealed block cannot be moved to another object or attribute;
//  - MK itself is sealed twice, under keys derived from the SO PIN and the user PIN with
//    PBKDF2-HMAC-SHA256 (NIST SP 800-132) at the configured iteration count.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "crypto/secure.h"

namespace pqmcp::token::sealing {

inline constexpr std::size_t kKeyBytes = 32;
using Key = crypto::SecretArray<kKeyBytes>;

// nonce(12) ‖ ciphertext ‖ tag(16).
Result<std::vector<std::uint8_t>> seal(const Key& key, std::span<const std::uint8_t> aad,
                                       std::span<const std::uint8_t> plaintext);
// CKR_ENCRYPTED_DATA_INVALID if the tag does not verify.
Result<Bytes> open(const Key& key, std::span<const std::uint8_t> aad,
                   std::span<const std::uint8_t> sealed);

// Associated data for an attribute of an object.
std::vector<std::uint8_t> attribute_aad(std::string_view uid, unsigned long type);

// A PIN-wrapped master key record: salt(16) ‖ iterations (u32 BE) ‖ seal(KEK, aad, MK).
Result<std::vector<std::uint8_t>> wrap_master_key(const Key& mk, std::span<const std::uint8_t> pin,
                                                  std::uint32_t iterations, std::string_view role);
// CKR_PIN_INCORRECT when the PIN does not open the record.
Result<Key> unwrap_master_key(std::span<const std::uint8_t> record,
                              std::span<const std::uint8_t> pin, std::string_view role);

Result<Key> random_key();

}  // namespace pqmcp::token::sealing
