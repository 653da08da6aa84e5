#include "p11/module.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "p11/errors.h"
#include "pkcs11/attributes.h"

namespace pqmcp::p11 {

namespace {

// One Module per path and process: PKCS#11 allows a single C_Initialize per process, so two
// users of the same module must share it. The registry is deliberately leaked (never destroyed)
// so that no global destructor runs C_Finalize after the module's own atexit handlers.
struct Registry {
  std::mutex mu;
  std::map<std::string, std::weak_ptr<Module>> loaded;
};
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

std::string trim_field(const CK_UTF8CHAR* p, std::size_t n) {
  std::string s(reinterpret_cast<const char*>(p), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

Error module_error(const std::string& path, const std::string& why, CK_RV rv = CKR_OK) {
  return make_error(Error::Kind::kModule, "load module", "", "cannot use PKCS#11 module " + path + ": " + why, rv);
}

}  // namespace

std::string mechanism_name(CK_MECHANISM_TYPE m) {
  switch (m) {
#define N(x) \
  case x:    \
    return #x;
    N(CKM_ML_DSA_KEY_PAIR_GEN) N(CKM_ML_DSA) N(CKM_HASH_ML_DSA) N(CKM_ML_KEM_KEY_PAIR_GEN)
    N(CKM_ML_KEM) N(CKM_EC_KEY_PAIR_GEN) N(CKM_ECDSA) N(CKM_ECDSA_SHA256)
    N(CKM_EC_EDWARDS_KEY_PAIR_GEN) N(CKM_EDDSA) N(CKM_AES_KEY_GEN) N(CKM_AES_GCM)
    N(CKM_AES_KEY_WRAP) N(CKM_AES_KEY_WRAP_PAD) N(CKM_AES_KEY_WRAP_KWP) N(CKM_SHA256)
    N(CKM_SHA384) N(CKM_SHA512) N(CKM_SHA3_256) N(CKM_SHA3_512) N(CKM_RSA_PKCS_KEY_PAIR_GEN)
    N(CKM_RSA_PKCS) N(CKM_GENERIC_SECRET_KEY_GEN) N(CKM_SHA256_HMAC)
#undef N
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "CKM_0x%08lx", m);
      return buf;
    }
  }
}

Result<std::shared_ptr<Module>> Module::load(const std::string& path) {
  Registry& reg = registry();
  std::lock_guard lock(reg.mu);
  if (auto it = reg.loaded.find(path); it != reg.loaded.end())
    if (auto m = it->second.lock()) return m;

  // RTLD_LOCAL keeps two modules exporting the same C_* symbols apart; RTLD_NOW reports a
  // broken module here rather than at its first call.
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* why = ::dlerror();
    return module_error(path, std::string(why ? why : "dlopen failed") +
                                  "; check the module path in the config or pass --module");
  }
  std::shared_ptr<Module> m(new Module);
  m->path_ = path;
  m->handle_ = h;

  auto get_interface = reinterpret_cast<CK_C_GetInterface>(::dlsym(h, "C_GetInterface"));
  if (get_interface != nullptr) {
    CK_INTERFACE* iface = nullptr;
    CK_VERSION want{3, 2};
    auto name = reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>("PKCS 11"));
    if (get_interface(name, &want, &iface, 0) == CKR_OK && iface && iface->pFunctionList) {
      m->f32_ = static_cast<const CK_FUNCTION_LIST_3_2*>(iface->pFunctionList);
      // The 2.40 functions are the first members of every list, in the same order.
      m->f_ = reinterpret_cast<const CK_FUNCTION_LIST*>(iface->pFunctionList);
      m->version_ = m->f32_->version;
    }
  }
  if (m->f_ == nullptr) {
    auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(h, "C_GetFunctionList"));
    CK_FUNCTION_LIST* list = nullptr;
    if (get_list == nullptr || get_list(&list) != CKR_OK || list == nullptr)
      return module_error(path, "it exports neither C_GetInterface nor C_GetFunctionList; it is not a PKCS#11 module");
    m->f_ = list;
    m->version_ = list->version;
  }

  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;  // the session pool calls from several threads
  CK_RV rv = m->f_->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
    return module_error(path, std::string("C_Initialize failed: ") + rv_advice(rv, 0, false) +
                                  " (for libpqhsm check PQHSM_CONF; for SoftHSM2 check SOFTHSM2_CONF)",
                        rv);
  m->finalize_ = rv == CKR_OK;  // someone else initialised it: leave finalising to them
  reg.loaded[path] = m;
  return m;
}

