// Helpers shared by the post-quantum handlers: the 3.2 CK_SIGN_ADDITIONAL_CONTEXT parameter
// and the parameter set of a key pair template.
#pragma once

#include <span>
#include <vector>

#include "core/result.h"
#include "crypto/ct.h"
#include "mechanisms/mechanism.h"

namespace pqmcp::token {

struct SignParams {
  CK_HEDGE_TYPE hedge = CKH_HEDGE_PREFERRED;
  std::vector<std::uint8_t> context;
};

// FIPS 204 §5.2: the context is at most 255 bytes; hedge values of 3.2 §6 only.
inline Result<SignParams> parse_sign_context(CK_HEDGE_TYPE hedge, const CK_BYTE* ctx,
                                             CK_ULONG len) {
  if (hedge != CKH_HEDGE_PREFERRED && hedge != CKH_HEDGE_REQUIRED &&
      hedge != CKH_DETERMINISTIC_REQUIRED)
    return Status(CKR_MECHANISM_PARAM_INVALID);
  if (len > 255 || (len > 0 && ctx == nullptr)) return Status(CKR_MECHANISM_PARAM_INVALID);
  SignParams p;
  p.hedge = hedge;
  if (len) p.context.assign(ctx, ctx + len);
  return p;
}

// No parameter means hedge preferred and an empty context (3.2 §6 CKM_ML_DSA).
inline Result<SignParams> parse_optional_sign_context(const CK_MECHANISM& m) {
  if (m.pParameter == nullptr && m.ulParameterLen == 0) return SignParams{};
  auto* p = mechanism_param<CK_SIGN_ADDITIONAL_CONTEXT>(m);
  if (!p) return Status(CKR_MECHANISM_PARAM_INVALID);
  return parse_sign_context(p->hedgeVariant, p->pContext, p->ulContextLen);
}

// CKA_PARAMETER_SET comes from the public template (3.2 §6 key pair generation); if the
// private template also names one, they must agree.
inline Result<CK_ULONG> keygen_parameter_set(const Object& pub, const Object& priv) {
  auto a = pub.ulong(CKA_PARAMETER_SET), b = priv.ulong(CKA_PARAMETER_SET);
  if (!a && !b) return Status(CKR_TEMPLATE_INCOMPLETE);
  if (a && b && *a != *b) return Status(CKR_TEMPLATE_INCONSISTENT);
  return a ? *a : *b;
}

inline bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && crypto::ct::equal(a, b);
}

}  // namespace pqmcp::token
