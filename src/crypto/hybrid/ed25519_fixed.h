// Ed25519 verification against a prepared public key (internal to crypto/eddsa).
//
// RFC 8032 §5.1.7 with exactly libsodium 1.0.18's accept/reject rules
// (crypto_sign_ed25519_verify_detached): S must be canonical (S < L), R must not be one of the
// seven small-order encodings libsodium blocks (compared with the sign bit masked), and the
// signature is accepted iff encode([S]B + [h](-A)) == R byte for byte (cofactorless equation,
// h = SHA-512(R ‖ A ‖ M) mod L). The public key itself is screened by the caller
// (crypto_core_ed25519_is_valid_point in VerifyingKey::load) before prepare() is reached.
//
// The speed comes from per-key precomputation: prepare() builds a fixed-base comb for -A
// (j·2^(10i)·(-A), i = 0..25, j = 1..16, affine; signed radix-32 digits), the same shape as the
// shared table for B, so [S]B + [h](-A) costs about 102 mixed additions and 5 doublings (plus
// one inversion) instead of ~253 doublings and ~60 additions. Where the CPU has AVX-512 IFMA
// (and the environment allows AVX-512 code, crypto/simd.h) the additions run four field
// multiplications at a time and the combs are kept in that layout (~65 KiB instead of ~49 KiB):
// about 1.8x faster.
//
// Everything here is variable time: verification only handles public data (key, message,
// signature), so no constant-time discipline is needed or attempted.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "crypto/status.h"

namespace pqmcp::crypto::eddsa::ed25519_fixed {

struct Table;  // the prepared key: its 32 encoded bytes and the comb for -A (~49 or ~65 KiB)

// kBadEncoding if `pk` does not decode to a curve point (RFC 8032 §5.1.3), kInternal if the
// table cannot be allocated. The table is immutable once built, so it can be shared and used
// by several threads at once.
Status prepare(std::span<const std::uint8_t, 32> pk, std::shared_ptr<const Table>& out) noexcept;

// True iff libsodium 1.0.18's crypto_sign_ed25519_verify_detached(sig, msg, pk) would return 0
// for the key `t` was prepared from.
bool verify(const Table& t, std::span<const std::uint8_t> msg,
            std::span<const std::uint8_t, 64> sig) noexcept;

}  // namespace pqmcp::crypto::eddsa::ed25519_fixed
