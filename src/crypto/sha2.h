// FIPS 180-4 SHA-512, one-shot and streaming, for the composite signatures' pre-hash (the draft's
// PH for the Ed25519 composites). On libsodium's implementation: a plain function call on a
// caller-held state, where OpenSSL 3's EVP interface looks the algorithm up in its provider and
// allocates a context for every digest — twice the time for a gateway that hashes one message
// per wake-up with cold caches (docs/notes.md, "session 9").
#pragma once

#include <cstdint>
#include <span>

namespace pqmcp::crypto {

void sha512(std::span<const std::uint8_t> in, std::span<std::uint8_t, 64> out) noexcept;

class Sha512 {
 public:
  Sha512() noexcept;
  ~Sha512();  // wipes the state: it may hold secret-derived input
  Sha512(const Sha512&) = delete;
  Sha512& operator=(const Sha512&) = delete;
  void update(std::span<const std::uint8_t> in) noexcept;
  // The digest of everything absorbed; the object starts over afterwards.
  void finish(std::span<std::uint8_t, 64> out) noexcept;

 private:
  alignas(16) std::uint8_t state_[208];  // libsodium's crypto_hash_sha512_state (checked in sha2.cc)
};

}  // namespace pqmcp::crypto
