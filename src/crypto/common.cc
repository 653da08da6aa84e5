// Status names, secure wipe, zeroizing buffers, constant-time byte comparison and the SIMD switch.
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "crypto/ct.h"
#include "crypto/secure.h"
#include "crypto/simd.h"
#include "crypto/status.h"

namespace pqmcp::crypto {

bool simd_allowed(bool avx512) noexcept {
  auto set = [](const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && std::strcmp(v, "1") == 0;
  };
  if (set("PQMCP_CRYPTO_PORTABLE")) return false;
  return !avx512 || !set("PQMCP_CRYPTO_NO_AVX512");
}

const char* status_name(Status s) noexcept {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kBadLength: return "bad-length";
    case Status::kBadEncoding: return "bad-encoding";
    case Status::kBadKey: return "bad-key";
    case Status::kBadContext: return "bad-context";
    case Status::kVerifyFailed: return "verify-failed";
    case Status::kRandomFailure: return "random-failure";
    case Status::kUnsupported: return "unsupported";
    case Status::kInternal: return "internal";
  }
  return "unknown";
}

void secure_wipe(void* p, std::size_t n) noexcept {
  if (p == nullptr || n == 0) return;
  std::memset(p, 0, n);
  // The asm statement claims to read the memory, so the compiler must keep the memset.
  __asm__ volatile("" : : "r"(p) : "memory");
}

SecureBuffer::SecureBuffer(std::size_t n) { resize(n); }

SecureBuffer::SecureBuffer(std::span<const std::uint8_t> bytes) {
  resize(bytes.size());
  if (!bytes.empty()) std::memcpy(data_, bytes.data(), bytes.size());
}

SecureBuffer::~SecureBuffer() { clear(); }

SecureBuffer::SecureBuffer(SecureBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& other) noexcept {
  if (this != &other) {
    clear();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SecureBuffer::resize(std::size_t n) {
  clear();
  if (n == 0) return;
  data_ = static_cast<std::uint8_t*>(std::calloc(n, 1));
  if (data_ == nullptr) throw std::bad_alloc();
  size_ = n;
}

void SecureBuffer::clear() noexcept {
  if (data_ != nullptr) {
    secure_wipe(data_, size_);
    std::free(data_);
  }
  data_ = nullptr;
  size_ = 0;
}

namespace ct {

std::uint8_t eq_mask(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  if (a.size() != b.size()) return 0;  // lengths are public
  std::uint32_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<std::uint32_t>(a[i] ^ b[i]);
  return static_cast<std::uint8_t>(~mask_nonzero(diff));
}

bool equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  std::uint8_t m = eq_mask(a, b);
  PQMCP_CT_DECLASSIFY(&m, sizeof m);  // the caller asked for a public yes/no answer
  return m != 0;
}

void cmov(std::span<std::uint8_t> dst, std::span<const std::uint8_t> src, std::uint8_t mask) noexcept {
  const std::uint8_t m = static_cast<std::uint8_t>(barrier(static_cast<std::uint32_t>(mask)));
  const std::size_t n = dst.size() < src.size() ? dst.size() : src.size();
  for (std::size_t i = 0; i < n; ++i) dst[i] ^= static_cast<std::uint8_t>(m & (dst[i] ^ src[i]));
}

}  // namespace ct
}  // namespace pqmcp::crypto
