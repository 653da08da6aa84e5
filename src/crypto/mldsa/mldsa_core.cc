// FIPS 204 §6: ML-DSA.KeyGen_internal (Algorithm 6), ML-DSA.Sign_internal (Algorithm 7) and
// ML-DSA.Verify_internal (Algorithm 8), with pkEncode/skEncode/sigEncode and their decoders
// (Algorithms 22-28). Arithmetic goes through arith.h only.
#include "crypto/mldsa/mldsa_core.h"

#include <cstring>
#include <new>

#include "crypto/ct.h"
#include "crypto/keccak/keccak_x4.h"
#include "crypto/secure.h"
#include "crypto/sha3.h"

namespace pqmcp::crypto::mldsa::internal {
namespace {

std::size_t sz(int n) { return static_cast<std::size_t>(n); }

// t = NTT^-1(Â ∘ NTT(s1)) + s2, split by Power2Round into ws.t1 and ws.s.t0 (Algorithm 6
// lines 5-6), from ws.s.key.s1 and s2.
void compute_t(const Params& p, KeyWorkspace& ws, std::span<const std::uint8_t, 32> rho) noexcept {
  KeyWorkspace::Secret& s = ws.s;
  expand_a(p, ws.a, rho);
  for (int i = 0; i < p.l; ++i) {
    s.s1hat.v[i] = s.key.s1.v[i];
    ntt(s.s1hat.v[i]);
  }
  matrix_mul(p, s.t, ws.a, s.s1hat);
  for (int i = 0; i < p.k; ++i) {
    invntt_tomont(s.t.v[i]);
    poly_add(s.t.v[i], s.t.v[i], s.key.s2.v[i]);
    poly_reduce(s.t.v[i]);
    poly_caddq(s.t.v[i]);
    poly_power2round(ws.t1.v[i], s.t0.v[i], s.t.v[i]);
  }
}

// pkEncode (Algorithm 22).
void encode_public_key(const Params& p, std::span<const std::uint8_t, 32> rho, const PolyVecK& t1,
                       std::uint8_t* pk) noexcept {
  std::memcpy(pk, rho.data(), 32);
  for (int i = 0; i < p.k; ++i) pack_t1(pk + 32 + 320 * sz(i), t1.v[i]);
}

template <typename T>
std::unique_ptr<T> allocate() noexcept {
  return std::unique_ptr<T>(new (std::nothrow) T);  // default-initialised: no zeroing pass
}

}  // namespace

KeyWorkspace::~KeyWorkspace() { secure_wipe(&s, sizeof s); }
SignWorkspace::~SignWorkspace() { wipe(); }
void SignWorkspace::wipe() noexcept { secure_wipe(&s, sizeof s); }
PreparedSign::~PreparedSign() {
  secure_wipe(&key, sizeof key);
  secure_wipe(&s1hat, sizeof s1hat);
  secure_wipe(&s2hat, sizeof s2hat);
  secure_wipe(&t0hat, sizeof t0hat);
  secure_wipe(&a, sizeof a);
}

std::unique_ptr<KeyWorkspace> new_key_workspace() noexcept { return allocate<KeyWorkspace>(); }
SignWorkspace* thread_sign_workspace() noexcept {
  thread_local std::unique_ptr<SignWorkspace> ws;
  if (ws == nullptr) ws = allocate<SignWorkspace>();  // again after a failed attempt
  return ws.get();
}
std::unique_ptr<PreparedSign> new_prepared_sign() noexcept { return allocate<PreparedSign>(); }
std::unique_ptr<PreparedVerify> new_prepared_verify() noexcept { return allocate<PreparedVerify>(); }

Status decode_private_key(const Params& p, const std::uint8_t* sk, DecodedKey& out) noexcept {
  std::memcpy(out.rho, sk, 32);
  std::memcpy(out.key, sk + 32, 32);
  std::memcpy(out.tr, sk + 64, kTrBytes);
  // ρ is the public matrix seed and tr = H(pk) is a hash of public data; both are public.
  PQMCP_CT_DECLASSIFY(out.rho, sizeof out.rho);
  PQMCP_CT_DECLASSIFY(out.tr, sizeof out.tr);
  const std::uint8_t* q = sk + 128;
  const std::size_t eb = p.eta_poly_bytes();
  std::uint32_t bad = 0;
  for (int i = 0; i < p.l; ++i, q += eb) bad |= unpack_eta(out.s1.v[i], q, p.eta);
  for (int i = 0; i < p.k; ++i, q += eb) bad |= unpack_eta(out.s2.v[i], q, p.eta);
  for (int i = 0; i < p.k; ++i, q += 416) unpack_t0(out.t0.v[i], q);
  // Whether the key is well formed is reported to the caller, so it is public.
  PQMCP_CT_DECLASSIFY(&bad, sizeof bad);
  return bad != 0 ? Status::kBadKey : Status::kOk;
}

Status keygen_internal(const Params& p, std::span<const std::uint8_t, 32> xi, std::uint8_t* pk,
                       std::uint8_t* sk) noexcept {
  const std::unique_ptr<KeyWorkspace> ws = new_key_workspace();
  if (ws == nullptr) return Status::kInternal;
  DecodedKey& key = ws->s.key;
  // (ρ, ρ', K) = H(ξ ‖ IntegerToBytes(k, 1) ‖ IntegerToBytes(l, 1), 128), Algorithm 6 line 1.
  std::uint8_t seeds[128];
  ScopedWipe wipe_seeds(seeds);
  {
    Shake256 h;
    h.absorb(xi);
    const std::uint8_t kl[2] = {static_cast<std::uint8_t>(p.k), static_cast<std::uint8_t>(p.l)};
    h.absorb(kl);
    h.squeeze(seeds);
  }
  std::span<const std::uint8_t, 32> rho(seeds, 32);
  std::span<const std::uint8_t, 64> rho_prime(seeds + 32, 64);
  // ρ becomes part of the public key.
  PQMCP_CT_DECLASSIFY(seeds, 32);

  // ExpandS (Algorithm 33), four polynomials at a time where the CPU allows.
  expand_s(p, key.s1, key.s2, rho_prime);
  compute_t(p, *ws, rho);
  // t1 is the public key.
  PQMCP_CT_DECLASSIFY(&ws->t1, sizeof ws->t1);
  encode_public_key(p, rho, ws->t1, pk);

  // skEncode (Algorithm 24) with tr = H(pk, 64).
  std::memcpy(sk, seeds, 32);
  std::memcpy(sk + 32, seeds + 96, 32);
  shake256(std::span(pk, p.pk_bytes()), std::span(sk + 64, kTrBytes));
  std::uint8_t* q = sk + 128;
  const std::size_t eb = p.eta_poly_bytes();
  for (int i = 0; i < p.l; ++i, q += eb) pack_eta(q, key.s1.v[i], p.eta);
  for (int i = 0; i < p.k; ++i, q += eb) pack_eta(q, key.s2.v[i], p.eta);
  for (int i = 0; i < p.k; ++i, q += 416) pack_t0(q, ws->s.t0.v[i]);
  return Status::kOk;
}

bool recompute_public_key(const Params& p, KeyWorkspace& ws, std::uint8_t* pk) noexcept {
  const DecodedKey& key = ws.s.key;
  std::span<const std::uint8_t, 32> rho(key.rho, 32);
  compute_t(p, ws, rho);
  PQMCP_CT_DECLASSIFY(&ws.t1, sizeof ws.t1);  // the public key
  encode_public_key(p, rho, ws.t1, pk);
  std::uint32_t diff = 0;
  for (int i = 0; i < p.k; ++i)
    for (int j = 0; j < kN; ++j) diff |= static_cast<std::uint32_t>(ws.s.t0.v[i].c[j] ^ key.t0.v[i].c[j]);
  // Only the yes/no answer "is this key consistent" is revealed, and it is reported anyway.
  PQMCP_CT_DECLASSIFY(&diff, sizeof diff);
  return diff == 0;
}

Status prepare_private_key(const Params& p, const std::uint8_t* sk, PreparedSign& prepared) noexcept {
  if (Status s = decode_private_key(p, sk, prepared.key); !is_ok(s)) return s;
  // ŝ1 = NTT(s1), ŝ2 = NTT(s2), t̂0 = NTT(t0) (Algorithm 7 lines 2-4); |s| <= η, |t0| <= 2^12,
  // inside ntt()'s input range.
  const DecodedKey& key = prepared.key;
  for (int i = 0; i < p.l; ++i) {
    prepared.s1hat.v[i] = key.s1.v[i];
    ntt(prepared.s1hat.v[i]);
  }
  for (int i = 0; i < p.k; ++i) {
    prepared.s2hat.v[i] = key.s2.v[i];
    ntt(prepared.s2hat.v[i]);
    prepared.t0hat.v[i] = key.t0.v[i];
    ntt(prepared.t0hat.v[i]);
  }
  // Â = ExpandA(ρ) (Algorithm 7 line 5); ρ is public, so is Â.
  expand_a(p, prepared.a, std::span<const std::uint8_t, 32>(prepared.key.rho, 32));
  return Status::kOk;
}

void prepare_public_key(const Params& p, const std::uint8_t* pk, PreparedVerify& prepared) noexcept {
  // pkDecode (Algorithm 23) and tr = H(pk, 64) (Algorithm 8 lines 1 and 6).
  expand_a(p, prepared.a, std::span<const std::uint8_t, 32>(pk, 32));
  for (int i = 0; i < p.k; ++i) {
    unpack_t1(prepared.t1hat.v[i], pk + 32 + 320 * sz(i));
    poly_shiftl(prepared.t1hat.v[i]);  // t1·2^d <= (2^10 - 1)·2^13 < q, ntt()'s input range
    ntt(prepared.t1hat.v[i]);
  }
  shake256(std::span(pk, p.pk_bytes()), std::span(prepared.tr, kTrBytes));
}

void sign_from_mu(const Params& p, const PreparedSign& prepared, SignWorkspace& ws,
                  std::span<const std::uint8_t, 64> mu, std::span<const std::uint8_t, 32> rnd,
                  std::uint8_t* sig) noexcept {
  // Everything in ws.s derives from K, rnd or the secret vectors and is wiped with the
  // workspace; Â (from ρ) is public. Nothing is allocated inside the rejection loop.
  SignWorkspace::Secret& w = ws.s;
  const DecodedKey& key = prepared.key;

  // ρ'' = H(K ‖ rnd ‖ μ, 64) (Algorithm 7 line 7).
  {
    Shake256 h;
    h.absorb(std::span<const std::uint8_t>(key.key, 32));
    h.absorb(rnd);
    h.absorb(mu);
    h.squeeze(w.rho2);
  }
  // Lines 2-4 (ŝ1, ŝ2, t̂0) were done by prepare_private_key.

  // With a fast four-way Keccak the loop's hashes go through w.pipe (sign_pipe.h); otherwise
  // each is computed on its own, the mask polynomial by polynomial.
  const bool pipe = keccak_x4_internal::avx2_selected();
  if (pipe) w.pipe.start(p, w.rho2);
  std::uint8_t* ctilde = sig;
  const std::size_t w1b = p.w1_poly_bytes();
  // No iteration cap: FIPS 204 defines none, and an abort would itself leak (ACVP spec).
  for (std::uint16_t kappa = 0;; kappa = static_cast<std::uint16_t>(kappa + p.l)) {
    // y = ExpandMask(ρ'', κ) (line 11), w = NTT^-1(Â ∘ NTT(y)) (line 12).
    if (pipe)
      w.pipe.expand_mask(w.y, kappa);
    else
      expand_mask(p, w.y, w.rho2, kappa);
    for (int r = 0; r < p.l; ++r) {
      w.z.v[r] = w.y.v[r];
      ntt(w.z.v[r]);
    }
    matrix_mul(p, w.w0, prepared.a, w.z);
    for (int i = 0; i < p.k; ++i) {
      invntt_tomont(w.w0.v[i]);  // |c| < q, so one conditional add gives [0, q)
      poly_caddq(w.w0.v[i]);
      poly_decompose(w.w1.v[i], w.w0.v[i], w.w0.v[i], p.gamma2);  // HighBits, line 13
      pack_w1(w.w1_packed + w1b * sz(i), w.w1.v[i], p);
    }
    // c̃ = H(μ ‖ w1Encode(w1), λ/4) (line 15).
    const std::span<const std::uint8_t> w1_enc(w.w1_packed, w1b * sz(p.k));
    if (pipe) {
      w.pipe.challenge(mu, w1_enc, ctilde);
    } else {
      Shake256 h;
      h.absorb(mu);
      h.absorb(w1_enc);
      h.squeeze(std::span(ctilde, p.ctilde_bytes));
    }
    // H is modelled as a random oracle: c̃ reveals nothing about the secrets, even for
    // iterations that are later rejected (FIPS 204 §3.4 security argument; mldsa-native).
    PQMCP_CT_DECLASSIFY(ctilde, p.ctilde_bytes);
    const std::span<const std::uint8_t> ct(ctilde, p.ctilde_bytes);
    if (pipe)
      w.pipe.sample_in_ball(w.c, ct);
    else
      sample_in_ball(w.c, ct, p.tau);
    w.chat = w.c;
    ntt(w.chat);  // ĉ (line 16)

    // The checks of lines 23-24 in the order that rejects soonest: r0's bound fails about twice
    // as often as z's (ML-DSA-65: the pair passes with ≈ 0.32 and ≈ 0.62), and each check stops
    // at the first polynomial out of bounds (ML-DSA-65: ≈ 33 instead of ≈ 45 challenge products
    // per signature). Every check must pass for a round to be accepted, so neither the order nor
    // the early stop changes any signature.
    // The rejection decision is public in FIPS 204's security argument (a rejected candidate is
    // discarded and its y never reused), and so is which polynomial made it: FIPS 204's own
    // loop structure, its reference code and mldsa-native stop at the first polynomial out of
    // bounds as well. Only those yes/no answers are declassified, never a coefficient.
    std::uint32_t reject = 0;
    // r0 = LowBits(w - cs2) (lines 20-21), updated from w0, which equals LowBits(w - cs2)
    // whenever the bound below holds; |cs2| <= β, so w0 - cs2 is exact. (A rejected round
    // leaves w0 partly updated; the next round recomputes it.)
    for (int i = 0; i < p.k && reject == 0; ++i) {
      poly_mul_ntt_centred(w.h.v[i], w.chat, prepared.s2hat.v[i]);
      poly_sub(w.w0.v[i], w.w0.v[i], w.h.v[i]);
      reject = poly_norm_exceeds(w.w0.v[i], p.gamma2 - p.beta);
      PQMCP_CT_DECLASSIFY(&reject, sizeof reject);
    }
    if (reject != 0) continue;
    // z = y + cs1 (lines 17-19) with cs1 = NTT^-1(ĉ ∘ ŝ1), centred: |cs1| <= β, so z is the
    // exact small integer the norm check needs.
    for (int i = 0; i < p.l && reject == 0; ++i) {
      poly_mul_ntt_centred(w.z.v[i], w.chat, prepared.s1hat.v[i]);
      poly_add(w.z.v[i], w.z.v[i], w.y.v[i]);
      reject = poly_norm_exceeds(w.z.v[i], p.gamma1 - p.beta);
      PQMCP_CT_DECLASSIFY(&reject, sizeof reject);
    }
    if (reject != 0) continue;

    // ct0 and the hint (lines 25-28).
    std::uint32_t ones = 0;
    for (int i = 0; i < p.k; ++i) {
      poly_mul_ntt_centred(w.h.v[i], w.chat, prepared.t0hat.v[i]);  // |ct0| <= τ·2^12 < q/2: exact
      reject |= poly_norm_exceeds(w.h.v[i], p.gamma2);
      poly_add(w.w0.v[i], w.w0.v[i], w.h.v[i]);
      ones += poly_make_hint(w.h.v[i], w.w0.v[i], w.w1.v[i], p.gamma2);
    }
    reject |= 0u - (static_cast<std::uint32_t>(p.omega - static_cast<std::int32_t>(ones)) >> 31);
    PQMCP_CT_DECLASSIFY(&reject, sizeof reject);  // as above
    if (reject != 0) continue;

    // Accepted: (c̃, z, h) is the signature, which is public.
    PQMCP_CT_DECLASSIFY(&w.z, sizeof w.z);
    PQMCP_CT_DECLASSIFY(&w.h, sizeof w.h);
    std::uint8_t* q = sig + p.ctilde_bytes;  // sigEncode (Algorithm 26)
    for (int i = 0; i < p.l; ++i, q += p.z_poly_bytes()) pack_z(q, w.z.v[i], p);
    pack_hints(q, w.h, p);
    return;
  }
}

Status verify_from_mu(const Params& p, const PreparedVerify& key, std::span<const std::uint8_t, 64> mu,
                      const std::uint8_t* sig) noexcept {
  const std::unique_ptr<VerifyWorkspace> ws(new (std::nothrow) VerifyWorkspace);
  if (ws == nullptr) return Status::kInternal;
  PolyVecL& z = ws->z;
  PolyVecK& h = ws->h;
  PolyVecK& w = ws->w;
  // sigDecode (Algorithm 27); all inputs are public, so plain branches are fine here.
  const std::uint8_t* q = sig + p.ctilde_bytes;
  for (int i = 0; i < p.l; ++i, q += p.z_poly_bytes()) unpack_z(z.v[i], q, p);
  if (!unpack_hints(h, q, p)) return Status::kBadEncoding;
  // ‖z‖∞ < γ1 - β (Algorithm 8 line 13). BitUnpack yields values up to γ1, so the bound is a
  // real check, not implied by the encoding.
  for (int i = 0; i < p.l; ++i)
    if (poly_norm_exceeds(z.v[i], p.gamma1 - p.beta) != 0) return Status::kVerifyFailed;

  sample_in_ball(ws->c, std::span<const std::uint8_t>(sig, p.ctilde_bytes), p.tau);
  ntt(ws->c);  // ĉ
  for (int i = 0; i < p.l; ++i) ntt(z.v[i]);
  // w'_Approx = NTT^-1(Â ∘ NTT(z) - NTT(c) ∘ NTT(t1·2^d)) (line 9) exactly as written: the
  // subtraction happens in the NTT domain, so each row costs one pointwise product and no
  // separate c·t1 product.
  matrix_mul(p, w, key.a, z);
  const std::size_t w1b = p.w1_poly_bytes();
  Poly& ct1 = ws->ct1;
  for (int i = 0; i < p.k; ++i) {
    poly_pointwise(ct1, ws->c, key.t1hat.v[i]);  // |c| < q
    poly_sub(w.v[i], w.v[i], ct1);               // |c| < 2q
    poly_reduce(w.v[i]);                         // back below q, invntt_tomont's input range
    invntt_tomont(w.v[i]);                       // |c| < q
    poly_caddq(w.v[i]);                          // [0, q)
    poly_use_hint(w.v[i], w.v[i], h.v[i], p.gamma2);  // line 10
    pack_w1(ws->w1_packed + w1b * sz(i), w.v[i], p);
  }
  // c̃' = H(μ ‖ w1Encode(w'1), λ/4) (line 12) against c̃, over all λ/4 bytes.
  std::uint8_t ctilde2[kMaxCTildeBytes];
  Shake256 hh;
  hh.absorb(mu);
  hh.absorb(std::span<const std::uint8_t>(ws->w1_packed, w1b * sz(p.k)));
  hh.squeeze(std::span(ctilde2, p.ctilde_bytes));
  const bool same = ct::equal(std::span<const std::uint8_t>(sig, p.ctilde_bytes),
                              std::span<const std::uint8_t>(ctilde2, p.ctilde_bytes));
  return same ? Status::kOk : Status::kVerifyFailed;
}

}  // namespace pqmcp::crypto::mldsa::internal
