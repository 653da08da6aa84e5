#!/bin/sh
# End to end: `pqmcp audit …` on libpqhsm. Checkpoints are signed by an ML-DSA-65 identity on the
# token (co-signed by an Ed25519 one) and verified offline from a trust bundle with a pinned admin
# key; proofs are written and checked; tampering with the SQLite file is detected.
# usage: audit_cli_test.sh PQMCP_BINARY
set -eu
PQMCP=$(readlink -f "$1")
ROOT=$(mktemp -d /tmp/pqmcp-audit-cli-XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
export XDG_CONFIG_HOME="$ROOT/config" XDG_DATA_HOME="$ROOT/data"
unset PQMCP_CONFIG PQMCP_NOW PQHSM_CONF PQMCP_AUDIT_CONNINFO || true
cd "$ROOT"
fails=0
ok()   { echo "ok - $*"; }
bad()  { echo "not ok - $*"; fails=$((fails + 1)); }
expect() {
  want=$1; what=$2; shift 2
  set +e; "$@" >"$ROOT/out" 2>"$ROOT/err"; got=$?; set -e
  if [ "$got" = "$want" ]; then ok "$what"; else bad "$what (exit $got, wanted $want)"; cat "$ROOT/out" "$ROOT/err"; fi
}
grep_out() { if grep -q -- "$1" "$ROOT/out" "$ROOT/err"; then ok "output: $1"; else bad "output '$1' missing"; cat "$ROOT/out" "$ROOT/err"; fi; }

expect 0 "init" "$PQMCP" init --kdf-iterations 10
CFG="$XDG_CONFIG_HOME/pqmcp/config.toml"
DATA="$XDG_DATA_HOME/pqmcp"
expect 0 "create the log's ML-DSA-65 identity" "$PQMCP" identity create audit-log --alg mldsa65
expect 0 "create the Ed25519 co-signer" "$PQMCP" identity create audit-ed --alg ed25519
expect 0 "create the admin" "$PQMCP" identity create admin --alg mldsa65
expect 0 "export the admin key" "$PQMCP" identity export admin -o admin.pem
cat >> "$CFG" <<CONF

[audit]
backend = "sqlite"
origin = "pqmcp.test/audit"
checkpoint_every = 50
checkpoint_seconds = 3600
identity = "audit-log"
cosign_identity = "audit-ed"
CONF

# 120 entries through the gateway interface (JSON lines on stdin, durable indices on stdout).
i=0
while [ $i -lt 120 ]; do
  d=allow; [ $((i % 7)) = 0 ] && d=deny
  printf '{"agent":"agent-%d","kid":"k%d","direction":"request","method":"tools/call","name":"read_file","decision":"%s","rule":"r%d","verify":"ok","msg_sha256":"%064d","source":"gw-1"}\n' $((i % 3)) $((i % 3)) $d $((i % 2)) $i
  i=$((i + 1))
done > entries.jsonl
expect 0 "append 120 entries and sign" sh -c "\"$PQMCP\" audit append --checkpoint < entries.jsonl"
[ "$(wc -l < "$ROOT/out")" = 120 ] && ok "120 indices acknowledged" || bad "acknowledged $(wc -l < "$ROOT/out")"
[ "$(tail -1 "$ROOT/out")" = 119 ] && ok "last index 119" || bad "last index"
expect 2 "a malformed entry is refused" sh -c "echo '{\"payload\":1}' | \"$PQMCP\" audit append"

expect 0 "trust bundle" "$PQMCP" trust export --admin admin -o bundle.json
expect 0 "verify offline from the trust bundle" "$PQMCP" audit verify --bundle bundle.json --admin-key admin.pem
grep_out "OK: 120 entries, "
grep_out "identity 'audit-log'"
expect 0 "verify from the registry (json)" "$PQMCP" --json audit verify
grep_out '"entries": 120'
[ -f "$DATA/audit-verify-state.json" ] && ok "state file written" || bad "no state file"

expect 0 "inclusion proof" "$PQMCP" audit prove --index 42 -o p42.tlog-proof
head -1 p42.tlog-proof | grep -q '^c2sp.org/tlog-proof@v1$' && ok "tlog-proof header" || bad "tlog-proof header"
expect 0 "check the inclusion proof" "$PQMCP" audit check-proof p42.tlog-proof --bundle bundle.json --admin-key admin.pem
grep_out "entry #42 is in the log at size 120"
sed 's/^index 42$/index 43/' p42.tlog-proof > p43.bad
expect 1 "a proof for the wrong index fails" "$PQMCP" audit check-proof p43.bad
expect 0 "consistency proof" "$PQMCP" audit prove --consistency 50 120 -o c.proof
expect 0 "check the consistency proof" "$PQMCP" audit check-proof c.proof
grep_out "size 50"

expect 0 "search denies of agent-0" "$PQMCP" --json audit search --agent agent-0 --decision deny
n=$(wc -l < "$ROOT/out"); [ "$n" -ge 5 ] && ok "$n deny entries for agent-0" || bad "search found $n"
grep -q '"decision":"allow"' "$ROOT/out" && bad "search returned an allow" || ok "only denies"
expect 0 "tail" "$PQMCP" audit tail -n 3
[ "$(wc -l < "$ROOT/out")" = 4 ] && ok "tail prints 3 rows" || bad "tail rows"
expect 0 "show" "$PQMCP" audit show 7
grep_out "deny"
expect 0 "since in the future finds nothing" "$PQMCP" --json audit search --since 2999-01-01
[ ! -s "$ROOT/out" ] && ok "empty" || bad "since filter"

expect 0 "export" "$PQMCP" audit export -o export.txt
expect 0 "verify the export" "$PQMCP" audit verify --log export.txt --bundle bundle.json --admin-key admin.pem --state "$ROOT/auditor-state.json"
expect 0 "checkpoint to a file" "$PQMCP" audit checkpoint -o cp.txt
expect 0 "verify against a given checkpoint" "$PQMCP" audit verify --checkpoint cp.txt

# Tampering with the database file.
cp "$DATA/audit.db" pristine.db
sqlite3 "$DATA/audit.db" "UPDATE entries SET data = replace(data, 'read_file', 'read_fils') WHERE idx = 17"
expect 1 "a modified entry is detected" "$PQMCP" audit verify
grep_out "entry #17"
cp pristine.db "$DATA/audit.db"; rm -f "$DATA/audit.db-wal" "$DATA/audit.db-shm"
sqlite3 "$DATA/audit.db" "DELETE FROM entries WHERE idx >= 100; DELETE FROM checkpoints WHERE size > 100"
expect 1 "a truncated log is a rollback for this verifier" "$PQMCP" audit verify
grep_out "ROLLBACK\|TRUNCATED"

[ $fails = 0 ] && echo "all audit CLI checks passed" || { echo "$fails audit CLI checks failed"; exit 1; }
