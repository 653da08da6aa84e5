// The client's error convention (DESIGN.md §3): every fallible call returns a Result. Nothing in
// src/p11 throws, because the gateway's data path calls it and must keep a connection alive on
// any HSM failure. An Error names the PKCS#11 operation, the token and what the operator can do.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "pkcs11/pkcs11.h"

namespace pqmcp::p11 {

// What went wrong, in a form a caller can both test (rv, kind) and print (to_string()).
struct Error {
  enum class Kind {
    kToken,      // the module returned a CK_RV other than CKR_OK
    kPin,        // a PIN could not be obtained, or the token rejected it
    kNotFound,   // no such token, key or identity
    kModule,     // the module could not be loaded or lacks a function
    kMechanism,  // the module cannot do what was asked
    kInput,      // bad bytes or arguments from the caller
    kIo,         // a file could not be read or written
  };
  Kind kind = Kind::kToken;
  CK_RV rv = CKR_OK;        // CKR_OK when the failure is not a PKCS#11 return value
  std::string operation;    // "C_Login", "generate ML-DSA-65 key pair", …
  std::string token;        // the token's label, empty when not yet known
  std::string message;      // a complete, actionable sentence; never contains a secret

  // "C_Login on token 'agents': wrong user PIN: 2 tries left (CKR_PIN_INCORRECT)".
  std::string to_string() const;
};

// A value or an Error. Small on purpose: std::expected is C++23.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error e) : error_(std::move(e)) {}      // NOLINT
  bool ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  std::optional<T> value_;
  Error error_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : failed_(true), error_(std::move(e)) {}  // NOLINT
  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  bool failed_ = false;
  Error error_;
};

using Status = Result<void>;

inline Error make_error(Error::Kind kind, std::string op, std::string token, std::string msg,
                        CK_RV rv = CKR_OK) {
  Error e;
  e.kind = kind;
  e.rv = rv;
  e.operation = std::move(op);
  e.token = std::move(token);
  e.message = std::move(msg);
  return e;
}

}  // namespace pqmcp::p11
