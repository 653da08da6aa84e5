// Prepared keys cached on their key object: an ML-DSA key decoded with its matrix Â expanded
// (crypto::mldsa::PreparedPrivateKey / PreparedPublicKey), an EdDSA key imported into OpenSSL
// (crypto::eddsa::SigningKey / VerifyingKey). Built on the first signature or verification with
// the object and kept in Object::native, so every later operation skips the per-key work.
//
// Lifetime follows the key material: the cache belongs to one published object version, so
// C_DestroyObject, a logout (which publishes copies without the plaintext and with a fresh
// cache), C_SetAttributeValue / C_CopyObject (fresh cache) and C_Finalize (the store goes) all
// drop it; it is freed, and the ML-DSA private key wiped, when the last operation still using
// that object version ends. No handle lookup is involved, so a reused handle can never reach
// another object's prepared key.
#pragma once

#include <memory>
#include <mutex>

#include "core/result.h"
#include "store/object.h"

namespace pqmcp::token {

// What prepared_key stores in Object::native: the value with a tag naming its type, so a key
// object used both ways (say a private key that also carries CKA_VERIFY) can never hand one
// type's cache to the other.
struct PreparedSlot {
  const void* type;
  std::shared_ptr<const void> value;
};
template <typename T>
inline const char kPreparedTag = 0;  // its address identifies T

// The cached T of `key`, or the one `build()` (returning Result<std::shared_ptr<T>>) makes on
// first use. Concurrent first users wait for one build. T must be read-only once built. If the
// object already caches another type, the new T is built for this use only.
template <typename T, typename Build>
Result<std::shared_ptr<const T>> prepared_key(const Object& key, Build build) {
  std::lock_guard<std::mutex> lock(key.native->mu);
  const void* const tag = &kPreparedTag<T>;
  const auto slot = std::static_pointer_cast<const PreparedSlot>(key.native->value);
  if (slot && slot->type == tag) return std::static_pointer_cast<const T>(slot->value);
  Result<std::shared_ptr<T>> made = build();
  if (!made.ok()) return Status(made.rv());
  std::shared_ptr<const T> out = std::move(made.value());
  if (!slot) key.native->value = std::make_shared<PreparedSlot>(PreparedSlot{tag, out});
  return out;
}

}  // namespace pqmcp::token
