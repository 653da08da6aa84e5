// Shared by the json_parse_test sources: comparing the new parser with the oracle, and a seeded
// generator of valid JSON texts that exercises every production of RFC 8259.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "json/json.h"

namespace pqmcp::json::test {

// Same DOM, stricter than Value::operator== (which calls unsigned 1 equal to signed 1 and 1.0):
// same type at every node, and doubles bitwise equal (so -0.0 differs from 0.0).
bool same_dom(const Value& a, const Value& b);

// Runs parse() and oracle_parse() on text. Returns "" when they agree (both succeed with the same
// DOM, or both fail with the same ErrorCode), otherwise a description of the difference.
std::string disagreement(std::string_view text, const Limits& limits = {});

// Printable form of arbitrary bytes, shortened to about max_len characters.
std::string printable(std::string_view bytes, std::size_t max_len = 160);

// A signed MCP request as `pqmcp connect` produces it: ~5 KB, most of it the base64url
// ML-DSA-65+Ed25519 signature in params._meta["io.pqmcp/sig"].sig.
std::string signed_mcp_request();

class DocGenerator {
 public:
  explicit DocGenerator(std::uint64_t seed) : rng_(seed) {}
  // A JSON text nested at most max_depth deep. Valid RFC 8259 by construction, though it may
  // repeat a member name or hold a number beyond the double range now and then (on purpose).
  std::string document(int max_depth);
  std::string number_literal() { std::string s; number(s); return s; }
  std::string string_literal() { std::string s; string(s); return s; }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
  bool one_in(std::size_t n) { return below(n) == 0; }
  void ws(std::string& out);
  void value(std::string& out, int depth);
  void string(std::string& out);
  void number(std::string& out);
  void digits(std::string& out, std::size_t n, bool nonzero_first);

  std::mt19937_64 rng_;
};

}  // namespace pqmcp::json::test
