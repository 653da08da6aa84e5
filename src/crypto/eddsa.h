// Ed25519 and Ed448 (RFC 8032, pure variants) on raw key bytes. Ed25519 runs on libsodium
// (crypto_sign_ed25519_*: 2-3x faster than OpenSSL 3.0's here, and it sits on the critical path
// of every composite signature and verification), except VerifyingKey::verify, which runs on a
// per-key precomputed table (hybrid/ed25519_fixed.h) with libsodium's exact accept/reject
// rules; Ed448 on OpenSSL 3.
//
// Verification is RFC 8032 §5.1.7 with the cofactorless equation [S]B = R + [k]A, S < L, and
// canonical encodings of A and R, plus one deliberate strictness: a public key or an R of small
// order is refused (libsodium's rule), as no honest signer produces one and accepting them is
// what makes the many EdDSA verifiers disagree. Ed448 keeps OpenSSL's behaviour.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "crypto/secure.h"
#include "crypto/status.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace pqmcp::crypto::eddsa {

namespace ed25519_fixed {
struct Table;  // crypto/hybrid/ed25519_fixed.h: a prepared Ed25519 public key
}

enum class Curve : std::uint8_t { kEd25519, kEd448 };

struct Sizes {
  std::size_t public_key, private_key, signature;
};
constexpr Sizes sizes(Curve c) noexcept {
  return c == Curve::kEd25519 ? Sizes{32, 32, 64} : Sizes{57, 57, 114};
}

// A raw key imported into OpenSSL once (EVP_PKEY_new_raw_private_key / _public_key), for
// signing or verifying many messages without importing the key and fetching its algorithm
// each time. The free functions below import a key and use it once.
//
// Thread safety: the EVP_PKEY is never modified after load. OpenSSL 3 allows a key that is
// no longer modified to be used by several threads at once (openssl-threads(7)); every
// sign/verify call here creates its own EVP_MD_CTX, so concurrent calls on one key are safe.
struct PkeyFree {
  void operator()(::evp_pkey_st* p) const noexcept;
};
using PkeyHandle = std::unique_ptr<::evp_pkey_st, PkeyFree>;

class SigningKey {
 public:
  // kBadLength for a wrong size, kBadKey if the key is refused. Ed25519 keeps libsodium's
  // expanded form (seed ‖ A) in a wiped buffer; for Ed448 OpenSSL holds the private key in its
  // own memory, which it clears when the key is freed.
  static Status load(Curve c, std::span<const std::uint8_t> sk, SigningKey& out) noexcept;
  bool empty() const noexcept { return key_ == nullptr && ed25519_.empty(); }
  Curve curve() const noexcept { return c_; }
  Status public_key(std::vector<std::uint8_t>& pk) const noexcept;
  Status sign(std::span<const std::uint8_t> msg, std::vector<std::uint8_t>& sig) const noexcept;

 private:
  Curve c_ = Curve::kEd25519;
  PkeyHandle key_;         // Ed448
  SecureBuffer ed25519_;   // Ed25519: seed ‖ public key, 64 bytes
};

class VerifyingKey {
 public:
  // kBadLength for a wrong size, kBadEncoding if the bytes are no point of the curve.
  // Ed25519: kBadEncoding also for a point of small order or outside the prime-order subgroup.
  // For Ed25519 load() also precomputes a ~49 KiB table from the key (~65 KiB on AVX-512 IFMA;
  // load costs about four libsodium verifications), which makes each verify() two to four times
  // as fast as libsodium's, with exactly the same accept/reject decisions: keep the loaded key for
  // repeated use. The table is immutable and held by a shared pointer, so moves are cheap and
  // concurrent verify() is safe.
  // precompute = false skips the table (verify() then runs libsodium's verifier, same decisions):
  // for a key loaded to check a single signature, where building the table costs more than it saves.
  static Status load(Curve c, std::span<const std::uint8_t> pk, VerifyingKey& out,
                     bool precompute = true) noexcept;
  bool empty() const noexcept { return key_ == nullptr && ed25519_ == nullptr && !has_raw_; }
  Curve curve() const noexcept { return c_; }
  Status verify(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> sig) const noexcept;

 private:
  Curve c_ = Curve::kEd25519;
  PkeyHandle key_;  // Ed448
  std::shared_ptr<const ed25519_fixed::Table> ed25519_;  // Ed25519, precompute = true
  std::array<std::uint8_t, 32> raw_{};                   // Ed25519, precompute = false
  bool has_raw_ = false;
};

Status keygen(Curve c, std::vector<std::uint8_t>& pk, SecureBuffer& sk) noexcept;
Status public_from_private(Curve c, std::span<const std::uint8_t> sk,
                           std::vector<std::uint8_t>& pk) noexcept;
Status sign(Curve c, std::span<const std::uint8_t> sk, std::span<const std::uint8_t> msg,
            std::vector<std::uint8_t>& sig) noexcept;
Status verify(Curve c, std::span<const std::uint8_t> pk, std::span<const std::uint8_t> msg,
              std::span<const std::uint8_t> sig) noexcept;

}  // namespace pqmcp::crypto::eddsa
