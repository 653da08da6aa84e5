// The module's global state: initialisation (base spec §5.4 C_Initialize / C_Finalize), the
// slots, and the session table. It is allocated once and never destroyed (no C++ global
// destructor runs at exit). A forked child sees the module as not initialised until it
// calls C_Initialize itself (base spec §6.7.1 "applications and processes").
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <sys/types.h>
#include <vector>

#include "core/config.h"
#include "core/session.h"

namespace pqmcp::token {

class Module {
 public:
  static Module& get();

  Status initialize(CK_VOID_PTR args);
  Status finalize(CK_VOID_PTR reserved);
  Status check() const;  // CKR_CRYPTOKI_NOT_INITIALIZED unless initialised in this process

  CK_ULONG slot_count() const;
  Result<Token*> token(CK_SLOT_ID id);
  Result<SessionPtr> session(CK_SESSION_HANDLE h);
  Result<CK_SESSION_HANDLE> open_session(CK_SLOT_ID slot, CK_FLAGS flags);
  Status close_session(CK_SESSION_HANDLE h);
  Status close_all_sessions(CK_SLOT_ID slot);
  // Number of sessions open on a slot (C_InitToken needs none).
  std::size_t sessions_on(CK_SLOT_ID slot);

 private:
  Module() = default;
  mutable std::shared_mutex mu_;
  bool initialized_ = false;
  pid_t pid_ = 0;
  Config config_;
  std::vector<std::unique_ptr<Token>> tokens_;
  std::map<CK_SESSION_HANDLE, SessionPtr> sessions_;
  CK_SESSION_HANDLE next_session_ = 1;
};

// The session state of base spec §5.6 Table 8 (CKS_RO_PUBLIC_SESSION …).
CK_STATE session_state(const Session& s);

}  // namespace pqmcp::token
