#!/bin/bash
# openssl s_server and s_client (Debian's OpenSSL 3.0) with an OPENSSL_CONF that loads
# pqmcp-provider.so negotiate X25519MLKEM768. OpenSSL 3.0's s_client prints no group line for a
# provider KEM group, so the evidence is the -trace of the ServerHello key_share (RFC 8446
# §4.2.8): NamedGroup 4588 (0x11EC) and a 1120-byte server share (+4 bytes of header).
# usage: openssl_interop.sh /path/pqmcp-provider.so
. "$(dirname "$0")/interop_lib.sh"
PROVIDER=$1
write_conf "$PROVIDER"
cd "$WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -out c.pem \
  -subj /CN=localhost -days 2 2>/dev/null || fail "cannot make a certificate"

server_hello_group() {  # the NamedGroup line inside the ServerHello of a -trace log
  awk '/ServerHello, Length/{sh=1} sh && /NamedGroup:/{print; exit}' "$1"
}

run_pair() {  # tag server-groups client-groups client-conf
  local port; port=$(free_port)
  OPENSSL_CONF="$WORK/openssl.cnf" timeout -k 2 30 openssl s_server -accept "127.0.0.1:$port" \
    -cert c.pem -key k.pem -tls1_3 -groups "$2" -www -naccept 1 > "$1.server" 2>&1 &
  PIDS+=($!)
  # Wait for s_server's "ACCEPT" line; probing the port would use up -naccept.
  local i=0
  until grep -q ACCEPT "$1.server" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "s_server did not start ($1)"; sleep 0.1
  done
  echo "GET / HTTP/1.0" | OPENSSL_CONF="$4" timeout -k 2 20 openssl s_client \
    -connect "127.0.0.1:$port" -tls1_3 -groups "$3" -trace -ign_eof > "$1.client" 2>&1
}

# 1. Both sides with the provider, hybrid group only.
run_pair pq X25519MLKEM768 X25519MLKEM768 "$WORK/openssl.cnf" || { cat pq.client; fail "PQ handshake failed"; }
g=$(server_hello_group pq.client)
echo "$g" | grep -q "(4588)" || fail "ServerHello group is not 0x11EC: '$g'"
grep -A1 "ServerHello, Length" pq.client >/dev/null
awk '/ServerHello, Length/{sh=1} sh && /key_share\(51\), length=/{print; exit}' pq.client | grep -q "length=1124" \
  || fail "server key_share is not 1120 bytes"
grep -q "^New, TLSv1.3" pq.client || fail "not TLS 1.3"
grep -q "HTTP/1.0 200 ok" pq.client || fail "no application data from s_server"
pass "s_client <-> s_server negotiated X25519MLKEM768 (NamedGroup 4588, 1124-byte key_share)"

# 2. Provider on both, client prefers the hybrid, server also has X25519: still the hybrid.
run_pair pref "X25519:X25519MLKEM768" "X25519MLKEM768:X25519" "$WORK/openssl.cnf" || fail "mixed handshake failed"
server_hello_group pref.client | grep -q "(4588)" || fail "hybrid not chosen with mixed lists"
pass "mixed group lists still negotiate X25519MLKEM768"

# 3. Control: a client without the provider cannot even name the group...
if echo | OPENSSL_CONF="$WORK/empty.cnf" timeout 10 openssl s_client -connect 127.0.0.1:1 \
     -groups X25519MLKEM768 > noprov.client 2>&1; then fail "s_client accepted an unknown group"; fi
pass "without the provider s_client refuses -groups X25519MLKEM768"
# ... and offering only X25519 yields classical TLS, which check 1 would have caught.
run_pair classic "X25519MLKEM768:X25519" X25519 "$WORK/empty.cnf" || fail "classical handshake failed"
server_hello_group classic.client | grep -q "ecdh_x25519 (29)" || fail "expected X25519, got: $(server_hello_group classic.client)"
pass "classical-only client gets X25519"

# 4. A server restricted to the hybrid refuses a classical-only client (require-PQ behaviour).
if run_pair refuse X25519MLKEM768 X25519 "$WORK/empty.cnf"; then
  grep -q "^New, TLSv1.3" refuse.client && fail "classical client was served by a PQ-only server"
fi
pass "PQ-only s_server refuses an X25519-only client"
