// Constant-time test for ML-KEM (FIPS 203), run under valgrind memcheck by ctest. The secrets
// d, z, m and dk are marked undefined; memcheck then reports every branch or memory index that
// depends on them. The library declassifies only what FIPS 203 makes public (rho, ek, the
// hash-check answer); this program declassifies outputs only to check them.
#include <cstdio>
#include <cstring>
#include <vector>

#include "crypto/ct.h"
#include "crypto/mlkem.h"
#include "crypto/random_testing.h"

using namespace pqmcp::crypto;
using namespace pqmcp::crypto::mlkem;

namespace {

int failures = 0;

void expect(bool cond, const char* what, ParamSet p) {
  if (!cond) {
    std::fprintf(stderr, "FAIL %s: %s\n", name(p), what);
    ++failures;
  }
}

// Checked results are declassified first so that the check itself is not reported.
bool ok(Status s) {
  PQMCP_CT_DECLASSIFY(&s, sizeof s);
  return s == Status::kOk;
}

bool same_key(SharedSecret a, SharedSecret b) {
  PQMCP_CT_DECLASSIFY(a.data(), a.size());
  PQMCP_CT_DECLASSIFY(b.data(), b.size());
  return std::memcmp(a.data(), b.data(), a.size()) == 0;
}

void run(ParamSet p, std::uint8_t tag) {
  Seed seed;
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(tag * 31 + i * 7);
  SecretArray<kMessageBytes> m;
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(tag * 13 + i * 5 + 1);
  PQMCP_CT_SECRET(seed.data(), seed.size());  // d || z
  PQMCP_CT_SECRET(m.data(), m.size());

  std::vector<std::uint8_t> ek, ct;
  SecureBuffer dk;
  SharedSecret k_enc, k_dec, k_rej;
  expect(ok(keygen_from_seed(p, seed, ek, dk)), "keygen", p);
  expect(ok(encaps_derand(p, ek, m, ct, k_enc)), "encaps", p);

  PQMCP_CT_SECRET(dk.data(), dk.size());
  expect(ok(decaps(p, dk, ct, k_dec)), "decaps", p);
  expect(same_key(k_enc, k_dec), "decaps == encaps", p);

  // A wrong ciphertext: the implicit-rejection path must take the same branches and indices.
  std::vector<std::uint8_t> bad = ct;
  bad[bad.size() / 2] ^= 0x10;
  PQMCP_CT_SECRET(dk.data(), dk.size());
  expect(ok(decaps(p, dk, bad, k_rej)), "decaps (implicit rejection)", p);
  expect(!same_key(k_enc, k_rej), "implicit rejection key differs", p);

  PQMCP_CT_SECRET(dk.data(), dk.size());
  expect(ok(check_decaps_key(p, dk)), "check_decaps_key", p);
  PQMCP_CT_SECRET(dk.data(), dk.size());
  PQMCP_CT_SECRET(seed.data(), seed.size());
  expect(ok(check_seed_matches(p, seed, dk)), "check_seed_matches", p);
}

// The randomized APIs (FIPS 203 Algorithms 19 and 20): every byte the random source delivers
// (d, z, then m) is secret, so the copy of the seed into seed_out and the drawing of m after the
// §7.2 checks are covered too.
void run_randomized(ParamSet p, std::uint8_t tag) {
  std::uint8_t next = tag;
  pqmcp::crypto::testing::ScopedRandomSource source([&](std::span<std::uint8_t> out) {
    for (auto& b : out) b = static_cast<std::uint8_t>(next++ * 73 + 11);
    PQMCP_CT_SECRET(out.data(), out.size());
  });
  std::vector<std::uint8_t> ek, ct;
  SecureBuffer dk;
  Seed seed;
  SharedSecret k_enc, k_dec;
  expect(ok(keygen(p, ek, dk, &seed)), "keygen (random)", p);
  expect(ok(encaps(p, ek, ct, k_enc)), "encaps (random)", p);
  expect(ok(decaps(p, dk, ct, k_dec)), "decaps after random keygen", p);
  expect(same_key(k_enc, k_dec), "random: decaps == encaps", p);
}

}  // namespace

int main() {
  std::uint8_t tag = 1;
  for (ParamSet p : {ParamSet::kMlKem512, ParamSet::kMlKem768, ParamSet::kMlKem1024}) {
    for (int i = 0; i < 3; ++i) run(p, tag++);
    run_randomized(p, tag++);
  }
  std::printf("mlkem_ct: %d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
