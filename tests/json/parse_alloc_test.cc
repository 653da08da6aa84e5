// json::parse is noexcept: an allocation failure anywhere inside becomes ErrorCode::kInternal
// "out of memory". The global operator new is replaced in this test binary so that its Nth call
// can be made to fail. Only that one call fails: nlohmann's ~basic_json itself allocates (it
// flattens nested containers onto a heap stack), so if every later allocation failed too, the
// unwinding would end in std::terminate whatever the parser did.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "json/json.h"
#include "parse_support.h"

namespace {
long g_allocations_left = -1;  // < 0: never fail
}

// The replacements pair malloc with free, which is correct; GCC 12 still flags the free() in a
// replaced operator delete as mismatched once the sanitizers change its inlining.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  if (g_allocations_left == 0) {
    g_allocations_left = -1;
    throw std::bad_alloc();
  }
  if (g_allocations_left > 0) --g_allocations_left;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace pqmcp::json::test {
namespace {

TEST(JsonParseAlloc, OutOfMemoryIsAnErrorValue) {
  const std::string doc = signed_mcp_request();
  bool succeeded = false;
  long failures = 0;
  for (long n = 0; n < 200 && !succeeded; ++n) {
    g_allocations_left = n;
    auto r = parse(doc);
    g_allocations_left = -1;
    if (r.ok()) {
      succeeded = true;
    } else {
      EXPECT_EQ(r.error().code, ErrorCode::kInternal) << n;
      EXPECT_EQ(r.error().message, "out of memory") << n;
      ++failures;
    }
  }
  EXPECT_TRUE(succeeded);
  EXPECT_GT(failures, 10);  // a signed request takes a few dozen allocations to build
}

}  // namespace
}  // namespace pqmcp::json::test
