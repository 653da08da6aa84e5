// The pqmcp command.
#include <cstdio>
#include <cstring>

namespace pqmcp::cli {
int run_selftest(int argc, char** argv);
}

namespace {
void usage() {
  std::puts(
      "usage: pqmcp <command> [options]\n"
      "\n"
      "commands:\n"
      "  selftest [--quick]   run the known-answer self-tests of every algorithm and print\n"
      "                       a table of results and speeds (exit 0 only if all pass)\n"
      "  version              print the version\n");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    usage();
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "selftest") == 0) return pqmcp::cli::run_selftest(argc - 1, argv + 1);
  if (std::strcmp(argv[1], "version") == 0) {
    std::puts("pqmcp 0.1.0");
    return 0;
  }
  std::fprintf(stderr, "pqmcp: unknown command '%s' (try pqmcp --help)\n", argv[1]);
  return 2;
}
