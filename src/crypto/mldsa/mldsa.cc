// The public ML-DSA API of crypto/mldsa.h: input validation, the message formatting of FIPS 204
// §5 (pure ML-DSA, Algorithms 2-3; HashML-DSA, Algorithms 4-5; external μ), randomness, and
// output ownership. The algorithms themselves live in mldsa_core.cc.
#include "crypto/mldsa.h"

#include <openssl/evp.h>

#include <cstring>

#include "crypto/ct.h"
#include "crypto/mldsa/mldsa_core.h"
#include "crypto/random.h"
#include "crypto/sha3.h"

namespace pqmcp::crypto::mldsa {

using internal::DecodedKey;
using internal::Params;
using internal::params;
using internal::valid_param_set;

const char* name(ParamSet p) noexcept {
  switch (p) {
    case ParamSet::kMlDsa44: return "ML-DSA-44";
    case ParamSet::kMlDsa65: return "ML-DSA-65";
    case ParamSet::kMlDsa87: return "ML-DSA-87";
  }
  return "unknown";
}

namespace {

using Bytes = std::span<const std::uint8_t>;

// Sizes an output buffer. The API is noexcept, so an allocation failure must become a status
// rather than std::bad_alloc escaping into std::terminate.
template <typename Buffer>
bool try_resize(Buffer& b, std::size_t n) noexcept {
  try {
    b.resize(n);
    return true;
  } catch (...) {
    b.clear();
    return false;
  }
}

bool evp_digest(const EVP_MD* md, Bytes in, std::uint8_t* out) noexcept {
  unsigned int len = 0;
  return md != nullptr && EVP_Digest(in.data(), in.size(), out, &len, md, nullptr) == 1;
}

// PH(M) and the DER OID of FIPS 204 Algorithm 4 lines 10-22 (OIDs 2.16.840.1.101.3.4.2.x).
Status prehash(PreHash ph, Bytes msg, std::uint8_t* oid, std::uint8_t* digest, std::size_t* len) noexcept {
  static constexpr std::uint8_t kOidPrefix[10] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02};
  std::memcpy(oid, kOidPrefix, sizeof kOidPrefix);
  bool ok = true;
  std::uint8_t arc = 0;
  switch (ph) {
    case PreHash::kSha256: arc = 0x01; *len = 32; ok = evp_digest(EVP_sha256(), msg, digest); break;
    case PreHash::kSha384: arc = 0x02; *len = 48; ok = evp_digest(EVP_sha384(), msg, digest); break;
    case PreHash::kSha512: arc = 0x03; *len = 64; ok = evp_digest(EVP_sha512(), msg, digest); break;
    case PreHash::kSha224: arc = 0x04; *len = 28; ok = evp_digest(EVP_sha224(), msg, digest); break;
    case PreHash::kSha512_224: arc = 0x05; *len = 28; ok = evp_digest(EVP_sha512_224(), msg, digest); break;
    case PreHash::kSha512_256: arc = 0x06; *len = 32; ok = evp_digest(EVP_sha512_256(), msg, digest); break;
    case PreHash::kSha3_224: arc = 0x07; *len = 28; sha3_224(msg, std::span<std::uint8_t, 28>(digest, 28)); break;
    case PreHash::kSha3_256:
      arc = 0x08; *len = 32;
      sha3_256(msg, std::span<std::uint8_t, 32>(digest, 32));
      break;
    case PreHash::kSha3_384: arc = 0x09; *len = 48; sha3_384(msg, std::span<std::uint8_t, 48>(digest, 48)); break;
    case PreHash::kSha3_512:
      arc = 0x0A; *len = 64;
      sha3_512(msg, std::span<std::uint8_t, 64>(digest, 64));
      break;
    // SHAKE128 with 256-bit and SHAKE256 with 512-bit output (Algorithm 4 lines 20, 22).
    case PreHash::kShake128: arc = 0x0B; *len = 32; shake128(msg, std::span(digest, 32)); break;
    case PreHash::kShake256: arc = 0x0C; *len = 64; shake256(msg, std::span(digest, 64)); break;
    default: return Status::kUnsupported;
  }
  oid[10] = arc;
  return ok ? Status::kOk : Status::kInternal;
}

// The formatted message M' of FIPS 204 Algorithms 2-5, absorbed piecewise so a long message is
// never copied: domain ‖ |ctx| ‖ ctx ‖ (OID ‖ PH(M) | M).
struct Formatted {
  std::uint8_t domain;  // 0 pure, 1 pre-hash
  Bytes ctx;
  Bytes body;           // M, or PH(M) after the OID
  Bytes oid;
  void absorb(Shake256& h) const noexcept {
    const std::uint8_t head[2] = {domain, static_cast<std::uint8_t>(ctx.size())};
    h.absorb(head);
    h.absorb(ctx);
    h.absorb(oid);
    h.absorb(body);
  }
};

// μ = H(tr ‖ M', 64) (Algorithm 7 line 6, Algorithm 8 line 7).
void mu_from_tr(Bytes tr, Bytes mprime_raw, const Formatted* f, std::uint8_t mu[64]) noexcept {
  Shake256 h;
  h.absorb(tr);
  if (f != nullptr) f->absorb(h); else h.absorb(mprime_raw);
  h.squeeze(std::span(mu, 64));
}

void tr_of(const Params& p, Bytes pk, std::uint8_t tr[64]) noexcept {
  shake256(pk.first(p.pk_bytes()), std::span(tr, 64));
}

// Shared tail of every signing entry point: the one implementation of signing. Exactly one of
// `f`, `mprime` or `mu_in` supplies the message; `rnd_in` (Sign_internal) overrides the
// randomness mode.
Status sign_impl(const PreparedPrivateKey& key, const Formatted* f, const Bytes* mprime,
                 const std::uint8_t* mu_in, const std::uint8_t* rnd_in, Randomness mode,
                 std::vector<std::uint8_t>& sig) noexcept {
  sig.clear();
  if (key.empty()) return Status::kBadKey;
  const Params& p = params(key.param_set());
  if (rnd_in == nullptr && mode != Randomness::kHedged && mode != Randomness::kDeterministic)
    return Status::kUnsupported;
  // The loop's vectors: this thread's workspace, wiped when the signature is done.
  internal::SignWorkspace* const ws = internal::thread_sign_workspace();
  if (ws == nullptr) return Status::kInternal;
  const internal::WipeOnExit wipe(*ws);
  std::uint8_t mu[64];
  if (mu_in != nullptr) std::memcpy(mu, mu_in, 64);
  else mu_from_tr(key.tr(), mprime != nullptr ? *mprime : Bytes{}, f, mu);
  SecretArray<kRndBytes> rnd;  // zero: the deterministic variant (FIPS 204 §3.4)
  if (rnd_in != nullptr) {
    std::memcpy(rnd.data(), rnd_in, kRndBytes);
  } else if (mode == Randomness::kHedged) {
    if (Status s = random_bytes(rnd.span()); !is_ok(s)) return s;
  }
  if (!try_resize(sig, p.sig_bytes())) return Status::kInternal;
  internal::sign_from_mu(p, *key.impl(), *ws, mu, rnd, sig.data());
  return Status::kOk;
}

// The entry points on an encoded key: prepare it, then sign with it.
// Prepares an encoded private key and runs fn on it; sig is left empty on every error.
template <class Fn>
Status with_private(ParamSet ps, Bytes sk, std::vector<std::uint8_t>& sig, Fn&& fn) noexcept {
  sig.clear();
  PreparedPrivateKey key;
  if (Status s = PreparedPrivateKey::load(ps, sk, key); !is_ok(s)) return s;
  return fn(key);
}

// The one implementation of verification.
Status verify_impl(const PreparedPublicKey& key, const Formatted* f, const Bytes* mprime,
                   const std::uint8_t* mu_in, Bytes sig) noexcept {
  if (key.empty()) return Status::kBadKey;
  const Params& p = params(key.param_set());
  if (sig.size() != p.sig_bytes()) return Status::kBadLength;
  std::uint8_t mu[64];
  if (mu_in != nullptr) std::memcpy(mu, mu_in, 64);
  else mu_from_tr(Bytes(key.impl()->tr, 64), mprime != nullptr ? *mprime : Bytes{}, f, mu);
  return internal::verify_from_mu(p, *key.impl(), mu, sig.data());
}

// Prepares an encoded public key and runs fn on it, checking the lengths first so that a
// malformed input costs no key preparation.
template <class Fn>
Status with_public(ParamSet ps, Bytes pk, Bytes sig, Fn&& fn) noexcept {
  if (!valid_param_set(ps)) return Status::kUnsupported;
  const Params& p = params(ps);
  if (pk.size() != p.pk_bytes() || sig.size() != p.sig_bytes()) return Status::kBadLength;
  PreparedPublicKey key;
  if (Status s = PreparedPublicKey::load(ps, pk, key); !is_ok(s)) return s;
  return fn(key);
}

}  // namespace

