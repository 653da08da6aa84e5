// Status codes of the crypto core. The core never throws: every operation that can fail
// returns a Status, and the enum is [[nodiscard]] so that a caller cannot ignore it.
#pragma once

namespace pqmcp::crypto {

enum class [[nodiscard]] Status : int {
  kOk = 0,
  kBadLength,      // an input or output has the wrong size for the parameter set
  kBadEncoding,    // bytes of the right size that do not decode (modulus check, hint encoding)
  kBadKey,         // a key fails a consistency check (hash check, seed and value disagree)
  kBadContext,     // a context string longer than 255 bytes
  kVerifyFailed,   // a well-formed signature that does not verify
  kRandomFailure,  // the operating system's randomness source failed
  kUnsupported,    // algorithm or parameter set not provided
  kInternal,       // a library call failed; never caused by input
};

// A short, stable, lower-case name ("bad-length", ...), for logs and error messages.
const char* status_name(Status s) noexcept;

constexpr bool is_ok(Status s) noexcept { return s == Status::kOk; }

}  // namespace pqmcp::crypto
