#include "mcp/algorithm.h"

#include "crypto/composite.h"
#include "crypto/eddsa.h"
#include "crypto/mldsa.h"

namespace pqmcp::mcp {

namespace {
namespace mldsa = crypto::mldsa;
namespace composite = crypto::composite;
namespace eddsa = crypto::eddsa;

mldsa::ParamSet param_set(Algorithm a) noexcept {
  return a == Algorithm::kMlDsa44   ? mldsa::ParamSet::kMlDsa44
         : a == Algorithm::kMlDsa87 ? mldsa::ParamSet::kMlDsa87
                                    : mldsa::ParamSet::kMlDsa65;
}
}  // namespace

std::string_view algorithm_id(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::kMlDsa65Ed25519: return "mldsa65-ed25519";
    case Algorithm::kMlDsa44: return "mldsa44";
    case Algorithm::kMlDsa65: return "mldsa65";
    case Algorithm::kMlDsa87: return "mldsa87";
    case Algorithm::kEd25519: return "ed25519";
  }
  return "";
}

std::optional<Algorithm> algorithm_from_id(std::string_view id) noexcept {
  for (Algorithm a : kAllAlgorithms) {
    if (algorithm_id(a) == id) return a;
  }
  return std::nullopt;
}

std::size_t public_key_size(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::kMlDsa65Ed25519:
      return composite::info(composite::Algorithm::kMlDsa65Ed25519).public_key;
    case Algorithm::kEd25519: return eddsa::sizes(eddsa::Curve::kEd25519).public_key;
    default: return mldsa::sizes(param_set(a)).public_key;
  }
}

std::size_t signature_size(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::kMlDsa65Ed25519:
      return composite::info(composite::Algorithm::kMlDsa65Ed25519).signature;
    case Algorithm::kEd25519: return eddsa::sizes(eddsa::Curve::kEd25519).signature;
    default: return mldsa::sizes(param_set(a)).signature;
  }
}

std::size_t private_key_size(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::kMlDsa65Ed25519:
      return composite::info(composite::Algorithm::kMlDsa65Ed25519).private_key;
    case Algorithm::kEd25519: return eddsa::sizes(eddsa::Curve::kEd25519).private_key;
    default: return mldsa::kSeedBytes;
  }
}

crypto::Status verify_signature(Algorithm a, std::span<const std::uint8_t> pk,
                                std::span<const std::uint8_t> msg,
                                std::span<const std::uint8_t> sig) noexcept {
  // The envelope's signing input already starts with pqmcp's domain label, so the ML-DSA and
  // composite context strings are empty (FIPS 204 §5.2; composite draft §4).
  switch (a) {
    case Algorithm::kMlDsa65Ed25519:
      return composite::verify(composite::Algorithm::kMlDsa65Ed25519, pk, msg, {}, sig);
    case Algorithm::kEd25519: return eddsa::verify(eddsa::Curve::kEd25519, pk, msg, sig);
    default: return mldsa::verify(param_set(a), pk, msg, {}, sig);
  }
}

}  // namespace pqmcp::mcp