PreparedPrivateKey::PreparedPrivateKey() noexcept = default;
PreparedPrivateKey::~PreparedPrivateKey() = default;
PreparedPrivateKey::PreparedPrivateKey(PreparedPrivateKey&&) noexcept = default;
PreparedPrivateKey& PreparedPrivateKey::operator=(PreparedPrivateKey&&) noexcept = default;

Status PreparedPrivateKey::load(ParamSet ps, std::span<const std::uint8_t> sk, PreparedPrivateKey& out) noexcept {
  out.impl_.reset();  // wipes the previous key
  if (!valid_param_set(ps)) return Status::kUnsupported;
  const Params& p = params(ps);
  if (sk.size() != p.sk_bytes()) return Status::kBadLength;
  std::unique_ptr<internal::PreparedSign> impl = internal::new_prepared_sign();
  if (impl == nullptr) return Status::kInternal;
  if (Status s = internal::prepare_private_key(p, sk.data(), *impl); !is_ok(s)) return s;
  out.p_ = ps;
  out.impl_ = std::move(impl);
  return Status::kOk;
}

std::span<const std::uint8_t, 64> PreparedPrivateKey::tr() const noexcept {
  static constexpr std::uint8_t kNone[64] = {};
  return impl_ != nullptr ? std::span<const std::uint8_t, 64>(impl_->key.tr, 64)
                          : std::span<const std::uint8_t, 64>(kNone, 64);
}

