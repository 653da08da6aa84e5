# Shared helpers for the TLS interop tests (sourced). Everything binds to 127.0.0.1; every
# process we start is bounded by `timeout` and killed by PID on exit.
set -u
WORK=$(mktemp -d /tmp/pqmcp-tls-interop.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# An openssl.cnf that loads pqmcp-provider.so next to the default provider (docs/pq-tls.md).
write_conf() {
  cat > "$WORK/openssl.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
pqmcp = pqmcp_sect
[default_sect]
activate = 1
[pqmcp_sect]
module = $1
activate = 1
CNF
  : > "$WORK/empty.cnf"
}

wait_for_file() {  # path seconds
  local i=0
  while [ ! -s "$1" ] && [ $i -lt $(( $2 * 10 )) ]; do sleep 0.1; i=$((i + 1)); done
  [ -s "$1" ]
}

wait_for_port() {  # port seconds
  local i=0
  while ! python3 -c "import socket,sys;s=socket.socket();sys.exit(s.connect_ex(('127.0.0.1',$1)))" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt $(( $2 * 10 )) ] && return 1; sleep 0.1
  done
}

# Starts pq-https-responder with extra args; sets PORT and RECORD.
start_responder() {  # responder-binary tag args...
  local bin=$1 tag=$2; shift 2
  RECORD="$WORK/$tag.record"; : > "$RECORD"
  timeout -k 2 120 "$bin" --port-file "$WORK/$tag.port" --record "$RECORD" "$@" &
  PIDS+=($!)
  RESPONDER_PID=$!
  wait_for_file "$WORK/$tag.port" 10 || fail "responder $tag did not start"
  PORT=$(cat "$WORK/$tag.port")
}
