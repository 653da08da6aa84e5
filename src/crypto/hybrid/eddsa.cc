// RFC 8032 Ed25519: keys and one-off verification through libsodium, signing through
// ed25519_sign (byte-identical to libsodium's), verification against a loaded key through
// ed25519_fixed (libsodium's exact rules); Ed448 through OpenSSL's EVP interface on raw keys.
#include "crypto/eddsa.h"

#include <openssl/evp.h>
#include <sodium.h>

#include "crypto/hybrid/ed25519_fixed.h"
#include "crypto/hybrid/ed25519_sign.h"
#include "crypto/random.h"

#include <memory>

namespace pqmcp::crypto::eddsa {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

int nid(Curve c) { return c == Curve::kEd25519 ? EVP_PKEY_ED25519 : EVP_PKEY_ED448; }

bool valid_curve(Curve c) { return c == Curve::kEd25519 || c == Curve::kEd448; }

// sodium_init() picks libsodium's implementations once per process; it is thread-safe and
// idempotent (it returns 1 when already done), so a function-local static is enough.
bool sodium_ready() noexcept {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

static_assert(crypto_sign_ed25519_SEEDBYTES == 32 && crypto_sign_ed25519_PUBLICKEYBYTES == 32 &&
              crypto_sign_ed25519_SECRETKEYBYTES == 64 && crypto_sign_ed25519_BYTES == 64);

// RFC 8032 §5.1.5: the key pair from the 32-byte private key (libsodium's "seed"); `expanded`
// receives seed ‖ A, the form libsodium signs with.
Status ed25519_expand(std::span<const std::uint8_t> seed, SecureBuffer& expanded) noexcept {
  if (!sodium_ready()) return Status::kInternal;
  std::uint8_t pk[32];
  try {
    expanded.resize(64);
    ed25519_sign::prepare_tables();  // here, where an allocation failure can be reported
  } catch (...) {
    return Status::kInternal;
  }
  if (crypto_sign_ed25519_seed_keypair(pk, expanded.data(), seed.data()) != 0) {
    expanded.clear();
    return Status::kInternal;
  }
  return Status::kOk;
}

Status export_public(Curve c, EVP_PKEY* key, std::vector<std::uint8_t>& pk) {
  std::size_t n = sizes(c).public_key;
  pk.assign(n, 0);
  if (EVP_PKEY_get_raw_public_key(key, pk.data(), &n) != 1 || n != sizes(c).public_key) {
    pk.clear();
    return Status::kInternal;
  }
  return Status::kOk;
}

}  // namespace

void PkeyFree::operator()(::evp_pkey_st* p) const noexcept { EVP_PKEY_free(p); }

Status SigningKey::load(Curve c, std::span<const std::uint8_t> sk, SigningKey& out) noexcept {
  out.key_.reset();
  out.ed25519_.clear();
  if (!valid_curve(c)) return Status::kUnsupported;
  if (sk.size() != sizes(c).private_key) return Status::kBadLength;
  out.c_ = c;
  if (c == Curve::kEd25519) return ed25519_expand(sk, out.ed25519_);
  PkeyHandle key(EVP_PKEY_new_raw_private_key(nid(c), nullptr, sk.data(), sk.size()));
  if (!key) return Status::kBadKey;
  out.c_ = c;
  out.key_ = std::move(key);
  return Status::kOk;
}

Status SigningKey::public_key(std::vector<std::uint8_t>& pk) const noexcept {
  pk.clear();
  if (empty()) return Status::kBadKey;
  if (c_ == Curve::kEd25519) {
    try {
      pk.assign(ed25519_.data() + 32, ed25519_.data() + 64);
    } catch (...) {
      return Status::kInternal;
    }
    return Status::kOk;
  }
  return export_public(c_, key_.get(), pk);
}

Status SigningKey::sign(std::span<const std::uint8_t> msg, std::vector<std::uint8_t>& sig) const noexcept {
  sig.clear();
  if (empty()) return Status::kBadKey;
  std::size_t n = sizes(c_).signature;
  try {
    sig.assign(n, 0);
  } catch (...) {
    return Status::kInternal;
  }
  if (c_ == Curve::kEd25519) {  // RFC 8032 §5.1.6, constant time (ed25519_sign.h)
    const Status s = ed25519_sign::sign(std::span<const std::uint8_t, 64>(ed25519_.data(), 64), msg,
                                        std::span<std::uint8_t, 64>(sig.data(), 64));
    if (s != Status::kOk) sig.clear();
    return s;
  }
  MdCtx md(EVP_MD_CTX_new());
  if (!md) {
    sig.clear();
    return Status::kInternal;
  }
  // Pure EdDSA: no digest (RFC 8032 §5.1.6 / §5.2.6 hash the message themselves).
  if (EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(md.get(), sig.data(), &n, msg.data(), msg.size()) != 1 ||
      n != sizes(c_).signature) {
    sig.clear();
    return Status::kInternal;
  }
  return Status::kOk;
}

// An Ed25519 public key that libsodium's verifier can ever accept a signature under: a canonical
// encoding of a point of the prime-order subgroup, not of small order (RFC 8032 §5.1.3 decoding
// plus the small-order rule of eddsa.h). Anything else is refused as a key.
namespace {
Status ed25519_key_ok(std::span<const std::uint8_t> pk) noexcept {
  if (!sodium_ready()) return Status::kInternal;
  return crypto_core_ed25519_is_valid_point(pk.data()) == 1 ? Status::kOk : Status::kBadEncoding;
}
}  // namespace

Status VerifyingKey::load(Curve c, std::span<const std::uint8_t> pk, VerifyingKey& out,
                          bool precompute) noexcept {
  out.key_.reset();
  out.ed25519_.reset();
  out.has_raw_ = false;
  if (!valid_curve(c)) return Status::kUnsupported;
  if (pk.size() != sizes(c).public_key) return Status::kBadLength;
  out.c_ = c;
  if (c == Curve::kEd25519) {
    if (Status s = ed25519_key_ok(pk); s != Status::kOk) return s;
    if (!precompute) {
      std::copy(pk.begin(), pk.end(), out.raw_.begin());
      out.has_raw_ = true;
      return Status::kOk;
    }
    // Every key libsodium accepts decodes (it is a curve point), so prepare() can only fail on
    // allocation; its kBadEncoding is kept anyway rather than trusting that.
    return ed25519_fixed::prepare(pk.first<32>(), out.ed25519_);
  }
  PkeyHandle key(EVP_PKEY_new_raw_public_key(nid(c), nullptr, pk.data(), pk.size()));
  if (!key) return Status::kBadEncoding;
  out.c_ = c;
  out.key_ = std::move(key);
  return Status::kOk;
}

Status VerifyingKey::verify(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> sig) const noexcept {
  if (empty()) return Status::kBadKey;
  if (sig.size() != sizes(c_).signature) return Status::kBadLength;
  if (c_ == Curve::kEd25519) {  // RFC 8032 §5.1.7 with libsodium's rules (eddsa.h, ed25519_fixed.h)
    const bool ok = ed25519_ != nullptr
                        ? ed25519_fixed::verify(*ed25519_, msg, sig.first<64>())
                        : crypto_sign_ed25519_verify_detached(sig.data(), msg.data(), msg.size(), raw_.data()) == 0;
    return ok ? Status::kOk : Status::kVerifyFailed;
  }
  MdCtx md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key_.get()) != 1)
    return Status::kInternal;
  const int rc = EVP_DigestVerify(md.get(), sig.data(), sig.size(), msg.data(), msg.size());
  return rc == 1 ? Status::kOk : Status::kVerifyFailed;
}

