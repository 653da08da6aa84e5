#include "crypto/mldsa/sign_pipe.h"

#include <algorithm>
#include <cstring>

#include "crypto/ct.h"

namespace pqmcp::crypto::mldsa::internal {

// Branches below depend on nonces, block counts and lane numbers only, which are public (κ is
// the iteration counter); the data that flows through the lanes is never branched on, except
// SampleInBall's, which derives from the public c̃.

void SignPipe::start(const Params& p, std::span<const std::uint8_t, 64> rho2) noexcept {
  p_ = &p;
  std::memcpy(seed_, rho2.data(), 64);
  for (auto& l : lanes_) l.busy = false;
  for (auto& r : ready_) r = false;
  for (auto& n : ring_nonce_) n = 0;
  want_ = next_ = 0;
  permutations_ = 0;
}

void SignPipe::launch() noexcept {
  for (int j = 1; j < 4; ++j) {
    MaskLane& l = lanes_[j];
    if (l.busy) continue;
    if (static_cast<std::uint16_t>(next_ - want_) >= kRing) return;  // the ring is full
    // A stream of ExpandMask: SHAKE256(ρ'' ‖ IntegerToBytes(nonce, 2)) (Algorithm 34 line 4).
    seed_[64] = static_cast<std::uint8_t>(next_);
    seed_[65] = static_cast<std::uint8_t>(next_ >> 8);
    x_.reset(j);
    x_.xor_bytes(j, 0, seed_, sizeof seed_);
    x_.pad_shake(j, sizeof seed_);
    l.nonce = next_++;
    l.blocks = 0;
    l.busy = true;
  }
}

void SignPipe::step() noexcept {
  x_.permute();
  ++permutations_;
  for (int j = 1; j < 4; ++j) {
    MaskLane& l = lanes_[j];
    if (!l.busy) continue;
    x_.read(j, l.out + static_cast<std::size_t>(l.blocks) * kRate, kRate);
    if (++l.blocks < kMaskBlocks) continue;
    const std::uint16_t slot = l.nonce % kRing;
    unpack_z(ring_[slot], l.out, *p_);  // the first z_poly_bytes of the stream
    ring_nonce_[slot] = l.nonce;
    ready_[slot] = true;
    l.busy = false;
  }
}

void SignPipe::expand_mask(PolyVecL& y, std::uint16_t kappa) noexcept {
  if (kappa != want_) {  // not the loop's next κ: start over from it
    for (auto& l : lanes_) l.busy = false;
    for (auto& r : ready_) r = false;
    want_ = next_ = kappa;
  }
  for (int r = 0; r < p_->l; ++r) {
    const auto nonce = static_cast<std::uint16_t>(kappa + r);
    // Within the ring's window a wanted nonce is under way or launched within a few steps, so
    // it is ready after at most ⌈kRing / 3⌉ streams' blocks. The bound only makes that a
    // guarantee: were it ever exceeded, the polynomial is hashed on its own instead.
    int steps = 0;
    while (!ready(nonce) && steps < kMaxWait) {
      launch();
      step();
      ++steps;
    }
    if (ready(nonce)) {
      y.v[r] = ring_[nonce % kRing];
      ready_[nonce % kRing] = false;
    } else {
      expand_mask_poly(y.v[r], std::span<const std::uint8_t, 64>(seed_, 64), nonce, *p_);
    }
  }
  want_ = static_cast<std::uint16_t>(kappa + p_->l);
}

void SignPipe::absorb(std::span<const std::uint8_t> in) noexcept {
  while (!in.empty()) {
    const std::size_t n = std::min(kRate - pos_, in.size());
    x_.xor_bytes(0, pos_, in.data(), n);
    in = in.subspan(n);
    if ((pos_ += n) == kRate) {
      launch();
      step();
      pos_ = 0;
    }
  }
}

void SignPipe::challenge(std::span<const std::uint8_t, 64> mu, std::span<const std::uint8_t> w1,
                         std::uint8_t* ctilde) noexcept {
  // H(μ ‖ w1Encode(w1)) in lane 0: whole blocks as they fill, then the last (possibly empty)
  // one padded.
  x_.reset(0);
  pos_ = 0;
  absorb(mu);
  absorb(w1);
  x_.pad_shake(0, pos_);
  launch();
  step();
  x_.read(0, ctilde, p_->ctilde_bytes);
}

void SignPipe::sample_in_ball(Poly& c, std::span<const std::uint8_t> ctilde) noexcept {
  x_.reset(0);
  x_.xor_bytes(0, 0, ctilde.data(), ctilde.size());
  x_.pad_shake(0, ctilde.size());
  sample_in_ball_from(c, p_->tau, [this](std::uint8_t* buf) {
    launch();
    step();
    x_.read(0, buf, kRate);
    // H(c̃) of a public c̃ is public; the lanes beside it hold secrets, which memcheck's
    // tracking may blur into lane 0 through the vector instructions.
    PQMCP_CT_DECLASSIFY(buf, kRate);
  });
}

}  // namespace pqmcp::crypto::mldsa::internal
