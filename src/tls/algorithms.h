// The four KEMs pqmcp-provider offers and their fixed sizes. Two are plain ML-KEM (FIPS 203);
// two are the TLS 1.3 hybrid groups of draft-ietf-tls-ecdhe-mlkem, which are plain
// concatenations of an ML-KEM-768 part and an (EC)DHE part in a fixed, per-group order.
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/mlkem.h"

namespace pqmcp::tls::prov {

enum class Classical : std::uint8_t { kNone, kX25519, kP256 };

// Classical share sizes: RFC 7748 §6.1 (X25519, 32 bytes) and RFC 8446 §4.2.8.2
// (secp256r1 UncompressedPointRepresentation, 1 + 32 + 32 bytes). Both secrets are 32 bytes
// (RFC 8446 §7.4.2: the ECDH secret is the x-coordinate only).
inline constexpr std::size_t kX25519ShareBytes = 32;
inline constexpr std::size_t kP256ShareBytes = 65;
inline constexpr std::size_t kEcdhSecretBytes = 32;

struct AlgInfo {
  const char* name;           // algorithm name for EVP and tls-group-alg
  crypto::mlkem::ParamSet ps;
  Classical classical;
  // draft-ietf-tls-ecdhe-mlkem §4.x: X25519MLKEM768 puts ML-KEM first in shares and secret
  // ("for FIPS reasons"); SecP256r1MLKEM768 puts ECDH first in both.
  bool classical_first;
  std::uint16_t tls_group_id;  // IANA TLS Supported Groups value; 0: not a TLS group here
  unsigned security_bits;

  std::size_t classical_share() const noexcept {
    return classical == Classical::kX25519 ? kX25519ShareBytes
           : classical == Classical::kP256 ? kP256ShareBytes
                                           : 0;
  }
  std::size_t classical_secret() const noexcept {
    return classical == Classical::kNone ? 0 : kEcdhSecretBytes;
  }
  std::size_t encoded_pub_bytes() const noexcept {
    return crypto::mlkem::sizes(ps).encaps_key + classical_share();
  }
  std::size_t ciphertext_bytes() const noexcept {
    return crypto::mlkem::sizes(ps).ciphertext + classical_share();
  }
  std::size_t secret_bytes() const noexcept {
    return crypto::mlkem::kSharedSecretBytes + classical_secret();
  }
};

inline constexpr AlgInfo kMlKem768{"ML-KEM-768", crypto::mlkem::ParamSet::kMlKem768,
                                   Classical::kNone, false, 0, 192};
inline constexpr AlgInfo kMlKem1024{"ML-KEM-1024", crypto::mlkem::ParamSet::kMlKem1024,
                                    Classical::kNone, false, 0, 256};
// Security bits follow the PQ component's NIST category, as oqs-provider and the draft's IANA
// entries do; libssl only uses them for SSL_CTX security-level filtering.
inline constexpr AlgInfo kX25519MlKem768{"X25519MLKEM768", crypto::mlkem::ParamSet::kMlKem768,
                                         Classical::kX25519, false, 0x11EC, 192};
inline constexpr AlgInfo kP256MlKem768{"SecP256r1MLKEM768", crypto::mlkem::ParamSet::kMlKem768,
                                       Classical::kP256, true, 0x11EB, 192};

}  // namespace pqmcp::tls::prov
