// The token's error convention (DESIGN.md §3): every internal function returns a Status or a
// Result<T> carrying a CK_RV; nothing inside the token throws on purpose, and the C shim
// converts the CK_RV once and catches anything else (bad_alloc from a container).
#pragma once

#include <optional>
#include <utility>

#include "pkcs11/pkcs11.h"

namespace pqmcp::token {

class [[nodiscard]] Status {
 public:
  constexpr Status(CK_RV rv = CKR_OK) noexcept : rv_(rv) {}  // NOLINT: implicit by design
  constexpr bool ok() const noexcept { return rv_ == CKR_OK; }
  constexpr CK_RV rv() const noexcept { return rv_; }

 private:
  CK_RV rv_;
};

inline constexpr Status kOk{CKR_OK};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::move(v)) {}                       // NOLINT
  Result(Status s) : rv_(s.rv()) {}                       // NOLINT: must be an error
  bool ok() const noexcept { return rv_ == CKR_OK; }
  CK_RV rv() const noexcept { return rv_; }
  Status status() const noexcept { return Status(rv_); }
  T& value() { return *v_; }
  const T& value() const { return *v_; }
  T* operator->() { return &*v_; }
  T& operator*() { return *v_; }

 private:
  std::optional<T> v_;
  CK_RV rv_ = CKR_OK;
};

}  // namespace pqmcp::token

#define PQ_CAT2(a, b) a##b
#define PQ_CAT(a, b) PQ_CAT2(a, b)
// Returns the Status of expr from the calling function if it is an error.
#define PQ_TRY(expr)                                       \
  do {                                                     \
    ::pqmcp::token::Status pq_status_ = (expr);            \
    if (!pq_status_.ok()) return pq_status_;               \
  } while (0)
// Declares `var` from a Result<T> expression, returning its error if any.
#define PQ_ASSIGN(var, expr)                                           \
  auto PQ_CAT(pq_result_, __LINE__) = (expr);                          \
  if (!PQ_CAT(pq_result_, __LINE__).ok())                              \
    return ::pqmcp::token::Status(PQ_CAT(pq_result_, __LINE__).rv());  \
  auto var = std::move(PQ_CAT(pq_result_, __LINE__).value())
