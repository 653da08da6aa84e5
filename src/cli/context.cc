#include "cli/context.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace pqmcp::cli {

using p11::Error;

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "pqmcp: %s\n", message.c_str());
  return code;
}

int fail(const Error& e, int code) {
  if (code < 0) {
    switch (e.kind) {
      case Error::Kind::kToken:
      case Error::Kind::kPin:
      case Error::Kind::kModule:
      case Error::Kind::kMechanism: code = kExitToken; break;
      case Error::Kind::kNotFound: code = kExitNotFound; break;
      case Error::Kind::kInput: code = kExitUsage; break;
      case Error::Kind::kIo: code = kExitIo; break;
    }
  }
  return fail(code, e.to_string());
}

int Context::load() {
  auto c = load_config(config_path_);
  if (!c) return fail(c.error(), kExitConfig);
  config_ = std::move(c.value());
  auto r = identity::Registry::load(config_.registry_path());
  if (!r) return fail(r.error(), kExitConfig);
  registry_ = std::move(r.value());
  return kExitOk;
}

int Context::lock() {
  lock_fd_ = ::open((config_.data_dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX) != 0)
    return fail(kExitIo, "cannot lock " + config_.data_dir + "/.lock");
  return kExitOk;
}

p11::Result<std::shared_ptr<p11::Module>> Context::load_module(const TokenConf& tc) {
  for (auto& [k, v] : tc.env) ::setenv(k.c_str(), v.c_str(), 1);
  return p11::Module::load(tc.module);
}

p11::Result<std::shared_ptr<p11::Token>> Context::open(const std::string& name, const TokenConf& tc, bool login) {
  if (auto it = open_.find(name); it != open_.end() && (!login || it->second->logged_in())) return it->second;
  auto m = load_module(tc);
  if (!m) return std::move(m).error();
  auto t = p11::Token::open(*m, tc.label);
  if (!t) return std::move(t).error();
  if (login) {
    p11::PinSource src = !tc.pin_env.empty()    ? p11::PinSource::env(tc.pin_env)
                         : !tc.pin_file.empty() ? p11::PinSource::file(tc.pin_file)
                                                : p11::PinSource::prompt("User PIN for token '" + tc.label + "': ");
    if (auto st = (*t)->login(src); !st) return std::move(st).error();
  }
  open_[name] = *t;
  return *t;
}

p11::Result<std::shared_ptr<p11::Token>> Context::token(const std::string& name, bool login) {
  const std::string n = name.empty() ? config_.default_token : name;
  auto it = config_.tokens.find(n);
  if (it == config_.tokens.end())
    return p11::make_error(Error::Kind::kNotFound, "select token", n,
                           "no token named '" + n + "' in " + config_.path + " (see `pqmcp token list`)");
  return open(n, it->second, login);
}

p11::Result<std::shared_ptr<p11::Token>> Context::token_at(const std::string& module, const std::string& label) {
  for (auto& [name, tc] : config_.tokens)
    if (tc.module == module && tc.label == label) return open(name, tc, true);
  TokenConf tc;  // not configured: reach it with a terminal prompt for the PIN
  tc.module = module;
  tc.label = label;
  return open(module + "#" + label, tc, true);
}

identity::TokenResolver Context::resolver() {
  return [this](const std::string& m, const std::string& l) { return token_at(m, l); };
}

}  // namespace pqmcp::cli
