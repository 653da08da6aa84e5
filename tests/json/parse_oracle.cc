// Oracle for json_parse_test: the code of src/json/parse.cc as of commit 1771be4 (before the
// hand-written lexer), copied verbatim apart from the function name and namespace.
#include "parse_oracle.h"

#include <cmath>
#include <exception>
#include <new>
#include <vector>

namespace pqmcp::json::test {

namespace {

// Builds the DOM. Returning false from any callback aborts the parse; the reason is kept here
// because nlohmann does not call parse_error() for a SAX-initiated abort.
class StrictBuilder {
 public:
  using number_integer_t = Value::number_integer_t;
  using number_unsigned_t = Value::number_unsigned_t;
  using number_float_t = Value::number_float_t;
  using string_t = Value::string_t;
  using binary_t = Value::binary_t;

  StrictBuilder(Value& root, std::size_t max_depth) : root_(root), max_depth_(max_depth) {}

  bool null() { return put(Value(nullptr)); }
  bool boolean(bool b) { return put(Value(b)); }
  bool number_integer(number_integer_t v) { return put(Value(v)); }
  bool number_unsigned(number_unsigned_t v) { return put(Value(v)); }
  bool number_float(number_float_t v, const string_t&) {
    // The lexer already refuses overflowing literals (error 406); this guards any other path.
    if (!std::isfinite(v)) return fail(ErrorCode::kNonFinite, "number is not finite");
    return put(Value(v));
  }
  bool string(string_t& s) { return put(Value(std::move(s))); }
  bool binary(binary_t&) { return fail(ErrorCode::kSyntax, "binary values are not JSON"); }

  bool start_object(std::size_t) { return open(Value::object()); }
  bool start_array(std::size_t) { return open(Value::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    Value& obj = *stack_.back();
    // RFC 7493 §2.3 / RFC 8785 §3.1: member names MUST be unique.
    if (obj.contains(k)) return fail(ErrorCode::kDuplicateKey, "duplicate member name \"" + k + "\"");
    pending_ = &obj[k];
    return true;
  }

  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) {
    if (!failed_) {
      failed_ = true;
      // 406 is nlohmann's "number overflow" (a literal such as 1e400).
      error_.code = ex.id == 406 ? ErrorCode::kNonFinite : ErrorCode::kSyntax;
      error_.message = "at byte " + std::to_string(pos) + ": " + ex.what();
    }
    return false;
  }

  bool failed() const { return failed_; }
  const Error& error() const { return error_; }

 private:
  bool put(Value v) {
    if (stack_.empty()) {
      root_ = std::move(v);
    } else if (stack_.back()->is_array()) {
      stack_.back()->push_back(std::move(v));
    } else {
      *pending_ = std::move(v);
    }
    return true;
  }
  bool open(Value v) {
    if (stack_.size() >= max_depth_) {
      return fail(ErrorCode::kTooDeep, "nesting deeper than " + std::to_string(max_depth_));
    }
    Value* slot;
    if (stack_.empty()) {
      root_ = std::move(v);
      slot = &root_;
    } else if (stack_.back()->is_array()) {
      stack_.back()->push_back(std::move(v));
      slot = &stack_.back()->back();
    } else {
      *pending_ = std::move(v);
      slot = pending_;
    }
    stack_.push_back(slot);
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }
  bool fail(ErrorCode c, std::string msg) {
    failed_ = true;
    error_ = Error{c, std::move(msg)};
    return false;
  }

  Value& root_;
  std::size_t max_depth_;
  std::vector<Value*> stack_;
  Value* pending_ = nullptr;
  bool failed_ = false;
  Error error_{ErrorCode::kSyntax, ""};
};

}  // namespace

JsonResult<Value> oracle_parse(std::string_view text, const Limits& limits) noexcept {
  try {
    if (text.size() > limits.max_bytes) {
      return unexpected(Error{ErrorCode::kTooLarge, "document of " + std::to_string(text.size()) +
                                                        " bytes exceeds " +
                                                        std::to_string(limits.max_bytes)});
    }
    Value root;
    StrictBuilder b(root, limits.max_depth);
    const bool ok = Value::sax_parse(text.data(), text.data() + text.size(), &b,
                                     nlohmann::json::input_format_t::json, /*strict=*/true,
                                     /*ignore_comments=*/false);
    if (!ok || b.failed()) {
      if (b.failed()) return unexpected(b.error());
      return unexpected(Error{ErrorCode::kSyntax, "not a JSON text"});
    }
    return root;
  } catch (const std::bad_alloc&) {
    return unexpected(Error{ErrorCode::kInternal, "out of memory"});
  } catch (const std::exception& e) {
    return unexpected(Error{ErrorCode::kSyntax, e.what()});
  } catch (...) {
    return unexpected(Error{ErrorCode::kInternal, "unexpected failure"});
  }
}

}  // namespace pqmcp::json::test
