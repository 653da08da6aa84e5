#!/bin/bash
# `pqmcp serve` end to end in front of server-everything (stdio), driven by Debian's curl with
# pqmcp-provider.so loaded through OPENSSL_CONF, and by small Python clients for what curl cannot
# do (a slow-headers client, a thousand concurrent connections). Everything binds to 127.0.0.1.
# usage: serve_e2e.sh /path/pqmcp /path/pqmcp-provider.so
. "$(dirname "$0")/serve_lib.sh"
PROVIDER=$2
write_conf "$PROVIDER"
command -v curl >/dev/null || fail "curl not installed (apt-get install curl)"
make_env

# The main server: self-signed P-256 certificate, hybrid group preferred, small limits so that
# the limit tests are quick.
ulimit -n 4096 2>/dev/null || true
start_serve main --mode observe --request-timeout 2000 --max-body 65536 --max-header 8192 \
  --tls-binding "$WORK/binding.json" --upstream -- node "$EVERYTHING" stdio
grep -q "certificate SHA256:" "$WORK/main.log" || fail "no certificate fingerprint printed"

# The certificate bound to the server identity: the statement verifies with the identity's key,
# and names the SPKI of the certificate the endpoint actually presents.
wait_for_file "$WORK/binding.json.sig" 10 || fail "no TLS binding written"
"$PQMCP" verify "$WORK/binding.json" "$WORK/binding.json.sig" --identity server > /dev/null 2>&1 \
  || fail "TLS binding does not verify with the server identity"
