// Encryption, decryption and digests (base spec §5.8-5.10). AES-GCM output is released at
// the final call (the tag must be checked before any plaintext leaves the token).
#include "shim/common.h"
#include "shim/oplog_hooks.h"

using namespace pqmcp::token;
using shim::guard;

namespace {

// `found`: the key, looked up by the caller (shim::begin for C_DecryptInit, which logs it too).
Status cipher_init(Session& s, CK_MECHANISM_PTR pMechanism, const Result<ObjectPtr>& found, bool enc) {
  std::lock_guard<std::mutex> sl(s.mu);
  auto& slot = enc ? s.encrypt : s.decrypt;
  if (slot) return Status(CKR_OPERATION_ACTIVE);
  PQ_ASSIGN(m, shim::mechanism(pMechanism, enc ? CKF_ENCRYPT : CKF_DECRYPT));
  PQ_ASSIGN(key, shim::usable_key(found, enc ? CKA_ENCRYPT : CKA_DECRYPT, pMechanism->mechanism));
  PQ_ASSIGN(op, m->cipher_init(*pMechanism, key, enc));
  slot = std::move(op);
  return kOk;
}

Status cipher_init(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey, bool enc) {
  PQ_ASSIGN(s, shim::session(hSession));
  return cipher_init(*s, pMechanism, shim::object(*s, hKey), enc);
}

// One-shot (pending = input not yet given) or final (pending = 0, input empty).
Status cipher_run(CK_SESSION_HANDLE hSession, bool enc, std::span<const std::uint8_t> in,
                  CK_BYTE_PTR out, CK_ULONG_PTR len) {
  PQ_ASSIGN(s, shim::session(hSession));
  std::lock_guard<std::mutex> sl(s->mu);
  auto& op = enc ? s->encrypt : s->decrypt;
  if (!op) return Status(CKR_OPERATION_NOT_INITIALIZED);
  auto need = op->final_length(in.size());
  if (!need.ok()) {
    op.reset();
    return need.status();
  }
  bool go = false;
  Status q = shim::length_query(out, len, need.value(), go);
  if (!go) {
    if (!q.ok() && q.rv() != CKR_BUFFER_TOO_SMALL) op.reset();
    return q;
  }
  Status st = op->update(in);
  Bytes result;
  if (st.ok()) st = op->final(result);
  op.reset();
  PQ_TRY(st);
  if (!result.empty()) std::memcpy(out, result.data(), result.size());
  *len = result.size();
  return kOk;
}

Status cipher_update(CK_SESSION_HANDLE hSession, bool enc, CK_BYTE_PTR in, CK_ULONG in_len, CK_ULONG_PTR out_len) {
  PQ_ASSIGN(s, shim::session(hSession));
  std::lock_guard<std::mutex> sl(s->mu);
  auto& op = enc ? s->encrypt : s->decrypt;
  if (!op) return Status(CKR_OPERATION_NOT_INITIALIZED);
  if (!out_len || (!in && in_len)) {
    op.reset();
    return Status(CKR_ARGUMENTS_BAD);
  }
  Status st = op->update({in, in ? in_len : 0});
  if (!st.ok()) op.reset();
  *out_len = 0;  // AEAD: everything is released by the final call
  return st;
}

}  // namespace

