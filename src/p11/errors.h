// Turns a CK_RV into an Error whose message says what happened and what to do about it.
#pragma once

#include <string>

#include "p11/result.h"

namespace pqmcp::p11 {

// token_flags are the token's CK_TOKEN_INFO flags read after the failure (0 when unknown); they
// turn CKR_PIN_INCORRECT into "N tries left" using CKF_USER_PIN_COUNT_LOW / FINAL_TRY / LOCKED.
Error rv_error(CK_RV rv, std::string operation, std::string token, CK_FLAGS token_flags = 0,
               bool so = false);

// The advice part alone ("check the PIN source named in the config"), for tests and logs.
std::string rv_advice(CK_RV rv, CK_FLAGS token_flags, bool so);

}  // namespace pqmcp::p11
