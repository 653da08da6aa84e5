// The (EC)DHE half of the hybrid groups, computed by OpenSSL's default provider through EVP in
// the provider's child library context. Why EVP and not our own curve code: X25519 and P-256 are
// already constant-time, validated and FIPS-tracked in libcrypto; re-implementing them would add
// risk and no value. Why a child libctx: a provider must not call back into the application's
// library context (it may be the one that is loading us); OSSL_LIB_CTX_new_child gives us a
// context that mirrors the parent's providers (default included) without recursion.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <span>

#include "tls/algorithms.h"

namespace pqmcp::tls::prov {

// Owning EVP_PKEY handle. OpenSSL's X25519/EC key objects free their private scalar with
// OPENSSL_clear_free, so the ephemeral private keys are wiped when the handle goes.
struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};

// A fresh ephemeral key pair for the group; nullptr on failure.
EVP_PKEY* ecdh_generate(OSSL_LIB_CTX* libctx, Classical c) noexcept;

// Writes the wire share (X25519: 32 raw bytes, RFC 7748 §5; P-256: 65-byte uncompressed point,
// RFC 8446 §4.2.8.2). out must be exactly the share size.
[[nodiscard]] bool ecdh_public(EVP_PKEY* key, Classical c, std::span<std::uint8_t> out) noexcept;

// Parses a peer share. P-256 accepts only the uncompressed form and a point on the curve
// (RFC 8446 §4.2.8.2 requires the validation; libcrypto's import performs it). nullptr if bad.
EVP_PKEY* ecdh_peer(OSSL_LIB_CTX* libctx, Classical c, std::span<const std::uint8_t> share) noexcept;

// ECDH(own, peer) into out (32 bytes). X25519 fails on the all-zero result (RFC 8446 §7.4.2,
// RFC 7748 §6.1): libcrypto's X25519 derive refuses it. out is zeroed on failure.
[[nodiscard]] bool ecdh_derive(OSSL_LIB_CTX* libctx, EVP_PKEY* own, EVP_PKEY* peer,
                               std::span<std::uint8_t, kEcdhSecretBytes> out) noexcept;

}  // namespace pqmcp::tls::prov
