// libFuzzer harness for ML-DSA input handling. The first byte picks the parameter set and
// one of four modes:
//   0: arbitrary bytes split into pk / sig / msg / ctx, through every verify entry point;
//   1: a valid public key and message with fuzzed signature bytes (full length, so the hint
//      decoder, the z bound and the c̃ comparison are all reached);
//   2: a valid signature whose hint block is replaced by fuzzed bytes: since the encoding is
//      unique, any change must be rejected (malleability oracle);
//   3: a fuzzed expanded private key: public_from_private and signing must not crash, and a key
//      that passes public_from_private must produce signatures that verify.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "crypto/mldsa.h"

using namespace pqmcp::crypto;
using namespace pqmcp::crypto::mldsa;

namespace {

struct Fixture {
  std::vector<std::uint8_t> pk, sig;
  SecureBuffer sk;
};

const std::uint8_t kMsg[] = {'f', 'u', 'z', 'z'};

const Fixture& fixture(ParamSet ps) {
  static Fixture f[3];
  static bool ready = false;
  if (!ready) {
    for (int i = 0; i < 3; ++i) {
      std::uint8_t seed[32];
      std::memset(seed, 0x40 + i, sizeof seed);
      if (!is_ok(keygen_from_seed(static_cast<ParamSet>(i), seed, f[i].pk, f[i].sk)) ||
          !is_ok(sign(static_cast<ParamSet>(i), f[i].sk, kMsg, {}, f[i].sig, Randomness::kDeterministic)))
        std::abort();
    }
    ready = true;
  }
  return f[static_cast<int>(ps)];
}

std::size_t hint_offset(ParamSet ps) {
  switch (ps) {
    case ParamSet::kMlDsa44: return 32 + 4 * 576;
    case ParamSet::kMlDsa65: return 48 + 5 * 640;
    case ParamSet::kMlDsa87: break;
  }
  return 64 + 7 * 640;
}

// Takes n bytes (zero-padded) from the input.
std::vector<std::uint8_t> take(const std::uint8_t*& p, std::size_t& left, std::size_t n) {
  std::vector<std::uint8_t> out(n, 0);
  const std::size_t k = n < left ? n : left;
  if (k != 0) std::memcpy(out.data(), p, k);
  p += k;
  left -= k;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const ParamSet ps = static_cast<ParamSet>(data[0] % 3);
  const int mode = (data[0] / 3) % 4;
  const std::uint8_t* p = data + 1;
  std::size_t left = size - 1;
  const Sizes s = sizes(ps);
  const Fixture& f = fixture(ps);

  if (mode == 0) {
    // Length prefixes (two bytes each) let the fuzzer explore wrong sizes as well.
    if (left < 6) return 0;
    const std::size_t pk_len = (p[0] | p[1] << 8) % (s.public_key + 2);
    const std::size_t sig_len = (p[2] | p[3] << 8) % (s.signature + 2);
    const std::size_t ctx_len = (p[4] | p[5] << 8) % 300;
    p += 6;
    left -= 6;
    const auto pk = take(p, left, pk_len), sig = take(p, left, sig_len), ctx = take(p, left, ctx_len);
    const std::vector<std::uint8_t> msg(p, p + left);
    (void)verify(ps, pk, msg, ctx, sig);
    (void)verify_internal(ps, pk, msg, sig);
    (void)verify_prehash(ps, pk, msg, ctx, static_cast<PreHash>(ctx_len % 13), sig);
    if (msg.size() >= kMuBytes)
      (void)verify_mu(ps, pk, std::span<const std::uint8_t, kMuBytes>(msg.data(), kMuBytes), sig);
    std::uint8_t mu[kMuBytes];
    (void)compute_mu(ps, pk, msg, ctx, mu);
  } else if (mode == 1) {
    const auto sig = take(p, left, s.signature);
    const Status st = verify(ps, f.pk, kMsg, {}, sig);
    if (is_ok(st) && sig != f.sig) std::abort();  // a forgery (or malleability) from fuzz bytes
  } else if (mode == 2) {
    std::vector<std::uint8_t> sig = f.sig;
    const std::size_t off = hint_offset(ps);
    const auto hints = take(p, left, s.signature - off);
    std::memcpy(sig.data() + off, hints.data(), hints.size());
    if (is_ok(verify(ps, f.pk, kMsg, {}, sig)) && sig != f.sig) std::abort();
  } else {
    // Start from the valid key so most inputs stay well formed, then apply fuzzed XOR bytes.
    std::vector<std::uint8_t> sk(f.sk.data(), f.sk.data() + f.sk.size());
    const std::size_t len = left < sk.size() ? left : sk.size();
    for (std::size_t i = 0; i < len; ++i) sk[i] ^= p[i];
    std::vector<std::uint8_t> pk, sig;
    const Status ks = public_from_private(ps, sk, pk);
    const Status ss = sign(ps, sk, kMsg, {}, sig, Randomness::kDeterministic);
    if (is_ok(ks)) {
      if (!is_ok(ss) || !is_ok(verify(ps, pk, kMsg, {}, sig))) std::abort();
    }
    if (!is_ok(ss) && !sig.empty()) std::abort();
  }
  return 0;
}
