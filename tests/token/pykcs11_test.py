#!/usr/bin/python3
"""libpqhsm through Debian's python3-pykcs11 (an independent PKCS#11 client).

PyKCS11 1.5 predates PKCS#11 3.2: it has no names for the ML-DSA / ML-KEM constants and no
C_GetInterface, so mechanisms are passed by number and CKA_PARAMETER_SET as raw CK_ULONG bytes.
Usage: pykcs11_test.py <libpqhsm.so> <work dir>
"""
import os
import struct
import sys

import PyKCS11
from PyKCS11.LowLevel import (CKA_CLASS, CKA_ID, CKA_KEY_TYPE, CKA_LABEL, CKA_SIGN, CKA_TOKEN,
                              CKA_VALUE, CKA_VERIFY, CKF_RW_SESSION, CKF_SERIAL_SESSION,
                              CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKU_SO, CKU_USER)

CKM_ML_KEM_KEY_PAIR_GEN = 0x0F
CKM_ML_DSA_KEY_PAIR_GEN = 0x1C
CKM_ML_DSA = 0x1D
CKA_PARAMETER_SET = 0x61D
CKA_ENCAPSULATE = 0x633
CKA_DECAPSULATE = 0x634
CKP_ML_DSA_65 = 2
CKP_ML_KEM_768 = 2


def ulong(v):
    return struct.pack("@L", v)


def main():
    module, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    conf = os.path.join(work, "pqhsm.conf")
    with open(conf, "w") as f:
        f.write(f"token_dir = {work}/tokens\nslots = 1\nkdf_iterations = 1000\n")
    os.environ["PQHSM_CONF"] = conf

    lib = PyKCS11.PyKCS11Lib()
    lib.load(module)
    slot = lib.getSlotList()[0]
    lib.initToken(slot, "87654321", "pykcs11")
    s = lib.openSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION)
    s.login("87654321", CKU_SO)
    s.initPin("1234")
    s.logout()
    s.login("1234", CKU_USER)

    # ML-DSA-65 key pair by numeric mechanism id, signature made and checked in the token.
    pub_t = [(CKA_TOKEN, True), (CKA_VERIFY, True), (CKA_LABEL, "mldsa65"), (CKA_ID, b"\x01"),
             (CKA_PARAMETER_SET, ulong(CKP_ML_DSA_65))]
    priv_t = [(CKA_TOKEN, True), (CKA_SIGN, True), (CKA_LABEL, "mldsa65"), (CKA_ID, b"\x01")]
    pub, priv = s.generateKeyPair(pub_t, priv_t, mecha=PyKCS11.Mechanism(CKM_ML_DSA_KEY_PAIR_GEN, None))
    pk = bytes(s.getAttributeValue(pub, [CKA_VALUE], allAsBinary=True)[0])
    assert len(pk) == 1952, len(pk)
    msg = b"signed through PyKCS11"
    sig = bytes(s.sign(priv, msg, PyKCS11.Mechanism(CKM_ML_DSA, None)))
    assert len(sig) == 3309, len(sig)
    assert s.verify(pub, msg, sig, PyKCS11.Mechanism(CKM_ML_DSA, None))
    bad = bytearray(sig)
    bad[0] ^= 1
    assert not s.verify(pub, msg, bytes(bad), PyKCS11.Mechanism(CKM_ML_DSA, None))
    with open(os.path.join(work, "mldsa65.pk"), "wb") as f:
        f.write(pk)
    with open(os.path.join(work, "mldsa65.sig"), "wb") as f:
        f.write(sig)
    with open(os.path.join(work, "mldsa65.msg"), "wb") as f:
        f.write(msg)

    # ML-KEM-768 key pair.
    kpub, kpriv = s.generateKeyPair(
        [(CKA_TOKEN, True), (CKA_PARAMETER_SET, ulong(CKP_ML_KEM_768)), (CKA_LABEL, "mlkem768")],
        [(CKA_TOKEN, True), (CKA_LABEL, "mlkem768")],
        mecha=PyKCS11.Mechanism(CKM_ML_KEM_KEY_PAIR_GEN, None))
    ek = bytes(s.getAttributeValue(kpub, [CKA_VALUE], allAsBinary=True)[0])
    assert len(ek) == 1184, len(ek)
    enc = s.getAttributeValue(kpub, [CKA_ENCAPSULATE], allAsBinary=True)[0]
    assert bytes(enc) == b"\x01", enc
    # The private value is sensitive: reading it must fail.
    try:
        s.getAttributeValue(kpriv, [CKA_VALUE], allAsBinary=True)
        v = s.getAttributeValue(kpriv, [CKA_VALUE], allAsBinary=True)[0]
        assert v is None, "sensitive value was returned"
    except PyKCS11.PyKCS11Error as e:
        assert e.value == PyKCS11.LowLevel.CKR_ATTRIBUTE_SENSITIVE, e

    privs = s.findObjects([(CKA_CLASS, CKO_PRIVATE_KEY)])
    pubs = s.findObjects([(CKA_CLASS, CKO_PUBLIC_KEY)])
    assert len(privs) == 2 and len(pubs) == 2, (privs, pubs)
    s.logout()
    # Private keys vanish from a public session.
    assert len(s.findObjects([(CKA_CLASS, CKO_PRIVATE_KEY)])) == 0
    s.closeSession()
    print("pykcs11: ML-DSA-65 sign/verify, ML-KEM-768 keygen: OK")


if __name__ == "__main__":
    main()
