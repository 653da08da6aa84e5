// Strict parsing, written for this project rather than driving nlohmann's lexer: that lexer reads
// one byte at a time through an input adapter and push_back()s every character, which made the
// ~4.5 KB signature string of a signed MCP message the dominant cost of parsing it. Strings and
// numbers are scanned in lex.cc; this file walks the structure (RFC 8259 §2-5) with an explicit
// stack, so that no Limits::max_depth can overflow the call stack.
//
// Accept/reject behaviour and the resulting DOM match what the nlohmann SAX parser with our
// strict builder produced (tests/json/parse_test.cc keeps that parser as a differential oracle):
// duplicate member names, nesting deeper than the limit and numbers outside the double range are
// refused while parsing, so two parties reading the same bytes cannot see different messages.
#include <new>
#include <string>
#include <vector>

#include "json/json.h"
#include "json/lex.h"

// Members and elements are emplaced into nlohmann's object_t/array_t directly, which skips the
// parent pointers that its JSON_DIAGNOSTICS mode maintains.
#if defined(JSON_DIAGNOSTICS) && JSON_DIAGNOSTICS
#error "src/json/parse.cc does not maintain nlohmann's JSON_DIAGNOSTICS parent pointers"
#endif

namespace pqmcp::json {

const char* error_code_name(ErrorCode c) noexcept {
  switch (c) {
    case ErrorCode::kTooLarge: return "too-large";
    case ErrorCode::kTooDeep: return "too-deep";
    case ErrorCode::kSyntax: return "syntax";
    case ErrorCode::kDuplicateKey: return "duplicate-key";
    case ErrorCode::kNonFinite: return "non-finite-number";
    case ErrorCode::kInvalidString: return "invalid-string";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

namespace {

// RFC 8259 §2: ws = *( %x20 / %x09 / %x0A / %x0D ), nothing else.
inline const char* skip_ws(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  return p;
}

inline bool literal(const char* p, const char* end, const char* word, std::size_t n) {
  return static_cast<std::size_t>(end - p) >= n && std::char_traits<char>::compare(p, word, n) == 0;
}

class Parser {
 public:
  Parser(std::string_view text, std::size_t max_depth)
      : begin_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth) {}

  // Returns false with error() set on failure.
  bool run(Value& root);
  Error& error() { return error_; }

 private:
  struct Frame {
    Value* container;
    bool object;
  };

  bool syntax(const char* at, const char* what) {
    error_ = Error{ErrorCode::kSyntax, "at byte " + std::to_string(at - begin_) + ": " + what};
    return false;
  }
  bool lex_failed(const lex::Error& e) { return syntax(e.at, e.what); }
  // Parses the scalar at p into slot, or opens a container there. Returns the next byte or nullptr.
  const char* value(const char* p, Value& slot);
  // p at the opening quotation mark of a member name, in the object on top of the stack.
  const char* member_name(const char* p, Value*& slot);
  // After '{', '[' or ',': where the next value goes (a new member, after its name, or a new
  // element). nullptr on error.
  const char* next_slot(const char* p, Value*& slot);

  const char* begin_;
  const char* end_;
  std::size_t max_depth_;
  std::vector<Frame> stack_;
  std::string name_;  // member name buffer, reused
  Error error_{ErrorCode::kSyntax, ""};
};

const char* Parser::value(const char* p, Value& slot) {
  if (p == end_) return syntax(p, "unexpected end of input; expected a value"), nullptr;
  switch (*p) {
    case '{':
    case '[': {
      // The limit counts containers open at once, the new one included.
      if (stack_.size() >= max_depth_) {
        error_ = Error{ErrorCode::kTooDeep, "nesting deeper than " + std::to_string(max_depth_)};
        return nullptr;
      }
      const bool object = *p == '{';
      slot = Value(object ? Value::value_t::object : Value::value_t::array);
      stack_.push_back(Frame{&slot, object});
      return p + 1;
    }
    case '"': {
      slot = Value(Value::value_t::string);
      lex::Error e;
      const char* q = lex::scan_string(p + 1, end_, slot.get_ref<Value::string_t&>(), e);
      if (q == nullptr) lex_failed(e);
      return q;  // nullptr on failure
    }
    case 't':
      if (!literal(p, end_, "true", 4)) break;
      slot = true;
      return p + 4;
    case 'f':
      if (!literal(p, end_, "false", 5)) break;
      slot = false;
      return p + 5;
    case 'n':
      if (!literal(p, end_, "null", 4)) break;
      slot = nullptr;
      return p + 4;
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': {
      lex::Number n;
      lex::Error e;
      const char* q = lex::scan_number(p, end_, n, e);
      if (q == nullptr) return lex_failed(e), nullptr;
      switch (n.kind) {
        case lex::NumberKind::kUnsigned: slot = static_cast<Value::number_unsigned_t>(n.u); break;
        case lex::NumberKind::kInteger: slot = static_cast<Value::number_integer_t>(n.i); break;
        case lex::NumberKind::kFloat: slot = static_cast<Value::number_float_t>(n.d); break;
        case lex::NumberKind::kNonFinite:
          error_ = Error{ErrorCode::kNonFinite,
                         "at byte " + std::to_string(p - begin_) + ": number out of the range of a double"};
          return nullptr;
      }
      return q;
    }
    default:
      break;
  }
  return syntax(p, "expected a value"), nullptr;
}

const char* Parser::member_name(const char* p, Value*& slot) {
  if (p == end_) return syntax(p, "unexpected end of input; expected a member name"), nullptr;
  if (*p != '"') return syntax(p, "expected a member name (a string)"), nullptr;
  name_.clear();
  lex::Error e;
  p = lex::scan_string(p + 1, end_, name_, e);
  if (p == nullptr) return lex_failed(e), nullptr;
  // RFC 7493 §2.3 / RFC 8785 §3.1: member names MUST be unique. Checked before the ':' so that
  // the first problem in reading order is the one reported, as the previous parser did.
  auto& members = stack_.back().container->get_ref<Value::object_t&>();
  const auto [it, inserted] = members.try_emplace(name_);
  if (!inserted) {
    // The name as JSON, cut at 64 bytes: it goes into logs, where a raw newline could forge a line.
    std::size_t cut = name_.size();
    if (cut > 64) {
      cut = 64;
      while (cut > 0 && (static_cast<unsigned char>(name_[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 sequences
    }
    std::string shown;
    append_string(std::string_view(name_).substr(0, cut), shown);
    error_ = Error{ErrorCode::kDuplicateKey, "duplicate member name " + shown + (cut < name_.size() ? " (cut)" : "")};
    return nullptr;
  }
  p = skip_ws(p, end_);
  if (p == end_ || *p != ':') return syntax(p, "expected ':' after a member name"), nullptr;
  slot = &it->second;
  return skip_ws(p + 1, end_);
}

const char* Parser::next_slot(const char* p, Value*& slot) {
  const Frame& top = stack_.back();
  if (top.object) return member_name(p, slot);
  slot = &top.container->get_ref<Value::array_t&>().emplace_back();
  return p;
}

bool Parser::run(Value& root) {
  const char* p = begin_;
  // RFC 8259 §8.1 lets a parser ignore a leading byte order mark; nlohmann did, and so do we, so
  // that behaviour does not change under callers. Only at the very start, before any whitespace.
  if (end_ - p >= 3 && static_cast<unsigned char>(p[0]) == 0xEF && static_cast<unsigned char>(p[1]) == 0xBB &&
      static_cast<unsigned char>(p[2]) == 0xBF) {
    p += 3;
  }
  stack_.reserve(max_depth_ < 32 ? max_depth_ : 32);
  Value* slot = &root;  // where the next value goes
  p = skip_ws(p, end_);
  for (;;) {
    // Invariant: p is past any whitespace and a value is expected, to be stored in *slot.
    const std::size_t depth = stack_.size();
    p = value(p, *slot);
    if (p == nullptr) return false;
    p = skip_ws(p, end_);
    if (stack_.size() > depth) {
      // A container was just opened: unless it is empty, its first member/element follows.
      const Frame& top = stack_.back();
      if (p == end_ || *p != (top.object ? '}' : ']')) {
        if ((p = next_slot(p, slot)) == nullptr) return false;
        continue;
      }
      stack_.pop_back();
      p = skip_ws(p + 1, end_);
    }
    // A value is complete: close containers until one continues with ',' or the text ends.
    for (;;) {
      if (stack_.empty()) {
        if (p != end_) return syntax(p, "unexpected data after the JSON value");
        return true;
      }
      const Frame& top = stack_.back();
      const char close = top.object ? '}' : ']';
      if (p < end_ && *p == close) {
        stack_.pop_back();
        p = skip_ws(p + 1, end_);
        continue;
      }
      if (p == end_ || *p != ',') {
        return syntax(p, top.object ? "expected ',' or '}' after an object member"
                                    : "expected ',' or ']' after an array element");
      }
      if ((p = next_slot(skip_ws(p + 1, end_), slot)) == nullptr) return false;
      break;
    }
  }
}

}  // namespace

JsonResult<Value> parse(std::string_view text, const Limits& limits) noexcept {
  try {
    if (text.size() > limits.max_bytes) {
      return unexpected(Error{ErrorCode::kTooLarge, "document of " + std::to_string(text.size()) +
                                                        " bytes exceeds " +
                                                        std::to_string(limits.max_bytes)});
    }
    Value root;
    Parser parser(text, limits.max_depth);
    if (!parser.run(root)) return unexpected(std::move(parser.error()));
    return root;
  } catch (const std::bad_alloc&) {
    return unexpected(Error{ErrorCode::kInternal, "out of memory"});
  } catch (...) {
    return unexpected(Error{ErrorCode::kInternal, "unexpected failure"});
  }
}

}  // namespace pqmcp::json
