// A PKCS#11 object (base spec §4): a set of attributes. Objects are immutable once published
// in the store (shared as ObjectPtr), so a signing thread can keep using a key while another
// thread changes the store; C_SetAttributeValue publishes a modified copy.
#pragma once

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "pkcs11/pkcs11.h"

namespace pqmcp::token {

// A per-key cache for a prepared library key (an OpenSSL EVP_PKEY), built on first use and
// shared by copies of the object: key material never changes after creation.
struct NativeCache {
  std::mutex mu;
  std::shared_ptr<void> value;
};

class Object {
 public:
  std::shared_ptr<NativeCache> native = std::make_shared<NativeCache>();
  // Plaintext attribute values, including decrypted key material when the token is unlocked.
  std::map<CK_ATTRIBUTE_TYPE, Bytes> attrs;
  // For token objects: the sealed (AES-GCM) form of attributes kept encrypted at rest.
  std::map<CK_ATTRIBUTE_TYPE, std::vector<std::uint8_t>> sealed;
  CK_SESSION_HANDLE owner = 0;  // the creating session, for session objects

  const Bytes* get(CK_ATTRIBUTE_TYPE t) const {
    auto it = attrs.find(t);
    return it == attrs.end() ? nullptr : &it->second;
  }
  bool has(CK_ATTRIBUTE_TYPE t) const { return attrs.count(t) != 0; }
  bool flag(CK_ATTRIBUTE_TYPE t, bool dflt = false) const {
    const Bytes* b = get(t);
    return b && b->size() == 1 ? (*b)[0] == CK_TRUE : dflt;
  }
  std::optional<CK_ULONG> ulong(CK_ATTRIBUTE_TYPE t) const {
    const Bytes* b = get(t);
    if (!b || b->size() != sizeof(CK_ULONG)) return std::nullopt;
    CK_ULONG v;
    std::memcpy(&v, b->data(), sizeof v);
    return v;
  }
  void set_bool(CK_ATTRIBUTE_TYPE t, bool v) { attrs[t] = Bytes{static_cast<std::uint8_t>(v)}; }
  void set_ulong(CK_ATTRIBUTE_TYPE t, CK_ULONG v) {
    Bytes b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    attrs[t] = std::move(b);
  }
  void set_bytes(CK_ATTRIBUTE_TYPE t, std::span<const std::uint8_t> v) { attrs[t] = to_bytes(v); }

  CK_OBJECT_CLASS cls() const { return ulong(CKA_CLASS).value_or(CKO_VENDOR_DEFINED); }
  CK_KEY_TYPE key_type() const { return ulong(CKA_KEY_TYPE).value_or(CKK_VENDOR_DEFINED); }
  bool is_token() const { return flag(CKA_TOKEN); }
  bool is_private() const { return flag(CKA_PRIVATE); }
  bool is_key() const {
    auto c = cls();
    return c == CKO_PUBLIC_KEY || c == CKO_PRIVATE_KEY || c == CKO_SECRET_KEY;
  }
  std::string uid() const {
    const Bytes* b = get(CKA_UNIQUE_ID);
    return b ? std::string(b->begin(), b->end()) : std::string();
  }
};

using ObjectPtr = std::shared_ptr<const Object>;

}  // namespace pqmcp::token
