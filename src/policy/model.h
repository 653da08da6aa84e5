// The validated policy model shared by the parser, the evaluator, the canonical writer and the
// rate limiter. Internal to src/policy.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"
#include "json/result.h"

namespace pqmcp::policy::detail {

// Glob patterns (docs/policy.md "Patterns"): '*' = any run of bytes without '/', '**' = any run
// of bytes, '?' = one UTF-8 character other than '/', '[a-z0-9_]' / '[!…]' = one ASCII byte of
// (not of) the class, '\x' = the literal x. Matching is a set-of-positions simulation, O(|p|·|t|),
// so no pattern can make it backtrack exponentially.
class Glob {
 public:
  static Result<Glob, std::string> compile(std::string_view pattern);
  bool match(std::string_view text) const noexcept;
  const std::string& text() const noexcept { return text_; }

 private:
  enum class Op : std::uint8_t { kLiteral, kAny1, kClass, kStar, kStarStar };
  struct Tok {
    Op op;
    char c = 0;
    bool negate = false;
    std::uint64_t bits[2] = {0, 0};  // ASCII class membership
  };
  std::string text_;
  std::vector<Tok> toks_;
};

// Days (bit d = weekday d, 0 = Sunday) and [start, end) minute ranges of the UTC day; a range
// with end <= start wraps past midnight. An absent window always holds.
struct Window {
  bool present = false;
  std::uint8_t days = 0x7f;
  std::vector<std::string> day_specs;   // as written, for canonical()
  std::vector<std::string> hour_specs;  // as written ("08:00-18:00"), for canonical()
  std::vector<std::pair<int, int>> minutes;
  bool contains(std::int64_t now_ms) const noexcept;
};

struct Rate {
  bool present = false;
  std::string unit;  // "second" | "minute" | "hour" | "day"
  std::int64_t count = 0;
  std::int64_t period_ms = 0;
  std::int64_t burst = 0;  // bucket capacity (default: count)
};

struct Constraint {
  std::string arg;
  bool required = false;
  std::optional<std::string> type;         // string number integer boolean object array null
  std::optional<std::string> path_prefix;  // normalised: no trailing '/', except "/"
  std::optional<std::string> prefix;
  std::optional<Glob> pattern;
  std::optional<std::vector<json::Value>> values;
  std::optional<std::int64_t> max_length;  // bytes of a string / elements of an array
  std::optional<std::int64_t> max_bytes;   // RFC 8785 canonical size of the value
  std::optional<double> min, max;
};

struct Rule {
  std::string id;  // "agents.retail-bot.tools[0]"
  Glob pattern;
  bool deny = false;
  Window window;
  Rate rate;
  std::vector<Constraint> args;  // sorted by arg name
  bool additional_args = true;
};

struct Agent {
  std::string name;
  std::vector<std::string> kids;  // empty: any key the identity owns
  std::vector<Glob> methods;
  bool default_methods = true;
  Window window;
  Rate rate;
  std::vector<Rule> tools, resources, prompts;
};

struct Model {
  std::int64_t version = 1;
  bool defaults_given = false;  // [defaults] methods replaces the built-in set
  std::vector<Glob> default_methods;
  std::map<std::string, Agent, std::less<>> agents;
};

// The built-in default (protocol plumbing) methods, used when [defaults] gives none.
const std::vector<std::string>& builtin_default_methods();

// Checks one argument against a constraint; on failure returns false and sets why.
bool check_constraint(const Constraint& c, const json::Value* v, std::string& why);

// Lexically canonical absolute-or-relative path: no "", "." or ".." segments, no NUL or '\'.
bool canonical_path(std::string_view p) noexcept;

std::string canonical_text(const Model& m);

}  // namespace pqmcp::policy::detail
