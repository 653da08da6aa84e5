// FIPS 203 §8, Table 2: the three ML-KEM parameter sets as compile-time types, so that the
// algorithm code is written once and every buffer size is a constant.
#pragma once

#include <cstddef>

#include "crypto/mlkem.h"

namespace pqmcp::crypto::mlkem {

template <int K, int Eta1, int Du, int Dv>
struct Params {
  static constexpr int k = K;
  static constexpr int eta1 = Eta1;
  static constexpr int eta2 = 2;
  static constexpr int du = Du;
  static constexpr int dv = Dv;
  static constexpr std::size_t kPolyBytes = 384;  // ByteEncode12 of one polynomial
  static constexpr std::size_t kVecBytes = kPolyBytes * K;
  static constexpr std::size_t kEkBytes = kVecBytes + 32;
  static constexpr std::size_t kDkPkeBytes = kVecBytes;
  static constexpr std::size_t kDkBytes = 2 * kVecBytes + 96;
  static constexpr std::size_t kC1Bytes = 32 * Du * K;
  static constexpr std::size_t kC2Bytes = 32 * Dv;
  static constexpr std::size_t kCtBytes = kC1Bytes + kC2Bytes;
};

using MlKem512 = Params<2, 3, 10, 4>;
using MlKem768 = Params<3, 2, 10, 4>;
using MlKem1024 = Params<4, 2, 11, 5>;

// The public header's size table and these types must never drift apart.
template <class P>
constexpr bool sizes_agree(ParamSet ps) {
  const Sizes s = sizes(ps);
  return s.encaps_key == P::kEkBytes && s.decaps_key == P::kDkBytes && s.ciphertext == P::kCtBytes;
}
static_assert(sizes_agree<MlKem512>(ParamSet::kMlKem512));
static_assert(sizes_agree<MlKem768>(ParamSet::kMlKem768));
static_assert(sizes_agree<MlKem1024>(ParamSet::kMlKem1024));

}  // namespace pqmcp::crypto::mlkem
