// ML-KEM (FIPS 203): key generation, encapsulation and decapsulation for ML-KEM-512, -768
// and -1024.
//
// Private keys exist in two forms: the 64-byte seed d‖z (FIPS 203 §3.3 allows storing it and
// re-deriving the key) and the expanded decapsulation key of FIPS 203 §7.1. Every function
// validates its inputs as FIPS 203 §7.2 and §7.3 require and returns a Status; on any error the
// secret outputs are zeroed and the public outputs are left empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/secure.h"
#include "crypto/status.h"

namespace pqmcp::crypto::mlkem {

enum class ParamSet : std::uint8_t { kMlKem512, kMlKem768, kMlKem1024 };

inline constexpr std::size_t kSeedBytes = 64;          // d ‖ z
inline constexpr std::size_t kSharedSecretBytes = 32;  // K
inline constexpr std::size_t kMessageBytes = 32;       // m of Encaps_internal

struct Sizes {
  std::size_t encaps_key;  // 384k + 32
  std::size_t decaps_key;  // 768k + 96
  std::size_t ciphertext;  // 32(du k + dv)
};

constexpr Sizes sizes(ParamSet p) noexcept {
  switch (p) {
    case ParamSet::kMlKem512: return {800, 1632, 768};
    case ParamSet::kMlKem768: return {1184, 2400, 1088};
    case ParamSet::kMlKem1024: return {1568, 3168, 1568};
  }
  return {0, 0, 0};
}

// "ML-KEM-768" etc.
const char* name(ParamSet p) noexcept;

using Seed = SecretArray<kSeedBytes>;
using SharedSecret = SecretArray<kSharedSecretBytes>;

// FIPS 203 Algorithm 16 (ML-KEM.KeyGen_internal) from the seed d ‖ z.
Status keygen_from_seed(ParamSet p, std::span<const std::uint8_t, kSeedBytes> seed,
                        std::vector<std::uint8_t>& ek, SecureBuffer& dk) noexcept;

// FIPS 203 Algorithm 19 (ML-KEM.KeyGen): fresh d, z from the OS. If seed_out is given it
// receives d ‖ z, the compact private-key form.
Status keygen(ParamSet p, std::vector<std::uint8_t>& ek, SecureBuffer& dk,
              Seed* seed_out = nullptr) noexcept;

// FIPS 203 Algorithm 17 (ML-KEM.Encaps_internal) with caller-chosen m; runs the §7.2 checks.
Status encaps_derand(ParamSet p, std::span<const std::uint8_t> ek,
                     std::span<const std::uint8_t, kMessageBytes> m, std::vector<std::uint8_t>& ct,
                     SharedSecret& key) noexcept;

// FIPS 203 Algorithm 20 (ML-KEM.Encaps): fresh m from the OS; runs the §7.2 checks.
Status encaps(ParamSet p, std::span<const std::uint8_t> ek, std::vector<std::uint8_t>& ct,
              SharedSecret& key) noexcept;

// FIPS 203 Algorithm 21 (ML-KEM.Decaps) with the §7.3 checks on dk and ct. A well-formed but
// wrong ciphertext is not an error: it yields the implicit-rejection key J(z ‖ c).
Status decaps(ParamSet p, std::span<const std::uint8_t> dk, std::span<const std::uint8_t> ct,
              SharedSecret& key) noexcept;

// FIPS 203 §7.2: type (length) check and modulus check of an encapsulation key.
Status check_encaps_key(ParamSet p, std::span<const std::uint8_t> ek) noexcept;

// FIPS 203 §7.3: type (length) check and hash check H(ek) of a decapsulation key; also the
// modulus check of the embedded ek, which the hash check alone does not imply.
Status check_decaps_key(ParamSet p, std::span<const std::uint8_t> dk) noexcept;

// Checks that an expanded dk is the one the seed derives (key import with both forms).
Status check_seed_matches(ParamSet p, std::span<const std::uint8_t, kSeedBytes> seed,
                          std::span<const std::uint8_t> dk) noexcept;

}  // namespace pqmcp::crypto::mlkem
