// Which allocator serves this process's malloc: "mimalloc <version>" where the command is linked
// with it and it really interposes malloc (src/cli/CMakeLists.txt), else "system". Printed by
// `pqmcp version`, so a test can tell that the link order did what it should.
#pragma once

#include <string>

namespace pqmcp::cli {

std::string allocator_description();

}  // namespace pqmcp::cli
