// One token of a module, with a pool of sessions for concurrent use. Login state in PKCS#11 is
// per token and application (base spec §5.6), so one login serves every pooled session.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "p11/module.h"
#include "p11/pin.h"

namespace pqmcp::p11 {

class Token;

// A session borrowed from the pool; returned on destruction. Move-only.
class Session {
 public:
  Session() = default;
  Session(Session&& o) noexcept : token_(o.token_), h_(o.h_) { o.token_ = nullptr; }
  Session& operator=(Session&& o) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  CK_SESSION_HANDLE handle() const { return h_; }
  Token& token() const { return *token_; }
  const CK_FUNCTION_LIST* f() const;
  // Marks the session broken (closed by the module); it is closed instead of returned.
  void discard();

 private:
  friend class Token;
  Session(Token* t, CK_SESSION_HANDLE h) : token_(t), h_(h) {}
  Token* token_ = nullptr;
  CK_SESSION_HANDLE h_ = 0;
};

class Token : public std::enable_shared_from_this<Token> {
 public:
  // Opens the token with this label (or serial when label is empty). max_sessions bounds the
  // pool; acquire() waits when all are in use.
  static Result<std::shared_ptr<Token>> open(std::shared_ptr<Module> module, const std::string& label,
                                             const std::string& serial = "", std::size_t max_sessions = 4);
  ~Token();

  Module& module() const { return *module_; }
  const std::shared_ptr<Module>& module_ptr() const { return module_; }
  const TokenInfo& info() const { return info_; }
  const std::string& label() const { return info_.label; }

  // Reads the PIN from its source and logs the user in; the PIN is wiped before returning.
  Status login(const PinSource& src);
  Status login(std::span<const std::uint8_t> pin);
  bool logged_in() const { return logged_in_; }

  Result<Session> acquire();

  // Refreshes the token's flags (PIN counters) for error messages.
  CK_FLAGS current_flags() const;
  // An Error for rv from operation op on this token, with the PIN counters read afterwards.
  Error error(CK_RV rv, const std::string& op) const;

 private:
  friend class Session;
  Token() = default;
  void release(CK_SESSION_HANDLE h, bool broken);

  std::shared_ptr<Module> module_;
  TokenInfo info_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<CK_SESSION_HANDLE> idle_;
  std::size_t open_ = 0, max_ = 4;
  bool logged_in_ = false;
};

}  // namespace pqmcp::p11
