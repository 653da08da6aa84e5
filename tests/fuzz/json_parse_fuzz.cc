// libFuzzer harness: the strict JSON parser against the nlohmann-based parser it replaced
// (tests/json/parse_oracle.cc). Both must agree on every input — the same DOM (same type at every
// node, doubles bitwise equal) or the same ErrorCode — except that a raw NUL byte is refused by
// ours and was treated as the end of the text by the old one (docs/notes.md, Decisions). Small
// limits, so that depth and size refusals are reached too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "json/parse_support.h"

using namespace pqmcp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const json::Limits& l : {json::Limits{1 << 16, 8}, json::Limits{64, 64}}) {
    const std::string d = json::test::disagreement(text, l);
    if (!d.empty()) {
      std::fprintf(stderr, "parsers disagree on %s: %s\n", json::test::printable(text).c_str(), d.c_str());
      std::abort();
    }
  }
  return 0;
}
