#include "p11/token.h"

#include "p11/errors.h"

namespace pqmcp::p11 {

Session& Session::operator=(Session&& o) noexcept {
  if (this != &o) {
    if (token_) token_->release(h_, false);
    token_ = o.token_;
    h_ = o.h_;
    o.token_ = nullptr;
  }
  return *this;
}

Session::~Session() {
  if (token_) token_->release(h_, false);
}

const CK_FUNCTION_LIST* Session::f() const { return token_->module().f(); }

void Session::discard() {
  if (token_) token_->release(h_, true);
  token_ = nullptr;
}

Result<std::shared_ptr<Token>> Token::open(std::shared_ptr<Module> module, const std::string& label,
                                           const std::string& serial, std::size_t max_sessions) {
  auto info = module->find_token(label, serial);
  if (!info) return std::move(info).error();
  std::shared_ptr<Token> t(new Token);
  t->module_ = std::move(module);
  t->info_ = std::move(info.value());
  t->max_ = max_sessions == 0 ? 1 : max_sessions;
  return t;
}

Token::~Token() {
  for (auto h : idle_) module_->f()->C_CloseSession(h);
}

CK_FLAGS Token::current_flags() const {
  auto t = module_->token_info(info_.slot);
  return t ? t->flags : 0;
}

Error Token::error(CK_RV rv, const std::string& op) const {
  const bool pin_related = rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED;
  return rv_error(rv, op, info_.label, pin_related ? current_flags() : 0);
}

Result<Session> Token::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
  if (!idle_.empty()) {
    CK_SESSION_HANDLE h = idle_.back();
    idle_.pop_back();
    return Session(this, h);
  }
  CK_SESSION_HANDLE h = 0;
  // Read-write: key generation and key destruction need it, and a pool of one kind is simpler.
  CK_RV rv = module_->f()->C_OpenSession(info_.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
  if (rv != CKR_OK) return error(rv, "C_OpenSession");
  ++open_;
  return Session(this, h);
}

void Token::release(CK_SESSION_HANDLE h, bool broken) {
  {
    std::lock_guard lock(mu_);
    if (broken) {
      module_->f()->C_CloseSession(h);
      --open_;
    } else {
      idle_.push_back(h);
    }
  }
  cv_.notify_one();
}

Status Token::login(const PinSource& src) {
  auto pin = read_pin(src);
  if (!pin) {
    Error e = std::move(pin).error();
    e.token = info_.label;
    return e;
  }
  return login(pin->span());
}

Status Token::login(std::span<const std::uint8_t> pin) {
  auto s = acquire();
  if (!s) return std::move(s).error();
  CK_RV rv = module_->f()->C_Login(s->handle(), CKU_USER, const_cast<CK_UTF8CHAR_PTR>(pin.data()), pin.size());
  // Already logged in (another pooled session, or another Token object on the same slot) is
  // the state we want.
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return error(rv, "C_Login");
  logged_in_ = true;
  return {};
}

}  // namespace pqmcp::p11
