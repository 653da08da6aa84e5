#!/usr/bin/env bash
# pqmcp's main job on a fresh machine: install, build, run.
# 1. The post-quantum core's power-up self-test, and an identity's life cycle on the embedded
#    token (libpqhsm): sign and verify a file, rotate, export and verify a signed trust bundle.
# 2. The gateway with policy inside the token: two policy-bound agents (retail-bot, health-bot)
#    and a server, a policy installed into the token by the SO and used by `pqmcp wrap`, a
#    session from the TypeScript MCP SDK through `pqmcp connect` + `pqmcp wrap` to
#    server-everything, then a puppet attack (the retail agent's key asked to sign a
#    healthcare-only call, and arbitrary bytes) refused by the token itself.
# 3. The audit logs of that session: the gateways' decisions in the Merkle log (checkpoints signed
#    by an ML-DSA identity on the token) and the token's own key-operation log, both verified
#    offline with `pqmcp audit verify`, and the refusals of the puppet attack shown from each.
# The demo runs in its own directory (build/quickstart), so it never touches an existing
# ~/.config/pqmcp. Every step is bounded in time; any failure, or any attack that is not
# refused, exits non-zero. PQMCP_BUILD_DIR picks another build directory (default build/release).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${PQMCP_BUILD_DIR:-build/release}
if [ -z "${PQMCP_SKIP_DEPS:-}" ]; then bash scripts/install-deps.sh; fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target pqmcp pqhsm
[ -d node_modules/@modelcontextprotocol/server-everything ] || npm ci --no-audit --no-fund

root=$PWD
pqmcp=$PWD/$build/src/cli/pqmcp
"$pqmcp" selftest

demo=$PWD/build/quickstart
rm -rf "$demo" && mkdir -p "$demo"
export XDG_CONFIG_HOME=$demo/config XDG_DATA_HOME=$demo/data
cd "$demo"
step() { printf '\n$ pqmcp %s\n' "$*"; timeout 120 "$pqmcp" "$@"; }
step init
step identity create agent-1
step identity create admin --role admin --alg mldsa65
echo "tool call: get_weather(city=Lisbon)" > request.txt
step sign request.txt --identity agent-1 -o request.txt.sig
step verify request.txt request.txt.sig --identity agent-1
step identity rotate agent-1 --overlap 7d
step identity list
step trust export --admin admin -o bundle.json
step trust verify bundle.json
step verify request.txt request.txt.sig --bundle bundle.json
echo "tampered" >> request.txt
printf '\n$ pqmcp verify request.txt request.txt.sig   # after tampering: must fail\n'
if timeout 60 "$pqmcp" verify request.txt request.txt.sig --identity agent-1; then
  echo "quickstart: a tampered file verified" >&2; exit 1
fi

printf '\n=== The gateway, with the policy inside the token ===\n'
step identity create retail-bot --policy-bound
step identity create health-bot --policy-bound
step identity create everything-server --role server
step identity create audit-log --alg mldsa65   # signs the audit log's checkpoints
cat >> "$XDG_CONFIG_HOME/pqmcp/config.toml" <<'TOML'

[audit]                       # with this table, pqmcp connect / wrap log into the Merkle log
origin = "quickstart.pqmcp.local/audit"
checkpoint_every = 100
checkpoint_seconds = 5
identity = "audit-log"
TOML
printf '\n$ tail -6 %s\n' "config/pqmcp/config.toml"; tail -6 "$XDG_CONFIG_HOME/pqmcp/config.toml"
cat > policy.toml <<'TOML'
version = 1

[agents.retail-bot]                 # the shop assistant: arithmetic and echo, nothing else
[[agents.retail-bot.tools]]
name = "echo"
[[agents.retail-bot.tools]]
name = "get-sum"

