// `pqmcp policy check|explain|install` (docs/policy.md).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/context.h"
#include "json/json.h"
#include "p11/pin.h"
#include "pkcs11/attributes.h"
#include "pkcs11/pqmcp_vendor.h"
#include "pkcs11/rv_names.h"
#include "policy/policy.h"

namespace pqmcp::cli {

namespace {

struct Opts {
  std::string file, policy, agent, kid, request, at, token;
} o;

bool slurp(const std::string& path, std::string& out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), {});
    return !std::cin.bad();
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return !f.bad();
}

Result<policy::Policy, std::string> load_policy(const std::string& path) {
  std::string text;
  if (!slurp(path, text)) return unexpected("cannot read " + path);
  auto p = policy::Policy::parse(text);
  if (!p) return unexpected(path + ": " + p.error());
  return std::move(p.value());
}

int run_check(Globals& g) {
  auto p = load_policy(o.file);
  if (!p) return fail(kExitUsage, p.error());
  std::size_t n = p->agent_count();
  if (g.json)
    std::printf("%s\n", nlohmann::json{{"valid", true}, {"agents", n}, {"digest", p->digest()}}.dump().c_str());
  else
    std::printf("%s: valid policy, %zu agent%s, %s\n", o.file.c_str(), n, n == 1 ? "" : "s", p->digest().c_str());
  return kExitOk;
}

// --at: Unix milliseconds or an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SSZ".
bool parse_at(const std::string& s, std::int64_t& ms) {
  if (s.empty()) {
    ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return true;
  }
  if (s.find_first_not_of("0123456789") == std::string::npos && s.size() < 19) return ms = std::stoll(s), true;
  int Y, M, D, h, m, sec;
  char z = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &Y, &M, &D, &h, &m, &sec, &z) != 7 || z != 'Z') return false;
  // Days from civil (H. Hinnant's algorithm), so no dependence on the local time zone.
  Y -= M <= 2;
  const int era = (Y >= 0 ? Y : Y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(Y - era * 400);
  const unsigned doy = (153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  ms = ((days * 24 + h) * 60 + m) * 60'000LL + sec * 1000LL;
  return true;
}

int run_explain(Globals& g) {
  auto p = load_policy(o.policy);
  if (!p) return fail(kExitUsage, p.error());
  std::string text;
  if (!slurp(o.request, text)) return fail(kExitIo, "cannot read " + o.request);
  auto msg = json::parse(text);
  if (!msg) return fail(kExitUsage, o.request + ": not a JSON-RPC message: " + msg.error().message);
  std::int64_t now = 0;
  if (!parse_at(o.at, now)) return fail(kExitUsage, "--at takes Unix milliseconds or YYYY-MM-DDTHH:MM:SSZ");
  const policy::Request r = policy::request_from_message(*msg, o.agent, o.kid, now);
  const policy::Decision d = p->evaluate(r);
  if (g.json) {
    nlohmann::json j = {{"decision", d.allow ? "allow" : "deny"}, {"rule", d.rule}, {"reason", d.reason},
                        {"agent", r.agent}, {"method", r.method}, {"target", r.target},
                        {"now_ms", r.now_ms}, {"policy", p->digest()}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("decision: %s\nrule:     %s\nreason:   %s\nrequest:  agent %s, method %s%s%s\n",
                d.allow ? "allow" : "deny", d.rule.c_str(), d.reason.c_str(), r.agent.c_str(), r.method.c_str(),
                r.target.empty() ? "" : ", target ", r.target.c_str());
  }
  return d.allow ? kExitOk : kExitVerifyFailed;
}


// Stores the canonical policy text as the token's MCP policy object (docs/token.md): SO login on
// a fresh R/W session, then C_SetAttributeValue on the existing object or C_CreateObject.
int run_install(Globals& g) {
  auto p = load_policy(o.file);
  if (!p) return fail(kExitUsage, p.error());
  Context ctx(g.config.empty() ? default_config_path() : g.config);
  if (int rc = ctx.load()) return rc;
  const std::string name = o.token.empty() ? ctx.config().default_token : o.token;
  auto it = ctx.config().tokens.find(name);
  if (it == ctx.config().tokens.end()) return fail(kExitConfig, "no token named '" + name + "' in the config");
  const TokenConf& tc = it->second;
  auto m = Context::load_module(tc);
  if (!m) return fail(m.error());
  auto ti = (*m)->find_token(tc.label);
  if (!ti) return fail(ti.error());
  if ((*m)->f() == nullptr) return fail(kExitToken, "module has no function list");
  const CK_FUNCTION_LIST& f = *(*m)->f();
  auto so = p11::read_pin(tc.so_pin_file.empty() ? p11::PinSource::prompt("SO PIN for '" + tc.label + "': ")
                                                 : p11::PinSource::file(tc.so_pin_file));
  if (!so) return fail(so.error());
  CK_SESSION_HANDLE s = 0;
  auto rv_fail = [&](const char* op, CK_RV rv) {
    if (s) f.C_CloseSession(s);
    return fail(kExitToken, std::string(op) + " on token '" + tc.label + "': " + pkcs11::rv_name(rv));
  };
  CK_RV rv = f.C_OpenSession(ti->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s);
  if (rv != CKR_OK) return rv_fail("C_OpenSession", rv);
  rv = f.C_Login(s, CKU_SO, const_cast<CK_UTF8CHAR_PTR>(so->data()), so->size());
  if (rv != CKR_OK) return rv_fail("C_Login (SO)", rv);
  const std::string text = p->canonical();
  const std::vector<std::uint8_t> value(text.begin(), text.end());
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE find[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_PQMCP_MCP_POLICY, &yes, sizeof yes}};
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  CK_ULONG n = 0;
  rv = f.C_FindObjectsInit(s, find, 2);
  if (rv == CKR_OK) rv = f.C_FindObjects(s, &h, 1, &n);
  f.C_FindObjectsFinal(s);
  if (rv != CKR_OK) return rv_fail("C_FindObjects", rv);
  if (n == 1) {
    CK_ATTRIBUTE v{CKA_VALUE, const_cast<std::uint8_t*>(value.data()), value.size()};
    rv = f.C_SetAttributeValue(s, h, &v, 1);
  } else {
    auto t = pkcs11::TemplateBuilder()
                 .ulong(CKA_CLASS, CKO_DATA)
                 .boolean(CKA_TOKEN, true)
                 .boolean(CKA_PRIVATE, false)
                 .boolean(CKA_PQMCP_MCP_POLICY, true)
                 .bytes(CKA_LABEL, std::vector<std::uint8_t>{'p', 'q', 'm', 'c', 'p', ' ', 'p', 'o', 'l', 'i', 'c', 'y'})
                 .bytes(CKA_VALUE, value)
                 .build();
    rv = f.C_CreateObject(s, t.data(), t.size(), &h);
  }
  f.C_Logout(s);
  if (rv != CKR_OK) return rv_fail(n == 1 ? "C_SetAttributeValue (policy)" : "C_CreateObject (policy)", rv);
  f.C_CloseSession(s);
  std::printf("installed policy %s (%zu agents) on token '%s'\n", p->digest().c_str(), p->agent_count(),
              tc.label.c_str());
  return kExitOk;
}

}  // namespace

