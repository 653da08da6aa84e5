// The test seam for randomness. Only tests include this header: it replaces the OS source with
// a deterministic one so that known-answer tests can drive the randomized APIs. The override is
// per thread, so a test cannot leak fixed randomness into another thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

namespace pqmcp::crypto::testing {

using RandomSource = std::function<void(std::span<std::uint8_t>)>;

// Installs source for the current thread until the guard is destroyed.
class ScopedRandomSource {
 public:
  explicit ScopedRandomSource(RandomSource source);
  ~ScopedRandomSource();
  ScopedRandomSource(const ScopedRandomSource&) = delete;
  ScopedRandomSource& operator=(const ScopedRandomSource&) = delete;

 private:
  RandomSource previous_;
};

}  // namespace pqmcp::crypto::testing