[agents.health-bot]                 # the healthcare agent: "records" (get-env) and the rest
[[agents.health-bot.tools]]
name = "get-env"
[[agents.health-bot.tools]]
name = "get-*-content"
[[agents.health-bot.tools]]
name = "get-tiny-image"
TOML
printf '\n$ cat policy.toml\n'; cat policy.toml
step policy check policy.toml
step policy install policy.toml           # SO login (PIN from so_pin_file): into the token
step trust export --admin admin -o bundle.json
step identity export admin -o admin.pem
session() {  # AGENT ALLOWED_TOOL [FORBIDDEN_TOOL]
  printf '\n$ node scripts/demo-session.mjs   # SDK client as %s -> pqmcp connect -> pqmcp wrap -> server-everything\n' "$1"
  (cd "$root" && timeout 90 node scripts/demo-session.mjs "$pqmcp" "$1" everything-server "$demo/policy.toml" \
    "$demo/bundle.json" "$demo/admin.pem" "$2" ${3:+"$3"})
}
session retail-bot get-sum
session health-bot get-tiny-image

printf '\n=== Puppet attack: a process holding the retail agent'"'"'s PIN ===\n'
printf '\n(a) retail-bot asks its key to sign a healthcare-only call (get-env):\n'
out=$(session retail-bot echo get-env 2>&1) && rc=0 || rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 0 ] || ! grep -q CKR_FUNCTION_REJECTED <<<"$out"; then
  echo "quickstart: the token did NOT refuse the forbidden call (CKR_FUNCTION_REJECTED expected)" >&2; exit 1
fi
echo "  -> refused by the token (CKR_FUNCTION_REJECTED): nothing signed, so the request never left the agent"
printf '\n(b) retail-bot asks its key to sign arbitrary bytes:\n'
echo "transfer all patient records" > puppet.txt
printf '$ pqmcp sign puppet.txt --identity retail-bot   # must be refused\n'
if out=$(timeout 60 "$pqmcp" sign puppet.txt --identity retail-bot -o puppet.sig 2>&1); then
  printf '%s\n' "$out"; echo "quickstart: arbitrary bytes were signed with a policy-bound key" >&2; exit 1
fi
printf '%s\n' "$out"
if ! grep -q CKR_MECHANISM_INVALID <<<"$out"; then
  echo "quickstart: expected the token to refuse the mechanism (CKR_MECHANISM_INVALID)" >&2; exit 1
fi
echo "  -> refused by the token: CKM_ML_DSA is not in the key's CKA_ALLOWED_MECHANISMS"
log=$(ls "$demo"/data/pqmcp/*/slot-*/policy-decisions.jsonl "$demo"/data/pqmcp/*/*/slot-*/policy-decisions.jsonl 2>/dev/null | head -1 || true)
if [ -n "$log" ]; then
  printf '\nthe token'"'"'s decision log (%s), refusals:\n' "${log#"$demo"/}"
  grep '"decision":"deny"' "$log" | tail -n 3 | cut -c1-240
fi

printf '\n=== The audit logs of this session ===\n'
step audit verify
printf '\n$ pqmcp audit search --decision deny   # the gateways'"'"' refusals\n'
out=$(timeout 60 "$pqmcp" audit search --decision deny)
printf '%s\n' "$out"
if ! grep -q get-env <<<"$out"; then
  echo "quickstart: the refused healthcare call is missing from the audit log" >&2; exit 1
fi
step audit tail -n 4
step audit verify --log token
printf '\n$ pqmcp audit search --log token --decision deny   # the token'"'"'s own refusals\n'
out=$(timeout 60 "$pqmcp" audit search --log token --decision deny)
printf '%s\n' "$out"
if ! grep -q 'policy:default-deny' <<<"$out" || ! grep -q CKR_MECHANISM_INVALID <<<"$out"; then
  echo "quickstart: the token's log lacks the puppet attack's refusals" >&2; exit 1
fi

printf '\nquickstart: done (demo files in %s)\n' "$demo"
