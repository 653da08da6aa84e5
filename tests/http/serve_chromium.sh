#!/bin/bash
# Headless Chromium (Debian's package) loads a page from `pqmcp serve` over HTTPS and then calls
# the MCP endpoint from that page (fetch: POST initialize, same origin); the server must record
# X25519MLKEM768 for Chromium's connections and answer the call.
# usage: serve_chromium.sh /path/pqmcp
. "$(dirname "$0")/serve_lib.sh"
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] || fail "chromium not installed (apt-get install chromium)"
make_env
start_serve srv --mode observe --upstream -- node "$EVERYTHING" stdio

# A data: page cannot call us (opaque origin, refused by the Origin check); the page must come
# from the server itself. --dump-dom prints the DOM after load; the script's virtual-time budget
# lets the fetch finish first.
profile=$(mktemp -d "$WORK/profile.XXXXXX")
timeout -k 5 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --disable-extensions --disable-default-apps --no-default-browser-check \
  --user-data-dir="$profile" --ignore-certificate-errors --virtual-time-budget=10000 \
  --dump-dom "$BASE/?probe=1" > "$WORK/dom" 2> "$WORK/chromium.log" &
PIDS+=($!)
wait $! || { tail -20 "$WORK/chromium.log"; fail "chromium failed"; }
grep -q "X25519MLKEM768" "$WORK/dom" || fail "page: $(cat "$WORK/dom")"
grep -q "mcp-result:.*serverInfo" "$WORK/dom" || fail "the page's MCP call did not succeed: $(cat "$WORK/dom")"
grep -q "TLS 1.3 from" "$WORK/srv.log" || fail "no TLS connection recorded: $(cat "$WORK/srv.log")"
if grep "TLS 1.3 from" "$WORK/srv.log" | grep -vq "group X25519MLKEM768 (post-quantum)"; then
  fail "a Chromium connection was not X25519MLKEM768: $(grep 'TLS 1.3 from' "$WORK/srv.log")"
fi
pass "Chromium $("$CHROMIUM" --version 2>/dev/null | awk '{print $2}') fetched the page and called /mcp over X25519MLKEM768"
