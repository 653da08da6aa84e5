#!/bin/sh
# `pqmcp identity create --policy-bound` end to end on libpqhsm: usage: policy_bound_test.sh PQMCP
#  - the ML-DSA private key's CKA_ALLOWED_MECHANISMS, read by an outside client (OpenSC
#    pkcs11-tool), is exactly the token's MCP signing mechanism (CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA)
#  - `pqmcp sign` of arbitrary bytes with it is refused by the token (CKR_MECHANISM_INVALID)
#  - through `pqmcp connect`, a request the installed policy permits is signed (and verifies at
#    `pqmcp wrap`), a forbidden one is refused by the token (CKR_FUNCTION_REJECTED, -32016) and
#    never leaves the agent side.
set -eu
PQMCP=$(readlink -f "$1")
ROOT=$(mktemp -d /tmp/pqmcp-bound-XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
export XDG_CONFIG_HOME="$ROOT/config" XDG_DATA_HOME="$ROOT/data"
unset PQMCP_CONFIG PQMCP_NOW PQHSM_CONF || true
cd "$ROOT"
fails=0
ok()  { echo "ok - $*"; }
bad() { echo "not ok - $*"; fails=$((fails + 1)); }
expect() {
  want=$1; what=$2; shift 2
  set +e; "$@" >"$ROOT/out" 2>"$ROOT/err"; got=$?; set -e
  if [ "$got" = "$want" ]; then ok "$what"; else bad "$what (exit $got, wanted $want)"; cat "$ROOT/out" "$ROOT/err"; fi
}

expect 0 "init" "$PQMCP" init --kdf-iterations 10
expect 0 "create a policy-bound agent" "$PQMCP" identity create bot --policy-bound
grep -q "policy-bound" "$ROOT/out" && ok "create says policy-bound" || bad "create output: $(cat "$ROOT/out")"
expect 0 "create the server identity" "$PQMCP" identity create srv --role server
expect 0 "create an admin" "$PQMCP" identity create admin --role admin --alg mldsa65
expect 0 "identity show --json" "$PQMCP" --json identity show bot
python3 - "$ROOT/out" <<'PY' && ok "registry: policy_bound, composite, two parts" || bad "registry entry"
import json, sys
d = json.load(open(sys.argv[1]))
k = d["keys"][0]
assert k.get("policy_bound") is True, k
assert len(k["parts"]) == 2, k
PY

# --- CKA_ALLOWED_MECHANISMS, as an outside PKCS#11 client sees it --------------------------
DATA="$XDG_DATA_HOME/pqmcp"
CFG="$XDG_CONFIG_HOME/pqmcp/config.toml"
MODULE=$(sed -n 's/^module = "\(.*\)"$/\1/p' "$CFG" | head -1)
LABEL=$(sed -n 's/^label = "\(.*\)"$/\1/p' "$CFG" | head -1)
[ -f "$MODULE" ] && ok "libpqhsm path from the config" || bad "module path '$MODULE'"
export PQHSM_CONF="$DATA/pqhsm.conf"
# The PIN goes through the environment (pkcs11-tool's env: form), never through argv.
PQMCP_TEST_PIN=$(head -n1 "$DATA/user.pin")
export PQMCP_TEST_PIN
if [ "${PQMCP_SANITIZED:-0}" = 1 ]; then
  # pkcs11-tool is not instrumented, so it cannot load the sanitizer build of libpqhsm; the
  # Release suite runs this check.
  echo "ok - # skip pkcs11-tool view of CKA_ALLOWED_MECHANISMS (sanitizer build)"
else
set +e
pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin env:PQMCP_TEST_PIN --list-objects --type privkey \
  >"$ROOT/objects" 2>"$ROOT/objects.err"
rc=$?
set -e
unset PQMCP_TEST_PIN
[ "$rc" = 0 ] && ok "pkcs11-tool lists the private keys" || { bad "pkcs11-tool (exit $rc)"; cat "$ROOT/objects.err"; }
python3 - "$ROOT/objects" <<'PY' && ok "ML-DSA key: CKA_ALLOWED_MECHANISMS = {CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA} only" || { bad "allowed mechanisms"; cat "$ROOT/objects"; }
import re, sys
text = open(sys.argv[1]).read()
blocks = re.split(r"\n(?=Private Key Object)", text)
bot = [b for b in blocks if "label:      pqmcp:bot" in b]
assert len(bot) == 2, f"expected the two halves of pqmcp:bot, got {len(bot)}"
allowed = []
for b in bot:
    m = re.search(r"Allowed mechanisms:\s*(.*)", b)
    if m:
        allowed.append(m.group(1).strip())
# Exactly one of the halves (the ML-DSA half) is restricted, to one vendor mechanism whose
# value is CKM_VENDOR_DEFINED | 0x50510002 = 0xD0510002.
assert len(allowed) == 1, allowed
mechs = [x.strip() for x in allowed[0].split(",") if x.strip()]
assert len(mechs) == 1, mechs
assert "d0510002" in mechs[0].lower(), mechs
PY
fi

# --- arbitrary bytes -----------------------------------------------------------------------
echo "transfer all patient records" > puppet.txt
expect 4 "signing arbitrary bytes with the policy-bound key is refused" "$PQMCP" sign puppet.txt --identity bot -o puppet.sig
grep -q CKR_MECHANISM_INVALID "$ROOT/err" && ok "refused by the token: CKR_MECHANISM_INVALID" || { bad "refusal reason"; cat "$ROOT/err"; }
[ ! -s puppet.sig ] && ok "no signature written" || bad "a signature file was written"

# --- MCP requests, permitted and forbidden by the token's policy ---------------------------
cat > policy.toml <<'TOML'
version = 1
[agents.bot]
[[agents.bot.tools]]
name = "echo"
TOML
expect 0 "policy install (SO login)" "$PQMCP" policy install policy.toml
expect 0 "trust export" "$PQMCP" trust export --admin admin -o bundle.json
expect 0 "admin key export" "$PQMCP" identity export admin -o admin.pem
cat > requests.jsonl <<'EOF'
{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}
{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get-env","arguments":{}}}
EOF
# The "server" records what reaches it and exits at EOF without answering: the signed request
# then gets -32015 from connect, the refused one has its -32016 already.
set +e
timeout 60 "$PQMCP" connect --identity bot --server-identity srv --bundle bundle.json --admin-key admin.pem \
  --audit connect-audit.jsonl --shutdown-timeout 500 -- sh -c 'cat > received.jsonl' \
  <requests.jsonl >answers.jsonl 2>connect.err
rc=$?
set -e
[ "$rc" = 0 ] && ok "connect session ends cleanly" || { bad "connect exit $rc"; cat connect.err; }
python3 - <<'PY' && ok "permitted request signed by the token and sent; forbidden one refused (-32016) and not sent" || { bad "connect results"; cat received.jsonl answers.jsonl connect.err; }
import json
sent = [json.loads(l) for l in open("received.jsonl") if l.strip()]
answers = [json.loads(l) for l in open("answers.jsonl") if l.strip()]
assert [m["id"] for m in sent] == [1], sent
sig = sent[0]["params"]["_meta"]["io.pqmcp/sig"]
assert sig["alg"] and sig["sig"] and sig["aud"] == "srv", sig
by_id = {a["id"]: a["error"] for a in answers}
assert sorted(by_id) == [1, 2], answers
err = by_id[2]
assert err["code"] == -32016, err
assert err["data"]["pqmcp"]["reason"] == "signing-failed", err
assert "CKR_FUNCTION_REJECTED" in err["message"], err
assert by_id[1]["code"] == -32015 and by_id[1]["data"]["pqmcp"]["reason"] == "server-exited", by_id[1]
PY
grep -q '"decision":"deny"' connect-audit.jsonl && ok "the refusal is in connect's audit" || bad "audit: $(cat connect-audit.jsonl)"

# The signed request verifies at the server side (signature, key in the bundle, audience).
set +e
timeout 60 "$PQMCP" wrap --identity srv --bundle bundle.json --admin-key admin.pem --audit wrap-audit.jsonl \
  --shutdown-timeout 500 -- sh -c 'cat > delivered.jsonl' <received.jsonl >wrap-out.jsonl 2>wrap.err
rc=$?
set -e
[ "$rc" = 0 ] && ok "wrap session ends cleanly" || { bad "wrap exit $rc"; cat wrap.err; }
python3 - <<'PY' && ok "wrap verified the token-signed request and delivered it without the envelope" || { bad "wrap delivery"; cat delivered.jsonl wrap-out.jsonl wrap.err; }
import json
got = [json.loads(l) for l in open("delivered.jsonl") if l.strip()]
assert len(got) == 1 and got[0]["params"]["name"] == "echo", got
assert "io.pqmcp/sig" not in json.dumps(got[0]), got
audit = [json.loads(l) for l in open("wrap-audit.jsonl") if l.strip()]
assert any(a.get("verification") == "ok" and a.get("agent") == "bot" for a in audit), audit
PY

echo "# $fails failure(s)"
[ "$fails" = 0 ]
