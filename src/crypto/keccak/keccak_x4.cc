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

namespace {

// Byte k of state j's rate: lane k/8 (FIPS 202 §3.1.2 order), byte k%8 of it, at 8·(4·(k/8) + j) + k%8.
inline std::uint8_t& state_byte(std::uint64_t* s, int j, std::size_t k) noexcept {
  return reinterpret_cast<std::uint8_t*>(s)[8 * (4 * (k / 8) + static_cast<std::size_t>(j)) + k % 8];
}
inline std::uint8_t state_byte(const std::uint64_t* s, int j, std::size_t k) noexcept {
  return reinterpret_cast<const std::uint8_t*>(s)[8 * (4 * (k / 8) + static_cast<std::size_t>(j)) + k % 8];
}

// pad10*1 with the SHAKE suffix after `rest` bytes of the last block: the byte 0x1F holds the
// suffix bits 1111 and the first padding 1, the top bit of the block's last byte is the final 1
// (FIPS 202 §5.1, §6.2, Appendix B.2).
template <std::size_t R>
void pad_lane(std::uint64_t* s, int j, std::size_t rest) noexcept {
  state_byte(s, j, rest) ^= 0x1F;
  state_byte(s, j, R - 1) ^= 0x80;
}

}  // namespace

KeccakX4State::KeccakX4State() noexcept { std::memset(s, 0, sizeof s); }
KeccakX4State::~KeccakX4State() { secure_wipe(s, sizeof s); }

template <std::size_t R>
void ShakeX4<R>::absorb_once(const std::uint8_t* const in[4], std::size_t len) noexcept {
  std::size_t off = 0;
  // Whole blocks, lane by lane (memcpy: the inputs carry no alignment guarantee).
  for (; len - off >= R; off += R) {
    for (std::size_t i = 0; i < R / 8; ++i) {
      for (int j = 0; j < 4; ++j) {
        std::uint64_t lane;
        std::memcpy(&lane, in[j] + off + 8 * i, 8);
        st_.s[4 * i + j] ^= lane;
      }
    }
    keccak_f1600_x4(st_.s);
  }
  // The last partial block (possibly empty), then the padding.
  const std::size_t rest = len - off;
  for (int j = 0; j < 4; ++j) {
    for (std::size_t k = 0; k < rest; ++k) state_byte(st_.s, j, k) ^= in[j][off + k];
    pad_lane<R>(st_.s, j, rest);
  }
}

template <std::size_t R>
void ShakeX4<R>::squeeze_blocks(std::uint8_t* const out[4], std::size_t blocks) noexcept {
  for (std::size_t b = 0; b < blocks; ++b) {
    keccak_f1600_x4(st_.s);
    for (int j = 0; j < 4; ++j) {
      if (out[j] == nullptr) continue;
      for (std::size_t i = 0; i < R / 8; ++i) std::memcpy(out[j] + b * R + 8 * i, &st_.s[4 * i + j], 8);
    }
  }
}

template <std::size_t R>
void KeccakLanesX4<R>::reset(int j) noexcept {
  for (std::size_t i = 0; i < 25; ++i) st_.s[4 * i + static_cast<std::size_t>(j)] = 0;
}

template <std::size_t R>
void KeccakLanesX4<R>::xor_bytes(int j, std::size_t offset, const std::uint8_t* in, std::size_t len) noexcept {
  std::size_t k = 0;
  if (offset % 8 == 0) {  // whole lanes where the input lines up with them
    for (; len - k >= 8; k += 8) {
      std::uint64_t lane;
      std::memcpy(&lane, in + k, 8);
      st_.s[4 * ((offset + k) / 8) + static_cast<std::size_t>(j)] ^= lane;
    }
  }
  for (; k < len; ++k) state_byte(st_.s, j, offset + k) ^= in[k];
}

template <std::size_t R>
void KeccakLanesX4<R>::pad_shake(int j, std::size_t len) noexcept {
  pad_lane<R>(st_.s, j, len);
}

template <std::size_t R>
void KeccakLanesX4<R>::permute() noexcept {
  keccak_f1600_x4(st_.s);
}

template <std::size_t R>
void KeccakLanesX4<R>::read(int j, std::uint8_t* out, std::size_t len) const noexcept {
  std::size_t k = 0;
  for (; len - k >= 8; k += 8) std::memcpy(out + k, &st_.s[4 * (k / 8) + static_cast<std::size_t>(j)], 8);
  for (; k < len; ++k) out[k] = state_byte(st_.s, j, k);
}

template class ShakeX4<168>;
template class ShakeX4<136>;
template class KeccakLanesX4<136>;

}  // namespace pqmcp::crypto
