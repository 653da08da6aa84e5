// Constant-time check of Ed25519 signing under valgrind memcheck (ctest label "ct"): the private
// key (RFC 8032's 32-byte seed) is marked undefined, and memcheck reports any branch or memory
// index that depends on it, on the nonce derived from it, or on the comb digits of the nonce.
// Signing declassifies only the signature it returns (R once encoded, then S). Valgrind cannot
// run AVX-512, so this checks the portable path (ed25519_sign.h).
#include <sodium.h>

#include <cstdio>
#include <vector>

#include "crypto/ct.h"
#include "crypto/eddsa.h"

using namespace pqmcp::crypto;
using namespace pqmcp::crypto::eddsa;

int main() {
  if (sodium_init() < 0) return 1;
  int failures = 0;
  for (int round = 0; round < 4; ++round) {
    std::uint8_t seed[32];
    for (int i = 0; i < 32; ++i) seed[i] = static_cast<std::uint8_t>(i * 29 + round * 101 + 7);
    PQMCP_CT_SECRET(seed, sizeof seed);
    SigningKey key;
    if (SigningKey::load(Curve::kEd25519, seed, key) != Status::kOk) return 1;
    std::vector<std::uint8_t> pk, sig;
    if (key.public_key(pk) != Status::kOk) return 1;
    PQMCP_CT_DECLASSIFY(pk.data(), pk.size());  // the public key is public
    const std::vector<std::uint8_t> msg(static_cast<std::size_t>(round * 77), static_cast<std::uint8_t>(round));
    if (key.sign(msg, sig) != Status::kOk || sig.size() != 64) {
      std::printf("FAIL sign, round %d\n", round);
      ++failures;
      continue;
    }
    if (crypto_sign_ed25519_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) != 0) {
      std::printf("FAIL verify, round %d\n", round);
      ++failures;
    }
  }
  std::printf(failures ? "ed25519_ct: %d failures\n" : "ed25519_ct: ok\n", failures);
  return failures ? 1 : 0;
}
