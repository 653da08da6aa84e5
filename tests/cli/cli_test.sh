#!/bin/sh
# End-to-end test of the pqmcp command: usage: cli_test.sh PQMCP_BINARY MODE
#   MODE=pqhsm    every command on the embedded libpqhsm token (label unit)
#   MODE=softhsm  the classical commands on SoftHSM2, openssl parsing of exported keys, the
#                 composite split (ML-DSA on libpqhsm, Ed25519 on SoftHSM2) (label interop)
#   MODE=noble    an ML-DSA-65 key and signature checked by @noble/post-quantum (label interop)
set -eu
PQMCP=$(readlink -f "$1")
MODE=$2
ROOT=$(mktemp -d /tmp/pqmcp-cli-XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
export XDG_CONFIG_HOME="$ROOT/config" XDG_DATA_HOME="$ROOT/data"
unset PQMCP_CONFIG PQMCP_NOW PQHSM_CONF || true
cd "$ROOT"
fails=0
ok()   { echo "ok - $*"; }
bad()  { echo "not ok - $*"; fails=$((fails + 1)); }
# expect CODE DESCRIPTION CMD…: runs CMD, checks the exit code
expect() {
  want=$1; what=$2; shift 2
  set +e; "$@" >"$ROOT/out" 2>"$ROOT/err"; got=$?; set -e
  if [ "$got" = "$want" ]; then ok "$what"; else bad "$what (exit $got, wanted $want)"; cat "$ROOT/out" "$ROOT/err"; fi
}
grep_err() { if grep -q "$1" "$ROOT/err"; then ok "message: $1"; else bad "message '$1' missing"; cat "$ROOT/err"; fi; }

expect 0 "init" "$PQMCP" init --kdf-iterations 10
CFG="$XDG_CONFIG_HOME/pqmcp/config.toml"
DATA="$XDG_DATA_HOME/pqmcp"
expect 0 "init is idempotent" "$PQMCP" init
[ "$(stat -c %a "$DATA/user.pin")" = 600 ] && ok "user PIN file is 0600" || bad "user PIN mode"
grep -q "$(cat "$DATA/user.pin")" "$CFG" && bad "PIN leaked into config" || ok "no PIN in the config"
echo "payload $MODE" > doc.txt

if [ "$MODE" = pqhsm ]; then
  expect 0 "token list" "$PQMCP" token list
  expect 0 "token list --json" "$PQMCP" --json token list
  expect 0 "token info --json" "$PQMCP" --json token info
  grep -q '"ml-dsa": true' "$ROOT/out" && ok "libpqhsm offers ML-DSA" || bad "capabilities"
  expect 0 "create --dry-run" "$PQMCP" identity create dry --dry-run
  expect 5 "dry run created nothing" "$PQMCP" identity show dry
  for alg in mldsa65-ed25519 mldsa44-ed25519 mldsa44 mldsa65 mldsa87 ed25519 p256; do
    expect 0 "create $alg" "$PQMCP" identity create "id-$alg" --alg "$alg"
    expect 0 "sign $alg" "$PQMCP" sign doc.txt --identity "id-$alg" -o "doc.$alg.sig"
    expect 0 "verify $alg" "$PQMCP" verify doc.txt "doc.$alg.sig"
    expect 0 "export pem $alg" "$PQMCP" identity export "id-$alg" -o "$alg.pem"
    expect 0 "export jwk $alg" "$PQMCP" identity export "id-$alg" --format jwk -o "$alg.jwk"
    expect 0 "verify with --key pem $alg" "$PQMCP" verify doc.txt "doc.$alg.sig" --key "$alg.pem"
    expect 0 "verify with --key jwk $alg" "$PQMCP" verify doc.txt "doc.$alg.sig" --key "$alg.jwk"
  done
  expect 2 "duplicate identity refused" "$PQMCP" identity create id-ed25519
  expect 2 "unknown algorithm" "$PQMCP" identity create x --alg rsa
  echo "tampered" >> doc.txt
  expect 1 "tampered file fails" "$PQMCP" verify doc.txt doc.mldsa65-ed25519.sig
  echo "payload $MODE" > doc.txt
  expect 1 "wrong identity fails" "$PQMCP" verify doc.txt doc.ed25519.sig --identity id-p256
  expect 0 "identity list --json" "$PQMCP" --json identity list
  python3 -c "import json,sys; d=json.load(open('$ROOT/out')); sys.exit(0 if len(d)==7 else 1)" && ok "7 keys listed" || bad "list json"
  openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout > peer.pem
  expect 0 "import a peer (PEM)" "$PQMCP" identity import peer peer.pem
  expect 0 "show the peer" "$PQMCP" --json identity show peer
  grep -q '"role": "peer"' "$ROOT/out" && ok "peer role" || bad "peer role"
  expect 2 "importing a known key is refused" "$PQMCP" identity import peer2 p256.jwk
  expect 5 "a peer cannot sign" "$PQMCP" sign doc.txt --identity peer

  # Rotation: both keys verify during the overlap, the old one fails after not-after.
  expect 0 "admin" "$PQMCP" identity create admin --role admin --alg mldsa65
  expect 0 "sign with the old key" "$PQMCP" sign doc.txt --identity id-mldsa65-ed25519 -o old.sig
  expect 0 "rotate --dry-run" "$PQMCP" identity rotate id-mldsa65-ed25519 --overlap 7d --dry-run
  expect 0 "rotate" "$PQMCP" identity rotate id-mldsa65-ed25519 --overlap 7d
  expect 0 "sign with the new key" "$PQMCP" sign doc.txt --identity id-mldsa65-ed25519 -o new.sig
  expect 0 "old key verifies during overlap" "$PQMCP" verify doc.txt old.sig --identity id-mldsa65-ed25519
  expect 0 "new key verifies" "$PQMCP" verify doc.txt new.sig --identity id-mldsa65-ed25519
  expect 0 "admin key export" "$PQMCP" identity export admin -o admin.pem
  expect 0 "trust export" "$PQMCP" trust export --admin admin -o bundle.json
  expect 0 "trust verify (pinned)" "$PQMCP" trust verify bundle.json --admin-key admin.pem
  expect 0 "trust verify --json" "$PQMCP" --json trust verify bundle.json
  expect 0 "bundle accepts the old key during overlap" "$PQMCP" verify doc.txt old.sig --bundle bundle.json --admin-key admin.pem
  LATER=$(date -u -d '+8 days' +%Y-%m-%dT%H:%M:%SZ)
  expect 1 "old key fails after not-after" env PQMCP_NOW="$LATER" "$PQMCP" verify doc.txt old.sig
  expect 1 "bundle rejects the old key after not-after" env PQMCP_NOW="$LATER" "$PQMCP" verify doc.txt old.sig --bundle bundle.json --admin-key admin.pem
  expect 0 "new key still verifies later" env PQMCP_NOW="$LATER" "$PQMCP" verify doc.txt new.sig
  # Revocation is immediate.
  NEWKID=$(python3 -c "import json; print(json.load(open('new.sig'))['kid'])")
  expect 0 "revoke --dry-run" "$PQMCP" identity revoke "$NEWKID" --dry-run
  expect 0 "still valid after dry run" "$PQMCP" verify doc.txt new.sig
  expect 0 "revoke by kid" "$PQMCP" identity revoke "$NEWKID"
  expect 1 "revoked key fails at once" "$PQMCP" verify doc.txt new.sig
  expect 0 "trust export after revocation" "$PQMCP" trust export --admin admin -o bundle2.json
  expect 1 "bundle rejects the revoked key" "$PQMCP" verify doc.txt new.sig --bundle bundle2.json --admin-key admin.pem
  # A tampered bundle is rejected.
  python3 - <<'PY'
import json, base64
b = json.load(open("bundle2.json"))
p = base64.urlsafe_b64decode(b["payload"] + "=" * (-len(b["payload"]) % 4)).replace(b'"revoked"', b'"active"', 1)
b["payload"] = base64.urlsafe_b64encode(p).decode().rstrip("=")
json.dump(b, open("tampered.json", "w"))
PY
  expect 1 "tampered bundle rejected" "$PQMCP" trust verify tampered.json --admin-key admin.pem
  expect 1 "bundle with another admin key rejected" "$PQMCP" trust verify bundle2.json --admin-key ed25519.pem
  # Bad input: wrong PIN, corrupt config, unreadable PIN file, missing module.
  cp "$DATA/user.pin" user.pin.bak
  chmod 600 "$DATA/user.pin"; echo wrong-pin > "$DATA/user.pin"
  expect 4 "wrong PIN" "$PQMCP" sign doc.txt --identity id-ed25519 -o wrong.sig
  grep_err "wrong user PIN"
  grep_err "token 'pqmcp'"
  grep -q wrong-pin "$ROOT/err" && bad "PIN in error" || ok "PIN not in the error"
  [ -e wrong.sig ] && bad "signature written despite error" || ok "nothing written"
  cp user.pin.bak "$DATA/user.pin"; chmod 644 "$DATA/user.pin"
  expect 4 "PIN file readable by others refused" "$PQMCP" sign doc.txt --identity id-ed25519 -o wrong.sig
  grep_err "chmod 600"
  chmod 600 "$DATA/user.pin"
  cp "$DATA/identities.json" reg.bak
  cp "$CFG" cfg.bak; echo "data_dir = [unterminated" > "$CFG"
  expect 3 "corrupt config" "$PQMCP" identity list
  cp cfg.bak "$CFG"
  sed 's#libpqhsm.so#libmissing.so#' cfg.bak > "$CFG"
  expect 4 "missing module" "$PQMCP" identity create nomod
  grep_err "libmissing.so"
  cp cfg.bak "$CFG"
  cmp -s reg.bak "$DATA/identities.json" && ok "registry untouched by failures" || bad "registry changed"
  echo '{' > "$DATA/identities.json"
  expect 3 "corrupt registry reported" "$PQMCP" identity list
  cp reg.bak "$DATA/identities.json"
  expect 2 "unknown subcommand is a usage error" "$PQMCP" frobnicate
  expect 0 "--help" "$PQMCP" --help
  expect 0 "selftest still works" "$PQMCP" selftest --quick
fi

if [ "$MODE" = softhsm ]; then
  mkdir -p "$ROOT/softhsm"
  printf 'directories.tokendir = %s/softhsm\nobjectstore.backend = file\nlog.level = ERROR\n' "$ROOT" > softhsm2.conf
  export SOFTHSM2_CONF="$ROOT/softhsm2.conf"
  expect 0 "token init on SoftHSM2" "$PQMCP" token init --name soft --module /usr/lib/softhsm/libsofthsm2.so --label classic
  expect 0 "token info SoftHSM2" "$PQMCP" token info soft
  grep -q "ML-DSA no" "$ROOT/out" && ok "SoftHSM2 has no ML-DSA" || bad "capabilities"
  expect 4 "ML-DSA on SoftHSM2 refused" "$PQMCP" identity create pq --alg mldsa65 --token soft
  grep_err "libpqhsm"
  expect 5 "nothing registered after the refusal" "$PQMCP" identity show pq
  for alg in ed25519 p256; do
    expect 0 "create $alg on SoftHSM2" "$PQMCP" identity create "s-$alg" --alg "$alg" --token soft
    expect 0 "sign $alg on SoftHSM2" "$PQMCP" sign doc.txt --identity "s-$alg" -o "s.$alg.sig"
    expect 0 "verify $alg" "$PQMCP" verify doc.txt "s.$alg.sig"
    expect 0 "export $alg" "$PQMCP" identity export "s-$alg" -o "s-$alg.pem"
    expect 0 "openssl parses $alg SPKI" openssl pkey -pubin -in "s-$alg.pem" -text -noout
    expect 0 "rotate $alg on SoftHSM2" "$PQMCP" identity rotate "s-$alg" --overlap 1h
    expect 0 "old $alg signature verifies in overlap" "$PQMCP" verify doc.txt "s.$alg.sig"
    expect 0 "revoke $alg" "$PQMCP" identity revoke "s-$alg"
    expect 1 "revoked $alg fails" "$PQMCP" verify doc.txt "s.$alg.sig"
  done
  # ES256 signatures also verify with openssl (r‖s → DER).
  expect 0 "create p256 for openssl" "$PQMCP" identity create es --alg p256 --token soft
  "$PQMCP" sign doc.txt --identity es -o es.sig >/dev/null
  "$PQMCP" identity export es -o es.pem
  python3 - <<'PY'
import json, base64
s = json.load(open("es.sig"))["sig"]; raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def i(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80: b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b
body = i(raw[:32]) + i(raw[32:]); open("es.der", "wb").write(b"\x30" + bytes([len(body)]) + body)
PY
  expect 0 "openssl verifies ES256" openssl dgst -sha256 -verify es.pem -signature es.der doc.txt
  # Composite split: ML-DSA on libpqhsm, Ed25519 on SoftHSM2.
  expect 0 "composite split" "$PQMCP" identity create split --ed25519-token soft
  expect 0 "sign split" "$PQMCP" sign doc.txt --identity split -o split.sig
  expect 0 "verify split" "$PQMCP" verify doc.txt split.sig
  expect 0 "show split" "$PQMCP" identity show split
  grep -q "token 'classic'" "$ROOT/out" && ok "Ed25519 half on SoftHSM2" || bad "split parts"
  # PQC SPKI structure: OID and lengths.
  expect 0 "export ML-DSA-65" "$PQMCP" identity create m65 --alg mldsa65
  "$PQMCP" identity export m65 -o m65.pem; "$PQMCP" identity export split -o split.pem
  # SEQ{SEQ{OID}, BIT STRING 00‖pk}: 1952-byte key → 1974 bytes; 1952+32 composite → 2005 bytes.
  expect 0 "ML-DSA-65 SPKI OID and length" sh -c "openssl asn1parse -in m65.pem | grep -q '2.16.840.1.101.3.4.3.18' && openssl asn1parse -in m65.pem | grep -q 'BIT STRING' && openssl base64 -d -in m65.pem | wc -c | grep -qx 1974"
  expect 0 "composite SPKI OID and length" sh -c "openssl asn1parse -in split.pem | grep -q '1.3.6.1.5.5.7.6.48' && openssl base64 -d -in split.pem | wc -c | grep -qx 2005"
fi

if [ "$MODE" = pqhsm ]; then
  # [gateway] values of the wrong type or out of range are refused before anything starts
  # (exit 3, the config error), not replaced by defaults.
  for bad in 'answer_wait_ms = -5|must be between 0 and' 'answer_wait_ms = 700000|at most 600000' \
             'answer_wait_ms = "2s"|must be a whole number' 'mode = 1|gateway.mode must be a string' \
             'trust_on_first_use = "no"|must be true or false' 'algorithms = "mldsa65"|array of strings' \
             'answer_wait = 0|gateway.answer_wait is not a setting'; do
    cp "$CFG" gw-bad.toml
    printf '\n[gateway]\n%s\n' "${bad%%|*}" >> gw-bad.toml
    expect 3 "config [gateway] ${bad%%|*} refused" "$PQMCP" --config gw-bad.toml connect --identity id-ed25519 -- true
    grep_err "${bad#*|}"
  done
  # Valid values of every type still load (the command then fails on the identity, exit 5).
  cp "$CFG" gw-good.toml
  printf '\n[gateway]\nanswer_wait_ms = 0\nmax_message = 1048576\ntrust_on_first_use = false\nmode = "observe"\nalgorithms = ["mldsa65-ed25519"]\n' >> gw-good.toml
  expect 5 "a valid [gateway] table loads" "$PQMCP" --config gw-good.toml connect --identity nobody -- true
  grep_err "no identity named 'nobody'"
fi

if [ "$MODE" = noble ]; then
  expect 0 "create ML-DSA-65" "$PQMCP" identity create n --alg mldsa65
  expect 0 "sign" "$PQMCP" sign doc.txt --identity n -o n.sig
  expect 0 "export jwk" "$PQMCP" identity export n --format jwk -o n.jwk
  expect 0 "export pem" "$PQMCP" identity export n -o n.pem
  expect 0 "noble verifies" node "$3" doc.txt n.sig n.jwk n.pem
fi

echo "# $fails failure(s)"
[ "$fails" = 0 ]
