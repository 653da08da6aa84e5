// C2SP signed notes (c2sp.org/signed-note) carrying C2SP checkpoints (c2sp.org/tlog-checkpoint),
// with the signature types of docs/audit-log.md "Signature types":
//   Ed25519      0x01, the plain signed-note signature over the note text (any Go note verifier);
//   ML-DSA-44    0x06, the timestamped subtree/v1 signature of c2sp.org/tlog-cosignature;
//   ML-DSA-65/87 0xff + "pqmcp.dev/mldsa65" / "pqmcp.dev/mldsa87" + 0x00: the same subtree/v1
//                message and payload as 0x06 with the larger parameter set (C2SP assigns no
//                byte to them; 0xff is its escape for types with a longer identifier).
// Checkpoint signing goes through NoteSigner so that the core never depends on PKCS#11: the CLI
// wraps an HSM identity, the token will wrap its own key, tests use in-process keys.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/merkle.h"
#include "audit/result.h"

namespace pqmcp::audit {

using Bytes = std::vector<std::uint8_t>;

enum class SigType { kEd25519, kMlDsa44, kMlDsa65, kMlDsa87 };
const char* sig_type_name(SigType t);  // "Ed25519", "ML-DSA-44", …
bool is_mldsa(SigType t);
// The signature-type bytes that enter the key ID and the vkey (signed-note "Signatures").
Bytes sig_type_bytes(SigType t);

class NoteSigner {
 public:
  virtual ~NoteSigner() = default;
  virtual SigType type() const = 0;
  virtual const Bytes& public_key() const = 0;
  // Ed25519: over msg. ML-DSA: pure ML-DSA (FIPS 204 Algorithm 2) with an empty context.
  virtual Result<Bytes> sign(std::span<const std::uint8_t> msg) = 0;
};

// A key a verifier knows: the key name the signatures carry (the log origin) and the key.
struct VerifierKey {
  std::string name;
  SigType type = SigType::kMlDsa65;
  Bytes public_key;
  std::string label;  // for messages: "identity audit-log (kid …)"
  std::uint32_t key_id() const;
  // signed-note vkey: <name>+<hex key ID>+<base64(type bytes || public key)>
  std::string vkey() const;
  static Result<VerifierKey> parse_vkey(std::string_view s);
};

// signed-note key ID: SHA-256(name || 0x0A || type bytes || public key)[:4], big-endian.
std::uint32_t key_id(std::string_view name, SigType t, std::span<const std::uint8_t> pk);

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
  std::string body() const;  // "<origin>\n<size>\n<base64 root>\n"
  static Result<Checkpoint> parse_body(std::string_view text);
};

struct SignatureLine {
  std::string name;
  std::uint32_t key_id = 0;
  Bytes payload;  // the signature bytes after the key ID
};

struct Note {
  std::string text;  // ends in "\n"
  std::vector<SignatureLine> sigs;
  std::string serialize() const;
  static Result<Note> parse(std::string_view note);
};

// Signs cp with every signer under key name `name` (C2SP: SHOULD be the origin); ML-DSA lines
// carry `timestamp` (Unix seconds).
Result<std::string> sign_checkpoint(const Checkpoint& cp, std::string_view name,
                                    std::span<NoteSigner* const> signers, std::uint64_t timestamp);

struct VerifiedCheckpoint {
  Checkpoint cp;
  std::string text;                  // the note verbatim
  std::vector<std::string> signers;  // labels of the keys whose signatures verified
  bool mldsa = false;                // at least one ML-DSA signature verified
  std::uint64_t timestamp = 0;       // newest ML-DSA timestamp
};

// signed-note verifier rules: unknown keys are ignored, a known key whose signature fails
// rejects the note, and at least one known signature must verify.
Result<VerifiedCheckpoint> verify_checkpoint(std::string_view note, std::span<const VerifierKey> keys);

}  // namespace pqmcp::audit
