// pqmcp selftest: placeholder until the algorithms land.
namespace pqmcp::cli {
int run_selftest(int, char**) { return 0; }
}
