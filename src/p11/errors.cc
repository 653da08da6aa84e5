#include "p11/errors.h"

#include "pkcs11/rv_names.h"

namespace pqmcp::p11 {

std::string Error::to_string() const {
  std::string s = operation;
  if (!token.empty()) s += " on token '" + token + "'";
  if (!s.empty()) s += ": ";
  s += message;
  if (rv != CKR_OK) s += std::string(" (") + pkcs11::rv_name(rv) + ")";
  return s;
}

namespace {

// The PIN-count flags are the only portable hint a module gives about remaining tries (base spec
// §3.2 CK_TOKEN_INFO): it never states a number, so "2 tries left" is what COUNT_LOW implies for
// modules with the customary three-try limit, and we say "fewer tries" when unsure.
std::string pin_tries(CK_FLAGS f, bool so) {
  const CK_FLAGS locked = so ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED;
  const CK_FLAGS final_try = so ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY;
  const CK_FLAGS low = so ? CKF_SO_PIN_COUNT_LOW : CKF_USER_PIN_COUNT_LOW;
  if (f & locked) return "the PIN is now locked; the security officer must reset it";
  if (f & final_try) return "1 try left before the PIN locks";
  if (f & low) return "2 tries left or fewer before the PIN locks";
  return "check the PIN source named in the config (pin_env, pin_file) and try again";
}

}  // namespace

std::string rv_advice(CK_RV rv, CK_FLAGS f, bool so) {
  const char* who = so ? "security officer (SO) PIN" : "user PIN";
  switch (rv) {
    case CKR_PIN_INCORRECT:
      return std::string("wrong ") + who + ": " + pin_tries(f, so);
    case CKR_PIN_LOCKED:
      return std::string("the ") + who + " is locked; the security officer must reset it (C_InitPIN)";
    case CKR_PIN_LEN_RANGE:
    case CKR_PIN_INVALID:
      return std::string("the ") + who + " has an invalid length or characters for this token";
    case CKR_PIN_EXPIRED:
      return std::string("the ") + who + " has expired; change it before use";
    case CKR_USER_PIN_NOT_INITIALIZED:
      return "the token has no user PIN yet; run `pqmcp token init` or set it with the SO PIN";
    case CKR_USER_NOT_LOGGED_IN:
      return "this operation needs a logged-in user; configure a PIN source for the token";
    case CKR_TOKEN_NOT_PRESENT:
      return "no token in the slot; check the module configuration";
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_TOKEN_NOT_INITIALIZED:
      return "the token is not initialised; run `pqmcp token init`";
    case CKR_TOKEN_WRITE_PROTECTED:
      return "the token is write-protected";
    case CKR_MECHANISM_INVALID:
      return "the module does not offer this mechanism; use a module that does (see `pqmcp token info`)";
    case CKR_MECHANISM_PARAM_INVALID:
      return "the module rejected the mechanism parameters (context length, hedging variant)";
    case CKR_PARAMETER_SET_NOT_SUPPORTED:
      return "the module does not support this parameter set";
    case CKR_CURVE_NOT_SUPPORTED:
      return "the module does not support this curve";
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
      return "the key's attributes or allowed mechanisms forbid this use";
    case CKR_KEY_HANDLE_INVALID:
    case CKR_OBJECT_HANDLE_INVALID:
      return "the key no longer exists on the token";
    case CKR_KEY_TYPE_INCONSISTENT:
      return "the key's type does not match the mechanism";
    case CKR_SIGNATURE_INVALID:
    case CKR_SIGNATURE_LEN_RANGE:
      return "the signature does not verify";
    case CKR_DEVICE_MEMORY:
    case CKR_HOST_MEMORY:
    case CKR_TOKEN_RESOURCE_EXCEEDED:
      return "the token or host ran out of memory";
    case CKR_SESSION_COUNT:
      return "the token has no free sessions; lower the session pool size";
    case CKR_DEVICE_ERROR:
    case CKR_DEVICE_REMOVED:
      return "the device failed or was removed; check the HSM and retry";
    case CKR_TEMPLATE_INCOMPLETE:
    case CKR_TEMPLATE_INCONSISTENT:
    case CKR_ATTRIBUTE_VALUE_INVALID:
    case CKR_ATTRIBUTE_TYPE_INVALID:
      return "the module rejected the key template; it may not support this key type";
    case CKR_ATTRIBUTE_SENSITIVE:
      return "the attribute is sensitive and cannot be read";
    case CKR_CRYPTOKI_NOT_INITIALIZED:
      return "the module is not initialised (internal error in the client)";
    case CKR_FUNCTION_NOT_SUPPORTED:
      return "the module does not implement this function";
    case CKR_SLOT_ID_INVALID:
      return "the slot disappeared; tokens are selected by label or serial, retry";
    case CKR_DATA_LEN_RANGE:
      return "the input is too long or too short for this mechanism";
    default:
      return "the module reported an error";
  }
}

Error rv_error(CK_RV rv, std::string operation, std::string token, CK_FLAGS flags, bool so) {
  Error::Kind kind = Error::Kind::kToken;
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_LEN_RANGE ||
      rv == CKR_PIN_INVALID || rv == CKR_PIN_EXPIRED)
    kind = Error::Kind::kPin;
  if (rv == CKR_MECHANISM_INVALID || rv == CKR_PARAMETER_SET_NOT_SUPPORTED ||
      rv == CKR_CURVE_NOT_SUPPORTED)
    kind = Error::Kind::kMechanism;
  return make_error(kind, std::move(operation), std::move(token), rv_advice(rv, flags, so), rv);
}

}  // namespace pqmcp::p11
