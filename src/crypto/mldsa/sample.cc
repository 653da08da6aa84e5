// FIPS 204 §7.3: the pseudorandom samplers (Algorithms 29-34) over SHAKE128/SHAKE256.
#include <cstring>

#include "crypto/ct.h"
#include "crypto/keccak/keccak_x4.h"
#include "crypto/mldsa/arith.h"
#include "crypto/secure.h"
#include "crypto/sha3.h"

namespace pqmcp::crypto::mldsa::internal {

namespace {

// The samplers below draw from many independent XOF streams of equal-length inputs; when the
// four-way permutation runs on AVX2 four streams cost little more than one, so they go four at
// a time. A group of one stays on the scalar sponge, which is then cheaper.
bool batch_keccak() noexcept { return keccak_x4_internal::avx2_selected(); }

// Parses RejNTTPoly candidates (Algorithm 14, CoeffFromThreeBytes) from buf into a from
// position ctr on; returns the new count. len is a multiple of 3 (a SHAKE128 block holds 56
// whole candidates), so no candidate straddles two squeezes.
int rej_ntt_parse(Poly& a, int ctr, const std::uint8_t* buf, std::size_t len) noexcept {
  for (std::size_t pos = 0; pos < len && ctr < kN; pos += 3) {
    const std::uint32_t v = buf[pos] | (std::uint32_t{buf[pos + 1]} << 8) |
                            ((std::uint32_t{buf[pos + 2]} & 0x7Fu) << 16);
    if (v < static_cast<std::uint32_t>(kQ)) a.c[ctr++] = static_cast<std::int32_t>(v);
  }
  return ctr;
}

// Parses RejBoundedPoly half-bytes (Algorithm 15, CoeffFromHalfByte) from buf into a from
// position ctr on; returns the new count.
int rej_bounded_parse(Poly& a, int ctr, const std::uint8_t* buf, std::size_t len, std::int32_t eta) noexcept {
  const std::int32_t limit = eta == 2 ? 15 : 9;
  for (std::size_t pos = 0; pos < len && ctr < kN; ++pos) {
    const std::int32_t b = buf[pos];
    const std::int32_t halves[2] = {b & 15, b >> 4};
    for (int h = 0; h < 2 && ctr < kN; ++h) {
      const std::int32_t z = halves[h];
      // z mod 5 by multiply-shift (exact for z < 16): no secret-dependent division.
      const std::int32_t coeff = eta == 2 ? 2 - (z - 5 * ((205 * z) >> 10)) : 4 - z;
      std::uint32_t accept = static_cast<std::uint32_t>(z - limit) >> 31;
      // Which half-bytes are rejected is independent of the accepted values (they are uniform
      // on the accepted set either way), so revealing the decision leaks nothing about s1, s2;
      // hiding it would need a constant-time compaction for no security gain.
      PQMCP_CT_DECLASSIFY(&accept, sizeof accept);
      if (accept) a.c[ctr++] = coeff;
    }
  }
  return ctr;
}

// A rejection sampler on up to four streams of one XOF (out[j] null: lane j unused), through
// squeeze_until_x4; parse is one of the two parsers above.
template <class Xof, std::size_t First, class Parse>
void rej_sample_x4(Poly* const out[4], const std::uint8_t* const in[4], std::size_t in_len,
                   std::uint8_t (&buf)[4][First * Xof::kRate], Parse parse) noexcept {
  Xof xof;
  xof.absorb_once(in, in_len);
  const bool used[4] = {out[0] != nullptr, out[1] != nullptr, out[2] != nullptr, out[3] != nullptr};
  squeeze_until_x4<Xof::kRate, First>(xof, used, kN, buf,
                                      [&](int j, int ctr, const std::uint8_t* bytes, std::size_t len) {
                                        return parse(*out[j], ctr, bytes, len);
                                      });
}

}  // namespace

// FIPS 204 Algorithm 30 (RejNTTPoly) with Algorithm 14 (CoeffFromThreeBytes). ρ is public, so
// the accept/reject branches leak nothing.
void rej_ntt_poly(Poly& a, std::span<const std::uint8_t, 32> rho, std::uint8_t s, std::uint8_t r) noexcept {
  Shake128 xof;
  xof.absorb(rho);
  const std::uint8_t idx[2] = {s, r};
  xof.absorb(idx);
  // Five blocks hold 280 candidates, enough for 256 coefficients except with probability
  // about 2^-30; further blocks are drawn on demand (there is no cap in FIPS 204).
  std::uint8_t buf[5 * Shake128::kRate];
  xof.squeeze_blocks(buf);
  int ctr = rej_ntt_parse(a, 0, buf, sizeof buf);
  while (ctr < kN) {
    xof.squeeze_blocks(std::span(buf, Shake128::kRate));
    ctr = rej_ntt_parse(a, ctr, buf, Shake128::kRate);
  }
}

// FIPS 204 Algorithm 32 (ExpandA): Â[r][s] = RejNTTPoly(ρ‖s‖r), four entries at a time.
void expand_a(const Params& p, Matrix& a, std::span<const std::uint8_t, 32> rho) noexcept {
  const int total = p.k * p.l;
  int e = 0;
  if (batch_keccak()) {
    for (; total - e >= 2; e += 4) {
      std::uint8_t in[4][34];
      const std::uint8_t* in_ptr[4];
      Poly* out[4];
      for (int j = 0; j < 4; ++j) {
        // Unused lanes of the last group hash a copy of lane 0's input and write nothing.
        const int idx = e + j < total ? e + j : e;
        const int r = idx / p.l, s = idx % p.l;
        std::memcpy(in[j], rho.data(), 32);
        in[j][32] = static_cast<std::uint8_t>(s);
        in[j][33] = static_cast<std::uint8_t>(r);
        in_ptr[j] = in[j];
        out[j] = e + j < total ? &a.row[r].v[s] : nullptr;
      }
      std::uint8_t buf[4][5 * Shake128x4::kRate];
      rej_sample_x4<Shake128x4, 5>(out, in_ptr, sizeof in[0], buf, rej_ntt_parse);
    }
  }
  for (; e < total; ++e) {
    const int r = e / p.l, s = e % p.l;
    rej_ntt_poly(a.row[r].v[s], rho, static_cast<std::uint8_t>(s), static_cast<std::uint8_t>(r));
  }
}

// FIPS 204 Algorithm 31 (RejBoundedPoly) with Algorithm 15 (CoeffFromHalfByte).
void rej_bounded_poly(Poly& a, std::span<const std::uint8_t, 64> rho_prime, std::uint16_t nonce,
                      std::int32_t eta) noexcept {
  Shake256 xof;
  xof.absorb(rho_prime);
  const std::uint8_t n[2] = {static_cast<std::uint8_t>(nonce), static_cast<std::uint8_t>(nonce >> 8)};
  xof.absorb(n);
  std::uint8_t buf[2 * Shake256::kRate];
  ScopedWipe wipe_buf(buf);
  xof.squeeze_blocks(buf);
  int ctr = rej_bounded_parse(a, 0, buf, sizeof buf, eta);
  while (ctr < kN) {
    xof.squeeze_blocks(std::span(buf, Shake256::kRate));
    ctr = rej_bounded_parse(a, ctr, buf, Shake256::kRate, eta);
  }
}

// FIPS 204 Algorithm 33 (ExpandS): s1[r] = RejBoundedPoly(ρ'‖r), s2[r] = RejBoundedPoly(ρ'‖(l+r)),
// four polynomials at a time.
void expand_s(const Params& p, PolyVecL& s1, PolyVecK& s2, std::span<const std::uint8_t, 64> rho_prime) noexcept {
  const int total = p.l + p.k;
  auto poly = [&](int n) -> Poly& { return n < p.l ? s1.v[n] : s2.v[n - p.l]; };
  int e = 0;
  if (batch_keccak()) {
    for (; total - e >= 2; e += 4) {
      std::uint8_t in[4][66];
      ScopedWipe wipe_in(in);
      const std::uint8_t* in_ptr[4];
      Poly* out[4];
      for (int j = 0; j < 4; ++j) {
        const int nonce = e + j < total ? e + j : e;
        std::memcpy(in[j], rho_prime.data(), 64);
        in[j][64] = static_cast<std::uint8_t>(nonce);
        in[j][65] = static_cast<std::uint8_t>(nonce >> 8);
        in_ptr[j] = in[j];
        out[j] = e + j < total ? &poly(nonce) : nullptr;
      }
      std::uint8_t buf[4][2 * Shake256x4::kRate];
      ScopedWipe wipe_buf(buf);
      rej_sample_x4<Shake256x4, 2>(out, in_ptr, sizeof in[0], buf,
                                   [&](Poly& a, int ctr, const std::uint8_t* b, std::size_t len) {
                                     return rej_bounded_parse(a, ctr, b, len, p.eta);
                                   });
    }
  }
  for (; e < total; ++e) rej_bounded_poly(poly(e), rho_prime, static_cast<std::uint16_t>(e), p.eta);
}

// FIPS 204 Algorithm 34 (ExpandMask), one polynomial: BitUnpack(v, γ1 - 1, γ1) (Algorithm 19)
// of 32·(1 + bitlen(γ1 - 1)) bytes of H(ρ''‖IntegerToBytes(nonce, 2)).
void expand_mask_poly(Poly& y, std::span<const std::uint8_t, 64> rho2, std::uint16_t nonce,
                      const Params& p) noexcept {
  Shake256 xof;
  xof.absorb(rho2);
  const std::uint8_t n[2] = {static_cast<std::uint8_t>(nonce), static_cast<std::uint8_t>(nonce >> 8)};
  xof.absorb(n);
  std::uint8_t buf[640];
  ScopedWipe wipe_buf(buf);
  const std::size_t len = p.z_poly_bytes();
  xof.squeeze(std::span(buf, len));
  unpack_z(y, buf, p);
}

namespace {

// expand_mask_poly for four nonces at once on the four-way Keccak; out[j] may be null (that
// lane hashes lane 0's input and its output is dropped). 640 bytes (γ1 = 2^19) or 576
// (γ1 = 2^17) fit in five SHAKE256 blocks.
void expand_mask_x4(const Params& p, Poly* const out[4], std::span<const std::uint8_t, 64> rho2,
                    const std::uint16_t nonce[4]) noexcept {
  constexpr std::size_t kBlocks = 5;
  static_assert(kBlocks * Shake256x4::kRate >= 640);
  std::uint8_t in[4][66];
  ScopedWipe wipe_in(in);
  const std::uint8_t* in_ptr[4];
  std::uint8_t buf[4][kBlocks * Shake256x4::kRate];
  ScopedWipe wipe_buf(buf);
  std::uint8_t* dst[4];
  for (int j = 0; j < 4; ++j) {
    const std::uint16_t n = out[j] != nullptr ? nonce[j] : nonce[0];
    std::memcpy(in[j], rho2.data(), 64);
    in[j][64] = static_cast<std::uint8_t>(n);
    in[j][65] = static_cast<std::uint8_t>(n >> 8);
    in_ptr[j] = in[j];
    dst[j] = out[j] != nullptr ? buf[j] : nullptr;
  }
  Shake256x4 xof;
  xof.absorb_once(in_ptr, sizeof in[0]);
  xof.squeeze_blocks(dst, kBlocks);
  for (int j = 0; j < 4; ++j)
    if (out[j] != nullptr) unpack_z(*out[j], buf[j], p);
}

}  // namespace

// FIPS 204 Algorithm 34 (ExpandMask): y[r] = expand_mask_poly(ρ'', κ + r) for r < l, four at a
// time.
void expand_mask(const Params& p, PolyVecL& y, std::span<const std::uint8_t, 64> rho2,
                 std::uint16_t kappa) noexcept {
  int e = 0;
  if (batch_keccak()) {
    for (; p.l - e >= 2; e += 4) {
      Poly* out[4];
      std::uint16_t nonce[4];
      for (int j = 0; j < 4; ++j) {
        out[j] = e + j < p.l ? &y.v[e + j] : nullptr;
        nonce[j] = static_cast<std::uint16_t>(kappa + e + j);
      }
      expand_mask_x4(p, out, rho2, nonce);
    }
  }
  for (; e < p.l; ++e) expand_mask_poly(y.v[e], rho2, static_cast<std::uint16_t>(kappa + e), p);
}

// FIPS 204 Algorithm 29 (SampleInBall). c̃ is public (declassified by the caller), so the
// rejection loop and the data-dependent indices are fine here.
void sample_in_ball(Poly& c, std::span<const std::uint8_t> ctilde, int tau) noexcept {
  Shake256 xof;
  xof.absorb(ctilde);
  sample_in_ball_from(c, tau, [&xof](std::uint8_t* buf) { xof.squeeze(std::span<std::uint8_t>(buf, Shake256::kRate)); });
}

}  // namespace pqmcp::crypto::mldsa::internal
