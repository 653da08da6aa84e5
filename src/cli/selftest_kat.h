// The known-answer tests behind `pqmcp selftest`.
#pragma once

#include <functional>
#include <vector>

namespace pqmcp::cli {

struct Kat {
  const char* algorithm;
  const char* test;
  std::function<bool()> run;
};

const std::vector<Kat>& selftest_kats();

}  // namespace pqmcp::cli
