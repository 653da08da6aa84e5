#!/bin/bash
# The MCP conformance suite (npm @modelcontextprotocol/conformance, server scenarios) against
# server-everything directly (its own Streamable HTTP) and through `pqmcp serve --mode observe`
# (the suite's client does not sign) over TLS in front of server-everything on stdio. Fails if any
# scenario that passes directly fails through the gateway, or if dns-rebinding-protection fails
# through the gateway. The suite needs Node >= 22: the npm package `node` provides it.
# usage: serve_conformance.sh /path/pqmcp
. "$(dirname "$0")/serve_lib.sh"
ROOT=$(pwd)
NODE22="$ROOT/node_modules/node/bin/node"
SUITE="$ROOT/node_modules/@modelcontextprotocol/conformance/dist/index.js"
[ -x "$NODE22" ] || fail "node_modules/node/bin/node missing (npm ci installs the node@22 package)"
[ -f "$SUITE" ] || fail "@modelcontextprotocol/conformance missing (npm ci)"
make_env

# server-everything listens on every interface; this preload makes it bind 127.0.0.1 only.
cat > "$WORK/loopback.cjs" <<'JS'
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...a) {
  const port = typeof a[0] === 'number' || (typeof a[0] === 'string' && /^\d+$/.test(a[0]));
  if (port && typeof a[1] !== 'string') a.splice(1, 0, '127.0.0.1');
  return listen.apply(this, a);
};
JS

run_suite() {  # tag url → passing scenario names in $WORK/tag.pass, failing in $WORK/tag.fail
  NODE_TLS_REJECT_UNAUTHORIZED=0 timeout -k 5 400 "$NODE22" "$SUITE" server --url "$2" -o "$WORK/$1.results" \
    > "$WORK/$1.out" 2>&1
  grep -q "=== SUMMARY ===" "$WORK/$1.out" || { tail -30 "$WORK/$1.out"; fail "$1: the suite did not finish"; }
  sed -n '/=== SUMMARY ===/,$p' "$WORK/$1.out" | sed -n 's/^✓ \([^:]*\):.*/\1/p' | sort > "$WORK/$1.pass"
  sed -n '/=== SUMMARY ===/,$p' "$WORK/$1.out" | sed -n 's/^✗ \([^:]*\):.*/\1/p' | sort > "$WORK/$1.fail"
  echo "$1: $(wc -l < "$WORK/$1.pass") passed, $(wc -l < "$WORK/$1.fail") failed ($(grep '^Total:' "$WORK/$1.out"))"
}

DPORT=$(free_port)
PORT=$DPORT timeout -k 2 500 node --require "$WORK/loopback.cjs" "$EVERYTHING" streamableHttp > "$WORK/direct.log" 2>&1 &
DIRECT_PID=$!
PIDS+=($DIRECT_PID)
wait_for_port "$DPORT" 20 || fail "server-everything (streamableHttp) did not start"
run_suite direct "http://127.0.0.1:$DPORT/mcp"
kill "$DIRECT_PID" 2>/dev/null; wait "$DIRECT_PID" 2>/dev/null

start_serve gw --mode observe --quiet --upstream -- node "$EVERYTHING" stdio
run_suite gateway "$URL"

regressions=$(comm -23 "$WORK/direct.pass" "$WORK/gateway.pass")
if [ -n "$regressions" ]; then
  for s in $regressions; do
    echo "--- $s through the gateway:"; cat "$WORK"/gateway.results/server-"$s"-*/checks.json 2>/dev/null | grep -E '"(status|errorMessage)"' | head -6
  done
  fail "scenarios passing against server-everything but failing through pqmcp serve: $(echo $regressions)"
fi
grep -qx "dns-rebinding-protection" "$WORK/gateway.pass" || fail "dns-rebinding-protection fails through the gateway"
gained=$(comm -13 "$WORK/direct.pass" "$WORK/gateway.pass")
pass "no regression through pqmcp serve ($(wc -l < "$WORK/gateway.pass") passing; gained: $(echo $gained))"
