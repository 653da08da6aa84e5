// Randomness for the crypto core: the operating system's CSPRNG (getrandom), nothing else.
#pragma once

#include <cstdint>
#include <span>

#include "crypto/status.h"

namespace pqmcp::crypto {

// Fills out with bytes from getrandom(2). Returns kRandomFailure (and zeroes out) if the kernel
// cannot deliver; never returns partially random output.
Status random_bytes(std::span<std::uint8_t> out) noexcept;

}  // namespace pqmcp::crypto
