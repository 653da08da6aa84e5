// The MCP policy object and the decision log of "policy inside the token" (docs/token.md): who
// may create, change or destroy the policy (the SO only), how the signing mechanism reads it, and
// where each decision is written.
#pragma once

#include <string>

#include "core/session.h"
#include "mechanisms/mechanism.h"

namespace pqmcp::token::mcp_policy {

bool is_policy_object(const Object& o);

// The context the MCP signing mechanism runs with on this session's token.
TokenContext context_for(Session& s);

// Appends one JSON line to <token_dir>/slot-<n>/policy-decisions.jsonl (O_APPEND, 0600).
void record(const Token& t, const std::string& line);

// Guards writes to policy objects (op: "create", "copy", "set", "destroy"). `o` is the object as
// it will be (create/copy/set) or as it is (destroy); non-policy objects pass. A non-SO login is
// CKR_USER_NOT_LOGGED_IN (as for C_InitPIN); every attempt on a policy object is recorded. Expects
// the token mutex held.
Status check_write(Session& s, const Object& o, const char* op);

// Records that `mech` was refused (CKA_ALLOWED_MECHANISMS) for a key bound to the MCP mechanisms.
void note_refused_mechanism(Session& s, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech);

}  // namespace pqmcp::token::mcp_policy
