// What `pqmcp wrap`, `pqmcp connect` and `pqmcp serve` share: the [gateway] table of the config,
// and assembling one gateway end (verification keys, the HSM signer, the audit sink, the policy
// and the filter) from it. The transports (stdio relay, HTTP) only differ in how lines move.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/context.h"
#include "gateway/audit_sink.h"
#include "gateway/connect_filter.h"
#include "gateway/policy_gate.h"
#include "gateway/side.h"
#include "mcp/signer.h"
#include "mcp/verifier.h"

namespace pqmcp::cli {

// The [gateway] table of the config; command-line options override fields after loading.
struct GwConf {
  std::string mode = "require", policy, audit, bundle, admin_key, server_identity, pins;
  std::vector<std::string> algorithms{"mldsa65-ed25519"};
  std::size_t max_message = 16u << 20;
  int shutdown_ms = 2000;
  // connect: how long a request stays open after a rejected message under its id
  // (docs/gateway.md "A rejected answer").
  std::int64_t answer_wait_ms = gateway::kDefaultAnswerWaitMs;
  bool trust_on_first_use = true;
  // Sequence numbers may arrive up to this far out of order (VerifierConfig::seq_window). 0 on
  // stdio, whose one pipe keeps order; HTTP carries a session on several streams (the GET stream
  // and each POST's answer), so serve and connect --url use kHttpSeqWindow.
  unsigned seq_window = 0;
};
inline constexpr unsigned kHttpSeqWindow = 64;

// Command-line values that override the [gateway] table: an empty string, 0 or a negative number
// means "not given". Each command's option struct derives from it.
struct GwOverrides {
  std::string mode, policy, audit, bundle, admin_key, server_identity;
  std::size_t max_message = 0;
  int shutdown_ms = -1;
};
void apply_overrides(const GwOverrides& v, GwConf& gc);

// Reads the [gateway] table (defaults: audit and pins under data_dir). Exit code on failure.
int load_gw_conf(const Config& c, GwConf& g);

// Verification keys: the trust bundle (anchored by a pinned admin key), else the local registry
// (for a single machine whose registry knows both ends).
int make_resolver(Context& ctx, const GwConf& gc, std::unique_ptr<mcp::KeyResolver>& out);

// Where decisions go: gc.audit names the store (empty: nowhere).
int open_audit_sink(Context& ctx, const GwConf& gc, std::unique_ptr<gateway::AuditSink>& out);

enum class GwRole { kWrap, kConnect };

// One assembled gateway end. Members are declared in dependency order (the filter refers to the
// signer, verifier, sink and policy, so it is destroyed first).
struct GatewayEnd {
  gateway::FilterConfig fc;
  std::unique_ptr<mcp::KeyResolver> keys;
  std::unique_ptr<mcp::Signer> signer;
  std::unique_ptr<gateway::AuditSink> sink;
  std::unique_ptr<gateway::PolicyGate> policy;
  std::unique_ptr<mcp::Verifier> verifier;
  std::unique_ptr<gateway::Side> filter;
};

// Builds the filter of one end for `identity` (wrap: the server identity; connect: the agent's).
// log_name prefixes stderr lines. Exit code on failure (already reported).
int build_gateway_end(Context& ctx, const GwConf& gc, GwRole role, const std::string& identity,
                      const std::string& log_name, GatewayEnd& out);

}  // namespace pqmcp::cli