PreparedPublicKey::PreparedPublicKey() noexcept = default;
PreparedPublicKey::~PreparedPublicKey() = default;
PreparedPublicKey::PreparedPublicKey(PreparedPublicKey&&) noexcept = default;
PreparedPublicKey& PreparedPublicKey::operator=(PreparedPublicKey&&) noexcept = default;

Status PreparedPublicKey::load(ParamSet ps, std::span<const std::uint8_t> pk, PreparedPublicKey& out) noexcept {
  out.impl_.reset();
  out.pk_.clear();
  if (!valid_param_set(ps)) return Status::kUnsupported;
  const Params& p = params(ps);
  if (pk.size() != p.pk_bytes()) return Status::kBadLength;
  std::unique_ptr<internal::PreparedVerify> impl = internal::new_prepared_verify();
  if (impl == nullptr || !try_resize(out.pk_, pk.size())) return Status::kInternal;
  std::memcpy(out.pk_.data(), pk.data(), pk.size());
  internal::prepare_public_key(p, pk.data(), *impl);
  out.p_ = ps;
  out.impl_ = std::move(impl);
  return Status::kOk;
}

Status keygen_from_seed(ParamSet ps, std::span<const std::uint8_t, kSeedBytes> xi,
                        std::vector<std::uint8_t>& pk, SecureBuffer& sk) noexcept {
  pk.clear();
  sk.clear();
  if (!valid_param_set(ps)) return Status::kUnsupported;
  const Params& p = params(ps);
  if (!try_resize(pk, p.pk_bytes()) || !try_resize(sk, p.sk_bytes())) {
    pk.clear();
    sk.clear();
    return Status::kInternal;
  }
  if (Status s = internal::keygen_internal(p, xi, pk.data(), sk.data()); !is_ok(s)) {
    pk.clear();
    sk.clear();
    return s;
  }
  return Status::kOk;
}

Status keygen(ParamSet ps, std::vector<std::uint8_t>& pk, SecureBuffer& sk, Seed* seed_out) noexcept {
  pk.clear();
  sk.clear();
  if (seed_out != nullptr) seed_out->wipe();
  if (!valid_param_set(ps)) return Status::kUnsupported;
  Seed xi;
  if (Status s = random_bytes(xi.span()); !is_ok(s)) return s;
  if (Status s = keygen_from_seed(ps, xi, pk, sk); !is_ok(s)) return s;
  if (seed_out != nullptr) *seed_out = xi;
  return Status::kOk;
}

