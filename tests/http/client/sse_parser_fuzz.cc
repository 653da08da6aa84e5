// libFuzzer harness for the text/event-stream parser: any input, cut into chunks at positions
// the input itself chooses, must give exactly the events (and last event ID, retry, status) of
// one feed, and no event may exceed the limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "http/sse_parser.h"

using pqmcp::http::SseEvent;
using pqmcp::http::SseLimits;
using pqmcp::http::SseParser;
using pqmcp::http::SseStatus;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t step = 1 + data[0] % 64;  // chunk size for the second parse
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const SseLimits lim{256, 512};
  SseParser whole(lim), chunked(lim);
  std::vector<SseEvent> a, b;
  SseStatus sa = whole.feed(in, a), sb = SseStatus::kOk;
  for (std::size_t i = 0; i < in.size() && sb == SseStatus::kOk; i += step) sb = chunked.feed(in.substr(i, step), b);
  if (sa != sb || a.size() != b.size()) std::abort();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].data != b[i].data || a[i].type != b[i].type || a[i].id != b[i].id) std::abort();
    if (a[i].data.size() > lim.max_data || a[i].type.size() > lim.max_line) std::abort();
  }
  if (sa == SseStatus::kOk && (whole.last_event_id() != chunked.last_event_id() || whole.retry_ms() != chunked.retry_ms()))
    std::abort();
  return 0;
}
