#include "store/object_store.h"

#include <atomic>

#include "store/schema.h"

namespace pqmcp::token {
namespace {
constexpr CK_ATTRIBUTE_TYPE kIndexed[] = {CKA_CLASS, CKA_KEY_TYPE, CKA_ID, CKA_LABEL};
}

CK_OBJECT_HANDLE next_object_handle() {
  static std::atomic<CK_OBJECT_HANDLE> next{1};
  return next.fetch_add(1);
}

void ObjectStore::index(CK_OBJECT_HANDLE h, const Object& o, bool add) {
  for (auto t : kIndexed) {
    const Bytes* v = o.get(t);
    if (!v) continue;
    IndexKey k{t, std::string(v->begin(), v->end())};
    if (add) {
      index_[k].insert(h);
    } else if (auto it = index_.find(k); it != index_.end()) {
      it->second.erase(h);
      if (it->second.empty()) index_.erase(it);
    }
  }
}

CK_OBJECT_HANDLE ObjectStore::insert(ObjectPtr o, CK_OBJECT_HANDLE handle) {
  CK_OBJECT_HANDLE h = handle != CK_INVALID_HANDLE ? handle : next_object_handle();
  index(h, *o, true);
  if (auto uid = o->uid(); !uid.empty()) by_uid_[uid] = h;
  objects_[h] = std::move(o);
  return h;
}

void ObjectStore::replace(CK_OBJECT_HANDLE h, ObjectPtr o) {
  erase(h);
  insert(std::move(o), h);
}

void ObjectStore::erase(CK_OBJECT_HANDLE h) {
  auto it = objects_.find(h);
  if (it == objects_.end()) return;
  index(h, *it->second, false);
  by_uid_.erase(it->second->uid());
  objects_.erase(it);
}

ObjectPtr ObjectStore::find(CK_OBJECT_HANDLE h) const {
  auto it = objects_.find(h);
  return it == objects_.end() ? nullptr : it->second;
}

std::optional<CK_OBJECT_HANDLE> ObjectStore::handle_of(const std::string& uid) const {
  auto it = by_uid_.find(uid);
  if (it == by_uid_.end()) return std::nullopt;
  return it->second;
}

std::vector<CK_OBJECT_HANDLE> ObjectStore::search(
    std::span<const CK_ATTRIBUTE> tmpl, const std::function<bool(const Object&)>& visible) const {
  // Narrow the candidates with the smallest index bucket the template names.
  const std::set<CK_OBJECT_HANDLE>* best = nullptr;
  for (const auto& a : tmpl) {
    bool indexed = false;
    for (auto t : kIndexed) indexed |= a.type == t;
    if (!indexed || (a.pValue == nullptr && a.ulValueLen)) continue;
    auto* p = static_cast<const char*>(a.pValue);
    auto it = index_.find({a.type, std::string(p, p ? a.ulValueLen : 0)});
    if (it == index_.end()) return {};
    if (!best || it->second.size() < best->size()) best = &it->second;
  }
  std::vector<CK_OBJECT_HANDLE> out;
  auto consider = [&](CK_OBJECT_HANDLE h, const Object& o) {
    if (visible(o) && schema::matches(o, tmpl)) out.push_back(h);
  };
  if (best) {
    for (auto h : *best) consider(h, *objects_.at(h));
  } else {
    for (const auto& [h, o] : objects_) consider(h, *o);
  }
  return out;
}

void ObjectStore::erase_if(const std::function<bool(const Object&)>& pred) {
  std::vector<CK_OBJECT_HANDLE> gone;
  for (const auto& [h, o] : objects_)
    if (pred(*o)) gone.push_back(h);
  for (auto h : gone) erase(h);
}

void ObjectStore::for_each(const std::function<void(CK_OBJECT_HANDLE, const ObjectPtr&)>& fn) const {
  for (const auto& [h, o] : objects_) fn(h, o);
}

}  // namespace pqmcp::token