// The functions on encoded keys prepare the key and call the prepared-key function, so each
// entry point has one body. The context length is checked first, as before any key work.
Status sign(ParamSet ps, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> msg,
            std::span<const std::uint8_t> ctx, std::vector<std::uint8_t>& sig, Randomness r) noexcept {
  if (ctx.size() > kMaxContextBytes) return sig.clear(), Status::kBadContext;
  return with_private(ps, sk, sig, [&](const PreparedPrivateKey& k) { return sign(k, msg, ctx, sig, r); });
}

Status sign_prehash(ParamSet ps, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> msg,
                    std::span<const std::uint8_t> ctx, PreHash ph, std::vector<std::uint8_t>& sig,
                    Randomness r) noexcept {
  if (ctx.size() > kMaxContextBytes) return sig.clear(), Status::kBadContext;
  return with_private(ps, sk, sig, [&](const PreparedPrivateKey& k) { return sign_prehash(k, msg, ctx, ph, sig, r); });
}

Status sign_mu(ParamSet ps, std::span<const std::uint8_t> sk, std::span<const std::uint8_t, kMuBytes> mu,
               std::vector<std::uint8_t>& sig, Randomness r) noexcept {
  return with_private(ps, sk, sig, [&](const PreparedPrivateKey& k) { return sign_mu(k, mu, sig, r); });
}

Status sign_internal(ParamSet ps, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> mprime,
                     std::span<const std::uint8_t, kRndBytes> rnd, std::vector<std::uint8_t>& sig) noexcept {
  return with_private(ps, sk, sig, [&](const PreparedPrivateKey& k) { return sign_internal(k, mprime, rnd, sig); });
}

Status verify(ParamSet ps, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t> ctx, std::span<const std::uint8_t> sig) noexcept {
  if (ctx.size() > kMaxContextBytes) return Status::kBadContext;
  return with_public(ps, pk, sig, [&](const PreparedPublicKey& k) { return verify(k, msg, ctx, sig); });
}

Status verify_prehash(ParamSet ps, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
                      std::span<const std::uint8_t> ctx, PreHash ph, std::span<const std::uint8_t> sig) noexcept {
  if (ctx.size() > kMaxContextBytes) return Status::kBadContext;
  return with_public(ps, pk, sig, [&](const PreparedPublicKey& k) { return verify_prehash(k, msg, ctx, ph, sig); });
}

Status verify_mu(ParamSet ps, std::span<const std::uint8_t> pk, std::span<const std::uint8_t, kMuBytes> mu,
                 std::span<const std::uint8_t> sig) noexcept {
  return with_public(ps, pk, sig, [&](const PreparedPublicKey& k) { return verify_mu(k, mu, sig); });
}

Status verify_internal(ParamSet ps, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> mprime,
                       std::span<const std::uint8_t> sig) noexcept {
  return with_public(ps, pk, sig, [&](const PreparedPublicKey& k) { return verify_internal(k, mprime, sig); });
}

// ---- Prepared keys ----

Status sign(const PreparedPrivateKey& sk, std::span<const std::uint8_t> msg, std::span<const std::uint8_t> ctx,
            std::vector<std::uint8_t>& sig, Randomness r) noexcept {
  sig.clear();
  if (ctx.size() > kMaxContextBytes) return Status::kBadContext;
  const Formatted f{0, ctx, msg, {}};
  return sign_impl(sk, &f, nullptr, nullptr, nullptr, r, sig);
}

Status sign_prehash(const PreparedPrivateKey& sk, std::span<const std::uint8_t> msg,
                    std::span<const std::uint8_t> ctx, PreHash ph, std::vector<std::uint8_t>& sig,
                    Randomness r) noexcept {
  sig.clear();
  if (ctx.size() > kMaxContextBytes) return Status::kBadContext;
  std::uint8_t oid[11], digest[64];
  std::size_t len = 0;
  if (Status s = prehash(ph, msg, oid, digest, &len); !is_ok(s)) return s;
  const Formatted f{1, ctx, Bytes(digest, len), Bytes(oid, sizeof oid)};
  return sign_impl(sk, &f, nullptr, nullptr, nullptr, r, sig);
}

