// OS randomness via getrandom(2), with a per-thread override that only tests install.
#include "crypto/random.h"

#include <sys/random.h>

#include <cerrno>
#include <utility>

#include "crypto/random_testing.h"
#include "crypto/secure.h"

namespace pqmcp::crypto {
namespace {
thread_local testing::RandomSource g_override;
}

Status random_bytes(std::span<std::uint8_t> out) noexcept {
  if (g_override) {
    g_override(out);
    return Status::kOk;
  }
  std::size_t done = 0;
  while (done < out.size()) {
    // getrandom blocks until the pool is initialised and never returns short reads of <= 256
    // bytes, but larger requests may be interrupted by a signal: loop.
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      secure_wipe(out.data(), out.size());
      return Status::kRandomFailure;
    }
    done += static_cast<std::size_t>(n);
  }
  return Status::kOk;
}

namespace testing {
ScopedRandomSource::ScopedRandomSource(RandomSource source)
    : previous_(std::exchange(g_override, std::move(source))) {}
ScopedRandomSource::~ScopedRandomSource() { g_override = std::move(previous_); }
}  // namespace testing

}  // namespace pqmcp::crypto
