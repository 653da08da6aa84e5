#!/usr/bin/env bash
# Installs, builds and runs every test of pqmcp:
#   1. Release build (g++): unit, vector (acvp, wycheproof, cctv, composite), interop and
#      constant-time (valgrind) tests;
#   2. ASan+UBSan build (clang): the same unit and vector tests, plus the libFuzzer harnesses.
#      A test failing here is run once more: LeakSanitizer's tracer has been seen to crash at
#      process exit on a loaded machine (docs/notes.md); a real defect fails both runs.
# Under CI=true, tests that need ../shared/vectors fail when it is missing instead of skipping.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1

jobs=$(nproc)
logs=build/test-logs
mkdir -p "$logs"
status=0

run_suite() {  # name, build dir, cmake args..., then -- ctest args...
  local name=$1 dir=$2; shift 2
  local cmake_args=() ctest_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do cmake_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  ctest_args=("$@")
  echo "=== $name: configure and build"
  cmake -S . -B "$dir" -G Ninja "${cmake_args[@]}" >/dev/null || return 1
  cmake --build "$dir" -j "$jobs" || return 1
  echo "=== $name: tests"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" "${ctest_args[@]}" 2>&1 | tee "$logs/$name.log"
  return "${PIPESTATUS[0]}"
}

run_suite release build/release -DCMAKE_BUILD_TYPE=Release || status=1
CC=clang CXX=clang++ run_suite asan build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPQMCP_SANITIZE=ON -DPQMCP_FUZZ=ON -- -LE 'interop|slow' --repeat until-pass:2 || status=1

# One closing line over both suites.
passed=0; failed=0
for f in "$logs"/release.log "$logs"/asan.log; do
  [ -f "$f" ] || continue
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$f" | tail -1)
  [ -n "$line" ] || { status=1; continue; }
  total=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
  fail=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/')
  passed=$((passed + total - fail)); failed=$((failed + fail))
done
[ "$failed" -eq 0 ] || status=1
echo "pqmcp: $passed passed, $failed failed"
exit $status
