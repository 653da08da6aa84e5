// The arithmetic of ML-KEM behind one narrow interface: polynomial arithmetic in R_q and T_q,
// the byte encodings, compression, and the two samplers' inner loops. The algorithm code
// (kpke.cc, mlkem.cc) uses nothing else, so a SIMD backend can replace arith_portable.cc
// without touching it.
//
// Representation: coefficients are int16 in Montgomery-friendly signed form. Each function
// states the coefficient range it accepts and returns; "canonical" means [0, q), "centred" means
// |x| <= (q-1)/2. All functions are constant-time in their data: no branch, memory index or
// division depends on a coefficient (KyberSlash), except rej_uniform, whose input is public
// (derived from rho).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pqmcp::crypto::mlkem::arith {

inline constexpr int kN = 256;
inline constexpr int kQ = 3329;

struct Poly {
  alignas(32) std::int16_t c[kN];
};

// Per-operand precomputation for BaseCaseMultiply (FIPS 203 Algorithm 12): b[2i+1] * zeta_i,
// so a vector used against k rows pays for the extra multiplications once.
struct PolyMulCache {
  alignas(32) std::int16_t c[kN / 2];
};

// FIPS 203 Algorithm 9 (NTT). Input |x| < q; output centred.
void ntt(Poly& a) noexcept;

// FIPS 203 Algorithm 10 (NTT^-1), also multiplying by the Montgomery factor that
// basemul_acc leaves behind. Input |x| < q; output |x| < q.
void invntt_tomont(Poly& a) noexcept;

// Cache for b (|x| < q).
void mulcache_compute(PolyMulCache& cache, const Poly& b) noexcept;

// FIPS 203 Algorithm 11 (MultiplyNTTs) summed over a vector: r = sum_{i<k} a[i] * b[i] * R^-1,
// accumulated in 32 bits with a single Montgomery reduction per coefficient (lazy reduction).
// a: |x| < q (canonical decoded keys and sampled matrix entries); b, cache: |x| < q; k <= 4.
// Output |x| < q.
void basemul_acc(Poly& r, const Poly* a, const Poly* b, const PolyMulCache* cache, int k) noexcept;

// Multiplies by R mod q, cancelling basemul_acc's R^-1 when no inverse NTT follows.
// Input any int16; output |x| < q.
void tomont(Poly& a) noexcept;

// Barrett reduction of every coefficient; input any int16, output centred.
void reduce(Poly& a) noexcept;

void add(Poly& r, const Poly& a) noexcept;  // r += a, no reduction
void sub(Poly& r, const Poly& a) noexcept;  // r = a - r, no reduction (r is the subtrahend)

// FIPS 203 Algorithm 5 (ByteEncode_12). Input |x| < q; writes 384 bytes of canonical values.
void encode12(std::uint8_t out[384], const Poly& a) noexcept;

// FIPS 203 Algorithm 6 (ByteDecode_12), including its reduction mod q. Output canonical.
void decode12(Poly& r, const std::uint8_t in[384]) noexcept;

// ByteEncode_d(Compress_d(a)) for d in {4, 5, 10, 11} (FIPS 203 §4.2.1, Algorithm 5).
// Input |x| < q; writes 32*d bytes. Compression is multiply-and-shift, never a division.
void compress_encode(int d, std::uint8_t* out, const Poly& a) noexcept;

// Decompress_d(ByteDecode_d(in)) for d in {4, 5, 10, 11}; reads 32*d bytes; output canonical.
void decode_decompress(int d, Poly& r, const std::uint8_t* in) noexcept;

// Decompress_1(ByteDecode_1(m)) (FIPS 203 Algorithm 14, line 20), with masks behind a value
// barrier so the compiler cannot branch on message bits (clangover).
void from_msg(Poly& r, const std::uint8_t m[32]) noexcept;

// ByteEncode_1(Compress_1(a)) (FIPS 203 Algorithm 15, line 7). Input |x| < q.
void to_msg(std::uint8_t m[32], const Poly& a) noexcept;

// FIPS 203 Algorithm 8 (SamplePolyCBD_eta) for eta in {2, 3}; buf holds 64*eta bytes.
void cbd(int eta, Poly& r, const std::uint8_t* buf) noexcept;

// The inner loop of FIPS 203 Algorithm 7 (SampleNTT): appends to r[0..len) the 12-bit values
// < q from buf (3 bytes -> 2 candidates), starting at r[ctr]; returns the new ctr. Branches on
// the candidates, which is fine because the XOF input rho is public.
int rej_uniform(std::int16_t* r, int ctr, int len, const std::uint8_t* buf, std::size_t buflen) noexcept;

}  // namespace pqmcp::crypto::mlkem::arith
