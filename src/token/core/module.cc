#include "core/module.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace pqmcp::token {
namespace {

// This process's id without a system call on every PKCS#11 call (glibc's getpid() is one, and
// the fork check below runs in every function): read once, and again in a forked child by an
// atfork handler, which fork() runs before it returns in the child.
pid_t current_pid() noexcept {
  static std::atomic<pid_t> pid{[] {
    ::pthread_atfork(nullptr, nullptr, [] { pid.store(::getpid(), std::memory_order_relaxed); });
    return ::getpid();
  }()};
  return pid.load(std::memory_order_relaxed);
}

}  // namespace

Module& Module::get() {
  static Module* m = new Module();
  return *m;
}

Status Module::initialize(CK_VOID_PTR args) {
  if (args) {
    // §5.4.1: with mutex callbacks, the library must be able to use OS locking instead
    // (CKF_OS_LOCKING_OK); callbacks without that flag cannot be honoured.
    auto* a = static_cast<CK_C_INITIALIZE_ARGS*>(args);
    bool any = a->CreateMutex || a->DestroyMutex || a->LockMutex || a->UnlockMutex;
    bool all = a->CreateMutex && a->DestroyMutex && a->LockMutex && a->UnlockMutex;
    if (a->pReserved != nullptr || (any && !all)) return Status(CKR_ARGUMENTS_BAD);
    if (any && !(a->flags & CKF_OS_LOCKING_OK)) return Status(CKR_CANT_LOCK);
  }
  std::unique_lock lock(mu_);
  if (initialized_ && pid_ == current_pid()) return Status(CKR_CRYPTOKI_ALREADY_INITIALIZED);
  if (initialized_) {
    // A forked child: the parent's sessions and database connections are not ours.
    for (auto& t : tokens_) t->abandon_db();
    for (auto& t : tokens_) (void)t.release();
    for (auto& [h, s] : sessions_) (void)new SessionPtr(s);  // never run their destructors
    sessions_.clear();
    tokens_.clear();
    initialized_ = false;
  }
  PQ_ASSIGN(cfg, load_config());
  config_ = cfg;
  tokens_.clear();
  for (unsigned i = 0; i < config_.slots; ++i)
    tokens_.push_back(std::make_unique<Token>(
        i, config_.token_dir + "/slot-" + std::to_string(i), config_));
  initialized_ = true;
  pid_ = current_pid();
  return kOk;
}

Status Module::finalize(CK_VOID_PTR reserved) {
  if (reserved != nullptr) return Status(CKR_ARGUMENTS_BAD);
  std::unique_lock lock(mu_);
  if (!initialized_ || pid_ != current_pid()) return Status(CKR_CRYPTOKI_NOT_INITIALIZED);
  for (auto& [h, s] : sessions_) {
    std::lock_guard<std::mutex> tl(s->token->mu);
    s->token->drop_session_objects(h);
  }
  sessions_.clear();
  for (auto& t : tokens_) {
    std::lock_guard<std::mutex> tl(t->mu);
    t->logout();
  }
  tokens_.clear();
  initialized_ = false;
  return kOk;
}

Status Module::check() const {
  std::shared_lock lock(mu_);
  return initialized_ && pid_ == current_pid() ? kOk : Status(CKR_CRYPTOKI_NOT_INITIALIZED);
}

CK_ULONG Module::slot_count() const {
  std::shared_lock lock(mu_);
  return tokens_.size();
}

Result<Token*> Module::token(CK_SLOT_ID id) {
  std::shared_lock lock(mu_);
  if (!initialized_ || pid_ != current_pid()) return Status(CKR_CRYPTOKI_NOT_INITIALIZED);
  if (id >= tokens_.size()) return Status(CKR_SLOT_ID_INVALID);
  return tokens_[id].get();
}

Result<SessionPtr> Module::session(CK_SESSION_HANDLE h) {
  std::shared_lock lock(mu_);
  if (!initialized_ || pid_ != current_pid()) return Status(CKR_CRYPTOKI_NOT_INITIALIZED);
  auto it = sessions_.find(h);
  if (it == sessions_.end()) return Status(CKR_SESSION_HANDLE_INVALID);
  return it->second;
}

Result<CK_SESSION_HANDLE> Module::open_session(CK_SLOT_ID slot, CK_FLAGS flags) {
  std::unique_lock lock(mu_);
  if (!initialized_ || pid_ != current_pid()) return Status(CKR_CRYPTOKI_NOT_INITIALIZED);
  if (slot >= tokens_.size()) return Status(CKR_SLOT_ID_INVALID);
  // §5.6.1: CKF_SERIAL_SESSION must always be set, for backward compatibility.
  if (!(flags & CKF_SERIAL_SESSION)) return Status(CKR_SESSION_PARALLEL_NOT_SUPPORTED);
  Token* t = tokens_[slot].get();
  std::lock_guard<std::mutex> tl(t->mu);
  PQ_TRY(t->refresh());
  if (!t->initialized()) return Status(CKR_TOKEN_NOT_RECOGNIZED);
  bool rw = flags & CKF_RW_SESSION;
  if (!rw && t->logged_in() == CKU_SO) return Status(CKR_SESSION_READ_WRITE_SO_EXISTS);
  auto s = std::make_shared<Session>();
  s->handle = next_session_++;
  s->flags = flags & (CKF_RW_SESSION | CKF_SERIAL_SESSION);
  s->token = t;
  (rw ? t->rw_sessions : t->ro_sessions)++;
  sessions_[s->handle] = s;
  return s->handle;
}

// Closing the last session of a token logs it out (§5.6.2).
static void forget_session(Session& s) {
  Token* t = s.token;
  std::lock_guard<std::mutex> tl(t->mu);
  (s.rw() ? t->rw_sessions : t->ro_sessions)--;
  t->drop_session_objects(s.handle);
  if (t->ro_sessions + t->rw_sessions == 0) t->logout();
}

Status Module::close_session(CK_SESSION_HANDLE h) {
  SessionPtr s;
  {
    std::unique_lock lock(mu_);
    if (!initialized_ || pid_ != current_pid()) return Status(CKR_CRYPTOKI_NOT_INITIALIZED);
    auto it = sessions_.find(h);
    if (it == sessions_.end()) return Status(CKR_SESSION_HANDLE_INVALID);
    s = it->second;
    sessions_.erase(it);
    forget_session(*s);
  }
  return kOk;
}

Status Module::close_all_sessions(CK_SLOT_ID slot) {
  std::unique_lock lock(mu_);
  if (!initialized_ || pid_ != current_pid()) return Status(CKR_CRYPTOKI_NOT_INITIALIZED);
  if (slot >= tokens_.size()) return Status(CKR_SLOT_ID_INVALID);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second->token == tokens_[slot].get()) {
      forget_session(*it->second);
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return kOk;
}

std::size_t Module::sessions_on(CK_SLOT_ID slot) {
  std::shared_lock lock(mu_);
  std::size_t n = 0;
  for (auto& [h, s] : sessions_) n += s->token->id() == slot;
  return n;
}

CK_STATE session_state(const Session& s) {
  switch (s.token->logged_in()) {
    case CKU_SO: return CKS_RW_SO_FUNCTIONS;
    case CKU_USER: return s.rw() ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
    default: return s.rw() ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
  }
}

}  // namespace pqmcp::token
