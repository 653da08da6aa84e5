#!/usr/bin/env bash
# pqmcp's main job on a fresh machine: install, build, run.
# Until the gateway lands, the main job is the post-quantum core's power-up self-test followed
# by an identity's life cycle on the embedded token (libpqhsm): create a composite
# ML-DSA-65+Ed25519 identity, sign and verify a file, rotate the identity, export and verify a
# signed trust bundle. The demo runs in its own directory (build/quickstart), so it never
# touches an existing ~/.config/pqmcp.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target pqmcp pqhsm

pqmcp=$PWD/build/release/src/cli/pqmcp
"$pqmcp" selftest

demo=$PWD/build/quickstart
rm -rf "$demo" && mkdir -p "$demo"
export XDG_CONFIG_HOME=$demo/config XDG_DATA_HOME=$demo/data
cd "$demo"
step() { printf '\n$ pqmcp %s\n' "$*"; "$pqmcp" "$@"; }
step init
step identity create agent-1
step identity create admin --role admin --alg mldsa65
echo "tool call: get_weather(city=Lisbon)" > request.txt
step sign request.txt --identity agent-1 -o request.txt.sig
step verify request.txt request.txt.sig --identity agent-1
step identity rotate agent-1 --overlap 7d
step identity list
step trust export --admin admin -o bundle.json
step trust verify bundle.json
step verify request.txt request.txt.sig --bundle bundle.json
echo "tampered" >> request.txt
printf '\n$ pqmcp verify request.txt request.txt.sig   # after tampering: must fail\n'
if "$pqmcp" verify request.txt request.txt.sig --identity agent-1; then
  echo "quickstart: a tampered file verified" >&2; exit 1
fi
printf '\nquickstart: done (demo files in %s)\n' "$demo"
