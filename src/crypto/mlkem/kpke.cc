// K-PKE (FIPS 203 §5, Algorithms 13-15) over the arithmetic interface of arith.h.
#include "crypto/mlkem/kpke.h"

#include <array>
#include <cstring>

#include "crypto/ct.h"
#include "crypto/keccak/keccak_x4.h"
#include "crypto/mlkem/arith.h"
#include "crypto/secure.h"
#include "crypto/sha3.h"

namespace pqmcp::crypto::mlkem {
namespace {

using arith::Poly;
using arith::PolyMulCache;

template <int K>
using PolyVec = std::array<Poly, K>;

// FIPS 203 Algorithm 7 (SampleNTT) of rho || b0 || b1. Squeezes on demand: three blocks cover
// the usual case, further blocks are drawn one at a time for as long as rejection needs them,
// so no rho can run the sampler dry (CCTV "unluckysample", pqc.md pitfall 6).
void sample_ntt(Poly& a, std::span<const std::uint8_t, 32> rho, std::uint8_t b0, std::uint8_t b1) {
  Shake128 xof;
  xof.absorb(rho);
  const std::uint8_t idx[2] = {b0, b1};
  xof.absorb(idx);
  std::uint8_t buf[3 * Shake128::kRate];
  xof.squeeze_blocks(buf);
  int ctr = arith::rej_uniform(a.c, 0, arith::kN, buf, sizeof buf);
  while (ctr < arith::kN) {
    xof.squeeze_blocks(std::span(buf, Shake128::kRate));
    ctr = arith::rej_uniform(a.c, ctr, arith::kN, buf, Shake128::kRate);
  }
}

// Whether to hash independent XOF/PRF streams four at a time: only when the four-way Keccak
// runs on AVX2, where four streams cost little more than one. A lone stream stays scalar.
bool batch_keccak() { return keccak_x4_internal::avx2_selected(); }

template <int K>
using Matrix = std::array<PolyVec<K>, K>;

// A-hat (A[i][j] = SampleNTT(rho || j || i), Algorithm 13 lines 3-7) or, transposed, A-hat^T
// (entry [i][j] = SampleNTT(rho || i || j)), which Algorithm 14 line 19 multiplies by y-hat.
// The K^2 entries are independent streams, sampled four at a time.
template <int K>
void sample_matrix(Matrix<K>& a, std::span<const std::uint8_t, 32> rho, bool transposed) {
  constexpr int kTotal = K * K;
  auto index_bytes = [&](int e, std::uint8_t& b0, std::uint8_t& b1) {
    const auto i = static_cast<std::uint8_t>(e / K), j = static_cast<std::uint8_t>(e % K);
    b0 = transposed ? i : j;
    b1 = transposed ? j : i;
  };
  auto entry = [&](int e) -> Poly& { return a[static_cast<std::size_t>(e / K)][static_cast<std::size_t>(e % K)]; };
  int e = 0;
  if (batch_keccak()) {
    for (; kTotal - e >= 2; e += 4) {
      std::uint8_t in[4][34];
      const std::uint8_t* in_ptr[4];
      bool used[4];
      for (int j = 0; j < 4; ++j) {
        used[j] = e + j < kTotal;
        std::memcpy(in[j], rho.data(), 32);
        index_bytes(used[j] ? e + j : e, in[j][32], in[j][33]);  // unused lanes repeat lane 0
        in_ptr[j] = in[j];
      }
      Shake128x4 xof;
      xof.absorb_once(in_ptr, sizeof in[0]);
      std::uint8_t buf[4][3 * Shake128x4::kRate];
      squeeze_until_x4<Shake128x4::kRate, 3>(xof, used, arith::kN, buf,
                                              [&](int j, int ctr, const std::uint8_t* bytes, std::size_t len) {
                                                return arith::rej_uniform(entry(e + j).c, ctr, arith::kN, bytes, len);
                                              });
    }
  }
  for (; e < kTotal; ++e) {
    std::uint8_t b0, b1;
    index_bytes(e, b0, b1);
    sample_ntt(entry(e), rho, b0, b1);
  }
}

// SamplePolyCBD_eta(PRF_eta(s, n)) (FIPS 203 Algorithm 8, §4.1 eq. 4.3: PRF = SHAKE256).
template <int Eta>
void sample_cbd(Poly& r, std::span<const std::uint8_t, 32> s, std::uint8_t n) {
  Shake256 prf;
  prf.absorb(s);
  prf.absorb(std::span(&n, 1));
  std::uint8_t buf[64 * Eta];
  prf.squeeze(buf);
  arith::cbd(Eta, r, buf);
  secure_wipe(buf, sizeof buf);
}

// sample_cbd<Eta>(*polys[t], s, n0 + t) for t < count, four PRF streams at a time.
template <int Eta>
void sample_cbd_vec(Poly* const* polys, int count, std::span<const std::uint8_t, 32> s, std::uint8_t n0) {
  constexpr std::size_t kBlocks = (64 * Eta + Shake256x4::kRate - 1) / Shake256x4::kRate;
  int e = 0;
  if (batch_keccak()) {
    for (; count - e >= 2; e += 4) {
      std::uint8_t in[4][33];
      std::uint8_t buf[4][kBlocks * Shake256x4::kRate];
      ScopedWipe wipe_in(in);
      ScopedWipe wipe_buf(buf);
      const std::uint8_t* in_ptr[4];
      std::uint8_t* out[4];
      for (int j = 0; j < 4; ++j) {
        const bool used = e + j < count;
        std::memcpy(in[j], s.data(), 32);
        in[j][32] = static_cast<std::uint8_t>(n0 + (used ? e + j : e));
        in_ptr[j] = in[j];
        out[j] = used ? buf[j] : nullptr;
      }
      Shake256x4 prf;
      prf.absorb_once(in_ptr, sizeof in[0]);
      prf.squeeze_blocks(out, kBlocks);
      for (int j = 0; j < 4 && e + j < count; ++j) arith::cbd(Eta, *polys[e + j], buf[j]);
    }
  }
  for (; e < count; ++e) sample_cbd<Eta>(*polys[e], s, static_cast<std::uint8_t>(n0 + e));
}

template <int K>
void ntt_vec(PolyVec<K>& v) {
  for (auto& p : v) arith::ntt(p);
}

template <int K>
void mulcache_vec(std::array<PolyMulCache, K>& cache, const PolyVec<K>& v) {
  for (std::size_t i = 0; i < K; ++i) arith::mulcache_compute(cache[i], v[i]);
}

}  // namespace

template <class P>
void kpke_keygen(std::span<const std::uint8_t, 32> d, std::span<std::uint8_t, P::kEkBytes> ek,
                 std::span<std::uint8_t, P::kDkPkeBytes> dk_pke) noexcept {
  constexpr int K = P::k;
  // Line 1: (rho, sigma) <- G(d || k). The final standard appends k (the ipd did not), which
  // separates the parameter sets' keys from the same d.
  SecretArray<33> g_in;
  std::memcpy(g_in.data(), d.data(), 32);
  g_in[32] = static_cast<std::uint8_t>(K);
  SecretArray<64> g_out;
  sha3_512(g_in.span(), g_out.span());
  std::array<std::uint8_t, 32> rho;
  std::memcpy(rho.data(), g_out.data(), 32);
  // rho becomes part of ek (line 19), and sampling A-hat from it branches on its bytes.
  PQMCP_CT_DECLASSIFY(rho.data(), rho.size());
  const auto sigma = std::span<const std::uint8_t, 32>(g_out.data() + 32, 32);

  PolyVec<K> s, e;
  std::array<PolyMulCache, K> s_cache;
  ScopedWipe wipe_s(s);
  ScopedWipe wipe_e(e);
  ScopedWipe wipe_sc(s_cache);
  {  // lines 8-15: s with nonces 0..k-1, e with k..2k-1
    Poly* polys[2 * K];
    for (int i = 0; i < K; ++i) {
      polys[i] = &s[static_cast<std::size_t>(i)];
      polys[K + i] = &e[static_cast<std::size_t>(i)];
    }
    sample_cbd_vec<P::eta1>(polys, 2 * K, sigma, 0);
  }
  ntt_vec<K>(s);                                         // lines 16-17
  ntt_vec<K>(e);
  mulcache_vec<K>(s_cache, s);

  // Line 18: t-hat = A-hat o s-hat + e-hat.
  Matrix<K> a_hat;
  sample_matrix<K>(a_hat, rho, false);
  for (int i = 0; i < K; ++i) {
    Poly t;
    arith::basemul_acc(t, a_hat[static_cast<std::size_t>(i)].data(), s.data(), s_cache.data(), K);
    arith::tomont(t);
    arith::add(t, e[static_cast<std::size_t>(i)]);
    arith::reduce(t);
    arith::encode12(ek.data() + 384 * i, t);  // line 19
  }
  std::memcpy(ek.data() + P::kVecBytes, rho.data(), 32);
  for (int i = 0; i < K; ++i) arith::encode12(dk_pke.data() + 384 * i, s[static_cast<std::size_t>(i)]);  // line 20
}

template <class P>
void kpke_encrypt(std::span<const std::uint8_t, P::kEkBytes> ek, std::span<const std::uint8_t, 32> m,
                  std::span<const std::uint8_t, 32> r, std::span<std::uint8_t, P::kCtBytes> c) noexcept {
  constexpr int K = P::k;
  PolyVec<K> t_hat;  // lines 2-3: ByteDecode12 reduces mod q, so t-hat is canonical
  for (int i = 0; i < K; ++i) arith::decode12(t_hat[static_cast<std::size_t>(i)], ek.data() + 384 * i);
  const auto rho = std::span<const std::uint8_t, 32>(ek.data() + P::kVecBytes, 32);

  PolyVec<K> y, e1;
  Poly e2, u, v, mu;
  std::array<PolyMulCache, K> y_cache;
  ScopedWipe wipe_y(y);
  ScopedWipe wipe_e1(e1);
  ScopedWipe wipe_e2(e2);
  ScopedWipe wipe_u(u);
  ScopedWipe wipe_v(v);
  ScopedWipe wipe_mu(mu);
  ScopedWipe wipe_yc(y_cache);
  {  // lines 9-17: y with nonces 0..k-1, e1 with k..2k-1, e2 with 2k
    Poly* polys[2 * K + 1];
    for (int i = 0; i < K; ++i) {
      polys[i] = &y[static_cast<std::size_t>(i)];
      polys[K + i] = &e1[static_cast<std::size_t>(i)];
    }
    polys[2 * K] = &e2;
    if constexpr (P::eta1 == P::eta2) {
      sample_cbd_vec<P::eta1>(polys, 2 * K + 1, r, 0);
    } else {
      sample_cbd_vec<P::eta1>(polys, K, r, 0);
      sample_cbd_vec<P::eta2>(polys + K, K + 1, r, static_cast<std::uint8_t>(K));
    }
  }
  ntt_vec<K>(y);                                      // line 18
  mulcache_vec<K>(y_cache, y);

  // Line 19: u = NTT^-1(A-hat^T o y-hat) + e1; line 22: c1 = ByteEncode_du(Compress_du(u)).
  Matrix<K> a_hat_t;
  sample_matrix<K>(a_hat_t, rho, true);
  for (int i = 0; i < K; ++i) {
    arith::basemul_acc(u, a_hat_t[static_cast<std::size_t>(i)].data(), y.data(), y_cache.data(), K);
    arith::invntt_tomont(u);
    arith::add(u, e1[static_cast<std::size_t>(i)]);
    arith::reduce(u);
    arith::compress_encode(P::du, c.data() + 32 * P::du * i, u);
  }

  // Lines 20-21: v = NTT^-1(t-hat^T o y-hat) + e2 + mu; line 23: c2.
  arith::basemul_acc(v, t_hat.data(), y.data(), y_cache.data(), K);
  arith::invntt_tomont(v);
  arith::from_msg(mu, m.data());
  arith::add(v, e2);
  arith::add(v, mu);
  arith::reduce(v);
  arith::compress_encode(P::dv, c.data() + P::kC1Bytes, v);
}

template <class P>
void kpke_decrypt(std::span<const std::uint8_t, P::kDkPkeBytes> dk_pke,
                  std::span<const std::uint8_t, P::kCtBytes> c, std::span<std::uint8_t, 32> m) noexcept {
  constexpr int K = P::k;
  PolyVec<K> u, s_hat;
  std::array<PolyMulCache, K> u_cache;
  Poly v, w;
  ScopedWipe wipe_u(u);
  ScopedWipe wipe_s(s_hat);
  ScopedWipe wipe_uc(u_cache);
  ScopedWipe wipe_v(v);
  ScopedWipe wipe_w(w);
  for (int i = 0; i < K; ++i) {  // line 3, then NTT(u') of line 6
    arith::decode_decompress(P::du, u[static_cast<std::size_t>(i)], c.data() + 32 * P::du * i);
    arith::ntt(u[static_cast<std::size_t>(i)]);
  }
  mulcache_vec<K>(u_cache, u);
  arith::decode_decompress(P::dv, v, c.data() + P::kC1Bytes);  // line 4
  for (int i = 0; i < K; ++i) arith::decode12(s_hat[static_cast<std::size_t>(i)], dk_pke.data() + 384 * i);  // line 5

  // Line 6: w = v' - NTT^-1(s-hat^T o NTT(u')); line 7: m = ByteEncode1(Compress1(w)).
  arith::basemul_acc(w, s_hat.data(), u.data(), u_cache.data(), K);
  arith::invntt_tomont(w);
  arith::sub(w, v);
  arith::reduce(w);
  arith::to_msg(m.data(), w);
}

#define PQMCP_MLKEM_INSTANTIATE(P)                                                                  \
  template void kpke_keygen<P>(std::span<const std::uint8_t, 32>, std::span<std::uint8_t, P::kEkBytes>, \
                               std::span<std::uint8_t, P::kDkPkeBytes>) noexcept;                   \
  template void kpke_encrypt<P>(std::span<const std::uint8_t, P::kEkBytes>,                          \
                                std::span<const std::uint8_t, 32>, std::span<const std::uint8_t, 32>, \
                                std::span<std::uint8_t, P::kCtBytes>) noexcept;                      \
  template void kpke_decrypt<P>(std::span<const std::uint8_t, P::kDkPkeBytes>,                       \
                                std::span<const std::uint8_t, P::kCtBytes>, std::span<std::uint8_t, 32>) noexcept;

PQMCP_MLKEM_INSTANTIATE(MlKem512)
PQMCP_MLKEM_INSTANTIATE(MlKem768)
PQMCP_MLKEM_INSTANTIATE(MlKem1024)
#undef PQMCP_MLKEM_INSTANTIATE

}  // namespace pqmcp::crypto::mlkem
