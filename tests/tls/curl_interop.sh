#!/bin/bash
# Debian's curl (linked to OpenSSL 3.0) with an OPENSSL_CONF that loads pqmcp-provider.so and
# `--curves X25519MLKEM768` fetches from pq-https-responder; the responder's per-connection
# record must show X25519MLKEM768. Controls: X25519-only gives X25519; without the provider curl
# cannot set the group; a require-PQ responder refuses an X25519-only curl.
# usage: curl_interop.sh /path/pqmcp-provider.so /path/pq-https-responder
. "$(dirname "$0")/interop_lib.sh"
PROVIDER=$1 RESPONDER=$2
write_conf "$PROVIDER"
command -v curl >/dev/null || fail "curl not installed (apt-get install curl)"

start_responder "$RESPONDER" pq --max-conns 2
body=$(OPENSSL_CONF="$WORK/openssl.cnf" timeout 20 curl -sS -k --tlsv1.3 --curves X25519MLKEM768 \
  "https://127.0.0.1:$PORT/") || fail "curl with the provider failed"
echo "$body" | grep -q ">X25519MLKEM768<" || fail "page does not report the hybrid group: $body"
body=$(OPENSSL_CONF="$WORK/empty.cnf" timeout 20 curl -sS -k --curves X25519 "https://127.0.0.1:$PORT/") \
  || fail "classical curl failed"
wait "$RESPONDER_PID"
[ "$(cat "$RECORD")" = "$(printf 'group=X25519MLKEM768\ngroup=X25519')" ] || fail "record: $(cat "$RECORD")"
pass "curl --curves X25519MLKEM768 negotiated X25519MLKEM768; --curves X25519 got X25519"

# Without the provider, curl cannot name the group (exit 59: failed setting curves list; curl
# sets the list after the TCP connect, hence a live listener).
start_responder "$RESPONDER" noprov --max-conns 1 --seconds 20
OPENSSL_CONF="$WORK/empty.cnf" timeout 20 curl -sS -k --curves X25519MLKEM768 "https://127.0.0.1:$PORT/" \
  2>/dev/null
rc=$?
wait "$RESPONDER_PID"
grep -q "^group=" "$RECORD" && fail "a handshake happened without the provider: $(cat "$RECORD")"
[ $rc -eq 59 ] || fail "expected curl exit 59 without the provider, got $rc"
pass "without the provider curl refuses --curves X25519MLKEM768"

start_responder "$RESPONDER" strict --max-conns 1 --require-pq
if OPENSSL_CONF="$WORK/empty.cnf" timeout 20 curl -sS -k --curves X25519 "https://127.0.0.1:$PORT/" 2>/dev/null; then
  fail "require-PQ responder served a classical-only curl"
fi
wait "$RESPONDER_PID"
grep -qx "handshake-failed" "$RECORD" || fail "record: $(cat "$RECORD")"
pass "require-PQ refuses an X25519-only curl"
