// The mechanism registry: one handler object per CKM_ value, each in the file of its
// algorithm family, registered by that file (never one switch over every mechanism). The
// session layer checks handles, key usage attributes (CKA_SIGN…) and CKA_ALLOWED_MECHANISMS
// before it calls a handler; handlers check key type, parameters and key material.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <memory>
#include <span>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "store/object.h"

namespace pqmcp::token {

// A signing or verification in progress (C_SignInit … C_SignFinal). Signature sizes are fixed
// per key, so the length query of base spec §5.2 never needs the data.
class SignOp {
 public:
  virtual ~SignOp() = default;
  virtual std::size_t signature_length() const = 0;
  virtual Status update(std::span<const std::uint8_t> data) = 0;
  // out.size() >= signature_length(); sets written.
  virtual Status sign(std::span<std::uint8_t> out, std::size_t& written) = 0;
  virtual Status verify(std::span<const std::uint8_t> sig) = 0;
};

// Encryption or decryption in progress. AEAD output is released at the final call.
class CipherOp {
 public:
  virtual ~CipherOp() = default;
  virtual Status update(std::span<const std::uint8_t> in) = 0;
  // Exact output length of final() given what update() has buffered plus `pending` more
  // input bytes (so a length query never consumes the caller's data).
  virtual Result<std::size_t> final_length(std::size_t pending) const = 0;
  virtual Status final(Bytes& out) = 0;
};

class DigestOp {
 public:
  virtual ~DigestOp() = default;
  virtual std::size_t length() const = 0;
  virtual Status update(std::span<const std::uint8_t> data) = 0;
  virtual Status final(std::span<std::uint8_t> out) = 0;
};

// What a mechanism that decides on content (the MCP signing mechanism, mcp_sign.cc) needs from
// the token around it, supplied by the shim so that handlers never reach up into the core.
struct TokenContext {
  CK_SLOT_ID slot = 0;
  // The canonical text of the SO-installed MCP policy object; CKR_FUNCTION_REJECTED if the token
  // has none (or more than one).
  std::function<Result<std::string>()> policy_text;
  // Appends one JSON line to the token's decision log (docs/token.md).
  std::function<void(const std::string&)> record;
  // A second key named by handle in the mechanism parameter (the one-operation composite
  // signature), checked as the session checks the operation's own key: visible to the session,
  // a key, `usage` set, the mechanism in its CKA_ALLOWED_MECHANISMS (when it has that attribute).
  std::function<Result<ObjectPtr>(CK_OBJECT_HANDLE, CK_ATTRIBUTE_TYPE usage)> key;
};

class Mechanism {
 public:
  virtual ~Mechanism() = default;
  virtual CK_MECHANISM_TYPE type() const = 0;
  virtual CK_MECHANISM_INFO info() const = 0;

  virtual Result<std::unique_ptr<SignOp>> sign_init(const CK_MECHANISM&, ObjectPtr, bool) const {
    return Status(CKR_MECHANISM_INVALID);
  }
  // sign_init with the token context; only content-checking mechanisms override it.
  virtual Result<std::unique_ptr<SignOp>> sign_init_with(const CK_MECHANISM& m, ObjectPtr key, bool verify,
                                                         const TokenContext&) const {
    return sign_init(m, std::move(key), verify);
  }
  virtual Result<std::unique_ptr<CipherOp>> cipher_init(const CK_MECHANISM&, ObjectPtr,
                                                        bool) const {
    return Status(CKR_MECHANISM_INVALID);
  }
  virtual Result<std::unique_ptr<DigestOp>> digest_init(const CK_MECHANISM&) const {
    return Status(CKR_MECHANISM_INVALID);
  }
  // Key generation: the session layer builds the objects from the templates with the class
  // and key_type() forced; the handler adds the key material.
  virtual CK_KEY_TYPE key_type() const { return CKK_VENDOR_DEFINED; }
  virtual Status generate_key(const CK_MECHANISM&, Object&) const {
    return Status(CKR_MECHANISM_INVALID);
  }
  virtual Status generate_key_pair(const CK_MECHANISM&, Object&, Object&) const {
    return Status(CKR_MECHANISM_INVALID);
  }
  virtual Result<std::vector<std::uint8_t>> wrap(const CK_MECHANISM&, const Object&,
                                                 std::span<const std::uint8_t>) const {
    return Status(CKR_MECHANISM_INVALID);
  }
  virtual Result<Bytes> unwrap(const CK_MECHANISM&, const Object&,
                               std::span<const std::uint8_t>) const {
    return Status(CKR_MECHANISM_INVALID);
  }
  // KEM (3.2 C_EncapsulateKey / C_DecapsulateKey).
  virtual Result<std::size_t> ciphertext_length(const Object&) const {
    return Status(CKR_MECHANISM_INVALID);
  }
  virtual Status encapsulate(const CK_MECHANISM&, const Object&, std::vector<std::uint8_t>&,
                             Bytes&) const {
    return Status(CKR_MECHANISM_INVALID);
  }
  virtual Status decapsulate(const CK_MECHANISM&, const Object&, std::span<const std::uint8_t>,
                             Bytes&) const {
    return Status(CKR_MECHANISM_INVALID);
  }
};

// Per key type: validates and completes key material given to C_CreateObject / C_UnwrapKey
// (sizes, parameter set, seed and value agreeing, public value derived where needed).
class KeyType {
 public:
  virtual ~KeyType() = default;
  virtual CK_KEY_TYPE type() const = 0;
  virtual Status import(Object& o) const = 0;
};

class Registry {
 public:
  static const Registry& get();
  const Mechanism* mechanism(CK_MECHANISM_TYPE t) const;
  const KeyType* key_type(CK_KEY_TYPE t) const;
  std::vector<CK_MECHANISM_TYPE> mechanisms() const;

  void add(std::unique_ptr<Mechanism> m);
  void add(std::unique_ptr<KeyType> k);

 private:
  std::map<CK_MECHANISM_TYPE, std::unique_ptr<Mechanism>> mechs_;
  std::map<CK_KEY_TYPE, std::unique_ptr<KeyType>> types_;
};

// Each algorithm family registers its handlers.
void register_mldsa(Registry& r);
void register_mlkem(Registry& r);
void register_ec(Registry& r);
void register_aes(Registry& r);
void register_digest(Registry& r);
void register_mcp_sign(Registry& r);
void register_composite_sign(Registry& r);

// Helpers shared by handlers.
// The key material attribute, or CKR_USER_NOT_LOGGED_IN when it is still sealed.
Result<const Bytes*> key_material(const Object& key, CK_ATTRIBUTE_TYPE t);
template <typename P>
const P* mechanism_param(const CK_MECHANISM& m) {
  if (m.pParameter == nullptr || m.ulParameterLen != sizeof(P)) return nullptr;
  return static_cast<const P*>(m.pParameter);
}

}  // namespace pqmcp::token