extern "C" {

CK_RV C_EncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return guard([&] { return cipher_init(hSession, pMechanism, hKey, true); });
}
CK_RV C_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pOut,
                CK_ULONG_PTR pulOutLen) {
  return guard([&]() -> Status {
    PQ_ASSIGN(in, shim::in_bytes(pData, ulDataLen));
    return cipher_run(hSession, true, in, pOut, pulOutLen);
  });
}
CK_RV C_EncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR,
                      CK_ULONG_PTR pulOutLen) {
  return guard([&] { return cipher_update(hSession, true, pPart, ulPartLen, pulOutLen); });
}
CK_RV C_EncryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOut, CK_ULONG_PTR pulOutLen) {
  return guard([&] { return cipher_run(hSession, true, {}, pOut, pulOutLen); });
}
CK_RV C_DecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return guard([&] {
    return shim::begin(hSession, "C_DecryptInit", pMechanism, hKey, &Session::decrypt_log,
                       [&](Session& s, const Result<ObjectPtr>& key, const auto&) { return cipher_init(s, pMechanism, key, false); });
  });
}
CK_RV C_Decrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pOut,
                CK_ULONG_PTR pulOutLen) {
  return guard([&]() -> Status {
    PQ_ASSIGN(in, shim::in_bytes(pData, ulDataLen));
    return shim::ended(hSession, "C_Decrypt", &Session::decrypt, &Session::decrypt_log, in, true,
                       [&] { return cipher_run(hSession, false, in, pOut, pulOutLen); }, pOut, pulOutLen);
  });
}
CK_RV C_DecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR,
                      CK_ULONG_PTR pulOutLen) {
  return guard([&] {
    return shim::ended(hSession, "C_DecryptUpdate", &Session::decrypt, &Session::decrypt_log, {pPart, pPart ? ulPartLen : 0},
                       false, [&] { return cipher_update(hSession, false, pPart, ulPartLen, pulOutLen); });
  });
}
CK_RV C_DecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOut, CK_ULONG_PTR pulOutLen) {
  return guard([&] {
    return shim::ended(hSession, "C_DecryptFinal", &Session::decrypt, &Session::decrypt_log, {}, true,
                       [&] { return cipher_run(hSession, false, {}, pOut, pulOutLen); }, pOut, pulOutLen);
  });
}

CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> sl(s->mu);
    if (s->digest) return Status(CKR_OPERATION_ACTIVE);
    PQ_ASSIGN(m, shim::mechanism(pMechanism, CKF_DIGEST));
    PQ_ASSIGN(op, m->digest_init(*pMechanism));
    s->digest = std::move(op);
    return kOk;
  });
}

static Status digest_out(Session& s, std::span<const std::uint8_t> in, CK_BYTE_PTR out, CK_ULONG_PTR len) {
  bool go = false;
  Status q = shim::length_query(out, len, s.digest->length(), go);
  if (!go) {
    if (!q.ok() && q.rv() != CKR_BUFFER_TOO_SMALL) s.digest.reset();
    return q;
  }
  Status st = s.digest->update(in);
  if (st.ok()) st = s.digest->final({out, s.digest->length()});
  *len = s.digest->length();
  s.digest.reset();
  return st;
}

CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pDigest,
               CK_ULONG_PTR pulDigestLen) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> sl(s->mu);
    if (!s->digest) return Status(CKR_OPERATION_NOT_INITIALIZED);
    PQ_ASSIGN(in, shim::in_bytes(pData, ulDataLen));
    return digest_out(*s, in, pDigest, pulDigestLen);
  });
}

CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> sl(s->mu);
    if (!s->digest) return Status(CKR_OPERATION_NOT_INITIALIZED);
    auto in = shim::in_bytes(pPart, ulPartLen);
    Status st = in.ok() ? s->digest->update(in.value()) : in.status();
    if (!st.ok()) s->digest.reset();
    return st;
  });
}

CK_RV C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> sl(s->mu);
    if (!s->digest) return Status(CKR_OPERATION_NOT_INITIALIZED);
    return Status(CKR_KEY_INDIGESTIBLE);  // digesting key material would reveal it
  });
}

CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen) {
  return guard([&]() -> Status {
    PQ_ASSIGN(s, shim::session(hSession));
    std::lock_guard<std::mutex> sl(s->mu);
    if (!s->digest) return Status(CKR_OPERATION_NOT_INITIALIZED);
    return digest_out(*s, {}, pDigest, pulDigestLen);
  });
}

// Dual-function operations (§5.13) are not offered.
#define PQ_DUAL(name)                                                                         \
  CK_RV name(CK_SESSION_HANDLE hSession, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR) { \
    return guard([&]() -> Status {                                                            \
      PQ_ASSIGN(s, shim::session(hSession));                                                  \
      return Status(CKR_FUNCTION_NOT_SUPPORTED);                                              \
    });                                                                                       \
  }
PQ_DUAL(C_DigestEncryptUpdate)
PQ_DUAL(C_DecryptDigestUpdate)
PQ_DUAL(C_SignEncryptUpdate)
PQ_DUAL(C_DecryptVerifyUpdate)
#undef PQ_DUAL

}  // extern "C"
