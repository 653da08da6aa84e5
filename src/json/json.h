// Strict JSON parsing and RFC 8785 (JSON Canonicalization Scheme, JCS) serialisation.
//
// This sits low in the tree, beside the crypto core (DESIGN.md §2): the token will evaluate MCP
// policy on the same canonical form that the gateway signs, so both must agree byte for byte.
//
// The DOM is nlohmann::json. Parsing is strict where JCS needs it to be (RFC 8785 §3.1 requires
// I-JSON, RFC 7493): duplicate object member names, invalid UTF-8, lone surrogates and numbers that
// do not fit an IEEE 754 double are rejected rather than silently resolved. Every entry point is
// noexcept and reports failures as values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "json/result.h"

namespace pqmcp::json {

using Value = nlohmann::json;

enum class ErrorCode : std::uint8_t {
  kTooLarge,        // input longer than Limits::max_bytes
  kTooDeep,         // nesting deeper than Limits::max_depth
  kSyntax,          // not JSON (includes invalid UTF-8 and lone surrogate escapes)
  kDuplicateKey,    // an object names the same member twice (RFC 7493 §2.3)
  kNonFinite,       // a number outside the double range (RFC 8785 §3.2.2.3 has no form for it)
  kInvalidString,   // a string in a DOM built in memory is not valid UTF-8 / has a surrogate
  kInternal,        // allocation failure or similar; never caused by well-formed input
};

const char* error_code_name(ErrorCode c) noexcept;

struct Error {
  ErrorCode code;
  std::string message;  // human-readable detail; never contains secrets
};

template <typename T>
using JsonResult = Result<T, Error>;

struct Limits {
  std::size_t max_bytes = 4 * 1024 * 1024;  // whole document
  std::size_t max_depth = 64;               // arrays + objects open at once
};

// Parses one JSON text (RFC 8259) strictly. Leading/trailing whitespace is allowed; anything
// else after the value is a syntax error.
JsonResult<Value> parse(std::string_view text, const Limits& limits = {}) noexcept;

// RFC 8785 canonical form of v. Fails on a DOM that JCS cannot represent (non-finite numbers,
// strings that are not well-formed UTF-8) or that nests deeper than max_depth.
JsonResult<std::string> canonicalize(const Value& v, std::size_t max_depth = 256) noexcept;

// Appends the ECMAScript Number::toString form of d (ECMA-262 §6.1.6.1.20, as required by
// RFC 8785 §3.2.2.3). d must be finite; -0 is written "0".
void append_number(double d, std::string& out);

// Appends a JSON string literal escaped as RFC 8785 §3.2.2.2 prescribes. Returns false if s
// is not well-formed UTF-8 (including encoded surrogates).
bool append_string(std::string_view s, std::string& out);

// Length of the leading run of s that a JSON string holds verbatim in any serialisation: ASCII
// other than the controls, '"' and '\\' (16 bytes at a time; the long base64url strings of
// signed messages are one such run).
std::size_t verbatim_prefix(std::string_view s) noexcept;

// Orders two UTF-8 strings by their UTF-16 code units (RFC 8785 §3.2.3). Both must be valid.
bool utf16_less(std::string_view a, std::string_view b) noexcept;

}  // namespace pqmcp::json
