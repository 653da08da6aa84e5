#include "cli/config.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <toml++/toml.h>

namespace pqmcp::cli {

namespace {
std::string home() {
  const char* h = std::getenv("HOME");
  return h && *h ? h : "/";
}
std::string env_or(const char* var, const std::string& fallback) {
  const char* v = std::getenv(var);
  return v && *v ? v : fallback;
}
// TOML basic strings: escape quotes, backslashes and control characters.
std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out += c;
  }
  return out + "\"";
}
}  // namespace

std::string default_config_path() {
  if (const char* p = std::getenv("PQMCP_CONFIG"); p && *p) return p;
  return env_or("XDG_CONFIG_HOME", home() + "/.config") + "/pqmcp/config.toml";
}

std::string default_data_dir() { return env_or("XDG_DATA_HOME", home() + "/.local/share") + "/pqmcp"; }

std::string Config::to_toml() const {
  std::ostringstream o;
  o << "# pqmcp configuration; see docs/cli.md. PINs are never stored here, only where to find them.\n"
    << "data_dir = " << quote(data_dir) << "\n"
    << "default_token = " << quote(default_token) << "\n";
  for (auto& [name, t] : tokens) {
    o << "\n[tokens." << quote(name) << "]\n"
      << "module = " << quote(t.module) << "\n"
      << "label = " << quote(t.label) << "\n";
    if (!t.pin_env.empty()) o << "pin_env = " << quote(t.pin_env) << "\n";
    if (!t.pin_file.empty()) o << "pin_file = " << quote(t.pin_file) << "\n";
    if (!t.so_pin_file.empty()) o << "so_pin_file = " << quote(t.so_pin_file) << "\n";
    if (!t.env.empty()) {
      o << "[tokens." << quote(name) << ".env]\n";
      for (auto& [k, v] : t.env) o << k << " = " << quote(v) << "\n";
    }
  }
  return o.str();
}

p11::Result<Config> load_config(const std::string& path) {
  using p11::Error;
  if (::access(path.c_str(), F_OK) != 0)
    return p11::make_error(Error::Kind::kNotFound, "read config", "", path + " does not exist; run `pqmcp init` first");
  // This toml++ build reports parse errors by exception; it stops here.
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream m;
    m << path << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    return p11::make_error(Error::Kind::kInput, "read config", "", m.str());
  }
  Config c;
  c.path = path;
  c.data_dir = t["data_dir"].value_or(default_data_dir());
  c.default_token = t["default_token"].value_or(std::string());
  if (auto* toks = t["tokens"].as_table()) {
    for (auto& [name, node] : *toks) {
      auto* tt = node.as_table();
      if (!tt) return p11::make_error(Error::Kind::kInput, "read config", "", path + ": tokens." + std::string(name.str()) + " is not a table");
      TokenConf tc;
      tc.module = (*tt)["module"].value_or(std::string());
      tc.label = (*tt)["label"].value_or(std::string());
      tc.pin_env = (*tt)["pin_env"].value_or(std::string());
      tc.pin_file = (*tt)["pin_file"].value_or(std::string());
      tc.so_pin_file = (*tt)["so_pin_file"].value_or(std::string());
      if (auto* env = (*tt)["env"].as_table())
        for (auto& [k, v] : *env) tc.env[std::string(k.str())] = v.value_or(std::string());
      if (tc.module.empty() || tc.label.empty())
        return p11::make_error(Error::Kind::kInput, "read config", "",
                               path + ": tokens." + std::string(name.str()) + " needs both module and label");
      c.tokens[std::string(name.str())] = std::move(tc);
    }
  }
  if (!c.default_token.empty() && !c.tokens.count(c.default_token))
    return p11::make_error(Error::Kind::kInput, "read config", "", path + ": default_token '" + c.default_token + "' is not defined under [tokens]");
  return c;
}

}  // namespace pqmcp::cli