Status sign_mu(const PreparedPrivateKey& sk, std::span<const std::uint8_t, kMuBytes> mu,
               std::vector<std::uint8_t>& sig, Randomness r) noexcept {
  return sign_impl(sk, nullptr, nullptr, mu.data(), nullptr, r, sig);
}

Status sign_internal(const PreparedPrivateKey& sk, std::span<const std::uint8_t> mprime,
                     std::span<const std::uint8_t, kRndBytes> rnd, std::vector<std::uint8_t>& sig) noexcept {
  return sign_impl(sk, nullptr, &mprime, nullptr, rnd.data(), Randomness::kDeterministic, sig);
}

Status verify(const PreparedPublicKey& pk, std::span<const std::uint8_t> msg, std::span<const std::uint8_t> ctx,
              std::span<const std::uint8_t> sig) noexcept {
  if (ctx.size() > kMaxContextBytes) return Status::kBadContext;
  const Formatted f{0, ctx, msg, {}};
  return verify_impl(pk, &f, nullptr, nullptr, sig);
}

Status verify_prehash(const PreparedPublicKey& pk, std::span<const std::uint8_t> msg,
                      std::span<const std::uint8_t> ctx, PreHash ph, std::span<const std::uint8_t> sig) noexcept {
  if (ctx.size() > kMaxContextBytes) return Status::kBadContext;
  std::uint8_t oid[11], digest[64];
  std::size_t len = 0;
  if (Status s = prehash(ph, msg, oid, digest, &len); !is_ok(s)) return s;
  const Formatted f{1, ctx, Bytes(digest, len), Bytes(oid, sizeof oid)};
  return verify_impl(pk, &f, nullptr, nullptr, sig);
}

Status verify_mu(const PreparedPublicKey& pk, std::span<const std::uint8_t, kMuBytes> mu,
                 std::span<const std::uint8_t> sig) noexcept {
  return verify_impl(pk, nullptr, nullptr, mu.data(), sig);
}

Status verify_internal(const PreparedPublicKey& pk, std::span<const std::uint8_t> mprime,
                       std::span<const std::uint8_t> sig) noexcept {
  return verify_impl(pk, nullptr, &mprime, nullptr, sig);
}

Status compute_mu(ParamSet ps, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
                  std::span<const std::uint8_t> ctx, std::span<std::uint8_t, kMuBytes> mu) noexcept {
  std::memset(mu.data(), 0, kMuBytes);
  if (!valid_param_set(ps)) return Status::kUnsupported;
  const Params& p = params(ps);
  if (pk.size() != p.pk_bytes()) return Status::kBadLength;
  if (ctx.size() > kMaxContextBytes) return Status::kBadContext;
  std::uint8_t tr[64];
  tr_of(p, pk, tr);
  const Formatted f{0, ctx, msg, {}};
  mu_from_tr(tr, {}, &f, mu.data());
  return Status::kOk;
}

Status public_from_private(ParamSet ps, std::span<const std::uint8_t> sk, std::vector<std::uint8_t>& pk) noexcept {
  pk.clear();
  if (!valid_param_set(ps)) return Status::kUnsupported;
  const Params& p = params(ps);
  if (sk.size() != p.sk_bytes()) return Status::kBadLength;
  const std::unique_ptr<internal::KeyWorkspace> ws = internal::new_key_workspace();
  if (ws == nullptr) return Status::kInternal;
  const DecodedKey& key = ws->s.key;
  if (Status s = internal::decode_private_key(p, sk.data(), ws->s.key); !is_ok(s)) return s;
  std::vector<std::uint8_t> out;
  if (!try_resize(out, p.pk_bytes())) return Status::kInternal;
  const bool t0_ok = internal::recompute_public_key(p, *ws, out.data());
  // The key's tr must be H(pk) of the recomputed key and its t0 the one KeyGen would produce;
  // otherwise the expanded key is not one Algorithm 6 can output.
  std::uint8_t tr[64];
  tr_of(p, out, tr);
  if (!t0_ok || !ct::equal(Bytes(tr, 64), Bytes(key.tr, 64))) return Status::kBadKey;
  pk = std::move(out);
  return Status::kOk;
}

}  // namespace pqmcp::crypto::mldsa