Status keygen(Curve c, std::vector<std::uint8_t>& pk, SecureBuffer& sk) noexcept {
  pk.clear();
  sk.clear();
  if (c == Curve::kEd25519) {
    try {
      sk.resize(32);
    } catch (...) {
      return Status::kInternal;
    }
    if (random_bytes(std::span(sk.data(), sk.size())) != Status::kOk) {
      sk.clear();
      return Status::kRandomFailure;
    }
    SigningKey key;
    Status s = SigningKey::load(c, std::span<const std::uint8_t>(sk.data(), sk.size()), key);
    if (s == Status::kOk) s = key.public_key(pk);
    if (s != Status::kOk) sk.clear();
    return s;
  }
  if (!valid_curve(c)) return Status::kUnsupported;
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_id(nid(c), nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    return Status::kRandomFailure;
  PkeyHandle key(raw);
  sk.resize(sizes(c).private_key);
  std::size_t n = sk.size();
  if (EVP_PKEY_get_raw_private_key(key.get(), sk.data(), &n) != 1 || n != sk.size()) {
    sk.clear();
    return Status::kInternal;
  }
  Status s = export_public(c, key.get(), pk);
  if (s != Status::kOk) sk.clear();
  return s;
}

Status public_from_private(Curve c, std::span<const std::uint8_t> sk,
                           std::vector<std::uint8_t>& pk) noexcept {
  pk.clear();
  SigningKey key;
  if (Status s = SigningKey::load(c, sk, key); s != Status::kOk) return s;
  return key.public_key(pk);
}

Status sign(Curve c, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> msg,
            std::vector<std::uint8_t>& sig) noexcept {
  sig.clear();
  SigningKey key;
  if (Status s = SigningKey::load(c, sk, key); s != Status::kOk)
    return s == Status::kBadKey ? Status::kInternal : s;  // as before: OpenSSL took every raw key
  return key.sign(msg, sig);
}

Status verify(Curve c, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t> sig) noexcept {
  if (pk.size() != sizes(c).public_key || sig.size() != sizes(c).signature)
    return Status::kBadLength;
  if (c == Curve::kEd25519) {
    // One verification: building the per-key table would cost more than it saves, so this
    // stays on libsodium (same rules as VerifyingKey::verify).
    if (Status s = ed25519_key_ok(pk); s != Status::kOk) return s;
    return crypto_sign_ed25519_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) == 0
               ? Status::kOk
               : Status::kVerifyFailed;
  }
  VerifyingKey key;
  if (Status s = VerifyingKey::load(c, pk, key); s != Status::kOk) return s;
  return key.verify(msg, sig);
}

}  // namespace pqmcp::crypto::eddsa
