#!/bin/sh
# libpqhsm exported over a unix socket by `p11-kit server` and used through p11-kit-client.so:
# the network-HSM shape. p11-kit 0.24 (Debian 12) speaks its 2.40 RPC protocol: it forwards
# the 2.40 functions (sessions, login, objects, key generation, sign/verify, digest, random)
# but has no 3.0/3.2 calls, so C_GetInterface, C_EncapsulateKey / C_DecapsulateKey,
# C_VerifySignature* and the message functions cannot pass. It also forwards only the
# mechanisms on its own built-in list (observed: SHA256, SHA256_HMAC, GENERIC_SECRET_KEY_GEN,
# EC_KEY_PAIR_GEN, ECDSA, AES_KEY_GEN); every ML-DSA / ML-KEM mechanism, ECDSA_SHA256, EDDSA,
# AES_GCM, AES_KEY_WRAP_KWP and SHA3_256 are dropped from C_GetMechanismList and refused by
# the client with CKR_MECHANISM_INVALID. This test asserts both halves, so the documented
# limits stay true.
# Usage: p11kit_test.sh <libpqhsm.so> <pykcs11 work dir>
set -eu
MODULE=$1
WORK=$(mktemp -d /tmp/pqhsm-p11kit-XXXXXX)
trap 'kill $SERVER_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
printf 'token_dir = %s/tokens\nslots = 1\nkdf_iterations = 1000\n' "$WORK" > "$WORK/pqhsm.conf"
export PQHSM_CONF="$WORK/pqhsm.conf"
fail() { echo "FAIL: $*" >&2; exit 1; }
CLIENT=$(ls /usr/lib/*/pkcs11/p11-kit-client.so 2>/dev/null | head -1)
[ -n "$CLIENT" ] || fail "p11-kit-client.so not found (apt-get install p11-kit)"

T="pkcs11-tool --module $MODULE"
$T --init-token --so-pin 12345678 --label remote >/dev/null 2>&1 || fail init-token
$T --login --login-type so --so-pin 12345678 --init-pin --pin 1111 >/dev/null 2>&1 || fail init-pin

SOCK="$WORK/p11kit.sock"
p11-kit server --foreground --provider "$MODULE" -n "$SOCK" "pkcs11:token=remote" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for i in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || fail "server socket did not appear"
export P11_KIT_SERVER_ADDRESS="unix:path=$SOCK"
R="pkcs11-tool --module $CLIENT"
$R -L 2>&1 | grep -q remote || fail "remote token not listed"
$R --login --pin 1111 --keypairgen --key-type EC:prime256v1 --id 02 --label remote-ec >/dev/null 2>&1 || fail "remote keygen"
echo "remote data" > "$WORK/data"
openssl dgst -sha256 -binary "$WORK/data" > "$WORK/hash"
$R --login --pin 1111 --sign -m ECDSA --id 02 -i "$WORK/hash" -o "$WORK/sig" >/dev/null 2>&1 || fail "remote sign"
$R --login --pin 1111 --verify -m ECDSA --id 02 -i "$WORK/hash" --signature-file "$WORK/sig" 2>&1 | grep -q "Signature is valid" || fail "remote verify"
# The same signature verifies locally, straight through the module.
pkcs11-tool --module "$MODULE" --verify -m ECDSA --id 02 -i "$WORK/hash" --signature-file "$WORK/sig" 2>&1 | grep -q "Signature is valid" || fail "local verify of remote signature"
# The documented limit: ML-DSA is not forwarded by p11-kit 0.24's RPC.
$R -M 2>&1 | grep -qi "mechtype-0x1D" && fail "p11-kit now forwards ML-DSA: update docs/token.md"
/usr/bin/python3 - "$CLIENT" <<'PY' || fail "remote ML-DSA refusal"
import struct, sys, PyKCS11
from PyKCS11.LowLevel import CKA_TOKEN, CKF_SERIAL_SESSION, CKF_RW_SESSION, CKU_USER, CKR_MECHANISM_INVALID
lib = PyKCS11.PyKCS11Lib(); lib.load(sys.argv[1])
slot = lib.getSlotList(tokenPresent=True)[0]
s = lib.openSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION); s.login("1111", CKU_USER)
try:
    s.generateKeyPair([(CKA_TOKEN, False), (0x61D, struct.pack("@L", 1))], [(CKA_TOKEN, False)],
                      mecha=PyKCS11.Mechanism(0x1C, None))
    sys.exit("ML-DSA key generation passed p11-kit 0.24 unexpectedly")
except PyKCS11.PyKCS11Error as e:
    assert e.value == CKR_MECHANISM_INVALID, e
print("remote ML-DSA refused by p11-kit client as documented")
PY
echo "p11-kit server/client: OK"
