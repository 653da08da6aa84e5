#include "mcp/pins.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pqmcp::mcp {

const char* pin_verdict_name(PinVerdict v) noexcept {
  switch (v) {
    case PinVerdict::kMatch: return "match";
    case PinVerdict::kPinnedNow: return "pinned-now";
    case PinVerdict::kUnpinned: return "unpinned";
    case PinVerdict::kChanged: return "changed";
  }
  return "?";
}

std::string tool_digest_string(const Value& tool) {
  auto d = tool_digest(tool);
  if (!d.ok()) return "";
  static constexpr char k[] = "0123456789abcdef";
  std::string s = "sha3-256:";
  for (auto b : *d) {
    s += k[b >> 4];
    s += k[b & 15];
  }
  return s;
}

Result<PinStore, std::string> PinStore::load(std::string path) {
  PinStore s;
  s.path_ = std::move(path);
  s.doc_ = {{"version", 1}, {"servers", Value::object()}};
  std::ifstream in(s.path_, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return s;
    return unexpected("cannot open pin store " + s.path_ + ": " + std::strerror(errno));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto v = json::parse(ss.str(), json::Limits{64 << 20, 16});
  if (!v.ok()) return unexpected("pin store " + s.path_ + " is corrupt: " + v.error().message);
  if (!v->is_object() || (*v)["version"] != 1 || !(*v)["servers"].is_object()) {
    return unexpected("pin store " + s.path_ + " has an unknown format");
  }
  for (const auto& [server, tools] : (*v)["servers"].items()) {
    if (!tools.is_object()) return unexpected("pin store: bad entry for " + server);
    for (const auto& [name, pin] : tools.items()) {
      if (!pin.is_object() || !pin.contains("digest") || !pin["digest"].is_string()) {
        return unexpected("pin store: bad pin for " + server + "/" + name);
      }
    }
  }
  s.doc_ = std::move(*v);
  return s;
}

Result<std::vector<ToolVerdict>, std::string> PinStore::check(const std::string& server,
                                                              const Value& tools,
                                                              bool trust_on_first_use) {
  if (!tools.is_array()) return unexpected(std::string("tools must be an array"));
  std::vector<ToolVerdict> out;
  Value& pins = doc_["servers"][server];
  if (pins.is_null()) pins = Value::object();
  for (const Value& t : tools) {
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) {
      return unexpected(std::string("a tool without a string name"));
    }
    const std::string name = t["name"];
    const std::string digest = tool_digest_string(t);
    if (digest.empty()) return unexpected("tool " + name + " cannot be canonicalised");
    ToolVerdict v{name, PinVerdict::kMatch, digest, ""};
    auto it = pins.find(name);
    if (it == pins.end()) {
      if (trust_on_first_use) {
        pins[name] = {{"digest", digest}, {"source", "first-use"}};
        v.verdict = PinVerdict::kPinnedNow;
      } else {
        pins[name] = {{"digest", ""}, {"source", "none"}, {"pending", digest}};
        v.verdict = PinVerdict::kUnpinned;
      }
    } else {
      v.pinned = (*it)["digest"];
      if (v.pinned == digest) {
        it->erase("pending");
      } else {
        (*it)["pending"] = digest;
        v.verdict = v.pinned.empty() ? PinVerdict::kUnpinned : PinVerdict::kChanged;
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

void PinStore::pin_manifest(const std::string& server,
                            const std::map<std::string, std::string>& digests) {
  Value& pins = doc_["servers"][server];
  if (pins.is_null()) pins = Value::object();
  for (const auto& [name, d] : digests) pins[name] = {{"digest", d}, {"source", "manifest"}};
}

bool PinStore::approve(const std::string& server, const std::string& tool,
                       const std::string& expected) {
  auto s = doc_["servers"].find(server);
  if (s == doc_["servers"].end()) return false;
  auto t = s->find(tool);
  if (t == s->end() || !t->contains("pending")) return false;
  const std::string pending = (*t)["pending"];
  if (!expected.empty() && expected != pending) return false;
  *t = {{"digest", pending}, {"source", "approved"}};
  return true;
}

Result<bool, std::string> PinStore::save() const {
  const std::string text = doc_.dump(1) + "\n";
  const std::string tmp = path_ + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return unexpected("cannot write " + tmp + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return unexpected("write failed for " + tmp);
    }
    off += static_cast<std::size_t>(n);
  }
  // Data must be durable before the rename makes it the store; then the rename itself.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return unexpected("fsync failed for " + tmp);
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return unexpected("rename to " + path_ + " failed: " + std::strerror(errno));
  }
  const auto slash = path_.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace pqmcp::mcp
