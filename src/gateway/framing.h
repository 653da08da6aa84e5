// Newline-delimited JSON-RPC framing (MCP stdio transport: "Messages are delimited by newlines,
// and MUST NOT contain embedded newlines") with a bound on the line length, so that a peer
// writing a 100 MB line costs a fixed amount of memory and gets a clear error, while the lines
// before and after it are still relayed.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"

namespace pqmcp::gateway {

// What is kept of a line that exceeded the limit: its length and both ends, enough to find the
// JSON-RPC id of the message it was (see overlong_id).
struct Overlong {
  std::size_t bytes = 0;
  std::string head;  // first kHeadBytes
  std::string tail;  // last kTailBytes
  static constexpr std::size_t kHeadBytes = 4096, kTailBytes = 512;
};

struct Frame {
  std::string line;                 // without the newline (and a trailing CR)
  std::optional<Overlong> overlong;  // set instead of line when the line was too long
};

class LineReader {
 public:
  explicit LineReader(std::size_t max_line) : max_(max_line) {}
  // Feeds bytes; complete frames are appended to out. Empty lines are skipped.
  void feed(std::string_view data, std::vector<Frame>& out);
  // End of input: a final line without a newline is still a frame.
  void finish(std::vector<Frame>& out);
  std::size_t buffered() const { return buf_.size(); }

 private:
  void emit(std::string_view line, std::vector<Frame>& out);
  void discard(std::string_view part);
  std::size_t max_;
  std::string buf_;
  std::optional<Overlong> skipping_;
};

// Output toward one fd: a queue written as far as the fd accepts (non-blocking), so one side
// that stops reading never blocks the relay of the other direction.
class OutQueue {
 public:
  void push(std::string line);  // appends '\n'
  void push_raw(std::string_view bytes);
  // Writes what the fd accepts. False on a write error other than EAGAIN (peer gone).
  bool flush(int fd);
  std::size_t size() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }
  void clear() { q_.clear(), off_ = 0, bytes_ = 0; }
  // The queued lines (each ending in '\n') for a consumer that is not an fd (pqmcp serve).
  std::deque<std::string> take() { auto q = std::move(q_); clear(); return q; }

 private:
  std::deque<std::string> q_;
  std::size_t off_ = 0;  // written part of q_.front()
  std::size_t bytes_ = 0;
};

// Best-effort JSON-RPC id of an overlong message, from the member at the top level of the head
// (`{"jsonrpc":"2.0","id":7,…`) or the last member of the tail (`…,"id":7}`, where the
// TypeScript SDK puts it). Null if neither shows one; the caller only uses it to answer a
// request it knows is pending.
json::Value overlong_id(const Overlong& o);

}  // namespace pqmcp::gateway
