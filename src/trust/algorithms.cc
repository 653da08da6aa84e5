#include "trust/algorithms.h"

namespace pqmcp::trust {

std::optional<mcp::Algorithm> to_mcp(identity::Alg a) noexcept {
  switch (a) {
    case identity::Alg::kMlDsa44: return mcp::Algorithm::kMlDsa44;
    case identity::Alg::kMlDsa65: return mcp::Algorithm::kMlDsa65;
    case identity::Alg::kMlDsa87: return mcp::Algorithm::kMlDsa87;
    case identity::Alg::kMlDsa65Ed25519: return mcp::Algorithm::kMlDsa65Ed25519;
    case identity::Alg::kEd25519: return mcp::Algorithm::kEd25519;
    default: return std::nullopt;
  }
}

identity::Alg to_identity(mcp::Algorithm a) noexcept {
  switch (a) {
    case mcp::Algorithm::kMlDsa44: return identity::Alg::kMlDsa44;
    case mcp::Algorithm::kMlDsa65: return identity::Alg::kMlDsa65;
    case mcp::Algorithm::kMlDsa87: return identity::Alg::kMlDsa87;
    case mcp::Algorithm::kEd25519: return identity::Alg::kEd25519;
    case mcp::Algorithm::kMlDsa65Ed25519: break;
  }
  return identity::Alg::kMlDsa65Ed25519;
}

}  // namespace pqmcp::trust
