// The identity registry: every identity this installation knows (its own, whose private keys
// live on tokens, and imported peers, public key only), with each key version's lifecycle.
// Stored as one JSON file in the data directory, replaced atomically (temp + fsync + rename)
// so that a crash leaves either the old or the new file, never a torn one.
#pragma once

#include <string>
#include <vector>

#include "identity/public_key.h"

namespace pqmcp::identity {

// Where one half of a key lives. A composite key has two parts (ML-DSA, Ed25519) with the
// same CKA_ID, possibly on different modules.
struct KeyPart {
  std::string part;    // "ML-DSA-65", "Ed25519", "P-256"
  std::string module;  // absolute module path
  std::string token;   // token label
  std::string id_hex;  // CKA_ID
};

enum class KeyStatus { kActive, kRetiring, kRevoked };
const char* status_name(KeyStatus s);

struct KeyVersion {
  std::string kid;
  PublicKey public_key;
  std::int64_t created = 0;
  std::int64_t not_after = 0;   // 0: no end (until rotated)
  KeyStatus status = KeyStatus::kActive;
  std::int64_t revoked_at = 0;
  std::vector<KeyPart> parts;   // empty for an imported peer key
  // The ML-DSA half is bound to libpqhsm's MCP mechanism (CKA_PQMCP_OWNER = the identity name,
  // CKA_ALLOWED_MECHANISMS = {CKM_PQMCP_MCP_SIGN_*}; docs/token.md "Policy inside the token"):
  // it signs MCP messages the token's policy allows and nothing else.
  bool policy_bound = false;

  // Valid for verification at time t: not revoked, and t before not-after.
  bool valid_at(std::int64_t t) const;
};

struct Identity {
  std::string name;
  std::string role;  // "agent", "server", "admin", "peer"
  std::vector<KeyVersion> keys;  // oldest first

  // The newest active key (the one that signs), or nullptr.
  const KeyVersion* signing_key() const;
  KeyVersion* signing_key();
};

class Registry {
 public:
  // Loads path; a missing file is an empty registry, a corrupt one an Error (never overwritten).
  static Result<Registry> load(const std::string& path);
  Status save() const;

  const std::string& path() const { return path_; }
  std::vector<Identity>& identities() { return ids_; }
  const std::vector<Identity>& identities() const { return ids_; }
  Identity* find(std::string_view name);
  // The identity and key version with this kid.
  std::pair<Identity*, KeyVersion*> find_kid(std::string_view kid);

  std::string to_json() const;
  static Result<std::vector<Identity>> from_json(std::string_view text);

 private:
  std::string path_;
  std::vector<Identity> ids_;
};

// Writes text to path atomically: a temporary file in the same directory with the given mode,
// fsync, rename, fsync of the directory.
Status write_file_atomic(const std::string& path, std::string_view text, unsigned mode = 0600);
Result<std::string> read_file(const std::string& path);

}  // namespace pqmcp::identity
