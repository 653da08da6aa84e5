#include "core/mcp_policy.h"
#include "core/oplog.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "pkcs11/pqmcp_vendor.h"
#include "policy/policy.h"
#include "store/schema.h"

namespace pqmcp::token::mcp_policy {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<CK_OBJECT_HANDLE> policy_objects(Token& t) {
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_PQMCP_MCP_POLICY, &yes, sizeof yes}};
  return t.find(tmpl);
}

void log_object(const Token& t, const char* op, bool allow, const std::string& reason, const std::string& digest = "") {
  nlohmann::json j = {{"ts", now_ms()}, {"slot", t.id()}, {"event", "policy-object"}, {"op", op},
                      {"decision", allow ? "allow" : "deny"}, {"reason", reason}};
  if (!digest.empty()) j["policy"] = digest;
  record(t, j.dump());
}

}  // namespace

bool is_policy_object(const Object& o) { return o.cls() == CKO_DATA && o.flag(CKA_PQMCP_MCP_POLICY); }

namespace {

// Appends "slot" and "ts" to a one-line JSON object that has neither yet. Every caller passes
// text that nlohmann::json::dump wrote (which escapes every quote inside a string), so a line
// "{…}" in which `"ts":` and `"slot":` occur nowhere is such an object: the two members go in
// before its closing brace, and the line is not parsed and serialised again once per
// signature. Anything else takes the general path.
std::string with_time(const Token& t, const std::string& line) {
  if (line.size() >= 2 && line.front() == '{' && line.back() == '}' && line.find("\"ts\":") == std::string::npos &&
      line.find("\"slot\":") == std::string::npos && line.find('\n') == std::string::npos) {
    std::string out(line, 0, line.size() - 1);
    if (line.size() > 2) out += ',';
    out += "\"slot\":" + std::to_string(t.id()) + ",\"ts\":" + std::to_string(now_ms()) + "}";
    return out;
  }
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_object() && !j.contains("ts")) {
    j["ts"] = now_ms();
    j["slot"] = t.id();
  }
  return j.is_discarded() ? line : j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void record(const Token& t, const std::string& line) {
  std::string out = with_time(t, line);
  oplog::note_policy_rule(out);  // the key-operation log names the rule of a refused signature
  out += '\n';
  // O_APPEND: one write() per line lands whole at the end even with several processes.
  // O_NOFOLLOW: a symlink planted in the token directory cannot redirect the log.
  const std::string path = t.dir() + "/policy-decisions.jsonl";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;  // a missing log must not turn a refusal into a signature, nor fail one
  ssize_t n = ::write(fd, out.data(), out.size());
  (void)n;
  ::close(fd);
}

TokenContext context_for(Session& s) {
  TokenContext c;
  Token* t = s.token;
  c.slot = t->id();
  c.policy_text = [t]() -> Result<std::string> {
    std::lock_guard<std::mutex> lock(t->mu);
    auto hs = policy_objects(*t);
    if (hs.size() != 1) return Status(CKR_FUNCTION_REJECTED);
    PQ_ASSIGN(o, t->object(hs[0]));
    const Bytes* v = o->get(CKA_VALUE);
    if (!v || !o->is_token()) return Status(CKR_FUNCTION_REJECTED);
    return std::string(v->begin(), v->end());
  };
  c.record = [t](const std::string& line) { record(*t, line); };
  return c;
}

Status check_write(Session& s, const Object& o, const char* op) {
  if (!is_policy_object(o)) return kOk;
  Token& t = *s.token;
  if (t.logged_in() != CKU_SO) {
    log_object(t, op, false, "only the SO may create, change or destroy the MCP policy object");
    return Status(CKR_USER_NOT_LOGGED_IN);
  }
  if (std::string_view(op) == "destroy") {
    log_object(t, op, true, "policy object destroyed by the SO");
    return kOk;
  }
  if (!o.is_token() || o.is_private()) {
    log_object(t, op, false, "the policy object must be a public token object");
    return Status(CKR_TEMPLATE_INCONSISTENT);
  }
  const Bytes* v = o.get(CKA_VALUE);
  auto p = policy::Policy::parse(v ? std::string_view(reinterpret_cast<const char*>(v->data()), v->size()) : "");
  if (!p) {
    log_object(t, op, false, "policy does not parse: " + p.error());
    return Status(CKR_ATTRIBUTE_VALUE_INVALID);
  }
  if (std::string_view(op) != "set" && !policy_objects(t).empty()) {
    log_object(t, op, false, "a policy object exists already; change its CKA_VALUE instead");
    return Status(CKR_ACTION_PROHIBITED);
  }
  log_object(t, op, true, "policy installed by the SO", p->digest());
  return kOk;
}

void note_refused_mechanism(Session& s, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech) {
  ObjectPtr k;
  {
    std::lock_guard<std::mutex> lock(s.token->mu);
    auto o = s.token->object(key);
    if (!o.ok()) return;
    k = o.value();
  }
  if (!schema::mechanism_allowed(*k, CKM_PQMCP_MCP_SIGN_MLDSA) &&
      !schema::mechanism_allowed(*k, CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA))
    return;
  const Bytes* owner = k->get(CKA_PQMCP_OWNER);
  char m[32];
  std::snprintf(m, sizeof m, "0x%08lx", static_cast<unsigned long>(mech));
  record(*s.token, nlohmann::json{{"event", "mechanism-refused"}, {"decision", "deny"}, {"rule", "allowed-mechanisms"},
                                  {"agent", owner ? std::string(owner->begin(), owner->end()) : ""}, {"mechanism", m},
                                  {"reason", "key is restricted to the MCP signing mechanisms (CKA_ALLOWED_MECHANISMS)"}}
                       .dump());
}

}  // namespace pqmcp::token::mcp_policy
