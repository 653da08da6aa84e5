// Constant-time check of ML-DSA under valgrind memcheck (ctest label "ct"). ξ, the expanded
// private key and every random byte (ξ in KeyGen, rnd in hedged signing) are marked undefined;
// memcheck then reports any branch or memory index that depends on them. The library
// declassifies only what FIPS 204 makes public (ρ, pk, tr, c̃, rejection flags, rej_eta
// decisions, the accepted signature), so a clean run means no other secret reaches a branch.
#include <cstdio>
#include <cstring>
#include <vector>

#include "crypto/ct.h"
#include "crypto/mldsa.h"
#include "crypto/random_testing.h"

using namespace pqmcp::crypto;
using namespace pqmcp::crypto::mldsa;

namespace {

int failures = 0;

void check(bool ok, const char* what, ParamSet ps) {
  if (!ok) {
    std::printf("FAIL %s %s\n", name(ps), what);
    ++failures;
  }
}

// Deterministic, secret-marked randomness: every byte random_bytes() hands out is undefined.
std::uint8_t g_counter = 1;
void secret_source(std::span<std::uint8_t> out) {
  for (auto& b : out) b = static_cast<std::uint8_t>(g_counter++ * 167u + 13u);
  PQMCP_CT_SECRET(out.data(), out.size());
}

void run(ParamSet ps) {
  testing::ScopedRandomSource seam(secret_source);
  std::uint8_t xi[32];
  for (int i = 0; i < 32; ++i) xi[i] = static_cast<std::uint8_t>(i * 7 + static_cast<int>(ps));
  PQMCP_CT_SECRET(xi, sizeof xi);

  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
  check(is_ok(keygen_from_seed(ps, xi, pk, sk)), "keygen_from_seed", ps);  // Algorithm 6
  {
    std::vector<std::uint8_t> pk2;
    SecureBuffer sk2;
    check(is_ok(keygen(ps, pk2, sk2)), "keygen", ps);  // Algorithm 1, ξ from the seam
  }
  PQMCP_CT_SECRET(sk.data(), sk.size());

  const std::uint8_t msg[] = {'c', 't', '-', 't', 'e', 's', 't'};
  const std::uint8_t ctx[] = {1, 2, 3};
  // Pure ML-DSA.Sign, hedged (rnd from the secret seam) and deterministic.
  check(is_ok(sign(ps, sk, msg, ctx, sig, Randomness::kHedged)), "sign hedged", ps);
  check(is_ok(verify(ps, pk, msg, ctx, sig)), "verify hedged", ps);
  check(is_ok(sign(ps, sk, msg, ctx, sig, Randomness::kDeterministic)), "sign deterministic", ps);
  check(is_ok(verify(ps, pk, msg, ctx, sig)), "verify deterministic", ps);
  // HashML-DSA, external μ and Sign_internal with a secret rnd share the same core, but each
  // has its own input handling.
  check(is_ok(sign_prehash(ps, sk, msg, ctx, PreHash::kSha3_384, sig)), "sign_prehash", ps);
  std::uint8_t mu[64];
  check(is_ok(compute_mu(ps, pk, msg, ctx, mu)), "compute_mu", ps);
  check(is_ok(sign_mu(ps, sk, mu, sig)), "sign_mu", ps);
  std::uint8_t rnd[32];
  std::memset(rnd, 0x5A, sizeof rnd);
  PQMCP_CT_SECRET(rnd, sizeof rnd);
  check(is_ok(sign_internal(ps, sk, msg, rnd, sig)), "sign_internal", ps);
  check(is_ok(verify_internal(ps, pk, msg, sig)), "verify_internal", ps);
  // A prepared key (decoded once, Â expanded once) signing several messages: every entry
  // point on it, hedged and deterministic.
  {
    PreparedPrivateKey prepared;
    check(is_ok(PreparedPrivateKey::load(ps, sk, prepared)), "prepared load", ps);
    PreparedPublicKey prepared_pk;
    check(is_ok(PreparedPublicKey::load(ps, pk, prepared_pk)), "prepared public load", ps);
    for (int i = 0; i < 2; ++i) {
      check(is_ok(sign(prepared, msg, ctx, sig, Randomness::kHedged)), "prepared sign hedged", ps);
      check(is_ok(verify(prepared_pk, msg, ctx, sig)), "prepared verify hedged", ps);
      check(is_ok(sign(prepared, msg, ctx, sig, Randomness::kDeterministic)), "prepared sign deterministic", ps);
      check(is_ok(verify(ps, pk, msg, ctx, sig)), "prepared verify deterministic", ps);
    }
    check(is_ok(sign_prehash(prepared, msg, ctx, PreHash::kSha256, sig)), "prepared sign_prehash", ps);
    check(is_ok(sign_mu(prepared, mu, sig)), "prepared sign_mu", ps);
    check(is_ok(verify_mu(prepared_pk, mu, sig)), "prepared verify_mu", ps);
    check(is_ok(sign_internal(prepared, msg, rnd, sig)), "prepared sign_internal", ps);
    check(is_ok(verify_internal(prepared_pk, msg, sig)), "prepared verify_internal", ps);
  }
  // Importing an expanded key (range checks and the t0/tr consistency check).
  std::vector<std::uint8_t> pk3;
  check(is_ok(public_from_private(ps, sk, pk3)), "public_from_private", ps);
  check(pk3 == pk, "public_from_private value", ps);
}

}  // namespace

int main() {
  // Outside memcheck the secret markers are no-ops and a clean run would prove nothing.
  if (!RUNNING_ON_VALGRIND) {
    std::printf("mldsa_ct: FAILED: not running under valgrind memcheck, nothing was checked\n");
    return 1;
  }
  for (ParamSet ps : {ParamSet::kMlDsa44, ParamSet::kMlDsa65, ParamSet::kMlDsa87}) run(ps);
  std::printf("mldsa_ct: %s (%d failures)\n", failures == 0 ? "ok" : "FAILED", failures);
  return failures == 0 ? 0 : 1;
}
