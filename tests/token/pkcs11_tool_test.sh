#!/bin/sh
# libpqhsm through OpenSC's pkcs11-tool (Debian package opensc): token and PIN init, login,
# wrong-PIN lockout, P-256 key generation, signing, verification and object listing.
# Usage: pkcs11_tool_test.sh <libpqhsm.so>
set -eu
MODULE=$1
WORK=$(mktemp -d /tmp/pqhsm-p11tool-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
printf 'token_dir = %s/tokens\nslots = 2\nmax_pin_failures = 3\nkdf_iterations = 1000\n' "$WORK" > "$WORK/pqhsm.conf"
export PQHSM_CONF="$WORK/pqhsm.conf"
T="pkcs11-tool --module $MODULE"
fail() { echo "FAIL: $*" >&2; exit 1; }

$T --init-token --slot 1 --so-pin 12345678 --label p11tool >/dev/null 2>&1 || fail init-token
$T --slot 1 --login --login-type so --so-pin 12345678 --init-pin --pin 1111 >/dev/null 2>&1 || fail init-pin
$T -L 2>&1 | grep -q "p11tool" || fail "token label not listed"
$T --slot 1 --login --pin 1111 --keypairgen --key-type EC:prime256v1 --id 01 --label ec1 >/dev/null 2>&1 || fail keypairgen
echo "data to sign" > "$WORK/data"
$T --slot 1 --login --pin 1111 --sign -m ECDSA-SHA256 --id 01 -i "$WORK/data" -o "$WORK/sig" >/dev/null 2>&1 || fail sign
[ "$(wc -c < "$WORK/sig")" -eq 64 ] || fail "signature length"
$T --slot 1 --login --pin 1111 --verify -m ECDSA-SHA256 --id 01 -i "$WORK/data" --signature-file "$WORK/sig" 2>&1 | grep -q "Signature is valid" || fail verify
# Verify the token's signature with OpenSSL too (pkcs11-tool exports the public key as DER).
$T --slot 1 --read-object --type pubkey --id 01 -o "$WORK/pub.der" >/dev/null 2>&1 || fail read-object
openssl pkey -pubin -inform DER -in "$WORK/pub.der" -out "$WORK/pub.pem" || fail "public key DER"
$T --slot 1 --login --pin 1111 --sign -m ECDSA-SHA256 --signature-format openssl --id 01 -i "$WORK/data" -o "$WORK/sig.der" >/dev/null 2>&1 || fail "sign (DER)"
openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig.der" "$WORK/data" | grep -q "Verified OK" || fail "openssl verify"
LIST=$($T --slot 1 --login --pin 1111 --list-objects 2>&1)
echo "$LIST" | grep -q "Private Key Object; EC" || fail "private key not listed"
echo "$LIST" | grep -q "never extractable" || fail "private key attributes"
# Without login the private key is invisible.
$T --slot 1 --list-objects 2>&1 | grep -q "Private Key Object" && fail "private key visible without login"
# Wrong PIN three times locks the user PIN; the right PIN is then refused.
for i in 1 2 3; do
  $T --slot 1 --login --pin 9999 --list-objects >/dev/null 2>&1 && fail "wrong PIN accepted"
done
$T --slot 1 -T 2>&1 | grep -qi "user PIN locked" || fail "lock flag not shown"
$T --slot 1 --login --pin 1111 --list-objects 2>&1 | grep -q "CKR_PIN_LOCKED" || fail "locked PIN still works"
# The SO unlocks by setting a new user PIN.
$T --slot 1 --login --login-type so --so-pin 12345678 --init-pin --new-pin 2222 >/dev/null 2>&1 || fail "SO reset"
$T --slot 1 --login --pin 2222 --list-objects 2>&1 | grep -q "Private Key Object; EC" || fail "login after reset"
echo "pkcs11-tool: OK"
