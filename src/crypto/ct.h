// Constant-time helpers and the hooks that let the test suite check constant-time behaviour.
//
// Under PQMCP_CT_TESTING the two macros tell valgrind's memcheck that bytes are secret
// (undefined) or public again (defined). memcheck then reports every branch and every memory
// index that depends on a secret. Each PQMCP_CT_DECLASSIFY in the library names the
// standard's reason why the value is public.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#ifdef PQMCP_CT_TESTING
#include <valgrind/memcheck.h>
#define PQMCP_CT_SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PQMCP_CT_DECLASSIFY(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define PQMCP_CT_SECRET(p, n) ((void)(p), (void)(n))
#define PQMCP_CT_DECLASSIFY(p, n) ((void)(p), (void)(n))
#endif

namespace pqmcp::crypto::ct {

// Hides a value from the optimiser so that it cannot turn mask arithmetic into a branch
// (the "clangover" class of compiler-introduced timing leaks).
inline std::uint32_t barrier(std::uint32_t x) noexcept {
  __asm__ volatile("" : "+r"(x));
  return x;
}
inline std::uint64_t barrier(std::uint64_t x) noexcept {
  __asm__ volatile("" : "+r"(x));
  return x;
}
inline std::int32_t barrier(std::int32_t x) noexcept {
  __asm__ volatile("" : "+r"(x));
  return x;
}

// 0xFFFFFFFF if x != 0, else 0.
inline std::uint32_t mask_nonzero(std::uint32_t x) noexcept {
  x = barrier(x);
  return static_cast<std::uint32_t>(-static_cast<std::int32_t>((x | (0u - x)) >> 31));
}

// 0xFF if the two byte strings are equal, else 0; time depends only on the length.
std::uint8_t eq_mask(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

// true if equal; time depends only on the length. The boolean result is public by the caller's
// decision (it declassifies it if the inputs were secret).
bool equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

// dst[i] = mask ? src[i] : dst[i], with mask 0x00 or 0xFF.
void cmov(std::span<std::uint8_t> dst, std::span<const std::uint8_t> src, std::uint8_t mask) noexcept;

}  // namespace pqmcp::crypto::ct
