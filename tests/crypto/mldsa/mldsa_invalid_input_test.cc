// Malformed input to every ML-DSA entry point: wrong lengths, oversized contexts, unknown
// parameter sets, out-of-range and inconsistent private keys, malformed hint encodings, z
// outside its bound, bit flips. Each must give the documented error status (never a crash),
// with signature and public-key outputs emptied and μ zeroed.
#include <gtest/gtest.h>

#include "crypto/mldsa/mldsa_core.h"
#include "crypto/sha3.h"
#include "mldsa_test_util.h"

namespace pqmcp::crypto::mldsa {
namespace {

using namespace testutil;

struct Fixture {
  ParamSet ps;
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  Bytes msg;
};

Fixture make(ParamSet ps) {
  Fixture f{ps, {}, {}, {}, test::test_bytes("invalid-msg", 20)};
  const Bytes seed = test::test_bytes("invalid-seed", 32);
  EXPECT_EQ(keygen_from_seed(ps, std::span<const std::uint8_t, 32>(seed.data(), 32), f.pk, f.sk), Status::kOk);
  EXPECT_EQ(sign(ps, f.sk, f.msg, {}, f.sig, Randomness::kDeterministic), Status::kOk);
  return f;
}

// Parameter-set geometry needed to craft encodings (FIPS 204 Table 1/2).
struct Geometry {
  std::size_t ctilde, zpoly, l, k, omega, eta_poly;
  std::int32_t gamma1;
};
Geometry geometry(ParamSet ps) {
  switch (ps) {
    case ParamSet::kMlDsa44: return {32, 576, 4, 4, 80, 96, 1 << 17};
    case ParamSet::kMlDsa65: return {48, 640, 5, 6, 55, 128, 1 << 19};
    case ParamSet::kMlDsa87: break;
  }
  return {64, 640, 7, 8, 75, 96, 1 << 19};
}

TEST(MlDsaInvalid, UnknownParameterSet) {
  const auto bad = static_cast<ParamSet>(7);
  std::vector<std::uint8_t> pk{1}, sig{1};
  SecureBuffer sk(4);
  const std::uint8_t seed[32] = {};
  EXPECT_EQ(keygen_from_seed(bad, seed, pk, sk), Status::kUnsupported);
  EXPECT_TRUE(pk.empty());
  EXPECT_TRUE(sk.empty());
  EXPECT_EQ(keygen(bad, pk, sk), Status::kUnsupported);
  EXPECT_EQ(sign(bad, Bytes(2560), {}, {}, sig), Status::kUnsupported);
  EXPECT_TRUE(sig.empty());
  EXPECT_EQ(verify(bad, Bytes(1312), {}, {}, Bytes(2420)), Status::kUnsupported);
  EXPECT_EQ(public_from_private(bad, Bytes(2560), pk), Status::kUnsupported);
  EXPECT_STREQ(name(bad), "unknown");
}

TEST(MlDsaInvalid, Lengths) {
  std::size_t checked = 0;
  for (ParamSet ps : kAllSets) {
    Fixture f = make(ps);
    const Sizes s = sizes(ps);
    Bytes sk(f.sk.data(), f.sk.data() + f.sk.size());
    for (std::size_t len : {std::size_t{0}, std::size_t{1}, s.private_key - 1, s.private_key + 1}) {
      Bytes bad = sk;
      bad.resize(len);
      std::vector<std::uint8_t> sig{1, 2, 3}, pk{1};
      const std::uint8_t mu[64] = {}, rnd[32] = {};
      EXPECT_EQ(sign(ps, bad, f.msg, {}, sig), Status::kBadLength);
      EXPECT_TRUE(sig.empty());
      sig = {1};
      EXPECT_EQ(sign_prehash(ps, bad, f.msg, {}, PreHash::kSha256, sig), Status::kBadLength);
      EXPECT_TRUE(sig.empty());
      sig = {1};
      EXPECT_EQ(sign_mu(ps, bad, mu, sig), Status::kBadLength);
      EXPECT_TRUE(sig.empty());
      EXPECT_EQ(sign_internal(ps, bad, f.msg, rnd, sig), Status::kBadLength);
      EXPECT_EQ(public_from_private(ps, bad, pk), Status::kBadLength);
      EXPECT_TRUE(pk.empty());
      ++checked;
    }
    // Every truncation of pk and sig (and one extra byte) is a length error, never a crash.
    for (std::size_t len = 0; len <= s.public_key + 1; len += (len < 40 ? 1 : 97)) {
      if (len == s.public_key) continue;
      Bytes pk = f.pk;
      pk.resize(len);
      ASSERT_EQ(verify(ps, pk, f.msg, {}, f.sig), Status::kBadLength) << len;
      std::array<std::uint8_t, 64> mu;
      mu.fill(0xAA);
      ASSERT_EQ(compute_mu(ps, pk, f.msg, {}, mu), Status::kBadLength);
      ASSERT_EQ(mu, (std::array<std::uint8_t, 64>{}));
      ++checked;
    }
    for (std::size_t len = 0; len <= s.signature + 1; len += (len < 40 ? 1 : 89)) {
      if (len == s.signature) continue;
      Bytes sig = f.sig;
      sig.resize(len);
      ASSERT_EQ(verify(ps, f.pk, f.msg, {}, sig), Status::kBadLength) << len;
      ASSERT_EQ(verify_internal(ps, f.pk, f.msg, sig), Status::kBadLength) << len;
      ++checked;
    }
    Bytes longer = f.sig;
    longer.push_back(0);  // a trailing zero byte is still the wrong length
    EXPECT_EQ(verify(ps, f.pk, f.msg, {}, longer), Status::kBadLength);
  }
  std::printf("length cases: %zu\n", checked);
  ASSERT_GT(checked, 100u);
}

TEST(MlDsaInvalid, OversizedContext) {
  for (ParamSet ps : kAllSets) {
    Fixture f = make(ps);
    const Bytes ctx255(255, 7), ctx256(256, 7), ctx_huge(70000, 7);
    std::vector<std::uint8_t> sig{9};
    ASSERT_EQ(sign(ps, f.sk, f.msg, ctx255, sig), Status::kOk);
    EXPECT_EQ(verify(ps, f.pk, f.msg, ctx255, sig), Status::kOk);
    for (const Bytes* ctx : {&ctx256, &ctx_huge}) {
      EXPECT_EQ(sign(ps, f.sk, f.msg, *ctx, sig), Status::kBadContext);
      EXPECT_TRUE(sig.empty());
      EXPECT_EQ(verify(ps, f.pk, f.msg, *ctx, f.sig), Status::kBadContext);
      EXPECT_EQ(verify_prehash(ps, f.pk, f.msg, *ctx, PreHash::kSha256, f.sig), Status::kBadContext);
      std::array<std::uint8_t, 64> mu;
      mu.fill(1);
      EXPECT_EQ(compute_mu(ps, f.pk, f.msg, *ctx, mu), Status::kBadContext);
      EXPECT_EQ(mu, (std::array<std::uint8_t, 64>{}));
    }
  }
}

TEST(MlDsaInvalid, PrivateKeyOutOfRangeOrInconsistent) {
  for (ParamSet ps : kAllSets) {
    Fixture f = make(ps);
    const Geometry g = geometry(ps);
    const Bytes good(f.sk.data(), f.sk.data() + f.sk.size());
    // An s1 coefficient (first of s1) and the last s2 coefficient set to the largest field
    // value (7 or 15, i.e. η - 7 or η - 15), outside [-η, η]: kBadKey everywhere.
    for (std::size_t off : {std::size_t{128}, 128 + g.eta_poly * (g.l + g.k) - 1}) {
      Bytes bad = good;
      bad[off] |= off == 128 ? (g.eta_poly == 96 ? 0x07 : 0x0F) : 0xE0 | (g.eta_poly == 96 ? 0 : 0xF0);
      std::vector<std::uint8_t> sig{1}, pk{1};
      EXPECT_EQ(sign(ps, bad, f.msg, {}, sig), Status::kBadKey) << off;
      EXPECT_TRUE(sig.empty());
      EXPECT_EQ(public_from_private(ps, bad, pk), Status::kBadKey);
      EXPECT_TRUE(pk.empty());
    }
    // Coefficients exactly ±η are fine: a key of all -η (field value 2η) decodes.
    std::vector<std::uint8_t> pk;
    ASSERT_EQ(public_from_private(ps, good, pk), Status::kOk);
    EXPECT_EQ(pk, f.pk);
    // tr ≠ H(pk) or a t0 that KeyGen would not produce: public_from_private rejects; signing
    // (which FIPS 204 does not require to check) still works.
    for (std::size_t off : {std::size_t{64}, good.size() - 1}) {
      Bytes bad = good;
      bad[off] ^= 1;
      EXPECT_EQ(public_from_private(ps, bad, pk), Status::kBadKey) << off;
      EXPECT_TRUE(pk.empty());
      std::vector<std::uint8_t> sig;
      EXPECT_EQ(sign(ps, bad, f.msg, {}, sig), Status::kOk);
    }
  }
}

// Rewrites the hint block of sig (ω index bytes, then k cut points).
Bytes with_hints(const Fixture& f, const Geometry& g, const std::function<void(std::uint8_t* h)>& edit) {
  Bytes sig = f.sig;
  edit(sig.data() + g.ctilde + g.zpoly * g.l);
  return sig;
}

TEST(MlDsaInvalid, MalformedHints) {
  std::size_t checked = 0;
  for (ParamSet ps : kAllSets) {
    Fixture f = make(ps);
    const Geometry g = geometry(ps);
    const std::uint8_t* h = f.sig.data() + g.ctilde + g.zpoly * g.l;
    const std::size_t total = h[g.omega + g.k - 1];
    ASSERT_GE(total, 2u) << "the fixture signature needs at least two hints";
    // Locate a polynomial with at least two hints.
    std::size_t poly = 0, start = 0;
    for (; poly < g.k; ++poly) {
      start = poly == 0 ? 0 : h[g.omega + poly - 1];
      if (h[g.omega + poly] - start >= 2) break;
    }
    std::vector<std::pair<const char*, Bytes>> cases;
    if (poly < g.k) {
      cases.push_back({"repeated index", with_hints(f, g, [&](std::uint8_t* x) { x[start + 1] = x[start]; })});
      cases.push_back({"reversed indices", with_hints(f, g, [&](std::uint8_t* x) { std::swap(x[start], x[start + 1]); })});
    }
    cases.push_back({"cut above omega", with_hints(f, g, [&](std::uint8_t* x) { x[g.omega + g.k - 1] = static_cast<std::uint8_t>(g.omega + 1); })});
    cases.push_back({"cut decreasing", with_hints(f, g, [&](std::uint8_t* x) {
      x[g.omega] = static_cast<std::uint8_t>(total);  // first cut swallows all, the next goes back
      x[g.omega + 1] = 0;
    })});
    if (total < g.omega)
      cases.push_back({"non-zero padding", with_hints(f, g, [&](std::uint8_t* x) { x[g.omega - 1] = 1; })});
    for (const auto& [what, sig] : cases) {
      EXPECT_EQ(verify(ps, f.pk, f.msg, {}, sig), Status::kBadEncoding) << name(ps) << ": " << what;
      ++checked;
    }
    // ω + 1 hints cannot be expressed: the last cut is capped at ω by the check above.
  }
  std::printf("malformed hint cases: %zu\n", checked);
  ASSERT_GE(checked, 12u);
}

TEST(MlDsaInvalid, ZOutsideBound) {
  for (ParamSet ps : kAllSets) {
    Fixture f = make(ps);
    const Geometry g = geometry(ps);
    // The first z coefficient's field holds γ1 - z; field value 0 decodes to z = γ1, the
    // largest value BitUnpack can produce, which violates ‖z‖∞ < γ1 - β.
    Bytes sig = f.sig;
    sig[g.ctilde] = 0;
    sig[g.ctilde + 1] = 0;
    sig[g.ctilde + 2] &= g.gamma1 == (1 << 17) ? 0xFC : 0xF0;
    EXPECT_EQ(verify(ps, f.pk, f.msg, {}, sig), Status::kVerifyFailed);
  }
}

// The test above cannot fail on its own: changing z also changes w'1, so c̃ no longer matches
// and verification fails with or without the bound (the ACVP-Server #462 trap). Here a signer
// that skips only the z check (FIPS 204 Algorithm 7 otherwise, with an arbitrary ρ'') keeps
// iterating until z has a coefficient in [γ1 - β, γ1]: a signature that passes every other check
// of Algorithm 8, so only ‖z‖∞ < γ1 - β can reject it. Its in-bound signatures must verify, which
// shows that the construction is right.
TEST(MlDsaInvalid, ZBoundIsTheOnlyFailingCheck) {
  using namespace internal;
  for (ParamSet ps : kAllSets) {
    Fixture f = make(ps);
    const Params& p = params(ps);
    SignWorkspace* ws = thread_sign_workspace();
    auto prepared = new_prepared_sign();
    ASSERT_NE(ws, nullptr);
    ASSERT_NE(prepared, nullptr);
    const WipeOnExit wipe(*ws);  // the thread's signing workspace, shared with real signatures
    auto& w = ws->s;
    ASSERT_EQ(prepare_private_key(p, f.sk.data(), *prepared), Status::kOk);
    std::array<std::uint8_t, 64> mu;
    ASSERT_EQ(compute_mu(ps, f.pk, f.msg, {}, mu), Status::kOk);
    const Bytes rho2 = test::test_bytes("z-bound-rho2", 64);
    std::memcpy(w.rho2, rho2.data(), 64);
    int oversized = 0, in_bound = 0;
    for (std::uint16_t kappa = 0; kappa < 2000 && (oversized == 0 || in_bound == 0);
         kappa = static_cast<std::uint16_t>(kappa + p.l)) {
      for (int r = 0; r < p.l; ++r) {
        expand_mask_poly(w.y.v[r], w.rho2, static_cast<std::uint16_t>(kappa + r), p);
        w.z.v[r] = w.y.v[r];
        ntt(w.z.v[r]);
      }
      matrix_mul(p, w.w0, prepared->a, w.z);
      for (int i = 0; i < p.k; ++i) {
        invntt_tomont(w.w0.v[i]);
        poly_caddq(w.w0.v[i]);
        poly_decompose(w.w1.v[i], w.w0.v[i], w.w0.v[i], p.gamma2);
        pack_w1(w.w1_packed + p.w1_poly_bytes() * static_cast<std::size_t>(i), w.w1.v[i], p);
      }
      Bytes sig(p.sig_bytes());
      Shake256 h;
      h.absorb(mu);
      h.absorb(std::span<const std::uint8_t>(w.w1_packed, p.w1_poly_bytes() * static_cast<std::size_t>(p.k)));
      h.squeeze(std::span(sig.data(), p.ctilde_bytes));
      sample_in_ball(w.c, std::span<const std::uint8_t>(sig.data(), p.ctilde_bytes), p.tau);
      w.chat = w.c;
      ntt(w.chat);
      bool encodable = true, big = false;
      for (int i = 0; i < p.l; ++i) {
        poly_mul_ntt_centred(w.z.v[i], w.chat, prepared->s1hat.v[i]);
        poly_add(w.z.v[i], w.z.v[i], w.y.v[i]);
        for (std::int32_t x : w.z.v[i].c) {
          encodable = encodable && x > -p.gamma1 && x <= p.gamma1;
          big = big || x >= p.gamma1 - p.beta || x <= -(p.gamma1 - p.beta);
        }
      }
      std::uint32_t reject = 0, ones = 0;
      for (int i = 0; i < p.k; ++i) {
        poly_mul_ntt_centred(w.h.v[i], w.chat, prepared->s2hat.v[i]);
        poly_sub(w.w0.v[i], w.w0.v[i], w.h.v[i]);
        reject |= poly_norm_exceeds(w.w0.v[i], p.gamma2 - p.beta);
        poly_mul_ntt_centred(w.h.v[i], w.chat, prepared->t0hat.v[i]);
        reject |= poly_norm_exceeds(w.h.v[i], p.gamma2);
        poly_add(w.w0.v[i], w.w0.v[i], w.h.v[i]);
        ones += poly_make_hint(w.h.v[i], w.w0.v[i], w.w1.v[i], p.gamma2);
      }
      if (reject != 0 || ones > static_cast<std::uint32_t>(p.omega) || !encodable) continue;
      std::uint8_t* q = sig.data() + p.ctilde_bytes;
      for (int i = 0; i < p.l; ++i, q += p.z_poly_bytes()) pack_z(q, w.z.v[i], p);
      pack_hints(q, w.h, p);
      const Status got = verify(ps, f.pk, f.msg, {}, sig);
      if (big) {
        EXPECT_EQ(got, Status::kVerifyFailed) << name(ps) << " kappa " << kappa;
        ++oversized;
      } else {
        EXPECT_EQ(got, Status::kOk) << name(ps) << " kappa " << kappa;
        ++in_bound;
      }
    }
    EXPECT_GT(oversized, 0) << name(ps);
    EXPECT_GT(in_bound, 0) << name(ps);
  }
}

TEST(MlDsaInvalid, BitFlipsNeverVerify) {
  std::size_t flips = 0;
  for (ParamSet ps : kAllSets) {
    Fixture f = make(ps);
    for (std::size_t i = 0; i < f.sig.size(); i += 7) {
      Bytes sig = f.sig;
      sig[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
      const Status s = verify(ps, f.pk, f.msg, {}, sig);
      ASSERT_NE(s, Status::kOk) << name(ps) << " byte " << i;
      ASSERT_TRUE(s == Status::kVerifyFailed || s == Status::kBadEncoding) << status_name(s);
      ++flips;
    }
    for (std::size_t i = 0; i < f.pk.size(); i += 31) {
      Bytes pk = f.pk;
      pk[i] ^= 0x10;
      ASSERT_EQ(verify(ps, pk, f.msg, {}, f.sig), Status::kVerifyFailed) << i;
      ++flips;
    }
  }
  std::printf("bit flips rejected: %zu\n", flips);
  ASSERT_GT(flips, 1000u);
}

}  // namespace
}  // namespace pqmcp::crypto::mldsa
