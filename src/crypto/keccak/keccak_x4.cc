// The four-way Keccak permutation's backend choice and the four-way SHAKE sponges (FIPS 202
// §4 sponge construction, §6.2 SHAKE128/SHAKE256).
#include "crypto/keccak/keccak_x4.h"

#include <cstdlib>
#include <cstring>

#include "crypto/secure.h"
#include "crypto/sha3.h"
#include "crypto/simd.h"

namespace pqmcp::crypto {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "pqmcp's Keccak assumes little-endian");

namespace keccak_x4_internal {

void permute_portable(std::uint64_t s[kKeccakX4Words]) noexcept {
  std::uint64_t one[25];
  for (int j = 0; j < 4; ++j) {
    for (int i = 0; i < 25; ++i) one[i] = s[4 * i + j];
    keccak_f1600(one);
    for (int i = 0; i < 25; ++i) s[4 * i + j] = one[i];
  }
  secure_wipe(one, sizeof one);
}

Backend backend() noexcept {
  // Decided once: the environment variables let the tests and benchmarks run the other paths on
  // the same machine and binary; the CPU check keeps older x86-64 CPUs working.
  static const Backend selected = [] {
#if defined(__x86_64__)
    if (!simd_allowed(false)) return Backend::kPortable;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") == 0) return Backend::kPortable;
    if (simd_allowed(true) && __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512vl") != 0)
      return Backend::kAvx512;
    return Backend::kAvx2;
#else
    return Backend::kPortable;
#endif
  }();
  return selected;
}

bool avx2_selected() noexcept { return backend() != Backend::kPortable; }

const char* backend_name() noexcept {
  switch (backend()) {
    case Backend::kAvx512: return "avx512vl";
    case Backend::kAvx2: return "avx2";
    default: return "portable";
  }
}

}  // namespace keccak_x4_internal

void keccak_f1600_x4(std::uint64_t s[kKeccakX4Words]) noexcept {
#if defined(__x86_64__)
  switch (keccak_x4_internal::backend()) {
    case keccak_x4_internal::Backend::kAvx512: keccak_x4_internal::permute_avx512(s); return;
    case keccak_x4_internal::Backend::kAvx2: keccak_x4_internal::permute_avx2(s); return;
    default: break;
  }
#endif
  keccak_x4_internal::permute_portable(s);
}

template <std::size_t R>
ShakeX4<R>::ShakeX4() noexcept {
  std::memset(s_, 0, sizeof s_);
}

template <std::size_t R>
ShakeX4<R>::~ShakeX4() {
  secure_wipe(s_, sizeof s_);
}

template <std::size_t R>
void ShakeX4<R>::absorb_once(const std::uint8_t* const in[4], std::size_t len) noexcept {
  std::size_t off = 0;
  // Whole blocks, lane by lane (memcpy: the inputs carry no alignment guarantee).
  for (; len - off >= R; off += R) {
    for (std::size_t i = 0; i < R / 8; ++i) {
      for (int j = 0; j < 4; ++j) {
        std::uint64_t lane;
        std::memcpy(&lane, in[j] + off + 8 * i, 8);
        s_[4 * i + j] ^= lane;
      }
    }
    keccak_f1600_x4(s_);
  }
  // The last partial block (possibly empty), then pad10*1 with the SHAKE suffix: the byte 0x1F
  // holds the suffix bits 1111 and the first padding 1, the top bit of the block's last byte is
  // the final 1 (FIPS 202 §5.1, §6.2, Appendix B.2).
  const std::size_t rest = len - off;
  for (int j = 0; j < 4; ++j) {
    auto* bytes = reinterpret_cast<std::uint8_t*>(s_);
    // Byte b of lane i in state j sits at 8·(4i + j) + b.
    for (std::size_t k = 0; k < rest; ++k) bytes[8 * (4 * (k / 8) + j) + k % 8] ^= in[j][off + k];
    bytes[8 * (4 * (rest / 8) + j) + rest % 8] ^= 0x1F;
    bytes[8 * (4 * ((R - 1) / 8) + j) + (R - 1) % 8] ^= 0x80;
  }
}

template <std::size_t R>
void ShakeX4<R>::squeeze_blocks(std::uint8_t* const out[4], std::size_t blocks) noexcept {
  for (std::size_t b = 0; b < blocks; ++b) {
    keccak_f1600_x4(s_);
    for (int j = 0; j < 4; ++j) {
      if (out[j] == nullptr) continue;
      for (std::size_t i = 0; i < R / 8; ++i) std::memcpy(out[j] + b * R + 8 * i, &s_[4 * i + j], 8);
    }
  }
}

template class ShakeX4<168>;
template class ShakeX4<136>;

}  // namespace pqmcp::crypto
