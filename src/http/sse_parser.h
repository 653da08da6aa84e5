// A parser for the text/event-stream format (WHATWG HTML, §9.2.6 "Interpreting an event stream"),
// as MCP's Streamable HTTP transport uses it for responses to POST and for the GET stream.
// Incremental: bytes may be split anywhere (inside a line, between CR and LF, inside a UTF-8
// sequence); memory is bounded by the limits, and a stream that exceeds them is refused rather
// than truncated, since a partial JSON-RPC message is worthless.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pqmcp::http {

struct SseEvent {
  std::string type = "message";  // the "event" field; "message" when absent
  std::string data;              // "data" lines joined by LF, final LF removed
  std::string id;                // the last event ID at dispatch time (may come from an earlier event)
};

struct SseLimits {
  std::size_t max_line = 16u << 20;   // one field line
  std::size_t max_data = 16u << 20;   // the data buffer of one event
};

enum class SseStatus : std::uint8_t { kOk, kLineTooLong, kEventTooLarge };
const char* sse_status_name(SseStatus s) noexcept;

class SseParser {
 public:
  explicit SseParser(SseLimits limits = {}) : lim_(limits) {}
  // Parses bytes, appending each dispatched event to out. After a non-kOk status the parser
  // stays failed (the connection must be closed); events before the failure are in out.
  SseStatus feed(std::string_view bytes, std::vector<SseEvent>& out);
  // The last event ID buffer: what a reconnection sends as Last-Event-ID.
  const std::string& last_event_id() const { return last_id_; }
  // The reconnection time from the latest valid "retry" field, if any (milliseconds).
  std::optional<std::uint64_t> retry_ms() const { return retry_; }
  // End of stream: an event without its terminating blank line is discarded (§9.2.6).
  void reset_event();

 private:
  SseStatus line(std::string_view l, std::vector<SseEvent>& out);
  SseLimits lim_;
  std::string buf_;            // the incomplete line
  bool skip_lf_ = false;       // the previous chunk ended in CR: a leading LF belongs to it
  bool bom_checked_ = false;
  SseStatus failed_ = SseStatus::kOk;
  std::string type_, data_, last_id_;
  bool have_data_ = false;
  std::optional<std::uint64_t> retry_;
};

}  // namespace pqmcp::http
