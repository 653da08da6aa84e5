# Shared helpers for the `pqmcp serve` tests (sourced after setting nothing; $1 is pqmcp).
. "$(dirname "${BASH_SOURCE[0]}")/../tls/interop_lib.sh"
PQMCP=$1
EVERYTHING=$(node -e 'console.log(require.resolve("@modelcontextprotocol/server-everything/dist/index.js"))' 2>/dev/null) \
  || fail "server-everything not installed (npm ci)"

# A throw-away pqmcp installation with a server identity (low PIN KDF cost).
make_env() {
  export XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data"
  unset PQMCP_CONFIG PQMCP_NOW PQHSM_CONF
  "$PQMCP" init --kdf-iterations 10 > "$WORK/init.log" 2>&1 || { cat "$WORK/init.log"; fail "pqmcp init"; }
  "$PQMCP" identity create server --role server > /dev/null 2>&1 || fail "identity create"
}

# start_serve tag args… : starts `pqmcp serve` on a free port; sets PORT, BASE, URL, SERVE_PID.
start_serve() {
  local tag=$1; shift
  [ -n "${SERVE_PID:-}" ] && { kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; }
  PORT=$(free_port)
  timeout -k 5 600 "$PQMCP" serve --listen "127.0.0.1:$PORT" --identity server --audit "$WORK/$tag.audit" \
    --shutdown-timeout 500 "$@" > "$WORK/$tag.out" 2> "$WORK/$tag.log" &
  SERVE_PID=$!
  PIDS+=($SERVE_PID)
  wait_for_port "$PORT" 20 || { cat "$WORK/$tag.log"; fail "pqmcp serve ($tag) did not start"; }
  local scheme=https
  case " $* " in *" --no-tls "*) scheme=http;; esac
  BASE="$scheme://127.0.0.1:$PORT"
  URL="$BASE/mcp"
}
