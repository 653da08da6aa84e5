// Byte strings inside the token. Attribute values may hold key material, so every byte string
// the token keeps is a vector whose allocator wipes memory before releasing it (the same
// guarantee as crypto::SecureBuffer, but copyable, which object copies need).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/secure.h"

namespace pqmcp::token {

template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // NOLINT
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    crypto::secure_wipe(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const noexcept { return true; }
};

using Bytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;

inline Bytes to_bytes(std::span<const std::uint8_t> s) { return Bytes(s.begin(), s.end()); }
inline std::span<const std::uint8_t> view(const Bytes& b) noexcept { return {b.data(), b.size()}; }

}  // namespace pqmcp::token
