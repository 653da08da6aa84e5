// The hashing of Sign_internal's rejection loop (FIPS 204 Algorithm 7) on one four-way Keccak
// state, for CPUs where that state is fast (AVX2 / AVX-512VL).
//
// Each iteration hashes c̃ = H(μ ‖ w1Encode(w1), λ/4) (line 15) and SampleInBall's H(c̃)
// (line 16): eight serial permutations for ML-DSA-65 that cannot share a four-way call with
// anything of their own iteration. The four-way permutation costs about what one scalar
// permutation does, so these hashes run in lane 0 while lanes 1-3 hash ExpandMask streams
// (Algorithm 34, one SHAKE256 stream per nonce) for the iterations to come. An ML-DSA-65
// iteration needs 25 mask blocks and its two serial hashes carry 24, so the mask costs almost
// nothing. The output is exactly FIPS 204's: every stream is the same SHAKE256 computation,
// only the order in which permutations happen changes. Polynomials hashed for iterations that
// never come are discarded unused (and wiped with the workspace).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/keccak/keccak_x4.h"
#include "crypto/mldsa/arith.h"

namespace pqmcp::crypto::mldsa::internal {

class SignPipe {
 public:
  // Forgets everything hashed for an earlier ρ''. Call before the first iteration.
  void start(const Params& p, std::span<const std::uint8_t, 64> rho2) noexcept;
  // y = ExpandMask(ρ'', κ) (Algorithm 34). Polynomials are hashed ahead for κ + l, κ + 2l, ...
  // as Algorithm 7's loop asks for them (from κ = 0); any other κ is computed as well, after
  // dropping what was hashed ahead, and hashing goes on ahead from it.
  void expand_mask(PolyVecL& y, std::uint16_t kappa) noexcept;
  // c̃ = H(μ ‖ w1, p.ctilde_bytes) (Algorithm 7 line 15); w1 holds w1Encode(w1), of any length.
  void challenge(std::span<const std::uint8_t, 64> mu, std::span<const std::uint8_t> w1,
                 std::uint8_t* ctilde) noexcept;
  // c = SampleInBall(c̃) (Algorithm 29); c̃ must be public (declassified).
  void sample_in_ball(Poly& c, std::span<const std::uint8_t> ctilde) noexcept;
  // Permutations run since start(): lets the tests see that hashing ahead never stalls.
  std::uint64_t permutations() const noexcept { return permutations_; }

 private:
  static constexpr std::size_t kRate = 136;       // SHAKE256
  static constexpr int kMaskBlocks = 5;           // 5 · 136 >= 640, the largest z_poly_bytes
  static constexpr std::uint16_t kRing = 16;      // mask polynomials held at most (power of 2)
  static constexpr int kMaxWait = kMaskBlocks * (kRing / 3 + 2);  // steps for one wanted nonce

  struct MaskLane {
    std::uint16_t nonce;
    int blocks;  // squeezed so far; busy while < kMaskBlocks
    bool busy;
    std::uint8_t out[kMaskBlocks * kRate];
  };

  // Starts the next nonces in idle mask lanes, as far as the ring has room for them.
  void launch() noexcept;
  // One permutation of all lanes; each busy mask lane takes its next block, and a finished
  // stream becomes a polynomial in the ring.
  void step() noexcept;
  // Absorbs in into lane 0's sponge at byte pos_ of its block, stepping at each full block.
  void absorb(std::span<const std::uint8_t> in) noexcept;
  bool ready(std::uint16_t nonce) const noexcept { return ready_[nonce % kRing] && ring_nonce_[nonce % kRing] == nonce; }

  const Params* p_ = nullptr;
  std::uint8_t seed_[66];  // ρ'' ‖ nonce, the input of one mask stream
  KeccakLanesX4<kRate> x_;
  MaskLane lanes_[4];  // lanes_[0] is the serial hashes' lane, never a mask lane
  Poly ring_[kRing];
  std::uint16_t ring_nonce_[kRing];
  bool ready_[kRing];
  std::uint16_t want_ = 0;  // lowest nonce not yet consumed
  std::uint16_t next_ = 0;  // next nonce to launch
  std::size_t pos_ = 0;     // lane 0: bytes absorbed into the current block
  std::uint64_t permutations_ = 0;
};

}  // namespace pqmcp::crypto::mldsa::internal