Module::~Module() {
  if (f_ != nullptr && finalize_) f_->C_Finalize(nullptr);
  // No dlclose: modules may register atexit handlers or thread-local destructors that would
  // then point into unmapped code (reference §6 item 8). The mapping lives until exit.
}

std::string Module::description() const {
  CK_INFO info{};
  if (f_->C_GetInfo(&info) != CKR_OK) return path_;
  return trim_field(info.manufacturerID, 32) + " " + trim_field(info.libraryDescription, 32);
}

Result<TokenInfo> Module::token_info(CK_SLOT_ID slot) const {
  CK_TOKEN_INFO ti{};
  CK_RV rv = f_->C_GetTokenInfo(slot, &ti);
  if (rv != CKR_OK) return rv_error(rv, "C_GetTokenInfo", "");
  TokenInfo t;
  t.slot = slot;
  t.label = trim_field(ti.label, 32);
  t.serial = trim_field(ti.serialNumber, 16);
  t.manufacturer = trim_field(ti.manufacturerID, 32);
  t.model = trim_field(ti.model, 16);
  t.flags = ti.flags;
  return t;
}

Result<std::vector<TokenInfo>> Module::tokens(bool include_uninitialised) const {
  CK_ULONG n = 0;
  CK_RV rv = f_->C_GetSlotList(CK_TRUE, nullptr, &n);
  if (rv != CKR_OK) return rv_error(rv, "C_GetSlotList", "");
  std::vector<CK_SLOT_ID> slots(n);
  rv = f_->C_GetSlotList(CK_TRUE, slots.data(), &n);
  if (rv != CKR_OK) return rv_error(rv, "C_GetSlotList", "");
  slots.resize(n);
  std::vector<TokenInfo> out;
  for (CK_SLOT_ID s : slots) {
    auto t = token_info(s);
    if (!t) continue;  // a slot whose token vanished between the calls
    if (t->initialized() || include_uninitialised) out.push_back(std::move(t.value()));
  }
  return out;
}

Result<TokenInfo> Module::find_token(const std::string& label, const std::string& serial) const {
  auto all = tokens();
  if (!all) return std::move(all).error();
  for (auto& t : *all)
    if ((!label.empty() && t.label == label) || (label.empty() && !serial.empty() && t.serial == serial))
      return t;
  std::string names;
  for (auto& t : *all) names += (names.empty() ? "'" : ", '") + t.label + "'";
  return make_error(Error::Kind::kNotFound, "find token", label.empty() ? serial : label,
                    "no initialised token with this " + std::string(label.empty() ? "serial" : "label") +
                        " in " + path_ + (names.empty() ? " (it has none; run `pqmcp token init`)"
                                                        : " (it has " + names + ")"));
}

Result<std::vector<MechanismInfo>> Module::mechanisms(CK_SLOT_ID slot) const {
  CK_ULONG n = 0;
  CK_RV rv = f_->C_GetMechanismList(slot, nullptr, &n);
  if (rv != CKR_OK) return rv_error(rv, "C_GetMechanismList", "");
  std::vector<CK_MECHANISM_TYPE> types(n);
  rv = f_->C_GetMechanismList(slot, types.data(), &n);
  if (rv != CKR_OK) return rv_error(rv, "C_GetMechanismList", "");
  types.resize(n);
  std::vector<MechanismInfo> out;
  for (auto t : types) {
    CK_MECHANISM_INFO mi{};
    if (f_->C_GetMechanismInfo(slot, t, &mi) != CKR_OK) continue;
    out.push_back({t, mi.ulMinKeySize, mi.ulMaxKeySize, mi.flags});
  }
  return out;
}

