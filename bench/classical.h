// OpenSSL baselines measured in the same run as the post-quantum algorithms.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace pqmcp::bench {

// X25519: a fresh key pair, and the derivation of a shared secret with a peer key.
struct X25519 {
  X25519();
  ~X25519();
  void keygen();
  void derive();
  void* key_ = nullptr;   // EVP_PKEY*
  void* peer_ = nullptr;  // EVP_PKEY*
};

// A signer over OpenSSL EVP: Ed25519 (pure) or ECDSA P-256 with SHA-256.
class ClassicalSigner {
 public:
  enum class Kind { kEd25519, kEcdsaP256 };
  explicit ClassicalSigner(Kind k);
  ~ClassicalSigner();
  std::vector<std::uint8_t> sign(std::span<const std::uint8_t> msg) const;
  bool verify(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> sig) const;
  std::size_t public_key_size() const;

 private:
  Kind kind_;
  void* key_ = nullptr;  // EVP_PKEY*
};

}  // namespace pqmcp::bench
