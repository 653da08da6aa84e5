// FIPS 202 §4-6: the sponge construction, SHA3-256/512 and SHAKE128/256.
#include <cstring>

#include "crypto/secure.h"
#include "crypto/sha3.h"

namespace pqmcp::crypto {
namespace {

// Lanes are little-endian (FIPS 202 §B.1); on a big-endian host this would need a byte swap.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "pqmcp's Keccak assumes little-endian");

inline void xor_bytes(std::uint64_t* s, std::size_t offset, const std::uint8_t* in, std::size_t n) {
  auto* bytes = reinterpret_cast<std::uint8_t*>(s);
  for (std::size_t i = 0; i < n; ++i) bytes[offset + i] ^= in[i];
}

}  // namespace

template <std::size_t R, std::uint8_t D>
KeccakSponge<R, D>::~KeccakSponge() {
  secure_wipe(s_, sizeof s_);  // the state holds whatever secret was absorbed
}

template <std::size_t R, std::uint8_t D>
void KeccakSponge<R, D>::reset() noexcept {
  std::memset(s_, 0, sizeof s_);
  pos_ = 0;
  squeezing_ = false;
}

template <std::size_t R, std::uint8_t D>
void KeccakSponge<R, D>::absorb(std::span<const std::uint8_t> in) noexcept {
  const std::uint8_t* p = in.data();
  std::size_t n = in.size();
  if (pos_ != 0) {
    const std::size_t take = n < R - pos_ ? n : R - pos_;
    xor_bytes(s_, pos_, p, take);
    pos_ += take;
    p += take;
    n -= take;
    if (pos_ == R) {
      keccak_f1600(s_);
      pos_ = 0;
    }
  }
  while (n >= R) {
    // Whole blocks: xor lane-wise (memcpy keeps it free of alignment assumptions).
    for (std::size_t i = 0; i < R / 8; ++i) {
      std::uint64_t lane;
      std::memcpy(&lane, p + 8 * i, 8);
      s_[i] ^= lane;
    }
    keccak_f1600(s_);
    p += R;
    n -= R;
  }
  if (n > 0) {
    xor_bytes(s_, 0, p, n);
    pos_ = n;
  }
}

template <std::size_t R, std::uint8_t D>
void KeccakSponge<R, D>::finalize() noexcept {
  // pad10*1 with the domain bits (FIPS 202 §5.1 and §6.1-6.2): D already holds the suffix bits
  // followed by the first padding 1; the last bit of the block is the final padding 1.
  const std::uint8_t d = D;
  xor_bytes(s_, pos_, &d, 1);
  const std::uint8_t last = 0x80;
  xor_bytes(s_, R - 1, &last, 1);
  keccak_f1600(s_);
  pos_ = 0;
  squeezing_ = true;
}

template <std::size_t R, std::uint8_t D>
void KeccakSponge<R, D>::squeeze(std::span<std::uint8_t> out) noexcept {
  if (!squeezing_) finalize();
  std::uint8_t* p = out.data();
  std::size_t n = out.size();
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(s_);
  while (n > 0) {
    if (pos_ == R) {
      keccak_f1600(s_);
      pos_ = 0;
    }
    const std::size_t take = n < R - pos_ ? n : R - pos_;
    std::memcpy(p, bytes + pos_, take);
    pos_ += take;
    p += take;
    n -= take;
  }
}

template <std::size_t R, std::uint8_t D>
void KeccakSponge<R, D>::squeeze_blocks(std::span<std::uint8_t> out) noexcept {
  squeeze(out);  // same stream; kept separate so a batched backend can specialise it
}

template class KeccakSponge<168, 0x1F>;
template class KeccakSponge<136, 0x1F>;
template class KeccakSponge<144, 0x06>;
template class KeccakSponge<136, 0x06>;
template class KeccakSponge<104, 0x06>;
template class KeccakSponge<72, 0x06>;

void sha3_224(std::span<const std::uint8_t> in, std::span<std::uint8_t, 28> out) noexcept {
  Sha3_224Sponge h;
  h.absorb(in);
  h.squeeze(out);
}

void sha3_384(std::span<const std::uint8_t> in, std::span<std::uint8_t, 48> out) noexcept {
  Sha3_384Sponge h;
  h.absorb(in);
  h.squeeze(out);
}

void sha3_256(std::span<const std::uint8_t> in, std::span<std::uint8_t, 32> out) noexcept {
  Sha3_256Sponge h;
  h.absorb(in);
  h.squeeze(out);
}

void sha3_512(std::span<const std::uint8_t> in, std::span<std::uint8_t, 64> out) noexcept {
  Sha3_512Sponge h;
  h.absorb(in);
  h.squeeze(out);
}

void shake128(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
  Shake128 h;
  h.absorb(in);
  h.squeeze(out);
}

void shake256(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
  Shake256 h;
  h.absorb(in);
  h.squeeze(out);
}

}  // namespace pqmcp::crypto
