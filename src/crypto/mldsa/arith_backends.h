// The two implementations behind the hot functions of arith.h, side by side. arith.h's functions
// pick one at run time (by the CPU only, never by data); this header names both so that the
// equivalence test can compare them on the same inputs. Not for the algorithm code: it calls
// arith.h.
//
// Contract: for every input inside the bounds arith.h documents, avx2::f returns exactly what
// portable::f returns (same representatives, bit for bit), so packing, the KATs and every
// downstream value are independent of the backend.
#pragma once

#include <cstdint>

#include "crypto/mldsa/arith.h"

#if defined(__x86_64__) || defined(__i386__)
#define PQMCP_MLDSA_HAVE_AVX2 1
#else
#define PQMCP_MLDSA_HAVE_AVX2 0
#endif

// The functions each backend provides, with the signatures of arith.h (declared once, for both
// namespaces below).
#define PQMCP_MLDSA_BACKEND_FUNCTIONS \
  void ntt(Poly& a) noexcept; \
  void invntt_tomont(Poly& a) noexcept; \
  void poly_pointwise(Poly& r, const Poly& a, const Poly& b) noexcept; \
  void poly_pointwise_acc(Poly& r, const Poly& a, const Poly& b) noexcept; \
  void poly_reduce(Poly& a) noexcept; \
  void poly_caddq(Poly& a) noexcept; \
  void matrix_mul(const Params& p, PolyVecK& out, const Matrix& a, const PolyVecL& v) noexcept; \
  void poly_mul_ntt_centred(Poly& r, const Poly& a, const Poly& b) noexcept; \
  void unpack_z(Poly& z, const std::uint8_t* in, const Params& p) noexcept; \
  void pack_w1(std::uint8_t* out, const Poly& w1, const Params& p) noexcept; \
  std::uint32_t poly_norm_exceeds(const Poly& a, std::int32_t bound) noexcept; \
  void poly_decompose(Poly& a1, Poly& a0, const Poly& a, std::int32_t gamma2) noexcept; \
  std::uint32_t poly_make_hint(Poly& h, const Poly& a0, const Poly& a1, std::int32_t gamma2) noexcept; \
  void poly_use_hint(Poly& r, const Poly& a, const Poly& h, std::int32_t gamma2) noexcept;

namespace pqmcp::crypto::mldsa::internal {

namespace portable {
PQMCP_MLDSA_BACKEND_FUNCTIONS
}  // namespace portable

#if PQMCP_MLDSA_HAVE_AVX2
// Defined in arith_avx2.cc; each function is compiled for AVX2 on its own (target attribute), so
// calling one on a CPU without AVX2 is an illegal instruction: callers check cpu_has_avx2().
namespace avx2 {
PQMCP_MLDSA_BACKEND_FUNCTIONS
}  // namespace avx2
#endif

// Whether this CPU (and its OS) can run the avx2 functions.
bool cpu_has_avx2() noexcept;
// Whether arith.h currently uses them: cpu_has_avx2() unless the environment variable
// PQMCP_CRYPTO_PORTABLE=1 was set when the process first used the arithmetic (read once).
bool avx2_backend_active() noexcept;

}  // namespace pqmcp::crypto::mldsa::internal
