// K-PKE, the CPA-secure encryption scheme under ML-KEM (FIPS 203 §5). Internal to ML-KEM:
// it is only secure inside the Fujisaki-Okamoto transform of mlkem.cc.
#pragma once

#include <cstdint>
#include <span>

#include "crypto/mlkem/params.h"

namespace pqmcp::crypto::mlkem {

// FIPS 203 Algorithm 13 (K-PKE.KeyGen), final standard: (rho, sigma) = G(d || k).
template <class P>
void kpke_keygen(std::span<const std::uint8_t, 32> d, std::span<std::uint8_t, P::kEkBytes> ek,
                 std::span<std::uint8_t, P::kDkPkeBytes> dk_pke) noexcept;

// FIPS 203 Algorithm 14 (K-PKE.Encrypt). ek must be public (its rho drives rejection sampling).
template <class P>
void kpke_encrypt(std::span<const std::uint8_t, P::kEkBytes> ek, std::span<const std::uint8_t, 32> m,
                  std::span<const std::uint8_t, 32> r, std::span<std::uint8_t, P::kCtBytes> c) noexcept;

// FIPS 203 Algorithm 15 (K-PKE.Decrypt).
template <class P>
void kpke_decrypt(std::span<const std::uint8_t, P::kDkPkeBytes> dk_pke,
                  std::span<const std::uint8_t, P::kCtBytes> c, std::span<std::uint8_t, 32> m) noexcept;

}  // namespace pqmcp::crypto::mlkem
