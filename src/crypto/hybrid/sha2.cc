// SHA-512 on libsodium; see crypto/sha2.h.
#include "crypto/sha2.h"

#include <sodium.h>

namespace pqmcp::crypto {
namespace {

static_assert(sizeof(crypto_hash_sha512_state) == 208 && alignof(crypto_hash_sha512_state) <= 16,
              "Sha512::state_ must hold libsodium's state");

crypto_hash_sha512_state* state(std::uint8_t* p) { return reinterpret_cast<crypto_hash_sha512_state*>(p); }

}  // namespace

void sha512(std::span<const std::uint8_t> in, std::span<std::uint8_t, 64> out) noexcept {
  crypto_hash_sha512(out.data(), in.data(), in.size());
}

Sha512::Sha512() noexcept { crypto_hash_sha512_init(state(state_)); }

Sha512::~Sha512() { sodium_memzero(state_, sizeof state_); }

void Sha512::update(std::span<const std::uint8_t> in) noexcept {
  if (!in.empty()) crypto_hash_sha512_update(state(state_), in.data(), in.size());
}

void Sha512::finish(std::span<std::uint8_t, 64> out) noexcept {
  crypto_hash_sha512_final(state(state_), out.data());
  crypto_hash_sha512_init(state(state_));
}

}  // namespace pqmcp::crypto
