// Zeroizing owners for secret bytes. Secrets in pqmcp live only in these types; their
// destructors wipe the memory through a compiler barrier so the wipe cannot be optimised away.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace pqmcp::crypto {

// Overwrites n bytes at p with zeros; never elided by the optimiser.
void secure_wipe(void* p, std::size_t n) noexcept;

// A heap buffer of secret bytes with a size fixed at construction. Move-only; wiped on
// destruction, on move-from and on resize.
class SecureBuffer {
 public:
  SecureBuffer() noexcept = default;
  explicit SecureBuffer(std::size_t n);
  explicit SecureBuffer(std::span<const std::uint8_t> bytes);
  ~SecureBuffer();
  SecureBuffer(SecureBuffer&& other) noexcept;
  SecureBuffer& operator=(SecureBuffer&& other) noexcept;
  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;

  // Wipes the current contents and replaces them with n zero bytes.
  void resize(std::size_t n);
  void clear() noexcept;

  std::uint8_t* data() noexcept { return data_; }
  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::span<std::uint8_t> span() noexcept { return {data_, size_}; }
  std::span<const std::uint8_t> span() const noexcept { return {data_, size_}; }
  operator std::span<const std::uint8_t>() const noexcept { return span(); }
  std::uint8_t& operator[](std::size_t i) noexcept { return data_[i]; }
  const std::uint8_t& operator[](std::size_t i) const noexcept { return data_[i]; }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// A fixed-size secret on the stack or inside another object; wiped on destruction.
template <std::size_t N>
class SecretArray {
 public:
  static constexpr std::size_t kSize = N;
  SecretArray() noexcept : bytes_{} {}
  explicit SecretArray(std::span<const std::uint8_t, N> v) noexcept {
    for (std::size_t i = 0; i < N; ++i) bytes_[i] = v[i];
  }
  ~SecretArray() { secure_wipe(bytes_.data(), N); }
  SecretArray(const SecretArray& o) noexcept : bytes_(o.bytes_) {}
  SecretArray& operator=(const SecretArray& o) noexcept {
    bytes_ = o.bytes_;
    return *this;
  }

  std::uint8_t* data() noexcept { return bytes_.data(); }
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  static constexpr std::size_t size() noexcept { return N; }
  std::span<std::uint8_t, N> span() noexcept { return std::span<std::uint8_t, N>(bytes_); }
  std::span<const std::uint8_t, N> span() const noexcept {
    return std::span<const std::uint8_t, N>(bytes_);
  }
  operator std::span<const std::uint8_t, N>() const noexcept { return span(); }
  std::uint8_t& operator[](std::size_t i) noexcept { return bytes_[i]; }
  const std::uint8_t& operator[](std::size_t i) const noexcept { return bytes_[i]; }
  void wipe() noexcept { secure_wipe(bytes_.data(), N); }

 private:
  std::array<std::uint8_t, N> bytes_;
};

// Wipes a trivially copyable object (a polynomial, a vector of polynomials, a Keccak state)
// when the scope ends. Used for stack temporaries that hold secret-derived values.
template <typename T>
class ScopedWipe {
 public:
  explicit ScopedWipe(T& obj) noexcept : obj_(obj) {}
  ~ScopedWipe() { secure_wipe(&obj_, sizeof(T)); }
  ScopedWipe(const ScopedWipe&) = delete;
  ScopedWipe& operator=(const ScopedWipe&) = delete;

 private:
  T& obj_;
};

}  // namespace pqmcp::crypto