served=$(OPENSSL_CONF="$WORK/empty.cnf" timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -tls1_3 </dev/null 2>/dev/null \
  | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
grep -q "\"spki_sha256\": \"$served\"" "$WORK/binding.json" || fail "binding names another key than the served one ($served): $(cat "$WORK/binding.json")"
sed -i 's/"identity": "server"/"identity": "someone-else"/' "$WORK/binding.json"
"$PQMCP" verify "$WORK/binding.json" "$WORK/binding.json.sig" --identity server > /dev/null 2>&1 \
  && fail "an altered TLS binding still verifies"
pass "--tls-binding: the served certificate's SPKI is signed by the server identity (pqmcp verify)"

pq() { OPENSSL_CONF="$WORK/openssl.cnf" timeout 30 curl -sS -k --tlsv1.3 --curves X25519MLKEM768 "$@"; }
classic() { OPENSSL_CONF="$WORK/empty.cnf" timeout 30 curl -sS -k --tlsv1.3 --curves X25519 "$@"; }
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'

# --- post-quantum TLS, and a session ---
pq -D "$WORK/h1" -o "$WORK/b1" "${H[@]}" -d "$INIT" "$URL" || fail "initialize over X25519MLKEM768"
SID=$(tr -d '\r' < "$WORK/h1" | awk -F': ' 'tolower($1)=="mcp-session-id"{print $2}')
[ ${#SID} -eq 32 ] || fail "no Mcp-Session-Id: $(cat "$WORK/h1")"
grep -q '"serverInfo"' "$WORK/b1" || fail "initialize result: $(cat "$WORK/b1")"
grep -q "group X25519MLKEM768 (post-quantum)" "$WORK/main.log" || fail "server did not record X25519MLKEM768: $(tail -5 "$WORK/main.log")"
pass "initialize over TLS 1.3 with X25519MLKEM768; session $SID"
S=(-H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25')
code=$(pq -o /dev/null -w '%{http_code}' "${H[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$URL")
[ "$code" = 202 ] || fail "notification: HTTP $code (want 202)"
body=$(pq "${H[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"over PQ TLS"}}}' "$URL")
echo "$body" | grep -q 'Echo: over PQ TLS' || fail "tools/call echo: $body"
# The client does not sign (observe mode): it gets the result without pqmcp's envelope, and the
# audit shows the gateway signed it.
echo "$body" | grep -q 'io.pqmcp/sig' && fail "envelope not removed for an unsigned client: $body"
grep '"s2c"' "$WORK/main.audit" | grep -q '"signed"' || fail "audit: no signed server message: $(tail -3 "$WORK/main.audit")"
grep '"c2s"' "$WORK/main.audit" | grep -q '"observe"' || fail "audit: unsigned request not recorded as observe"
pass "notification → 202; tools/call echo answered; audit: request observed, response signed"

# --- a streamed response: progress notifications before the result → SSE with event ids ---
pq -D "$WORK/hs" -o "$WORK/sse" "${H[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"trigger-long-running-operation","arguments":{"duration":1,"steps":2},"_meta":{"progressToken":"p1"}}}' "$URL" \
  || fail "long-running tool call"
grep -qi '^content-type: text/event-stream' "$WORK/hs" || fail "progress did not switch to SSE: $(cat "$WORK/hs")"
grep -q '"notifications/progress"' "$WORK/sse" || fail "no progress event: $(cat "$WORK/sse")"
tail -n 4 "$WORK/sse" | grep -q '"id":20,' || grep -q '"id":20,"jsonrpc"\|"id":20,"result"\|"id":20}' "$WORK/sse" || fail "no final result: $(cat "$WORK/sse")"
[ "$(grep -c '^id: ' "$WORK/sse")" -ge 3 ] || fail "events without ids: $(cat "$WORK/sse")"
LAST=$(grep '^id: ' "$WORK/sse" | sed -n 2p | cut -c5-)
pq -N -m 3 -o "$WORK/replay" -H 'Accept: text/event-stream' -H "Last-Event-ID: $LAST" "${S[@]}" "$URL" 2>/dev/null
grep -q '"result"' "$WORK/replay" || fail "resumption after $LAST did not replay the result: $(cat "$WORK/replay")"
pass "progress → text/event-stream with event ids; GET with Last-Event-ID replays the rest"
grep -qi '^content-type: application/json' "$WORK/h1" || fail "initialize response without Content-Type: $(cat "$WORK/h1")"

# --- Expect: 100-continue (curl sends it for large bodies) gets the interim 100 ---
LONG=$(head -c 3000 /dev/zero | tr '\0' 'z')
pq -v -o "$WORK/long" "${H[@]}" "${S[@]}" -H "Expect: 100-continue" -d "{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"$LONG\"}}}" "$URL" 2> "$WORK/long.v" \
  || fail "long tools/call"
grep -q "HTTP/1.1 100 Continue" "$WORK/long.v" || fail "no 100 Continue: $(grep '^[<>]' "$WORK/long.v" | head)"
grep -q "Echo: $LONG" "$WORK/long" || fail "long echo: $(head -c 300 "$WORK/long")"
pass "Expect: 100-continue answered with 100, then the call"

# --- classical client ---
body=$(classic "${H[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","id":3,"method":"ping"}' "$URL") || fail "classical curl"
echo "$body" | grep -q '"result"' || fail "ping over X25519: $body"
grep -q "group X25519 (classical)" "$WORK/main.log" || fail "no classical connection recorded"
m=$(pq "$BASE/metrics")
echo "$m" | grep -q 'pqmcp_tls_handshakes_total{group="X25519MLKEM768"}' || fail "metrics: $m"
echo "$m" | grep -q 'pqmcp_tls_handshakes_total{group="X25519"}' || fail "metrics: $m"
pass "X25519-only curl gets classical TLS; /metrics counts both groups"

# --- HTTP-level errors ---
expect() {  # what want-code curl-args… (body to $WORK/last)
  local what=$1 want=$2; shift 2
  rm -f "$WORK/last"  # no body from an earlier call when this one gets none
  local got; got=$(pq -o "$WORK/last" -w '%{http_code}' "$@")
  [ "$got" = "$want" ] || fail "$what: HTTP $got (want $want): $(head -c 300 "$WORK/last")"
}
expect "wrong Origin" 403 "${H[@]}" "${S[@]}" -H 'Origin: https://evil.example' -d '{"jsonrpc":"2.0","id":4,"method":"ping"}' "$URL"
expect "rebound Host" 403 "${H[@]}" "${S[@]}" -H 'Host: evil.example' -d '{"jsonrpc":"2.0","id":4,"method":"ping"}' "$URL"
expect "loopback Origin" 200 "${H[@]}" "${S[@]}" -H 'Origin: http://localhost:5173' -d '{"jsonrpc":"2.0","id":4,"method":"ping"}' "$URL"
pass "foreign Origin / Host → 403; loopback Origin allowed"
head -c 70000 /dev/zero | tr '\0' 'a' > "$WORK/big"
expect "oversized body" 413 "${H[@]}" "${S[@]}" --data-binary @"$WORK/big" "$URL"
expect "oversized header" 431 "${H[@]}" "${S[@]}" -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' 'b')" -d '{}' "$URL"
pass "body over --max-body → 413; headers over --max-header → 431"
# A body still being sent when the 413 goes out (no Expect, so curl sends at once, 8 MB): the
# server lingers (RFC 9112 §9.6), so curl reads the 413 instead of failing a write on a reset
# ("(55) Send failure: Broken pipe", about one round in seven before the lingering close).
head -c 8000000 /dev/zero | tr '\0' 'a' > "$WORK/huge"
for i in 1 2 3 4 5 6 7 8 9 10; do
  expect "oversized body sent at once (round $i)" 413 "${H[@]}" "${S[@]}" -H 'Expect:' --data-binary @"$WORK/huge" "$URL"
  grep -q -- '-32014' "$WORK/last" || fail "oversized body: $(head -c 300 "$WORK/last")"
done
# A TLS client that never stops sending (and never reads) is cut off after the bound (2 s).
python3 - "$PORT" <<'PY' || fail "endless sender after a 413 was not cut off in time"
import socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1073741824\r\n\r\n")
t = time.time()
try:
    while time.time() - t < 15:
        s.sendall(b"a" * 4096)
        time.sleep(0.01)
    sys.exit(1)
except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
    took = time.time() - t
    print("endless sender cut off after %.2f s" % took)
    sys.exit(0 if 1.0 <= took <= 6 else 1)
PY
pass "a body still being sent gets its 413 (10 rounds); an endless sender is cut off after the linger bound"
expect "malformed JSON" 400 "${H[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","id":5,' "$URL"
grep -q -- '-32700' "$WORK/last" || fail "malformed JSON: $(cat "$WORK/last")"
expect "batch" 400 "${H[@]}" "${S[@]}" -d '[{"jsonrpc":"2.0","id":5,"method":"ping"}]' "$URL"
grep -q -- '-32600' "$WORK/last" || fail "batch: $(cat "$WORK/last")"
pass "malformed JSON → 400 + -32700; a batch → 400 + -32600"
expect "no session" 400 "${H[@]}" -d '{"jsonrpc":"2.0","id":6,"method":"tools/list"}' "$URL"
expect "unknown session" 404 "${H[@]}" -H 'Mcp-Session-Id: 00000000000000000000000000000000' -d '{"jsonrpc":"2.0","id":6,"method":"tools/list"}' "$URL"
expect "bad protocol version" 400 "${H[@]}" -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 1999-01-01' -d '{"jsonrpc":"2.0","id":6,"method":"ping"}' "$URL"
expect "Accept without SSE" 406 -H 'Content-Type: application/json' -H 'Accept: application/json' "${S[@]}" -d '{"jsonrpc":"2.0","id":6,"method":"ping"}' "$URL"
pass "missing session → 400, unknown → 404, bad MCP-Protocol-Version → 400, bad Accept → 406"

# --- 2026-07-28 header mirroring ---
M=(-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: not-echo')
MODERN='{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}'
expect "Mcp-Name mismatch" 400 "${H[@]}" "${M[@]}" -d "$MODERN" "$URL"
grep -q -- '-32020' "$WORK/last" || fail "header mismatch: $(cat "$WORK/last")"
expect "stateless GET" 405 -H 'Accept: text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' "$URL"
pass "2026-07-28: Mcp-Name ≠ params.name → 400 + -32020; GET → 405"

# --- SSE: GET stream and DELETE ---
pq -N -m 2 -o "$WORK/get" -H 'Accept: text/event-stream' "${S[@]}" "$URL" 2>/dev/null
grep -q '^id: ' "$WORK/get" || fail "GET stream: no priming event: $(cat "$WORK/get")"
expect "DELETE" 200 -X DELETE "${S[@]}" "$URL"
expect "after DELETE" 404 "${H[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","id":8,"method":"ping"}' "$URL"
pass "GET opens an SSE stream with an event id; DELETE ends the session (then 404)"

# --- slow headers: dropped after --request-timeout ---
python3 - "$PORT" <<'PY' || fail "slow-headers client was not dropped"
import socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
s.settimeout(15); t = time.time()
try:
    while True:
        s.sendall(b"X-Slow: 1\r\n")  # trickle, never finish the headers
        time.sleep(0.5)
        if time.time() - t > 12: sys.exit(1)
except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
    sys.exit(0)
PY
pass "a client trickling its headers is dropped"

# --- an upstream that crashes ---
cat > "$WORK/crashy.mjs" <<'JS'
// Answers initialize and ping; exits with code 3 on tools/call.
import readline from 'node:readline';
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (l) => {
  const m = JSON.parse(l);
  if (m.method === 'initialize') console.log(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'crashy', version: '1' } } }));
  else if (m.method === 'ping') console.log(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: {} }));
  else if (m.method === 'tools/call') process.exit(3);
});
JS
start_serve crashy --mode observe --upstream -- node "$WORK/crashy.mjs"
pq -D "$WORK/h2" -o /dev/null "${H[@]}" -d "$INIT" "$URL" || fail "initialize (crashy)"
SID2=$(tr -d '\r' < "$WORK/h2" | awk -F': ' 'tolower($1)=="mcp-session-id"{print $2}')
body=$(pq "${H[@]}" -H "Mcp-Session-Id: $SID2" -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x"}}' "$URL")
echo "$body" | grep -q -- '-32015' || fail "crash: pending call not answered with -32015: $body"
sleep 0.5
expect "after crash" 404 "${H[@]}" -H "Mcp-Session-Id: $SID2" -d '{"jsonrpc":"2.0","id":3,"method":"ping"}' "$URL"
grep -q "exited with code 3" "$WORK/last" || fail "after crash: $(cat "$WORK/last")"
pq -D "$WORK/h3" -o "$WORK/b3" "${H[@]}" -d "$INIT" "$URL" || fail "new session after crash"
grep -q '"crashy"' "$WORK/b3" || fail "new session after crash: $(cat "$WORK/b3")"
pass "upstream crash: pending call → -32015, the session → 404 naming the exit code, a new session works"

# --- session limit and idle expiry ---
start_serve limits --mode observe --max-sessions 1 --session-idle 1 --upstream -- node "$WORK/crashy.mjs"
pq -D "$WORK/h4" -o /dev/null "${H[@]}" -d "$INIT" "$URL" || fail "initialize (limits)"
SID4=$(tr -d '\r' < "$WORK/h4" | awk -F': ' 'tolower($1)=="mcp-session-id"{print $2}')
expect "second session over --max-sessions 1" 503 "${H[@]}" -d "$INIT" "$URL"
sleep 3
expect "idle session" 404 "${H[@]}" -H "Mcp-Session-Id: $SID4" -d '{"jsonrpc":"2.0","id":3,"method":"ping"}' "$URL"
grep -q "idle" "$WORK/last" || fail "idle expiry: $(cat "$WORK/last")"
expect "a session after expiry" 200 "${H[@]}" -d "$INIT" "$URL"
KIDS=$(pgrep -P "$(pgrep -P "$SERVE_PID")" | wc -l)
[ "$KIDS" -ge 1 ] || fail "no server process for the live session"
GW=$(pgrep -P "$SERVE_PID")
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
sleep 0.5
[ -z "$(pgrep -P "$GW" 2>/dev/null)" ] || fail "server processes left after SIGTERM"
pass "--max-sessions → 503; an idle session ends (404 says why); SIGTERM ends every server process"

# --- --require-pq ---
start_serve strict --mode observe --require-pq --upstream -- node "$EVERYTHING" stdio
failures() { pq "$BASE/metrics" | awk '$1=="pqmcp_tls_handshake_failures_total"{print $2}'; }
before=$(failures) || fail "require-pq refused a PQ client"
if classic -o /dev/null "$BASE/metrics" 2>/dev/null; then fail "require-pq served an X25519-only client"; fi
after=$(failures)
[ "$after" -eq $((before + 1)) ] || fail "handshake failures $before → $after (want +1)"
grep -q "TLS handshake from .* failed" "$WORK/strict.log" || fail "refusal not logged"
pass "--require-pq refuses an X25519-only curl and serves X25519MLKEM768"
# --- 2026-07-28 stateless request to an HTTP upstream: Mcp-Param-* travel on, the bearer token
# and the session header do not (a recording upstream that answers every POST) ---
UPORT=$(free_port)
python3 - "$UPORT" "$WORK/upstream.headers" <<'PY' > "$WORK/upstream.log" 2>&1 &
import http.server, json, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open(out, "a") as f:
            for k, v in self.headers.items(): f.write(f"{k}: {v}\n")
            f.write("--\n")
        reply = json.dumps({"jsonrpc": "2.0", "id": body.get("id"), "result": {"content": [{"type": "text", "text": "ok"}]}}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply))); self.end_headers(); self.wfile.write(reply)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
