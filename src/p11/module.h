// A loaded PKCS#11 module: dlopen by path, the richest interface it offers (3.2 through
// C_GetInterface, else the 2.40 list of C_GetFunctionList), C_Initialize once per process and
// C_Finalize when the last user lets go. Slot ids are never stored: tokens are looked up by
// label or serial, because some modules (SoftHSM2) renumber slots after C_InitToken.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <tuple>
#include <span>
#include <string>
#include <vector>

#include "p11/result.h"

namespace pqmcp::p11 {

struct TokenInfo {
  CK_SLOT_ID slot = 0;
  std::string label, serial, manufacturer, model;
  CK_FLAGS flags = 0;
  bool initialized() const { return (flags & CKF_TOKEN_INITIALIZED) != 0; }
};

struct MechanismInfo {
  CK_MECHANISM_TYPE type = 0;
  CK_ULONG min_key = 0, max_key = 0;
  CK_FLAGS flags = 0;
};

// "CKM_ML_DSA", "CKM_EDDSA", or hex for mechanisms the client has no name for.
std::string mechanism_name(CK_MECHANISM_TYPE m);

class Module {
 public:
  // Loads (or returns the already loaded) module at path. Errors name the path and the cause:
  // a missing file, a library that is not a PKCS#11 module, a failed C_Initialize.
  static Result<std::shared_ptr<Module>> load(const std::string& path);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  const std::string& path() const { return path_; }
  CK_VERSION interface_version() const { return version_; }
  std::string description() const;  // manufacturer and library description from C_GetInfo

  // 2.40 functions, valid for every module; f32() is non-null only for a 3.2 interface.
  const CK_FUNCTION_LIST* f() const { return f_; }
  const CK_FUNCTION_LIST_3_2* f32() const { return f32_; }

  Result<std::vector<TokenInfo>> tokens(bool include_uninitialised = false) const;
  Result<TokenInfo> token_info(CK_SLOT_ID slot) const;
  // By label, or by serial when label is empty. Not found → Error::Kind::kNotFound.
  Result<TokenInfo> find_token(const std::string& label, const std::string& serial = "") const;

  Result<std::vector<MechanismInfo>> mechanisms(CK_SLOT_ID slot) const;
  // Fails with Error::Kind::kMechanism and a sentence naming the module, the token, the missing
  // mechanism and `what` ("generate ML-DSA-65 keys") when the slot cannot do it. A mechanism
  // found capable is remembered per slot: this guards every signature, and asking the module
  // again would cost one more PKCS#11 call each time.
  Status require(const TokenInfo& t, CK_MECHANISM_TYPE m, CK_FLAGS needed, const std::string& what) const;

  // Initialises the first present, uninitialised token (or the one in `slot` if given) with the
  // label, then sets the user PIN. Returns the token as found afterwards by label.
  Result<TokenInfo> init_token(const std::string& label, std::span<const std::uint8_t> so_pin,
                               std::span<const std::uint8_t> user_pin) const;

 private:
  Module() = default;
  std::string path_;
  void* handle_ = nullptr;
  const CK_FUNCTION_LIST* f_ = nullptr;
  const CK_FUNCTION_LIST_3_2* f32_ = nullptr;
  CK_VERSION version_{2, 40};
  bool finalize_ = false;
  mutable std::mutex capable_mu_;
  mutable std::set<std::tuple<CK_SLOT_ID, CK_MECHANISM_TYPE, CK_FLAGS>> capable_;
};

}  // namespace pqmcp::p11
