// See allocator.h.
#include "cli/allocator.h"

#include <cstdlib>

#ifdef PQMCP_HAVE_MIMALLOC
#include <mimalloc.h>
#endif

namespace pqmcp::cli {

std::string allocator_description() {
#ifdef PQMCP_HAVE_MIMALLOC
  // A block from plain calloc() lies in mimalloc's heap only if mimalloc's allocator was the one the
  // dynamic linker bound (it must come before libc in the search order).
  void* p = std::calloc(1, 64);
  const bool interposed = p != nullptr && mi_is_in_heap_region(p);
  std::free(p);
  if (interposed) {
    const int v = mi_version();  // e.g. 209 for 2.0.9
    return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." + std::to_string(v % 10);
  }
  return "system (mimalloc linked but not interposed)";
#else
  return "system";
#endif
}

}  // namespace pqmcp::cli
