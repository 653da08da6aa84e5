// Small helpers shared by the ML-KEM tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "crypto/mlkem.h"
#include "support/vectors.h"

namespace pqmcp::crypto::mlkem::testutil {

using test::Bytes;

inline constexpr ParamSet kAllSets[] = {ParamSet::kMlKem512, ParamSet::kMlKem768, ParamSet::kMlKem1024};

// "ML-KEM-768" (ACVP, Wycheproof) or a path containing it (CCTV files).
inline ParamSet param_from_name(std::string_view s) {
  if (s.find("512") != std::string_view::npos) return ParamSet::kMlKem512;
  if (s.find("768") != std::string_view::npos) return ParamSet::kMlKem768;
  if (s.find("1024") != std::string_view::npos) return ParamSet::kMlKem1024;
  throw std::invalid_argument("unknown ML-KEM parameter set");
}

inline Bytes to_bytes(const SecureBuffer& b) { return Bytes(b.data(), b.data() + b.size()); }
template <std::size_t N>
inline Bytes to_bytes(const SecretArray<N>& b) {
  return Bytes(b.data(), b.data() + N);
}

template <std::size_t N>
inline std::span<const std::uint8_t, N> fixed(const Bytes& b) {
  if (b.size() != N) throw std::invalid_argument("wrong fixed length");
  return std::span<const std::uint8_t, N>(b.data(), N);
}

template <std::size_t N>
inline bool all_zero(const SecretArray<N>& a) {
  for (std::size_t i = 0; i < N; ++i)
    if (a[i] != 0) return false;
  return true;
}

}  // namespace pqmcp::crypto::mlkem::testutil
