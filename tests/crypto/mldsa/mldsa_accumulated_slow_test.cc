// The 10,000-iteration CCTV accumulated digests (about 10 s per parameter set in Release),
// kept apart from the quick unit tests under the labels "unit;slow".
#include <chrono>

#include "mldsa_accumulated.h"

namespace pqmcp::crypto::mldsa {
namespace {

using namespace testutil;

void run(ParamSet ps, const char* expected) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string got = accumulated_digest(ps, 10000);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s accumulated x10000: %s (%.1f s)\n", name(ps), got.c_str(), s);
  ASSERT_EQ(got, expected);
}

// Digests from C2SP/CCTV ML-DSA/accumulated/README.md.
TEST(MlDsaAccumulated, TenThousand44) {
  run(ParamSet::kMlDsa44, "e7fd21f6a59bcba60d65adc44404bb29a7c00e5d8d3ec06a732c00a306a7d143");
}
TEST(MlDsaAccumulated, TenThousand65) {
  run(ParamSet::kMlDsa65, "5ff5e196f0b830c3b10a9eb5358e7c98a3a20136cb677f3ae3b90175c3ace329");
}
TEST(MlDsaAccumulated, TenThousand87) {
  run(ParamSet::kMlDsa87, "80a8cf39317f7d0be0e24972c51ac152bd2a3e09bc0c32ce29dd82c4e7385e60");
}

}  // namespace
}  // namespace pqmcp::crypto::mldsa
