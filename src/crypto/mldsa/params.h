// FIPS 204 §4, Table 1 and Table 2: the parameters of ML-DSA-44, -65 and -87, and the byte
// lengths derived from them (pkEncode, skEncode, sigEncode, w1Encode; Algorithms 22-28).
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/mldsa.h"

namespace pqmcp::crypto::mldsa::internal {

inline constexpr std::int32_t kQ = 8380417;  // 2^23 - 2^13 + 1
inline constexpr int kN = 256;
inline constexpr int kD = 13;                // dropped bits of t
inline constexpr int kMaxK = 8;
inline constexpr int kMaxL = 7;
inline constexpr std::size_t kTrBytes = 64;
inline constexpr std::size_t kMaxCTildeBytes = 64;
inline constexpr std::int32_t kGamma2Small = (kQ - 1) / 88;  // ML-DSA-44
inline constexpr std::int32_t kGamma2Large = (kQ - 1) / 32;  // ML-DSA-65 and -87

struct Params {
  int k, l;
  std::int32_t eta;
  int tau;
  std::int32_t beta;
  std::int32_t gamma1;
  int gamma1_bits;  // log2(γ1); z coefficients take gamma1_bits + 1 bits
  std::int32_t gamma2;
  int omega;
  std::size_t ctilde_bytes;  // λ/4

  constexpr std::size_t eta_poly_bytes() const { return eta == 2 ? 96 : 128; }
  constexpr std::size_t z_poly_bytes() const { return 32 * static_cast<std::size_t>(gamma1_bits + 1); }
  constexpr std::size_t w1_poly_bytes() const { return gamma2 == kGamma2Small ? 192 : 128; }
  constexpr std::size_t pk_bytes() const { return 32 + 320 * static_cast<std::size_t>(k); }
  constexpr std::size_t sk_bytes() const {
    return 128 + eta_poly_bytes() * static_cast<std::size_t>(k + l) + 416 * static_cast<std::size_t>(k);
  }
  constexpr std::size_t sig_bytes() const {
    return ctilde_bytes + z_poly_bytes() * static_cast<std::size_t>(l) +
           static_cast<std::size_t>(omega + k);
  }
};

inline constexpr Params kParams44{4, 4, 2, 39, 78, 1 << 17, 17, kGamma2Small, 80, 32};
inline constexpr Params kParams65{6, 5, 4, 49, 196, 1 << 19, 19, kGamma2Large, 55, 48};
inline constexpr Params kParams87{8, 7, 2, 60, 120, 1 << 19, 19, kGamma2Large, 75, 64};

constexpr const Params& params(ParamSet p) noexcept {
  switch (p) {
    case ParamSet::kMlDsa65: return kParams65;
    case ParamSet::kMlDsa87: return kParams87;
    case ParamSet::kMlDsa44: break;
  }
  return kParams44;
}

constexpr bool valid_param_set(ParamSet p) noexcept {
  return p == ParamSet::kMlDsa44 || p == ParamSet::kMlDsa65 || p == ParamSet::kMlDsa87;
}

// The public header's sizes() must agree with the parameters.
static_assert(kParams44.pk_bytes() == 1312 && kParams44.sk_bytes() == 2560 && kParams44.sig_bytes() == 2420);
static_assert(kParams65.pk_bytes() == 1952 && kParams65.sk_bytes() == 4032 && kParams65.sig_bytes() == 3309);
static_assert(kParams87.pk_bytes() == 2592 && kParams87.sk_bytes() == 4896 && kParams87.sig_bytes() == 4627);

}  // namespace pqmcp::crypto::mldsa::internal
