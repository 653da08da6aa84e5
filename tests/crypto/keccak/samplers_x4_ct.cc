// Constant-time check of the four-way samplers under valgrind memcheck: ML-DSA's ExpandS and
// ExpandMask on secret-marked seeds (ρ', ρ''), and the four-way SHAKE256 on secret inputs. Any
// branch or memory index that depends on a secret byte is a memcheck error; the only
// declassification on this path is RejBoundedPoly's accept flag (FIPS 204 Algorithm 31), which
// the one-stream sampler also reveals. ExpandA and ML-KEM's batched matrix and PRF run inside
// keygen/sign/encaps/decaps, which tests/ct checks end to end.
#include <cstdio>
#include <cstring>

#include "crypto/ct.h"
#include "crypto/keccak/keccak_x4.h"
#include "crypto/mldsa/arith.h"

using namespace pqmcp::crypto;
using namespace pqmcp::crypto::mldsa::internal;

int main() {
  std::printf("four-way Keccak backend: %s\n", keccak_x4_internal::backend_name());
  std::uint8_t seed[64];
  for (int i = 0; i < 64; ++i) seed[i] = static_cast<std::uint8_t>(i * 29 + 3);
  PQMCP_CT_SECRET(seed, sizeof seed);
  const std::span<const std::uint8_t, 64> s(seed, 64);
  int checksum = 0;
  for (const Params* p : {&kParams44, &kParams65, &kParams87}) {
    PolyVecL s1, y;
    PolyVecK s2;
    expand_s(*p, s1, s2, s);
    expand_mask(*p, y, s, static_cast<std::uint16_t>(p->l));
    // Results are secret; declassify one sum only so the program has an observable output.
    std::int32_t acc = 0;
    for (int r = 0; r < p->l; ++r)
      for (int i = 0; i < kN; ++i) acc += s1.v[r].c[i] + y.v[r].c[i];
    PQMCP_CT_DECLASSIFY(&acc, sizeof acc);
    checksum ^= acc;
  }
  {
    const std::uint8_t* in[4] = {seed, seed + 8, seed + 16, seed + 24};
    Shake256x4 x4;
    x4.absorb_once(in, 40);
    std::uint8_t out[4][136];
    std::uint8_t* o[4] = {out[0], out[1], out[2], out[3]};
    x4.squeeze_blocks(o, 1);
    std::uint8_t acc = 0;
    for (auto& lane : out)
      for (std::uint8_t b : lane) acc ^= b;
    PQMCP_CT_DECLASSIFY(&acc, sizeof acc);
    checksum ^= acc;
  }
  std::printf("checksum %d\n", checksum);
  return 0;
}
