#include "http/sse_parser.h"

namespace pqmcp::http {

const char* sse_status_name(SseStatus s) noexcept {
  switch (s) {
    case SseStatus::kOk: return "ok";
    case SseStatus::kLineTooLong: return "sse-line-too-long";
    case SseStatus::kEventTooLarge: return "sse-event-too-large";
  }
  return "?";
}

void SseParser::reset_event() {
  type_.clear();
  data_.clear();
  have_data_ = false;
  buf_.clear();
  skip_lf_ = false;
}

SseStatus SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_ != SseStatus::kOk) return failed_;
  // §9.2.6: one leading U+FEFF BOM is ignored. It may itself arrive split across chunks.
  if (!bom_checked_) {
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    std::size_t have = buf_.size();
    std::string_view probe = bytes.substr(0, kBom.size() - have);
    if (kBom.substr(have, probe.size()) == probe) {
      if (have + probe.size() < kBom.size()) {
        buf_.append(probe);  // still undecided
        return SseStatus::kOk;
      }
      buf_.clear();
      bytes.remove_prefix(probe.size());
    } else {
      // Not a BOM: the bytes held back are the start of the first line.
      std::string held;
      held.swap(buf_);
      bom_checked_ = true;
      if (!held.empty()) {
        if (auto s = feed(held, out); s != SseStatus::kOk) return s;
      }
    }
    bom_checked_ = true;
  }
  // Lines end in CRLF, LF or CR (§9.2.5 "end-of-line").
  while (!bytes.empty()) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (bytes.front() == '\n') {
        bytes.remove_prefix(1);
        continue;
      }
    }
    std::size_t eol = bytes.find_first_of("\r\n");
    if (eol == std::string_view::npos) {
      if (buf_.size() + bytes.size() > lim_.max_line) return failed_ = SseStatus::kLineTooLong;
      buf_.append(bytes);
      return SseStatus::kOk;
    }
    if (buf_.size() + eol > lim_.max_line) return failed_ = SseStatus::kLineTooLong;
    if (bytes[eol] == '\r') skip_lf_ = true;
    SseStatus s;
    if (buf_.empty()) {
      s = line(bytes.substr(0, eol), out);
    } else {
      buf_.append(bytes.substr(0, eol));
      std::string l;
      l.swap(buf_);
      s = line(l, out);
    }
    if (s != SseStatus::kOk) return failed_ = s;
    bytes.remove_prefix(eol + 1);
  }
  return SseStatus::kOk;
}

SseStatus SseParser::line(std::string_view l, std::vector<SseEvent>& out) {
  if (l.empty()) {
    // Dispatch (§9.2.6 "dispatch the event"): nothing when the data buffer is empty; the type
    // buffer is reset either way; the last event ID persists across events.
    if (have_data_) {
      SseEvent ev;
      if (!type_.empty()) ev.type = std::move(type_);
      if (!data_.empty() && data_.back() == '\n') data_.pop_back();
      ev.data = std::move(data_);
      ev.id = last_id_;
      out.push_back(std::move(ev));
    }
    type_.clear();
    data_.clear();
    have_data_ = false;
    return SseStatus::kOk;
  }
  if (l.front() == ':') return SseStatus::kOk;  // comment (keep-alive)
  std::string_view name = l, value;
  if (auto c = l.find(':'); c != std::string_view::npos) {
    name = l.substr(0, c);
    value = l.substr(c + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (name == "event") {
    type_.assign(value);
  } else if (name == "data") {
    if (data_.size() + value.size() + 1 > lim_.max_data) return SseStatus::kEventTooLarge;
    data_.append(value);
    data_.push_back('\n');
    have_data_ = true;
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
  } else if (name == "retry") {
    // Only ASCII digits count; anything else is ignored. Saturate instead of overflowing.
    if (value.empty()) return SseStatus::kOk;
    std::uint64_t v = 0;
    for (char ch : value) {
      if (ch < '0' || ch > '9') return SseStatus::kOk;
      v = v > 1'000'000'000'000ULL ? v : v * 10 + static_cast<std::uint64_t>(ch - '0');
    }
    retry_ = v;
  }
  // Any other field name is ignored.
  return SseStatus::kOk;
}

}  // namespace pqmcp::http