void add_policy_commands(CLI::App& app, Globals& g) {
  auto* pol = app.add_subcommand("policy", "Validate, explain and install MCP access policies");
  pol->require_subcommand(1);
  auto* check = pol->add_subcommand("check", "Validate a policy file (exit 0 valid, 2 invalid)");
  check->add_option("FILE", o.file, "policy TOML file")->required();
  check->callback([&g] { g.rc = run_check(g); });

  auto* ex = pol->add_subcommand("explain", "Show which rule decides a request (exit 0 allow, 1 deny)");
  ex->add_option("--policy", o.policy, "policy TOML file")->required();
  ex->add_option("--agent", o.agent, "the sending agent's identity name")->required();
  ex->add_option("--request", o.request, "file with one JSON-RPC request, or '-' for stdin")->required();
  ex->add_option("--kid", o.kid, "key id that signed the request (for policies that list kids)");
  ex->add_option("--at", o.at, "decision time: Unix ms or YYYY-MM-DDTHH:MM:SSZ (default: now)");
  ex->callback([&g] { g.rc = run_explain(g); });

  auto* in = pol->add_subcommand("install", "Store a policy on the token (SO login) for policy-bound keys");
  in->add_option("FILE", o.file, "policy TOML file")->required();
  in->add_option("--token", o.token, "configured token name (default: the default token)");
  in->callback([&g] { g.rc = run_install(g); });
}

}  // namespace pqmcp::cli
