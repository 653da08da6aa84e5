// Four independent Keccak-f[1600] states permuted together, and SHAKE128/SHAKE256 over them
// (FIPS 202 §3.3, §6.2). Internal to the crypto core: the samplers of ML-DSA and ML-KEM hash many
// independent inputs of equal length (matrix entries, secret and mask polynomials), so four
// streams share one permutation call. On x86-64 with AVX2 (or AVX-512VL) one 256-bit register
// holds the same lane of all four states; elsewhere, or with PQMCP_CRYPTO_PORTABLE=1 in the environment, the scalar
// keccak_f1600 runs four times. Both backends give the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pqmcp::crypto {

// Interleaved layout: s[4 * i + j] is lane i (FIPS 202 §3.1.2, i = x + 5y) of state j.
inline constexpr std::size_t kKeccakX4Words = 100;

void keccak_f1600_x4(std::uint64_t s[kKeccakX4Words]) noexcept;

namespace keccak_x4_internal {
// The backends, exposed for the tests that compare them; keccak_f1600_x4 picks one.
void permute_portable(std::uint64_t s[kKeccakX4Words]) noexcept;
#if defined(__x86_64__)
void permute_avx2(std::uint64_t s[kKeccakX4Words]) noexcept;
void permute_avx512(std::uint64_t s[kKeccakX4Words]) noexcept;  // needs AVX-512F and AVX-512VL
#endif
enum class Backend { kPortable, kAvx2, kAvx512 };
// What keccak_f1600_x4 uses: portable if PQMCP_CRYPTO_PORTABLE is "1" or the CPU lacks AVX2,
// else AVX-512VL where the CPU has it and PQMCP_CRYPTO_NO_AVX512 is not "1", else AVX2. Read
// once per process.
Backend backend() noexcept;
const char* backend_name() noexcept;
// True when keccak_f1600_x4 uses a vector backend (AVX2 or AVX-512VL).
bool avx2_selected() noexcept;
}  // namespace keccak_x4_internal

// The four interleaved states of a four-way sponge: zero when made, wiped when destroyed (they
// absorb secret seeds).
struct KeccakX4State {
  KeccakX4State() noexcept;
  ~KeccakX4State();
  KeccakX4State(const KeccakX4State&) = delete;
  KeccakX4State& operator=(const KeccakX4State&) = delete;
  alignas(32) std::uint64_t s[kKeccakX4Words];
};

// Four SHAKE sponges of rate R bytes (168: SHAKE128, 136: SHAKE256) run in lockstep. The four
// inputs have the same length and are absorbed in one call; output is then squeezed in whole
// rate-sized blocks, the same in every lane, which suits the rejection samplers: a lane that
// needs fewer blocks simply ignores the extra ones.
template <std::size_t R>
class ShakeX4 {
 public:
  static constexpr std::size_t kRate = R;
  ShakeX4() noexcept = default;

  // Absorbs in[j][0..len) into lane j and applies the SHAKE padding (FIPS 202 §6.2, pad10*1 with
  // suffix 1111). Call once, before squeeze_blocks; the four pointers may be equal.
  void absorb_once(const std::uint8_t* const in[4], std::size_t len) noexcept;
  // Writes the next `blocks` rate-sized blocks of lane j's output stream to out[j]
  // (blocks * R bytes each). out[j] may be null for a lane whose output is not needed.
  void squeeze_blocks(std::uint8_t* const out[4], std::size_t blocks) noexcept;

 private:
  KeccakX4State st_;  // wiped when the sponge goes
};

// Four independent sponges of rate R in the lanes of one four-way state, each started, fed and
// read on its own between shared permutations (FIPS 202 §4). A caller with one serial hash to
// compute (ML-DSA's c̃) lets other streams ride in the lanes it would leave idle: the four-way
// permutation costs about what one scalar permutation does. Lane indices and lengths are public.
template <std::size_t R>
class KeccakLanesX4 {
 public:
  static constexpr std::size_t kRate = R;
  KeccakLanesX4() noexcept = default;  // all four lanes zero

  void reset(int j) noexcept;  // lane j := the all-zero state
  // XORs in[0..len) into lane j's rate from byte `offset` on; offset + len <= R.
  void xor_bytes(int j, std::size_t offset, const std::uint8_t* in, std::size_t len) noexcept;
  // XORs SHAKE's pad10*1 with suffix 1111 into lane j after `len` message bytes of the last block
  // (len < R), as ShakeX4::absorb_once does (FIPS 202 §5.1, §6.2).
  void pad_shake(int j, std::size_t len) noexcept;
  void permute() noexcept;  // all four lanes, one keccak_f1600_x4
  // Copies the first len bytes (len <= R) of lane j's rate to out.
  void read(int j, std::uint8_t* out, std::size_t len) const noexcept;

 private:
  KeccakX4State st_;  // wiped when the sponge goes
};

using Shake128x4 = ShakeX4<168>;
using Shake256x4 = ShakeX4<136>;

// Drives up to four rejection samplers (FIPS 203 SampleNTT, FIPS 204 RejNTTPoly and
// RejBoundedPoly) on the lanes of an absorbed xof. Each used lane gets `First` blocks, then,
// while some lane has fewer than `target` values, one more block is squeezed for all lanes (the
// permutation costs the same) and parsed only where still needed. parse(j, ctr, bytes, len)
// consumes lane j's next bytes starting from count ctr and returns the new count. Each lane reads
// its own stream's bytes in order, exactly as a one-stream sampler would, so the results equal
// the one-stream sampler's. The loop's exit depends on how many values were accepted, which the
// callers either derive from public seeds or declassify.
template <std::size_t R, std::size_t First, class Parse>
void squeeze_until_x4(ShakeX4<R>& xof, const bool used[4], int target, std::uint8_t (&buf)[4][First * R],
                      Parse&& parse) noexcept {
  std::uint8_t* dst[4];
  int ctr[4];
  for (int j = 0; j < 4; ++j) {
    dst[j] = used[j] ? buf[j] : nullptr;
    ctr[j] = used[j] ? 0 : target;
  }
  xof.squeeze_blocks(dst, First);
  for (int j = 0; j < 4; ++j)
    if (used[j]) ctr[j] = parse(j, 0, buf[j], First * R);
  for (;;) {
    bool done = true;
    for (int j = 0; j < 4; ++j) {
      dst[j] = ctr[j] < target ? buf[j] : nullptr;
      done = done && ctr[j] >= target;
    }
    if (done) return;
    xof.squeeze_blocks(dst, 1);
    for (int j = 0; j < 4; ++j)
      if (dst[j] != nullptr) ctr[j] = parse(j, ctr[j], buf[j], R);
  }
}

}  // namespace pqmcp::crypto
