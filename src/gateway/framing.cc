#include "gateway/framing.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pqmcp::gateway {

void LineReader::emit(std::string_view line, std::vector<Frame>& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  if (line.size() > max_) {
    // max_ + 1 bytes that did not end in the CR of a CRLF: over the limit after all.
    skipping_ = Overlong{};
    discard(line);
    out.push_back(Frame{"", std::move(skipping_)});
    skipping_.reset();
    return;
  }
  out.push_back(Frame{std::string(line), std::nullopt});
}

void LineReader::discard(std::string_view part) {
  auto& s = *skipping_;
  s.bytes += part.size();
  if (s.head.size() < Overlong::kHeadBytes)
    s.head.append(part.substr(0, Overlong::kHeadBytes - s.head.size()));
  if (part.size() >= Overlong::kTailBytes) {
    s.tail.assign(part.substr(part.size() - Overlong::kTailBytes));
  } else {
    s.tail.append(part);
    if (s.tail.size() > Overlong::kTailBytes) s.tail.erase(0, s.tail.size() - Overlong::kTailBytes);
  }
}

void LineReader::feed(std::string_view data, std::vector<Frame>& out) {
  while (!data.empty()) {
    auto nl = data.find('\n');
    std::string_view part = nl == std::string_view::npos ? data : data.substr(0, nl);
    if (skipping_) {
      discard(part);
    } else if (buf_.size() + part.size() > max_ + 1) {
      // (One byte of slack: a line of exactly max_ bytes may still be followed by the CR of a
      // CRLF delimiter, which is not part of the message.)
      // Switch to counting: what was buffered becomes the head, the rest is dropped.
      skipping_ = Overlong{};
      std::string prev;
      prev.swap(buf_);
      discard(prev);
      discard(part);
    } else if (nl != std::string_view::npos && buf_.empty()) {
      emit(part, out);  // the common case: no copy into buf_
    } else {
      buf_.append(part);
    }
    if (nl == std::string_view::npos) return;
    if (skipping_) {
      out.push_back(Frame{"", std::move(skipping_)});
      skipping_.reset();
    } else if (!buf_.empty()) {
      emit(buf_, out);
      buf_.clear();
    }
    data.remove_prefix(nl + 1);
  }
}

void LineReader::finish(std::vector<Frame>& out) {
  if (skipping_) {
    out.push_back(Frame{"", std::move(skipping_)});
    skipping_.reset();
  } else if (!buf_.empty()) {
    emit(buf_, out);
  }
  buf_.clear();
}

void OutQueue::push(std::string line) {
  line.push_back('\n');
  bytes_ += line.size();
  q_.push_back(std::move(line));
}

void OutQueue::push_raw(std::string_view bytes) {
  if (bytes.empty()) return;
  bytes_ += bytes.size();
  q_.emplace_back(bytes);
}

bool OutQueue::flush(int fd) {
  while (!q_.empty()) {
    const std::string& s = q_.front();
    ssize_t n = ::write(fd, s.data() + off_, s.size() - off_);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      return false;
    }
    off_ += static_cast<std::size_t>(n);
    bytes_ -= static_cast<std::size_t>(n);
    if (off_ == s.size()) {
      q_.pop_front();
      off_ = 0;
    }
  }
  return true;
}

namespace {

// Parses a JSON-RPC id (integer or string without escapes) at s[i]; null if none.
json::Value id_at(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  if (i >= s.size()) return nullptr;
  if (s[i] == '"') {
    auto end = s.find('"', i + 1);
    if (end == std::string_view::npos) return nullptr;
    auto v = s.substr(i + 1, end - i - 1);
    if (v.find('\\') != std::string_view::npos) return nullptr;
    return std::string(v);
  }
  std::size_t j = i + (s[i] == '-' ? 1 : 0);
  std::size_t start = j;
  while (j < s.size() && s[j] >= '0' && s[j] <= '9' && j - start < 16) ++j;
  if (j == start) return nullptr;
  return std::stoll(std::string(s.substr(i, j - i)));
}

}  // namespace

json::Value overlong_id(const Overlong& o) {
  // Head: scan top-level members only (depth 1, outside strings) for the name "id".
  std::string_view h = o.head;
  int depth = 0;
  bool in_str = false;
  std::size_t str_start = 0;
  for (std::size_t i = 0; i < h.size(); ++i) {
    char c = h[i];
    if (in_str) {
      if (c == '\\') ++i;
      else if (c == '"') {
        in_str = false;
        if (depth == 1 && h.substr(str_start, i - str_start) == "id") {
          std::size_t j = i + 1;
          while (j < h.size() && (h[j] == ' ' || h[j] == '\t')) ++j;
          if (j < h.size() && h[j] == ':') {
            auto v = id_at(h, j + 1);
            if (!v.is_null()) return v;
          }
        }
      }
    } else if (c == '"') {
      in_str = true;
      str_start = i + 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  // Tail: `"id":<value>}` at the very end of the message.
  std::string_view t = o.tail;
  while (!t.empty() && (t.back() == ' ' || t.back() == '\r')) t.remove_suffix(1);
  if (t.empty() || t.back() != '}') return nullptr;
  auto k = t.rfind("\"id\":");
  if (k == std::string_view::npos) return nullptr;
  auto v = id_at(t, k + 5);
  if (v.is_null()) return nullptr;
  // The value must be the last member: what follows it is exactly the closing brace.
  std::string rendered;
  if (v.is_string()) {
    rendered.push_back('"');
    rendered.append(v.get<std::string>());
    rendered.push_back('"');
  } else {
    rendered = std::to_string(v.get<long long>());
  }
  rendered.push_back('}');
  if (t.substr(k + 5) != rendered) return nullptr;
  return v;
}

}  // namespace pqmcp::gateway
