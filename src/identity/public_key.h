// Public keys of identities: algorithms, SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) with the
// IETF OIDs, PEM, JWK, the kid, and in-process verification (no HSM round trip).
#pragma once

#include <optional>
#include <string>

#include "identity/encoding.h"
#include "p11/result.h"

namespace pqmcp::identity {

using p11::Error;
using p11::Result;
using p11::Status;

enum class Alg {
  kMlDsa44, kMlDsa65, kMlDsa87,
  kMlDsa44Ed25519, kMlDsa65Ed25519,
  kEd25519, kP256,
  kMlKem512, kMlKem768, kMlKem1024,
};

// The algorithm's name in registry, signature and bundle files: "ML-DSA-65", "ML-DSA-65-Ed25519",
// "Ed25519", "ES256" (P-256 with SHA-256), "ML-KEM-768".
const char* alg_name(Alg a);
std::optional<Alg> alg_from_name(std::string_view s);
// The CLI's spelling: "mldsa65-ed25519", "mldsa44", "ed25519", "p256".
std::optional<Alg> alg_from_cli(std::string_view s);
bool is_composite(Alg a);
bool can_sign(Alg a);
bool takes_context(Alg a);  // ML-DSA and composite; Ed25519 and ES256 have no context
std::size_t public_key_size(Alg a);  // raw public key bytes

struct PublicKey {
  Alg alg = Alg::kMlDsa65Ed25519;
  Bytes raw;  // ML-DSA/ML-KEM encoding, composite concatenation, Ed25519 32 B, P-256 65 B point

  Bytes spki_der() const;
  std::string pem() const;
  std::string jwk() const;  // JSON text; includes "kid"
  // kid = base64url(first 16 bytes of SHA-256(SPKI DER)): 22 characters, stable for a key.
  std::string kid() const;
};

// Parses SPKI DER, PEM ("PUBLIC KEY") or a JWK; checks the OID and the key length.
Result<PublicKey> parse_spki(std::span<const std::uint8_t> der);
Result<PublicKey> parse_public_key(std::string_view text);
Result<PublicKey> public_key_from_raw(Alg a, std::span<const std::uint8_t> raw);

// Verifies in process. ML-DSA and composite use ctx; Ed25519 and ES256 (raw r‖s over SHA-256
// of msg) ignore it. Returns false for a well-formed invalid signature, an Error for a key
// or algorithm that cannot verify.
Result<bool> verify(const PublicKey& pk, std::span<const std::uint8_t> msg, std::span<const std::uint8_t> ctx,
                    std::span<const std::uint8_t> sig);

}  // namespace pqmcp::identity
