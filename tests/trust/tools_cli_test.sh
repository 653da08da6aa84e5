#!/bin/sh
# `pqmcp tools list|approve` on a pin store holding a pinned, a changed and an unapproved tool.
# usage: tools_cli_test.sh PQMCP
set -eu
PQMCP=$1
ROOT=$(mktemp -d /tmp/pqmcp-tools-XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
export XDG_CONFIG_HOME="$ROOT/config" XDG_DATA_HOME="$ROOT/data"
unset PQMCP_CONFIG PQMCP_NOW PQHSM_CONF || true
fails=0
expect() {  # expect RC DESCRIPTION CMD...
  want=$1; what=$2; shift 2
  set +e; "$@" >"$ROOT/out" 2>&1; rc=$?; set -e
  if [ "$rc" -ne "$want" ]; then echo "FAIL $what: exit $rc, wanted $want"; cat "$ROOT/out"; fails=$((fails + 1)); else echo "ok   $what"; fi
}
"$PQMCP" init --kdf-iterations 10 >/dev/null
A=sha3-256:$(printf 'a%.0s' $(seq 64)); B=sha3-256:$(printf 'b%.0s' $(seq 64)); C=sha3-256:$(printf 'c%.0s' $(seq 64))
cat > "$XDG_DATA_HOME/pqmcp/tool-pins.json" <<JSON
{"version":1,"servers":{"server:files":{
  "read_file":{"digest":"$A","source":"first-use"},
  "write_file":{"digest":"$A","source":"first-use","pending":"$B"},
  "delete_file":{"digest":"","source":"none","pending":"$C"}}}}
JSON
expect 0 "tools list" "$PQMCP" tools list
grep -q "write_file .*changed .*$B" "$ROOT/out" || { echo "FAIL list shows the changed tool"; fails=$((fails + 1)); }
grep -q "delete_file .*unapproved" "$ROOT/out" || { echo "FAIL list shows the unapproved tool"; fails=$((fails + 1)); }
expect 0 "tools list --json" "$PQMCP" --json tools list
python3 -c "import json,sys; d=json.load(open('$ROOT/out')); s={r['tool']:r['status'] for r in d}; sys.exit(0 if s=={'read_file':'pinned','write_file':'changed','delete_file':'unapproved'} else 1)" ||
  { echo "FAIL --json statuses"; fails=$((fails + 1)); }
expect 1 "approve refuses a digest that is not the pending one" "$PQMCP" tools approve server:files write_file "$C"
expect 0 "approve the reviewed digest" "$PQMCP" tools approve server:files write_file "$B"
expect 5 "nothing left to approve" "$PQMCP" tools approve server:files write_file "$B"
expect 5 "unknown tool" "$PQMCP" tools approve server:files nope
expect 0 "approve without a digest takes the pending one" "$PQMCP" tools approve server:files delete_file
expect 0 "tools list --server" "$PQMCP" --json tools list --server server:files
python3 -c "import json,sys; d=json.load(open('$ROOT/out')); ok=all(r['status']=='pinned' for r in d) and {r['tool']:r['digest'] for r in d}=={'read_file':'$A','write_file':'$B','delete_file':'$C'} and [r['source'] for r in d if r['tool']=='write_file']==['approved']; sys.exit(0 if ok else 1)" ||
  { echo "FAIL approvals persisted"; fails=$((fails + 1)); }
echo '{"version":1,"servers":' > "$XDG_DATA_HOME/pqmcp/tool-pins.json"
expect 3 "a corrupt store is an error, not an empty store" "$PQMCP" tools list
[ "$fails" -eq 0 ] && echo "all passed" || { echo "$fails failed"; exit 1; }