PIDS+=($!)
wait_for_port "$UPORT" 20 || fail "recording upstream did not start"
start_serve fwd --mode observe --upstream "http://127.0.0.1:$UPORT/mcp"
MODERN='{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x","region":"eu"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}'
expect "stateless request through an HTTP upstream" 200 "${H[@]}" -H 'MCP-Protocol-Version: 2026-07-28' \
  -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo' -H 'Mcp-Param-Region: eu' -H 'Authorization: Bearer not-for-upstream' \
  -d "$MODERN" "$URL"
grep -q '"text": *"ok"' "$WORK/last" || fail "stateless answer not relayed: $(cat "$WORK/last")"
grep -qi '^Mcp-Param-Region: eu' "$WORK/upstream.headers" || fail "Mcp-Param-Region not forwarded: $(cat "$WORK/upstream.headers")"
grep -qi '^Mcp-Name: echo' "$WORK/upstream.headers" || fail "Mcp-Name not mirrored upstream: $(cat "$WORK/upstream.headers")"
grep -qi '^Authorization:' "$WORK/upstream.headers" && fail "the client's bearer token reached the upstream"
pass "2026-07-28 via an HTTP upstream: Mcp-Param-* forwarded, Authorization not"

# --- a thousand concurrent connections (a server with a longer request timeout: the client
# opens them all before it sends anything) ---
start_serve many --mode observe --request-timeout 60000 --max-connections 1100 --upstream -- node "$EVERYTHING" stdio
python3 - "$PORT" 1000 <<'PY' || fail "concurrent connections"
import resource, socket, ssl, sys, selectors
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
conns = []
for i in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=60))
    conns.append(s)
for s in conns:
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
ok = 0
for s in conns:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk: break
        data += chunk
    if data.startswith(b"HTTP/1.1 200"): ok += 1
print(f"{ok}/{n} connections answered")
sys.exit(0 if ok == n else 1)
PY
pq -o /dev/null "$BASE/metrics" || fail "server gone after the connection storm"
pass "1000 concurrent TLS connections answered; server still up"

echo "all serve e2e checks passed"
