#!/usr/bin/env bash
# pqmcp's main job on a fresh machine: install, build, run.
# Until the gateway lands the main job is `pqmcp selftest`: the known-answer self-tests of every
# algorithm and a table of speeds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target pqmcp
build/release/src/cli/pqmcp selftest
