#include "identity/registry.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace pqmcp::identity {

using nlohmann::json;
using Kind = Error::Kind;

const char* status_name(KeyStatus s) {
  switch (s) {
    case KeyStatus::kActive: return "active";
    case KeyStatus::kRetiring: return "retiring";
    case KeyStatus::kRevoked: return "revoked";
  }
  return "?";
}

bool KeyVersion::valid_at(std::int64_t t) const {
  if (status == KeyStatus::kRevoked) return false;  // revocation takes effect at once
  if (not_after != 0 && t >= not_after) return false;
  return true;
}

const KeyVersion* Identity::signing_key() const {
  for (auto it = keys.rbegin(); it != keys.rend(); ++it)
    if (it->status == KeyStatus::kActive) return &*it;
  return nullptr;
}
KeyVersion* Identity::signing_key() { return const_cast<KeyVersion*>(std::as_const(*this).signing_key()); }

Identity* Registry::find(std::string_view name) {
  for (auto& i : ids_)
    if (i.name == name) return &i;
  return nullptr;
}

std::pair<Identity*, KeyVersion*> Registry::find_kid(std::string_view kid) {
  for (auto& i : ids_)
    for (auto& k : i.keys)
      if (k.kid == kid) return {&i, &k};
  return {nullptr, nullptr};
}

std::string Registry::to_json() const {
  json ids = json::array();
  for (auto& i : ids_) {
    json keys = json::array();
    for (auto& k : i.keys) {
      json parts = json::array();
      for (auto& p : k.parts) parts.push_back({{"part", p.part}, {"module", p.module}, {"token", p.token}, {"id", p.id_hex}});
      json jk = {{"kid", k.kid},
                 {"alg", alg_name(k.public_key.alg)},
                 {"public_key", base64url(k.public_key.spki_der())},
                 {"created", rfc3339(k.created)},
                 {"not_after", k.not_after ? json(rfc3339(k.not_after)) : json(nullptr)},
                 {"status", status_name(k.status)},
                 {"parts", parts}};
      if (k.revoked_at) jk["revoked_at"] = rfc3339(k.revoked_at);
      if (k.policy_bound) jk["policy_bound"] = true;
      keys.push_back(jk);
    }
    ids.push_back({{"name", i.name}, {"role", i.role}, {"keys", keys}});
  }
  return json({{"type", "pqmcp-identities"}, {"version", 1}, {"identities", ids}}).dump(2) + "\n";
}

Result<std::vector<Identity>> Registry::from_json(std::string_view text) {
  auto fail = [](const std::string& why) { return p11::make_error(Kind::kInput, "read identity registry", "", why); };
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("type", "") != "pqmcp-identities" || !j.contains("identities") ||
      !j["identities"].is_array())
    return fail("not a pqmcp identity registry");
  std::vector<Identity> out;
  try {
    for (auto& ji : j["identities"]) {
      Identity id;
      id.name = ji.at("name").get<std::string>();
      id.role = ji.value("role", "agent");
      for (auto& jk : ji.at("keys")) {
        KeyVersion k;
        k.kid = jk.at("kid").get<std::string>();
        auto der = from_base64url(jk.at("public_key").get<std::string>());
        if (!der) return fail("key " + k.kid + ": public_key is not base64url");
        auto pk = parse_spki(*der);
        if (!pk) return fail("key " + k.kid + ": " + pk.error().message);
        k.public_key = pk.value();
        if (k.public_key.kid() != k.kid) return fail("key " + k.kid + ": kid does not match its public key");
        auto created = parse_rfc3339(jk.at("created").get<std::string>());
        if (!created) return fail("key " + k.kid + ": bad created time");
        k.created = *created;
        if (jk.contains("not_after") && jk["not_after"].is_string()) {
          auto na = parse_rfc3339(jk["not_after"].get<std::string>());
          if (!na) return fail("key " + k.kid + ": bad not_after time");
          k.not_after = *na;
        }
        const std::string st = jk.at("status").get<std::string>();
        if (st == "active") k.status = KeyStatus::kActive;
        else if (st == "retiring") k.status = KeyStatus::kRetiring;
        else if (st == "revoked") k.status = KeyStatus::kRevoked;
        else return fail("key " + k.kid + ": unknown status '" + st + "'");
        if (jk.contains("revoked_at") && jk["revoked_at"].is_string())
          k.revoked_at = parse_rfc3339(jk["revoked_at"].get<std::string>()).value_or(0);
        k.policy_bound = jk.value("policy_bound", false);
        for (auto& jp : jk.value("parts", json::array()))
          k.parts.push_back({jp.at("part").get<std::string>(), jp.at("module").get<std::string>(),
                             jp.at("token").get<std::string>(), jp.at("id").get<std::string>()});
        id.keys.push_back(std::move(k));
      }
      out.push_back(std::move(id));
    }
  } catch (const json::exception& e) {
    return fail(std::string("malformed entry: ") + e.what());
  }
  return out;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return p11::make_error(Kind::kNotFound, "read file", "", path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return p11::make_error(Kind::kIo, "read file", "", path + ": read error");
  return ss.str();
}

Result<Registry> Registry::load(const std::string& path) {
  Registry r;
  r.path_ = path;
  if (::access(path.c_str(), F_OK) != 0) return r;
  auto text = read_file(path);
  if (!text) return std::move(text).error();
  auto ids = from_json(*text);
  if (!ids) {
    Error e = std::move(ids).error();
    e.message = path + ": " + e.message + " (the file is left untouched)";
    return e;
  }
  r.ids_ = std::move(ids.value());
  return r;
}

Status Registry::save() const { return write_file_atomic(path_, to_json()); }

Status write_file_atomic(const std::string& path, std::string_view text, unsigned mode) {
  auto fail = [&](const std::string& why) { return p11::make_error(Kind::kIo, "write file", "", path + ": " + why); };
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return fail(std::strerror(errno));
  bool ok = ::fchmod(fd, mode) == 0;
  for (std::size_t off = 0; ok && off < text.size();) {
    ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) ok = false;
    else off += static_cast<std::size_t>(w);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(std::strerror(err));
  }
  // The rename is durable only once the directory entry is.
  std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  if (dir.empty()) dir = ".";
  if (int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    (void)::fsync(d);
    ::close(d);
  }
  return {};
}

}  // namespace pqmcp::identity
