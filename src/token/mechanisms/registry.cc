#include "mechanisms/mechanism.h"

namespace pqmcp::token {

const Registry& Registry::get() {
  // Built once and never destroyed: no global destructor can run while another library's
  // atexit handler still calls into the module (SoftHSM issues #635, #729).
  static const Registry* r = [] {
    auto* reg = new Registry();
    register_mldsa(*reg);
    register_mlkem(*reg);
    register_ec(*reg);
    register_composite_sign(*reg);
    register_aes(*reg);
    register_digest(*reg);
    register_mcp_sign(*reg);
    return reg;
  }();
  return *r;
}

const Mechanism* Registry::mechanism(CK_MECHANISM_TYPE t) const {
  auto it = mechs_.find(t);
  return it == mechs_.end() ? nullptr : it->second.get();
}

const KeyType* Registry::key_type(CK_KEY_TYPE t) const {
  auto it = types_.find(t);
  return it == types_.end() ? nullptr : it->second.get();
}

std::vector<CK_MECHANISM_TYPE> Registry::mechanisms() const {
  std::vector<CK_MECHANISM_TYPE> out;
  for (const auto& [t, m] : mechs_) out.push_back(t);
  return out;
}

void Registry::add(std::unique_ptr<Mechanism> m) {
  auto t = m->type();
  mechs_[t] = std::move(m);
}
void Registry::add(std::unique_ptr<KeyType> k) {
  auto t = k->type();
  types_[t] = std::move(k);
}

Result<const Bytes*> key_material(const Object& key, CK_ATTRIBUTE_TYPE t) {
  const Bytes* b = key.get(t);
  if (b) return b;
  if (key.sealed.count(t)) return Status(CKR_USER_NOT_LOGGED_IN);
  return Status(CKR_KEY_HANDLE_INVALID);
}

}  // namespace pqmcp::token
