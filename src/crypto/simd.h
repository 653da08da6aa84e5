// The crypto core's one rule for choosing SIMD code at run time (internal to src/crypto): a
// backend runs only where the CPU has its instructions (each caller checks those with
// __builtin_cpu_supports) and the environment does not turn it off. The environment exists for
// tests and benchmarks, which run the other paths on the same machine and binary:
//   PQMCP_CRYPTO_PORTABLE=1   no SIMD backend at all (the portable code everywhere);
//   PQMCP_CRYPTO_NO_AVX512=1  no AVX-512 backend (AVX2 where there is one).
// Each backend reads this once per process, so the choice never depends on data.
#pragma once

namespace pqmcp::crypto {

// Whether the environment allows SIMD backends (avx512 = false) or AVX-512 ones (avx512 = true).
bool simd_allowed(bool avx512) noexcept;

}  // namespace pqmcp::crypto
