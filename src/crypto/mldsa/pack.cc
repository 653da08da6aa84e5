// FIPS 204 §7.1-7.2: SimpleBitPack / BitPack and their inverses (Algorithms 16-19) for the
// fixed widths ML-DSA uses, and the hint encoding (Algorithms 20-21). Coefficients are
// little-endian bit strings concatenated in order, so each width packs a fixed group of
// coefficients into a whole number of bytes.
#include "crypto/mldsa/arith.h"
#include "crypto/secure.h"

namespace pqmcp::crypto::mldsa::internal {
namespace {

// Packs 256 values of `bits` bits each (bits in 3..20), lowest bit first.
void pack_bits(std::uint8_t* out, const std::uint32_t* v, int bits) noexcept {
  std::uint64_t acc = 0;
  int have = 0;
  std::size_t o = 0;
  for (int i = 0; i < kN; ++i) {
    acc |= static_cast<std::uint64_t>(v[i]) << have;
    have += bits;
    while (have >= 8) {
      out[o++] = static_cast<std::uint8_t>(acc);
      acc >>= 8;
      have -= 8;
    }
  }
}

void unpack_bits(std::uint32_t* v, const std::uint8_t* in, int bits) noexcept {
  std::uint64_t acc = 0;
  int have = 0;
  std::size_t o = 0;
  const std::uint32_t mask = (1u << bits) - 1;
  for (int i = 0; i < kN; ++i) {
    while (have < bits) {
      acc |= static_cast<std::uint64_t>(in[o++]) << have;
      have += 8;
    }
    v[i] = static_cast<std::uint32_t>(acc) & mask;
    acc >>= bits;
    have -= bits;
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

void unpack_z(Poly& z, const std::uint8_t* in, const Params& p) noexcept {
  std::uint32_t v[kN];
  unpack_bits(v, in, p.gamma1_bits + 1);
  for (int i = 0; i < kN; ++i) z.c[i] = p.gamma1 - static_cast<std::int32_t>(v[i]);
  secure_wipe(v, sizeof v);
}

void pack_w1(std::uint8_t* out, const Poly& w1, const Params& p) noexcept {
  std::uint32_t v[kN];
  for (int i = 0; i < kN; ++i) v[i] = static_cast<std::uint32_t>(w1.c[i]);
  pack_bits(out, v, p.gamma2 == kGamma2Small ? 6 : 4);
  secure_wipe(v, sizeof v);
}

void pack_hints(std::uint8_t* out, const PolyVecK& h, const Params& p) noexcept {
  const std::size_t omega = static_cast<std::size_t>(p.omega);
  for (std::size_t i = 0; i < omega + static_cast<std::size_t>(p.k); ++i) out[i] = 0;
  std::size_t index = 0;
  for (int i = 0; i < p.k; ++i) {
    for (int j = 0; j < kN; ++j) {
      // The caller guarantees at most ω ones (the signer's rejection check).
      if (h.v[i].c[j] != 0 && index < omega) out[index++] = static_cast<std::uint8_t>(j);
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
