// The audit core's error convention (DESIGN.md §3): nothing here throws on the data path; every
// fallible call returns a Result carrying either a value or an Error with a complete sentence.
// The core sits beside crypto (DESIGN.md §2), so it cannot borrow p11::Result; this is the same
// small shape.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace pqmcp::audit {

struct Error {
  enum class Kind {
    kIo,        // the storage or a file failed
    kInput,     // malformed input (an entry, a note, a proof file)
    kVerify,    // a signature, proof or tree hash does not check
    kNotFound,  // no such entry, checkpoint or key
    kConflict,  // a fork or an inconsistent state
    kSigner,    // the checkpoint signer failed
  };
  Kind kind = Kind::kIo;
  std::string message;
};

inline Error make_error(Error::Kind k, std::string m) { return Error{k, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::move(v)) {}  // NOLINT: implicit by design
  Result(Error e) : e_(std::move(e)) {}  // NOLINT
  bool ok() const noexcept { return v_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return *v_; }
  const T& value() const& { return *v_; }
  T&& value() && { return std::move(*v_); }
  T* operator->() { return &*v_; }
  const T* operator->() const { return &*v_; }
  T& operator*() & { return *v_; }
  const T& operator*() const& { return *v_; }
  const Error& error() const& { return e_; }

 private:
  std::optional<T> v_;
  Error e_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : failed_(true), e_(std::move(e)) {}  // NOLINT
  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { return e_; }

 private:
  bool failed_ = false;
  Error e_;
};

using Status = Result<void>;

}  // namespace pqmcp::audit
