#include "http/sse.h"

#include <charconv>

namespace pqmcp::http {

namespace {
bool parse_u64(std::string_view s, std::uint64_t& v) {
  if (s.empty() || s.size() > 19) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}
}  // namespace

std::optional<EventId> EventId::parse(std::string_view s) {
  auto dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  EventId id;
  if (!parse_u64(s.substr(0, dash), id.stream) || !parse_u64(s.substr(dash + 1), id.seq)) return std::nullopt;
  return id;
}

std::string sse_message(const EventId& id, std::string_view json) {
  std::string out;
  out.reserve(json.size() + 48);
  out += "id: ";
  out += id.str();
  out += "\nevent: message\ndata: ";
  out += json;
  out += "\n\n";
  return out;
}

std::string sse_priming(const EventId& id, unsigned retry_ms) {
  std::string out = "id: " + id.str() + "\n";
  if (retry_ms) out += "retry: " + std::to_string(retry_ms) + "\n";
  out += "data: \n\n";
  return out;
}

EventId EventLog::add(std::uint64_t stream, std::string json) {
  EventId id{stream, next_++};
  bytes_ += json.size();
  q_.push_back(Entry{id, std::move(json)});
  while (!q_.empty() && (q_.size() > max_events_ || bytes_ > max_bytes_)) {
    bytes_ -= q_.front().json.size();
    evicted_up_to_ = q_.front().id.seq;
    q_.pop_front();
  }
  return id;
}

std::vector<std::pair<EventId, std::string>> EventLog::after(const EventId& from, bool* complete) const {
  std::vector<std::pair<EventId, std::string>> out;
  for (auto& e : q_)
    if (e.id.stream == from.stream && e.id.seq > from.seq) out.emplace_back(e.id, e.json);
  // Something of this stream after `from` may have been evicted if the eviction went past it.
  if (complete) *complete = evicted_up_to_ <= from.seq;
  return out;
}

}  // namespace pqmcp::http
