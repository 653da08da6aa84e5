// Server-sent events for Streamable HTTP (HTML Living Standard §9.2 "Server-sent events"; MCP
// 2025-11-25 basic/transports "Resumability and Redelivery"): event formatting, event ids that
// are unique across all streams of a session, and the bounded replay buffer behind
// `Last-Event-ID`.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pqmcp::http {

// An event id names the stream it was sent on and its position in the session:
// "<stream>-<seq>", seq counting every event of the session. The spec only needs ids to be
// unique per session; putting the stream in the id is what lets a resuming GET find the stream
// ("MUST NOT replay messages that would have been delivered on a different stream").
struct EventId {
  std::uint64_t stream = 0, seq = 0;
  std::string str() const { return std::to_string(stream) + "-" + std::to_string(seq); }
  static std::optional<EventId> parse(std::string_view s);
};

// "id: …\nevent: message\ndata: <json>\n\n". `json` is one JSON text without newlines (every
// line pqmcp emits is serialised compactly), so it fits in one data field.
std::string sse_message(const EventId& id, std::string_view json);
// The priming event (SEP-1699): an id and an empty data field, so that a client can resume the
// stream even if the connection drops before the first message.
std::string sse_priming(const EventId& id, unsigned retry_ms);
// A comment line, ignored by clients: keeps idle intermediaries from closing the stream.
inline std::string sse_comment(std::string_view text) { return ": " + std::string(text) + "\n\n"; }

// The last events of a session, for replay. Bounded both in count and in bytes; the oldest go
// first. A resume from an id older than the buffer gets what is left (the gap is logged).
class EventLog {
 public:
  EventLog(std::size_t max_events, std::size_t max_bytes) : max_events_(max_events), max_bytes_(max_bytes) {}
  // Records the message and returns its id.
  EventId add(std::uint64_t stream, std::string json);
  // Messages of `from.stream` after `from.seq`, in order. `complete` is false if some of them
  // were already evicted.
  std::vector<std::pair<EventId, std::string>> after(const EventId& from, bool* complete = nullptr) const;
  std::uint64_t next_seq() const { return next_; }
  // An id for an event that carries no message (priming) — consumes a sequence number.
  EventId reserve(std::uint64_t stream) { return EventId{stream, next_++}; }
  std::size_t size() const { return q_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Entry {
    EventId id;
    std::string json;
  };
  std::size_t max_events_, max_bytes_;
  std::deque<Entry> q_;
  std::size_t bytes_ = 0;
  std::uint64_t next_ = 1;
  std::uint64_t evicted_up_to_ = 0;  // highest seq evicted
};

}  // namespace pqmcp::http
