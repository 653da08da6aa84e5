// Key objects and the KEM operations of pqmcp-provider, independent of the OSSL dispatch glue.
//
// Wire format, draft-ietf-tls-ecdhe-mlkem (§3 "Construction", §4 "Negotiated groups"):
//   X25519MLKEM768    client share = ek(1184) ‖ X25519(32)      server share = ct(1088) ‖ X25519(32)
//                     secret = ML-KEM ss(32) ‖ X25519 ss(32)
//   SecP256r1MLKEM768 client share = P-256(65) ‖ ek(1184)       server share = P-256(65) ‖ ct(1088)
//                     secret = ECDH ss(32) ‖ ML-KEM ss(32)
// The 64-byte secret goes unchanged into the TLS 1.3 key schedule as the (EC)DHE input
// (RFC 8446 §7.1). Plain ML-KEM-768/1024 keys use the FIPS 203 encodings alone.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "crypto/secure.h"
#include "tls/algorithms.h"
#include "tls/classical.h"

namespace pqmcp::tls::prov {

struct Key {
  const AlgInfo* alg = nullptr;
  OSSL_LIB_CTX* libctx = nullptr;            // the provider's child context, for the ECDH half
  std::vector<std::uint8_t> ek;              // ML-KEM encapsulation key (public)
  crypto::SecureBuffer dk;                   // ML-KEM decapsulation key (secret), may be empty
  std::unique_ptr<EVP_PKEY, PkeyDeleter> ecdh;  // classical half: key pair or peer public key
  bool has_private = false;

  bool has_public() const noexcept { return !ek.empty(); }
};

// A fresh key pair: ML-KEM.KeyGen (FIPS 203 Algorithm 19) plus an ephemeral ECDH key pair.
[[nodiscard]] bool generate(Key& key) noexcept;

// The encoded public key in the wire order above (the TLS client key share).
[[nodiscard]] bool encoded_public(const Key& key, std::vector<std::uint8_t>& out) noexcept;

// Replaces the key with the peer's public key from its wire encoding, dropping any private part.
// Runs the checks the draft requires of a server (§5, "Discussion"): the FIPS 203 §7.2
// encapsulation-key check on the ML-KEM part and point validation on P-256; a failure makes
// libssl send illegal_parameter. The key is left without public material on failure.
[[nodiscard]] bool set_encoded_public(Key& key, std::span<const std::uint8_t> enc) noexcept;

// Plain ML-KEM only: imports an expanded decapsulation key (FIPS 203 §7.3 checks), taking ek
// from inside dk.
[[nodiscard]] bool set_mlkem_private(Key& key, std::span<const std::uint8_t> dk) noexcept;

// The server side of the group: ct receives the server share, ss the combined secret. Both
// must be exactly the algorithm's sizes; both are zeroed on failure.
[[nodiscard]] bool encapsulate(const Key& peer, std::span<std::uint8_t> ct,
                               std::span<std::uint8_t> ss) noexcept;

// The client side: ct must be exactly the server share size (the draft's ciphertext length
// check). ss is zeroed on failure.
[[nodiscard]] bool decapsulate(const Key& own, std::span<const std::uint8_t> ct,
                               std::span<std::uint8_t> ss) noexcept;

}  // namespace pqmcp::tls::prov
