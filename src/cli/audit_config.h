// The [audit] table of the config (docs/audit-log.md "Configuration") and the glue between the
// CLI's identities and the audit core: an HSM-backed NoteSigner and verifier keys from the
// registry or a trust bundle.
#pragma once

#include <memory>
#include <string>

#include "audit/note.h"
#include "audit/storage.h"
#include "cli/context.h"
#include "gateway/audit_sink.h"

namespace pqmcp::cli {

struct AuditConf {
  std::string backend = "sqlite";  // sqlite | postgres
  std::string path;                // sqlite file (default <data_dir>/audit.db)
  std::string conninfo;            // postgres connection string (or env PQMCP_AUDIT_CONNINFO)
  std::string origin = "pqmcp.local/audit";
  std::uint64_t checkpoint_every = 1000;
  std::uint64_t checkpoint_seconds = 10;
  std::string identity;            // ML-DSA identity that signs checkpoints
  std::string cosign_identity;     // optional Ed25519 identity (classical co-signature)
  std::string state;               // verifier state (default <data_dir>/audit-verify-state.json)
};

p11::Result<AuditConf> load_audit_conf(const Config& c);
// True when the config file has an [audit] table: the gateways then log into that log by default.
bool audit_log_configured(const Config& c);
audit::Result<std::unique_ptr<audit::Storage>> open_audit_storage(const AuditConf& a);

// The active key of an identity as a NoteSigner; the private key stays on its token.
p11::Result<std::unique_ptr<audit::NoteSigner>> hsm_signer(Context& ctx, const std::string& identity);
// Every ML-DSA / Ed25519 key the registry knows (all versions, for old checkpoints), named origin.
std::vector<audit::VerifierKey> registry_keys(const identity::Registry& r, const std::string& origin);

// The gateway's sink into the configured log (gateway::MerkleSink): the same storage, origin,
// cadence and checkpoint signers as `pqmcp audit append`. Without audit.identity the entries are
// logged but no checkpoints are signed (warned on stderr).
p11::Result<std::unique_ptr<gateway::AuditSink>> open_merkle_audit_sink(Context& ctx, const std::string& log_name);

}  // namespace pqmcp::cli
