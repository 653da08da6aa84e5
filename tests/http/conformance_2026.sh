#!/bin/bash
# The MCP conformance suite's server scenarios of the 2026-07-28 revision (npm
# @modelcontextprotocol/conformance 0.2.0-alpha, installed as `conformance-next`, run with
# `--requirements 2026-07-28`: the scenarios that revision requires, at its stateless wire) against
# mcp-proxy, which serves 2026-07-28 in front of server-everything on stdio, first directly, then
# through `pqmcp serve --mode observe --upstream http://mcp-proxy/mcp` over TLS (the suite's client
# does not sign). Compares check by check (tests/http/conformance_checks.mjs): fails if any check
# that succeeds directly does not succeed through the gateway. Prints both tallies.
# usage: conformance_2026.sh /path/pqmcp
. "$(dirname "$0")/serve_lib.sh"
ROOT=$(pwd)
NODE22="$ROOT/node_modules/node/bin/node"
SUITE="$ROOT/node_modules/conformance-next/dist/index.js"
PROXY="$ROOT/node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs"
COMPARE="$(dirname "$0")/conformance_checks.mjs"
[ -x "$NODE22" ] || fail "node_modules/node/bin/node missing (npm ci installs the node@22 package)"
[ -f "$SUITE" ] || fail "conformance-next (@modelcontextprotocol/conformance 0.2.0-alpha) missing (npm ci)"
[ -f "$PROXY" ] || fail "mcp-proxy missing (npm ci)"
"$NODE22" "$SUITE" --version | grep -q '^0\.2\.' || fail "conformance-next is not a 0.2 release"
make_env

run_suite() {  # tag url → $WORK/tag.results (one checks.json per scenario), $WORK/tag.out
  NODE_TLS_REJECT_UNAUTHORIZED=0 timeout -k 5 600 "$NODE22" "$SUITE" server --url "$2" \
    --requirements 2026-07-28 -o "$WORK/$1.results" > "$WORK/$1.out" 2>&1
  grep -q "=== SUMMARY ===" "$WORK/$1.out" || { tail -30 "$WORK/$1.out"; fail "$1: the suite did not finish"; }
  echo "$1: $(grep '^Total:' "$WORK/$1.out")"
}

# mcp-proxy (2025 sessions and 2026-07-28 stateless on one endpoint) in front of server-everything.
PPORT=$(free_port)
timeout -k 5 900 "$NODE22" "$PROXY" --host 127.0.0.1 --port "$PPORT" --server stream -- \
  "$NODE22" "$EVERYTHING" stdio > "$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
PIDS+=($PROXY_PID)
wait_for_port "$PPORT" 30 || { tail -20 "$WORK/proxy.log"; fail "mcp-proxy did not start"; }
UPSTREAM="http://127.0.0.1:$PPORT/mcp"

run_suite direct "$UPSTREAM"
[ -n "$(ls "$WORK/direct.results" 2>/dev/null)" ] || fail "direct: no results written"

# Plain HTTP on loopback: the suite's http-header-validation scenario sends its raw requests with
# Node's http module whatever the URL scheme. The 2025-era suite (serve_conformance.sh) and the
# curl/Chromium tests cover the TLS side.
start_serve gw --mode observe --quiet --no-tls --upstream "$UPSTREAM"
run_suite gateway "$URL"

"$NODE22" "$COMPARE" "$WORK/direct.results" "$WORK/gateway.results" > "$WORK/compare.txt"
rc=$?
cat "$WORK/compare.txt"
[ $rc -eq 2 ] && fail "could not read the suite's results"
[ $rc -ne 0 ] && fail "checks succeeding against mcp-proxy fail through pqmcp serve (see REGRESSION lines)"
pass "2026-07-28 scenarios: no check regresses through pqmcp serve"
