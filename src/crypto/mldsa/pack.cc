// FIPS 204 §7.1-7.2: SimpleBitPack / BitPack and their inverses (Algorithms 16-19) for the
// fixed widths ML-DSA uses, and the hint encoding (Algorithms 20-21). Coefficients are
// little-endian bit strings concatenated in order, so each width packs a fixed group of
// coefficients into a whole number of bytes.
#include "crypto/mldsa/arith.h"
#include "crypto/mldsa/arith_backends.h"
#include "crypto/secure.h"

namespace pqmcp::crypto::mldsa::internal {
namespace {

// The widths ML-DSA packs (Table 1 and Algorithms 22-28): 3/4 (η), 4/6 (w1), 10 (t1), 13 (t0),
// 18/20 (z). For a fixed width, G coefficients fill exactly G·Bits/8 bytes (G the smallest such
// count), and which coefficient bits land in which byte is known at compile time: the loops
// below unroll into constant shifts and masks, several times faster than a bit-serial
// accumulator, and still free of data-dependent branches and indices.
template <int Bits>
constexpr int group_size() {
  return Bits % 8 == 0 ? 1 : Bits % 4 == 0 ? 2 : Bits % 2 == 0 ? 4 : 8;
}

// Packs 256 values of Bits bits each (each value < 2^Bits), lowest bit first.
template <int Bits>
void pack_fixed(std::uint8_t* out, const std::uint32_t* v) noexcept {
  constexpr int kG = group_size<Bits>();
  constexpr int kBytes = kG * Bits / 8;
  for (int i = 0; i < kN; i += kG, out += kBytes) {
#pragma GCC unroll 32
    for (int b = 0; b < kBytes; ++b) {
      std::uint32_t byte = 0;
#pragma GCC unroll 8
      for (int j = 0; j < kG; ++j) {
        const int shift = j * Bits - 8 * b;  // where coefficient j's bit 0 sits relative to byte b
        if (shift >= 8 || shift + Bits <= 0) continue;  // compile-time after unrolling
        byte |= shift >= 0 ? v[i + j] << shift : v[i + j] >> -shift;
      }
      out[b] = static_cast<std::uint8_t>(byte);
    }
  }
}

template <int Bits>
void unpack_fixed(std::uint32_t* v, const std::uint8_t* in) noexcept {
  constexpr int kG = group_size<Bits>();
  constexpr int kBytes = kG * Bits / 8;
  constexpr std::uint32_t kMask = (1u << Bits) - 1;
  for (int i = 0; i < kN; i += kG, in += kBytes) {
#pragma GCC unroll 8
    for (int j = 0; j < kG; ++j) {
      std::uint32_t x = 0;
#pragma GCC unroll 4
      for (int b = j * Bits / 8; b <= (j * Bits + Bits - 1) / 8; ++b) {
        const int shift = 8 * b - j * Bits;  // where byte b's bit 0 sits in coefficient j
        x |= shift >= 0 ? std::uint32_t{in[b]} << shift : std::uint32_t{in[b]} >> -shift;
      }
      v[i + j] = x & kMask;
    }
  }
}

// Packs 256 values of `bits` bits each, lowest bit first; `bits` is a public parameter.
void pack_bits(std::uint8_t* out, const std::uint32_t* v, int bits) noexcept {
  switch (bits) {
    case 3: return pack_fixed<3>(out, v);
    case 4: return pack_fixed<4>(out, v);
    case 6: return pack_fixed<6>(out, v);
    case 10: return pack_fixed<10>(out, v);
    case 13: return pack_fixed<13>(out, v);
    case 18: return pack_fixed<18>(out, v);
    default: return pack_fixed<20>(out, v);  // 20, the only other width
  }
}

void unpack_bits(std::uint32_t* v, const std::uint8_t* in, int bits) noexcept {
  switch (bits) {
    case 3: return unpack_fixed<3>(v, in);
    case 4: return unpack_fixed<4>(v, in);
    case 6: return unpack_fixed<6>(v, in);
    case 10: return unpack_fixed<10>(v, in);
    case 13: return unpack_fixed<13>(v, in);
    case 18: return unpack_fixed<18>(v, in);
    default: return unpack_fixed<20>(v, in);  // 20, the only other width
  }
}

// BitPack(w, a, b) of Algorithm 17 stores b - w; these helpers do the offset in place so the
// packers above only see non-negative values.
void pack_offset(std::uint8_t* out, const Poly& p, std::int32_t b, int bits) noexcept {
  std::uint32_t v[kN];
  for (int i = 0; i < kN; ++i) v[i] = static_cast<std::uint32_t>(b - p.c[i]);
  pack_bits(out, v, bits);
  secure_wipe(v, sizeof v);
}

}  // namespace

void pack_t1(std::uint8_t* out, const Poly& t1) noexcept {
  std::uint32_t v[kN];
  for (int i = 0; i < kN; ++i) v[i] = static_cast<std::uint32_t>(t1.c[i]);
  pack_bits(out, v, 10);
}

void unpack_t1(Poly& t1, const std::uint8_t* in) noexcept {
  std::uint32_t v[kN];
  unpack_bits(v, in, 10);
  for (int i = 0; i < kN; ++i) t1.c[i] = static_cast<std::int32_t>(v[i]);
}

void pack_t0(std::uint8_t* out, const Poly& t0) noexcept { pack_offset(out, t0, 1 << (kD - 1), kD); }

void unpack_t0(Poly& t0, const std::uint8_t* in) noexcept {
  std::uint32_t v[kN];
  unpack_bits(v, in, kD);
  // Every 13-bit value decodes to 2^12 - v in (-2^12, 2^12], the whole range of Power2Round.
  for (int i = 0; i < kN; ++i) t0.c[i] = (1 << (kD - 1)) - static_cast<std::int32_t>(v[i]);
  secure_wipe(v, sizeof v);
}

void pack_eta(std::uint8_t* out, const Poly& s, std::int32_t eta) noexcept {
  pack_offset(out, s, eta, eta == 2 ? 3 : 4);
}

std::uint32_t unpack_eta(Poly& s, const std::uint8_t* in, std::int32_t eta) noexcept {
  std::uint32_t v[kN];
  unpack_bits(v, in, eta == 2 ? 3 : 4);
  // skDecode (Algorithm 25) would accept any 3- or 4-bit value, but only [-η, η] can come from
  // KeyGen; a key outside it is malformed (Wycheproof InvalidPrivateKey). The check is a mask
  // over all coefficients, because the values are secret.
  std::uint32_t acc = 0;
  for (int i = 0; i < kN; ++i) {
    const std::int32_t x = static_cast<std::int32_t>(v[i]);
    acc |= static_cast<std::uint32_t>(2 * eta - x);
    s.c[i] = eta - x;
  }
  secure_wipe(v, sizeof v);
  return 0u - (acc >> 31);
}

void pack_z(std::uint8_t* out, const Poly& z, const Params& p) noexcept {
  pack_offset(out, z, p.gamma1, p.gamma1_bits + 1);
}

void portable::unpack_z(Poly& z, const std::uint8_t* in, const Params& p) noexcept {
  std::uint32_t v[kN];
  unpack_bits(v, in, p.gamma1_bits + 1);
  for (int i = 0; i < kN; ++i) z.c[i] = p.gamma1 - static_cast<std::int32_t>(v[i]);
  secure_wipe(v, sizeof v);
}

void portable::pack_w1(std::uint8_t* out, const Poly& w1, const Params& p) noexcept {
  std::uint32_t v[kN];
  for (int i = 0; i < kN; ++i) v[i] = static_cast<std::uint32_t>(w1.c[i]);
  pack_bits(out, v, p.gamma2 == kGamma2Small ? 6 : 4);
  secure_wipe(v, sizeof v);
}

// The two packers on the signer's per-iteration path (ExpandMask's BitUnpack of y and
// w1Encode) go to arith_avx2_pack.cc's versions when arith.h's backend is AVX2; same bytes.
void unpack_z(Poly& z, const std::uint8_t* in, const Params& p) noexcept {
#if PQMCP_MLDSA_HAVE_AVX2
  if (avx2_backend_active()) return avx2::unpack_z(z, in, p);
#endif
  portable::unpack_z(z, in, p);
}

void pack_w1(std::uint8_t* out, const Poly& w1, const Params& p) noexcept {
#if PQMCP_MLDSA_HAVE_AVX2
  if (avx2_backend_active()) return avx2::pack_w1(out, w1, p);
#endif
  portable::pack_w1(out, w1, p);
}

void pack_hints(std::uint8_t* out, const PolyVecK& h, const Params& p) noexcept {
  // The hints of an accepted signature are public. Each polynomial's 0/1 coefficients are
  // first gathered into four 64-bit words without branches, then only the set bits are visited
  // (lowest first, so positions come out increasing as Algorithm 20 requires): one step per
  // hint instead of a hard-to-predict branch per coefficient.
  const std::size_t omega = static_cast<std::size_t>(p.omega);
  for (std::size_t i = 0; i < omega + static_cast<std::size_t>(p.k); ++i) out[i] = 0;
  std::size_t index = 0;
  for (int i = 0; i < p.k; ++i) {
    for (int w = 0; w < kN / 64; ++w) {
      std::uint64_t bits = 0;
      for (int j = 0; j < 64; ++j) bits |= static_cast<std::uint64_t>(h.v[i].c[64 * w + j] != 0) << j;
      // The caller guarantees at most ω ones (the signer's rejection check).
      for (; bits != 0 && index < omega; bits &= bits - 1) {
        out[index++] = static_cast<std::uint8_t>(64 * w + __builtin_ctzll(bits));
      }
    }
    out[omega + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(index);
  }
}

bool unpack_hints(PolyVecK& h, const std::uint8_t* in, const Params& p) noexcept {
  const unsigned omega = static_cast<unsigned>(p.omega);
  unsigned index = 0;
  for (int i = 0; i < p.k; ++i) {
    for (int j = 0; j < kN; ++j) h.v[i].c[j] = 0;
    const unsigned cut = in[omega + static_cast<unsigned>(i)];
    // Cut points must be non-decreasing and at most ω (Algorithm 21 line 4).
    if (cut < index || cut > omega) return false;
    const unsigned first = index;
    for (; index < cut; ++index) {
      // Indices strictly increase within one polynomial (line 7): this rejects repeated and
      // reversed positions, which would otherwise make the encoding malleable.
      if (index > first && in[index - 1] >= in[index]) return false;
      h.v[i].c[in[index]] = 1;
    }
  }
  // Unused slots must be zero (lines 13-15): again malleability.
  for (unsigned i = index; i < omega; ++i)
    if (in[i] != 0) return false;
  return true;
}

}  // namespace pqmcp::crypto::mldsa::internal
