// A session (base spec §5.6): its slot, read-only or read-write, and the operations active in
// it. Each session has its own mutex, so two sessions can sign at the same time; the token
// lock is taken only to look a key up.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "core/token.h"
#include "mechanisms/mechanism.h"

namespace pqmcp::token {

struct Session {
  CK_SESSION_HANDLE handle = 0;
  CK_FLAGS flags = 0;
  Token* token = nullptr;
  std::mutex mu;  // guards the operation state below

  std::unique_ptr<SignOp> sign, verify;
  std::unique_ptr<CipherOp> encrypt, decrypt;
  std::unique_ptr<DigestOp> digest;
  // The key-operation log's record of the active sign / decrypt operation (shim/oplog_hooks.h).
  std::unique_ptr<oplog::Pending> sign_log, decrypt_log;
  // C_VerifySignatureInit (3.2) keeps the signature until the data has been seen.
  std::unique_ptr<SignOp> verify_signature;
  std::vector<std::uint8_t> signature;
  bool finding = false;
  std::vector<CK_OBJECT_HANDLE> found;
  std::size_t found_pos = 0;

  bool rw() const { return (flags & CKF_RW_SESSION) != 0; }
};

using SessionPtr = std::shared_ptr<Session>;

}  // namespace pqmcp::token