Status Module::require(const TokenInfo& t, CK_MECHANISM_TYPE m, CK_FLAGS needed,
                       const std::string& what) const {
  const auto key = std::make_tuple(t.slot, m, needed);
  {
    std::lock_guard l(capable_mu_);
    if (capable_.count(key)) return {};
  }
  CK_MECHANISM_INFO mi{};
  CK_RV rv = f_->C_GetMechanismInfo(t.slot, m, &mi);
  if (rv == CKR_OK && (mi.flags & needed) == needed) {
    std::lock_guard l(capable_mu_);
    capable_.insert(key);
    return {};
  }
  std::string msg = "module " + path_ + " cannot " + what + ": it does not offer " + mechanism_name(m);
  if (m == CKM_ML_DSA_KEY_PAIR_GEN || m == CKM_ML_DSA || m == CKM_ML_KEM_KEY_PAIR_GEN || m == CKM_ML_KEM)
    msg += "; post-quantum keys need a PQC-capable module such as libpqhsm (for a composite identity "
           "the Ed25519 half may stay in this module: --ed25519-token)";
  return make_error(Error::Kind::kMechanism, "check mechanisms", t.label, msg, rv == CKR_OK ? CKR_MECHANISM_INVALID : rv);
}

Result<TokenInfo> Module::init_token(const std::string& label, std::span<const std::uint8_t> so_pin,
                                     std::span<const std::uint8_t> user_pin) const {
  if (label.empty() || label.size() > 32)
    return make_error(Error::Kind::kInput, "C_InitToken", label, "a token label has 1 to 32 bytes");
  if (auto existing = find_token(label); existing)
    return make_error(Error::Kind::kInput, "C_InitToken", label,
                      "a token with this label already exists in " + path_ + "; refusing to re-initialise it");
  auto all = tokens(true);
  if (!all) return std::move(all).error();
  const TokenInfo* free_slot = nullptr;
  for (auto& t : *all)
    if (!t.initialized()) {
      free_slot = &t;
      break;
    }
  if (free_slot == nullptr)
    return make_error(Error::Kind::kToken, "C_InitToken", label,
                      "every slot of " + path_ + " holds an initialised token; add a slot to the module's configuration");
  CK_UTF8CHAR lbl[32];
  std::memset(lbl, ' ', sizeof lbl);
  std::memcpy(lbl, label.data(), label.size());
  auto pin_ptr = [](std::span<const std::uint8_t> p) { return const_cast<CK_UTF8CHAR_PTR>(p.data()); };
  CK_RV rv = f_->C_InitToken(free_slot->slot, pin_ptr(so_pin), so_pin.size(), lbl);
  if (rv != CKR_OK) return rv_error(rv, "C_InitToken", label, 0, true);

  // Slot ids may change after C_InitToken (SoftHSM2): look the token up again by label.
  auto t = find_token(label);
  if (!t) return t;
  CK_SESSION_HANDLE s = 0;
  rv = f_->C_OpenSession(t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s);
  if (rv != CKR_OK) return rv_error(rv, "C_OpenSession", label);
  rv = f_->C_Login(s, CKU_SO, pin_ptr(so_pin), so_pin.size());
  if (rv == CKR_OK) {
    rv = f_->C_InitPIN(s, pin_ptr(user_pin), user_pin.size());
    f_->C_Logout(s);
  }
  f_->C_CloseSession(s);
  if (rv != CKR_OK) return rv_error(rv, "C_InitPIN", label, 0, true);
  return token_info(t->slot);
}

}  // namespace pqmcp::p11
