// FIPS 202: SHA3-256, SHA3-512, SHAKE128, SHAKE256 over Keccak-f[1600].
// The XOFs absorb and squeeze incrementally: ML-KEM and ML-DSA draw XOF output on demand
// during rejection sampling, which OpenSSL 3.0's one-shot interface cannot do.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace pqmcp::crypto {

// FIPS 202 §3: Keccak-p[1600, 24] on a 25-lane state (lane i = bytes 8i..8i+7, little-endian).
void keccak_f1600(std::uint64_t state[25]) noexcept;

// A Keccak sponge with rate R bytes and domain-separation byte D (FIPS 202 §6, padding pad10*1).
// absorb() may be called any number of times before the first squeeze(); squeeze() may then
// be called any number of times and continues the output stream.
template <std::size_t R, std::uint8_t D>
class KeccakSponge {
 public:
  static constexpr std::size_t kRate = R;
  KeccakSponge() noexcept { reset(); }
  ~KeccakSponge();
  KeccakSponge(const KeccakSponge&) noexcept = default;
  KeccakSponge& operator=(const KeccakSponge&) noexcept = default;

  void reset() noexcept;
  void absorb(std::span<const std::uint8_t> in) noexcept;
  void squeeze(std::span<std::uint8_t> out) noexcept;
  // Squeezes whole rate-sized blocks (out.size() a multiple of R), for samplers that consume
  // blocks; valid only before any byte-wise squeeze or right after block-wise ones.
  void squeeze_blocks(std::span<std::uint8_t> out) noexcept;

 private:
  void finalize() noexcept;
  std::uint64_t s_[25];
  std::size_t pos_;  // absorb: bytes in the current block; squeeze: bytes used of the block
  bool squeezing_;
};

using Shake128 = KeccakSponge<168, 0x1F>;
using Shake256 = KeccakSponge<136, 0x1F>;
using Sha3_224Sponge = KeccakSponge<144, 0x06>;
using Sha3_256Sponge = KeccakSponge<136, 0x06>;
using Sha3_384Sponge = KeccakSponge<104, 0x06>;
using Sha3_512Sponge = KeccakSponge<72, 0x06>;

// One-shot helpers.
void sha3_224(std::span<const std::uint8_t> in, std::span<std::uint8_t, 28> out) noexcept;
void sha3_256(std::span<const std::uint8_t> in, std::span<std::uint8_t, 32> out) noexcept;
void sha3_384(std::span<const std::uint8_t> in, std::span<std::uint8_t, 48> out) noexcept;
void sha3_512(std::span<const std::uint8_t> in, std::span<std::uint8_t, 64> out) noexcept;
void shake128(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept;
void shake256(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept;

}  // namespace pqmcp::crypto
