// The in-memory object table of one token: handles, unique ids, and an index over the
// non-secret attributes that C_FindObjects filters on (CKA_CLASS, CKA_KEY_TYPE, CKA_ID,
// CKA_LABEL), so a search never walks decrypted key material (SoftHSM issues #680/#711).
// Not thread-safe by itself: the owning Token's lock guards it.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "store/object.h"

namespace pqmcp::token {

class ObjectStore {
 public:
  // Inserts with a fresh module-wide handle, or with `handle` if given (kept across reloads).
  CK_OBJECT_HANDLE insert(ObjectPtr o, CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE);
  void replace(CK_OBJECT_HANDLE h, ObjectPtr o);
  void erase(CK_OBJECT_HANDLE h);
  ObjectPtr find(CK_OBJECT_HANDLE h) const;
  std::optional<CK_OBJECT_HANDLE> handle_of(const std::string& uid) const;
  // Handles of objects matching every attribute of tmpl and accepted by `visible`.
  std::vector<CK_OBJECT_HANDLE> search(std::span<const CK_ATTRIBUTE> tmpl,
                                       const std::function<bool(const Object&)>& visible) const;
  void erase_if(const std::function<bool(const Object&)>& pred);
  void for_each(const std::function<void(CK_OBJECT_HANDLE, const ObjectPtr&)>& fn) const;

 private:
  using IndexKey = std::pair<CK_ATTRIBUTE_TYPE, std::string>;
  void index(CK_OBJECT_HANDLE h, const Object& o, bool add);
  std::map<CK_OBJECT_HANDLE, ObjectPtr> objects_;
  std::map<std::string, CK_OBJECT_HANDLE> by_uid_;
  std::map<IndexKey, std::set<CK_OBJECT_HANDLE>> index_;
};

// Module-wide handle allocator: handles are never reused while the module is loaded, so a
// stale handle is always CKR_OBJECT_HANDLE_INVALID rather than another object.
CK_OBJECT_HANDLE next_object_handle();

}  // namespace pqmcp::token
