// Typed key operations on a token: generate, find, sign, verify, encapsulate, decapsulate, wrap.
// Callers name an algorithm, never a mechanism or a template; the mapping to PKCS#11 lives here.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "crypto/composite.h"
#include "p11/token.h"

namespace pqmcp::p11 {

using Bytes = std::vector<std::uint8_t>;

enum class KeyType { kMlDsa44, kMlDsa65, kMlDsa87, kEd25519, kP256, kMlKem512, kMlKem768, kMlKem1024 };

const char* key_type_name(KeyType k);  // "ML-DSA-65", "Ed25519", "P-256", "ML-KEM-768"
bool is_signature(KeyType k);

struct KeyPair {
  CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;
  // The raw public key: ML-DSA/ML-KEM encoding, Ed25519's 32 bytes, P-256's 65-byte point.
  Bytes public_key;
};

struct GenerateOptions {
  Bytes id;           // CKA_ID, shared by both halves of a composite identity
  std::string label;  // CKA_LABEL
  bool token_object = true;
  // Policy-bound (docs/token.md "Policy inside the token", libpqhsm only): a non-empty owner sets
  // CKA_PQMCP_OWNER on an ML-DSA private key. A non-empty allowed_mechanisms sets the private
  // key's CKA_ALLOWED_MECHANISMS (ML-DSA and ML-KEM keys). libpqhsm refuses a bound key whose list
  // is absent or names anything but its CKM_PQMCP_MCP_SIGN_* mechanisms. Both ignored for other
  // key types.
  std::string owner{};
  std::vector<CK_MECHANISM_TYPE> allowed_mechanisms{};
};

// Checks the mechanism, generates a key pair whose private half is CKA_SENSITIVE, not
// extractable and persistent, and reads the public key back.
Result<KeyPair> generate_key_pair(Token& t, KeyType k, const GenerateOptions& opt);

// The object of this class, type and CKA_ID. kNotFound when absent.
Result<CK_OBJECT_HANDLE> find_key(Token& t, CK_OBJECT_CLASS cls, KeyType k, std::span<const std::uint8_t> id);
Result<Bytes> read_public_key(Token& t, KeyType k, CK_OBJECT_HANDLE pub);
// Destroys both halves with this CKA_ID (undoing a half-finished identity creation).
Status destroy_key_pair(Token& t, KeyType k, std::span<const std::uint8_t> id);

// ML-DSA: pure CKM_ML_DSA with CK_SIGN_ADDITIONAL_CONTEXT (ctx ≤ 255 bytes). Ed25519: pure
// CKM_EDDSA (ctx must be empty). P-256: CKM_ECDSA over SHA-256(msg), r‖s (64 bytes).
Result<Bytes> sign(Token& t, KeyType k, CK_OBJECT_HANDLE priv, std::span<const std::uint8_t> msg,
                   std::span<const std::uint8_t> ctx = {});
// A policy-bound ML-DSA key (GenerateOptions::owner): CKM_PQMCP_MCP_SIGN_MLDSA over an MCP envelope
// signing input; the token evaluates its policy first and refuses with CKR_FUNCTION_REJECTED.
Result<Bytes> sign_mcp(Token& t, KeyType k, CK_OBJECT_HANDLE priv, std::span<const std::uint8_t> msg);
// On-token verification (tests, diagnostics). pqmcp verifies in process everywhere else.
Result<bool> verify(Token& t, KeyType k, CK_OBJECT_HANDLE pub, std::span<const std::uint8_t> msg,
                    std::span<const std::uint8_t> sig, std::span<const std::uint8_t> ctx = {});

// A composite key whose halves may live on different tokens (ML-DSA on a PQC-capable module,
// Ed25519 possibly on another one).
// A token of libpqhsm (manufacturer "pqmcp"): only there do the CKM_PQMCP_* vendor numbers mean
// our mechanisms. Another module could use the same CKM_VENDOR_DEFINED values for its own.
bool offers_pqmcp_mechanisms(const Token& t);

struct CompositeKey {
  crypto::composite::Algorithm alg = crypto::composite::Algorithm::kMlDsa65Ed25519;
  Token* mldsa_token = nullptr;
  CK_OBJECT_HANDLE mldsa_priv = CK_INVALID_HANDLE;
  Token* trad_token = nullptr;
  CK_OBJECT_HANDLE trad_priv = CK_INVALID_HANDLE;
  // The ML-DSA half is policy-bound: it signs M itself through CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA
  // (the token checks its policy and builds M'); ctx must then be empty.
  bool mcp_bound = false;
  // Both halves on one token that offers CKM_PQMCP_COMPOSITE_SIGN (libpqhsm): while this points
  // to true, the whole signature is one operation there. A token that refuses the mechanism for
  // these keys (CKR_MECHANISM_INVALID: their CKA_ALLOWED_MECHANISMS) sets it to false and this
  // and later signatures take two operations.
  std::atomic<bool>* one_operation = nullptr;
};
// draft-ietf-lamps-pq-composite-sigs Sign: M' = message_representative(msg, ctx); ML-DSA signs
// M' with context = the algorithm's Label; Ed25519 signs M'; signature = concatenation. With
// mcp_bound the token builds M' for the ML-DSA half; Ed25519 signs the same M' computed here.
Result<Bytes> sign_composite(const CompositeKey& key, std::span<const std::uint8_t> msg,
                             std::span<const std::uint8_t> ctx);
KeyType composite_mldsa_half(crypto::composite::Algorithm a);

// ML-KEM through C_EncapsulateKey / C_DecapsulateKey (3.2 interface only). The shared secret
// becomes a session CKK_GENERIC_SECRET object of 32 bytes; `extractable` decides CKA_EXTRACTABLE.
struct Encapsulation {
  Bytes ciphertext;
  CK_OBJECT_HANDLE secret = CK_INVALID_HANDLE;
};
Result<Encapsulation> encapsulate(Token& t, KeyType k, CK_OBJECT_HANDLE pub, bool extractable = false);
Result<CK_OBJECT_HANDLE> decapsulate(Token& t, KeyType k, CK_OBJECT_HANDLE priv,
                                     std::span<const std::uint8_t> ciphertext, bool extractable = false);
// CKA_VALUE of an extractable, non-sensitive secret (tests comparing both KEM sides).
Result<Bytes> read_secret_value(Token& t, CK_OBJECT_HANDLE key);

// C_WrapKey with the given mechanism (e.g. CKM_AES_KEY_WRAP_PAD) and no parameter.
Result<Bytes> wrap_key(Token& t, CK_MECHANISM_TYPE mech, CK_OBJECT_HANDLE wrapping_key, CK_OBJECT_HANDLE key);

}  // namespace pqmcp::p11
