// Internal to pqmcp_json: the two tokens of a JSON text that need more than one byte of
// look-ahead, strings and numbers (RFC 8259 §6, §7). parse.cc drives the structure around them.
//
// Both work on [p, end) without reading past end and report errors as a byte offset plus a short
// static description, never an excerpt of the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace pqmcp::json::lex {

struct Error {
  const char* at = nullptr;      // offending byte (may equal end for "unexpected end of input")
  const char* what = "";         // static string
};

// First byte in [p, end) that needs a closer look inside a string: '"', '\\', a control byte
// (< 0x20) or a non-ASCII byte (>= 0x80); end if none. Two implementations, both built and
// tested (DESIGN.md §3): 8 bytes at a time in a general-purpose register, and 16 at a time with
// SSE2 (x86-64 baseline, so no runtime dispatch is needed); scan_string uses the fastest one.
const char* skip_plain_portable(const char* p, const char* end);
#if defined(__SSE2__)
const char* skip_plain_sse2(const char* p, const char* end);
#endif

// p is just after the opening quotation mark. Appends the decoded string to out (without
// clearing it) and returns the byte after the closing quotation mark, or nullptr and err.
// Strict as RFC 8259 §7 + RFC 7493 §2.1 require: raw bytes below 0x20, unknown escapes,
// ill-formed UTF-8 (RFC 3629 §4, which excludes overlongs, encoded surrogates and anything above
// U+10FFFF) and escaped lone surrogates are all errors.
const char* scan_string(const char* p, const char* end, std::string& out, Error& err);

// The kinds of value a number literal becomes. They follow nlohmann::json's own lexer, since
// the DOM type and every caller that asks is_number_unsigned() etc. were built on it:
// a literal without fraction or exponent is an unsigned (no '-') or signed (with '-') 64-bit
// integer when it fits, otherwise it and every literal with '.', 'e' or 'E' is a double.
enum class NumberKind : std::uint8_t { kUnsigned, kInteger, kFloat, kNonFinite };

struct Number {
  NumberKind kind = NumberKind::kUnsigned;
  std::uint64_t u = 0;
  std::int64_t i = 0;
  double d = 0;
};

// p is at '-' or a digit. Scans the longest prefix matching RFC 8259 §6's `number` and returns
// the byte after it, or nullptr and err if the grammar is violated (e.g. "-", "1.", "1e+").
// A literal whose double is out of range reports kind kNonFinite (RFC 7493 §2.2: I-JSON numbers
// must fit an IEEE 754 double; RFC 8785 has no form for infinity).
const char* scan_number(const char* p, const char* end, Number& n, Error& err);

}  // namespace pqmcp::json::lex
