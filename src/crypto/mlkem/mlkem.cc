// ML-KEM (FIPS 203 §6-7): the Fujisaki-Okamoto wrapper around K-PKE, the input checks of
// §7.2/§7.3, and the public API of crypto/mlkem.h.
#include "crypto/mlkem.h"

#include <cstring>
#include <array>

#include "crypto/ct.h"
#include "crypto/mlkem/arith.h"
#include "crypto/mlkem/kpke.h"
#include "crypto/mlkem/params.h"
#include "crypto/random.h"
#include "crypto/sha3.h"

namespace pqmcp::crypto::mlkem {
namespace {

using Bytes32 = std::array<std::uint8_t, 32>;

// Calls f with the Params type of p; kUnsupported for a value outside the enum.
template <class F>
Status dispatch(ParamSet p, F&& f) noexcept {
  switch (p) {
    case ParamSet::kMlKem512: return f(MlKem512{});
    case ParamSet::kMlKem768: return f(MlKem768{});
    case ParamSet::kMlKem1024: return f(MlKem1024{});
  }
  return Status::kUnsupported;
}

// FIPS 203 §7.2 modulus check: ByteEncode12(ByteDecode12(ek)) == ek on the polynomial part.
// ek is public, so an early-exit comparison is fine.
template <class P>
bool modulus_ok(std::span<const std::uint8_t, P::kEkBytes> ek) noexcept {
  std::uint8_t buf[P::kPolyBytes];
  for (int i = 0; i < P::k; ++i) {
    arith::Poly a;
    arith::decode12(a, ek.data() + P::kPolyBytes * i);
    arith::encode12(buf, a);
    if (std::memcmp(buf, ek.data() + P::kPolyBytes * i, P::kPolyBytes) != 0) return false;
  }
  return true;
}

// The parts of an expanded dk (FIPS 203 Algorithm 18, lines 1-4).
template <class P>
struct DkParts {
  std::span<const std::uint8_t, P::kDkPkeBytes> dk_pke;
  std::span<const std::uint8_t, P::kEkBytes> ek;
  std::span<const std::uint8_t, 32> h;
  std::span<const std::uint8_t, 32> z;
  explicit DkParts(const std::uint8_t* dk)
      : dk_pke(dk, P::kDkPkeBytes),
        ek(dk + P::kDkPkeBytes, P::kEkBytes),
        h(dk + P::kDkPkeBytes + P::kEkBytes, 32),
        z(dk + P::kDkPkeBytes + P::kEkBytes + 32, 32) {}
};

// FIPS 203 §7.3 hash check: H(dk[384k : 768k+32]) == dk[768k+32 : 768k+64].
template <class P>
bool hash_ok(const DkParts<P>& parts) noexcept {
  // The embedded ek is the public key; hashing and re-encrypting with it branch on it.
  PQMCP_CT_DECLASSIFY(parts.ek.data(), parts.ek.size());
  Bytes32 h;
  sha3_256(parts.ek, h);
  return ct::equal(h, parts.h);  // declassifies only the pass/fail answer, which is public
}

// FIPS 203 Algorithm 16 (ML-KEM.KeyGen_internal) into caller buffers of the right size.
template <class P>
void keygen_internal(std::span<const std::uint8_t, kSeedBytes> seed, std::span<std::uint8_t, P::kEkBytes> ek,
                     std::span<std::uint8_t, P::kDkBytes> dk) noexcept {
  const auto d = seed.template first<32>();
  const auto z = seed.template last<32>();
  kpke_keygen<P>(d, ek, dk.template first<P::kDkPkeBytes>());
  // The public key is public by definition: later code (and callers) may branch on it.
  PQMCP_CT_DECLASSIFY(ek.data(), ek.size());
  std::uint8_t* out = dk.data() + P::kDkPkeBytes;  // dk = dk_pke || ek || H(ek) || z
  std::memcpy(out, ek.data(), P::kEkBytes);
  sha3_256(ek, std::span<std::uint8_t, 32>(out + P::kEkBytes, 32));
  std::memcpy(out + P::kEkBytes + 32, z.data(), 32);
}

template <class P>
Status keygen_from_seed_p(std::span<const std::uint8_t, kSeedBytes> seed_in, std::vector<std::uint8_t>& ek,
                          SecureBuffer& dk) noexcept {
  // The seed may live inside dk (expanding a stored seed in place): resizing dk frees that
  // memory, so copy it first.
  const SecretArray<kSeedBytes> seed(seed_in);
  try {
    ek.resize(P::kEkBytes);
    dk.resize(P::kDkBytes);
  } catch (...) {
    ek.clear();
    dk.clear();
    return Status::kInternal;
  }
  keygen_internal<P>(seed.span(), std::span<std::uint8_t, P::kEkBytes>(ek.data(), P::kEkBytes),
                     std::span<std::uint8_t, P::kDkBytes>(dk.data(), P::kDkBytes));
  return Status::kOk;
}

// FIPS 203 Algorithm 17 (ML-KEM.Encaps_internal), after the §7.2 checks.
template <class P>
void encaps_internal(std::span<const std::uint8_t, P::kEkBytes> ek, std::span<const std::uint8_t, 32> m,
                     std::span<std::uint8_t, P::kCtBytes> c, SharedSecret& key) noexcept {
  SecretArray<64> g_in;  // m || H(ek)
  std::memcpy(g_in.data(), m.data(), 32);
  sha3_256(ek, std::span<std::uint8_t, 32>(g_in.data() + 32, 32));
  SecretArray<64> kr;  // (K, r) <- G(m || H(ek))
  sha3_512(g_in.span(), kr.span());
  kpke_encrypt<P>(ek, m, std::span<const std::uint8_t, 32>(kr.data() + 32, 32), c);
  std::memcpy(key.data(), kr.data(), 32);
}

// The §7.2 checks, then Algorithm 17. m == nullptr means Algorithm 20: draw m from the OS, after
// the checks so that a bad key costs no randomness. The outputs are written only at the end:
// m may be the caller's key (wiping key first would encapsulate to m = 0) and ek may live in
// ct's storage, so both inputs are read in full before either output is touched. The public
// wrappers clear the outputs on every error.
template <class P>
Status encaps_p(std::span<const std::uint8_t> ek_in, const std::uint8_t* m_in, std::vector<std::uint8_t>& ct,
                SharedSecret& key) noexcept {
  SecretArray<kMessageBytes> m;
  if (m_in != nullptr) std::memcpy(m.data(), m_in, kMessageBytes);
  if (ek_in.size() != P::kEkBytes) return Status::kBadLength;  // §7.2 type check
  const auto ek = ek_in.template first<P::kEkBytes>();
  if (!modulus_ok<P>(ek)) return Status::kBadEncoding;  // §7.2 modulus check
  if (m_in == nullptr) {
    if (const Status s = random_bytes(m.span()); s != Status::kOk) return s;
  }
  std::array<std::uint8_t, P::kCtBytes> c;  // a ciphertext is public: no wipe needed
  SharedSecret k;
  encaps_internal<P>(ek, m, c, k);
  try {
    ct.assign(c.begin(), c.end());
  } catch (...) {
    return Status::kInternal;
  }
  key = k;
  return Status::kOk;
}

// FIPS 203 Algorithm 18 (ML-KEM.Decaps_internal), after the §7.3 checks.
template <class P>
void decaps_internal(const DkParts<P>& dk, std::span<const std::uint8_t, P::kCtBytes> c,
                     SharedSecret& key) noexcept {
  SecretArray<64> g_in;  // m' || h
  kpke_decrypt<P>(dk.dk_pke, c, g_in.span().template first<32>());  // line 5
  std::memcpy(g_in.data() + 32, dk.h.data(), 32);
  SecretArray<64> kr;  // line 6: (K', r') <- G(m' || h)
  sha3_512(g_in.span(), kr.span());

  // Line 7: K-bar <- J(z || c), the implicit-rejection key.
  Shake256 j;
  j.absorb(dk.z);
  j.absorb(c);
  j.squeeze(key.span());

  // Lines 8-11: re-encrypt and pick K' iff c == c', as a mask: neither the comparison nor the
  // selection may branch, or the timing would tell an attacker which ciphertexts decrypt.
  std::array<std::uint8_t, P::kCtBytes> c2;
  ScopedWipe wipe_c2(c2);
  kpke_encrypt<P>(dk.ek, std::span<const std::uint8_t, 32>(g_in.data(), 32),
                  std::span<const std::uint8_t, 32>(kr.data() + 32, 32), c2);
  const std::uint8_t eq = ct::eq_mask(c, c2);
  ct::cmov(key.span(), std::span<const std::uint8_t>(kr.data(), 32), eq);
}

template <class P>
Status decaps_p(std::span<const std::uint8_t> dk_in, std::span<const std::uint8_t> ct_in,
                SharedSecret& key) noexcept {
  key.wipe();
  if (ct_in.size() != P::kCtBytes) return Status::kBadLength;  // §7.3 ciphertext type check
  if (dk_in.size() != P::kDkBytes) return Status::kBadLength;  // §7.3 decapsulation key type check
  const DkParts<P> dk(dk_in.data());
  if (!hash_ok<P>(dk)) return Status::kBadKey;                 // §7.3 hash check
  decaps_internal<P>(dk, ct_in.template first<P::kCtBytes>(), key);
  return Status::kOk;
}

template <class P>
Status check_decaps_key_p(std::span<const std::uint8_t> dk_in) noexcept {
  if (dk_in.size() != P::kDkBytes) return Status::kBadLength;
  const DkParts<P> dk(dk_in.data());
  if (!hash_ok<P>(dk)) return Status::kBadKey;
  // The hash check binds the stored H(ek) to the raw bytes of ek, so an ek with an unreduced
  // coefficient and its own hash passes it; only the modulus check catches that (pqc.md #4).
  if (!modulus_ok<P>(dk.ek)) return Status::kBadEncoding;
  return Status::kOk;
}

template <class P>
Status check_seed_matches_p(std::span<const std::uint8_t, kSeedBytes> seed,
                            std::span<const std::uint8_t> dk) noexcept {
  if (dk.size() != P::kDkBytes) return Status::kBadLength;
  std::array<std::uint8_t, P::kEkBytes> ek;
  std::array<std::uint8_t, P::kDkBytes> derived;
  ScopedWipe wipe(derived);
  keygen_internal<P>(seed, ek, derived);
  return ct::equal(derived, dk) ? Status::kOk : Status::kBadKey;
}

}  // namespace

const char* name(ParamSet p) noexcept {
  switch (p) {
    case ParamSet::kMlKem512: return "ML-KEM-512";
    case ParamSet::kMlKem768: return "ML-KEM-768";
    case ParamSet::kMlKem1024: return "ML-KEM-1024";
  }
  return "unknown";
}

Status keygen_from_seed(ParamSet p, std::span<const std::uint8_t, kSeedBytes> seed,
                        std::vector<std::uint8_t>& ek, SecureBuffer& dk) noexcept {
  const Status s = dispatch(p, [&]<class P>(P) { return keygen_from_seed_p<P>(seed, ek, dk); });
  if (s != Status::kOk) {
    ek.clear();
    dk.clear();
  }
  return s;
}

Status keygen(ParamSet p, std::vector<std::uint8_t>& ek, SecureBuffer& dk, Seed* seed_out) noexcept {
  // FIPS 203 Algorithm 19: d and z are two independent draws.
  Seed seed;
  Status s = random_bytes(std::span<std::uint8_t>(seed.data(), 32));
  if (s == Status::kOk) s = random_bytes(std::span<std::uint8_t>(seed.data() + 32, 32));
  if (s == Status::kOk) s = keygen_from_seed(p, seed, ek, dk);
  if (s != Status::kOk) {
    ek.clear();
    dk.clear();
    if (seed_out != nullptr) seed_out->wipe();
    return s;
  }
  if (seed_out != nullptr) *seed_out = seed;
  return Status::kOk;
}

Status encaps_derand(ParamSet p, std::span<const std::uint8_t> ek,
                     std::span<const std::uint8_t, kMessageBytes> m, std::vector<std::uint8_t>& ct,
                     SharedSecret& key) noexcept {
  const Status s = dispatch(p, [&]<class P>(P) { return encaps_p<P>(ek, m.data(), ct, key); });
  if (s != Status::kOk) {
    ct.clear();
    key.wipe();
  }
  return s;
}

Status encaps(ParamSet p, std::span<const std::uint8_t> ek, std::vector<std::uint8_t>& ct,
              SharedSecret& key) noexcept {
  // FIPS 203 Algorithm 20.
  const Status s = dispatch(p, [&]<class P>(P) { return encaps_p<P>(ek, nullptr, ct, key); });
  if (s != Status::kOk) {
    ct.clear();
    key.wipe();
  }
  return s;
}

Status decaps(ParamSet p, std::span<const std::uint8_t> dk, std::span<const std::uint8_t> ct,
              SharedSecret& key) noexcept {
  const Status s = dispatch(p, [&]<class P>(P) { return decaps_p<P>(dk, ct, key); });
  if (s != Status::kOk) key.wipe();
  return s;
}

Status check_encaps_key(ParamSet p, std::span<const std::uint8_t> ek) noexcept {
  return dispatch(p, [&]<class P>(P) {
    if (ek.size() != P::kEkBytes) return Status::kBadLength;
    return modulus_ok<P>(ek.template first<P::kEkBytes>()) ? Status::kOk : Status::kBadEncoding;
  });
}

Status check_decaps_key(ParamSet p, std::span<const std::uint8_t> dk) noexcept {
  return dispatch(p, [&]<class P>(P) { return check_decaps_key_p<P>(dk); });
}

Status check_seed_matches(ParamSet p, std::span<const std::uint8_t, kSeedBytes> seed,
                          std::span<const std::uint8_t> dk) noexcept {
  return dispatch(p, [&]<class P>(P) { return check_seed_matches_p<P>(seed, dk); });
}

}  // namespace pqmcp::crypto::mlkem
