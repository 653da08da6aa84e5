// Fuzzes ML-KEM decapsulation (FIPS 203 §7.3): an arbitrary dk/ct split of the input, a valid
// dk with a fuzzed ciphertext, which must always decapsulate (implicit rejection), and a dk with
// fuzzed dk_pke and z, which the hash check does not cover.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "crypto/mlkem.h"

using namespace pqmcp::crypto;
using namespace pqmcp::crypto::mlkem;

namespace {

struct KeyPair {
  std::vector<std::uint8_t> ek;
  SecureBuffer dk;
};

const KeyPair& valid_key(ParamSet p) {
  static KeyPair keys[3];
  static bool made = false;
  if (!made) {
    int i = 0;
    for (ParamSet q : {ParamSet::kMlKem512, ParamSet::kMlKem768, ParamSet::kMlKem1024}) {
      Seed seed;
      for (std::size_t j = 0; j < seed.size(); ++j) seed[j] = static_cast<std::uint8_t>(j * 3 + i);
      if (keygen_from_seed(q, seed, keys[i].ek, keys[i].dk) != Status::kOk) __builtin_trap();
      ++i;
    }
    made = true;
  }
  return keys[static_cast<int>(p)];
}

void require_zero(const SharedSecret& k) {
  for (std::size_t i = 0; i < k.size(); ++i)
    if (k[i] != 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const auto p = static_cast<ParamSet>(data[0] % 3);
  const Sizes sz = sizes(p);
  const std::span<const std::uint8_t> rest(data + 3, size - 3);
  const std::size_t split = rest.empty() ? 0 : (static_cast<std::size_t>(data[1]) << 8 | data[2]) % (rest.size() + 1);
  const auto dk = rest.first(split);
  const auto ct = rest.subspan(split);

  SharedSecret key;
  std::memset(key.data(), 0xAA, key.size());
  const Status s = decaps(p, dk, ct, key);
  const Status chk = check_decaps_key(p, dk);
  if (dk.size() != sz.decaps_key || ct.size() != sz.ciphertext) {
    if (s != Status::kBadLength) __builtin_trap();
  }
  if (s != Status::kOk) require_zero(key);
  if (dk.size() != sz.decaps_key && chk != Status::kBadLength) __builtin_trap();
  // A dk that fails the hash check fails both; check_decaps_key may additionally reject a
  // hash-consistent dk whose ek is unreduced, which decaps accepts.
  if (s == Status::kBadKey && chk != Status::kBadKey) __builtin_trap();

  // The valid key with the whole input, and with the input cut or padded to a ciphertext.
  const KeyPair& kp = valid_key(p);
  std::memset(key.data(), 0xAA, key.size());
  const Status s2 = decaps(p, kp.dk, std::span<const std::uint8_t>(data, size), key);
  if ((size == sz.ciphertext) != (s2 == Status::kOk)) __builtin_trap();
  if (s2 != Status::kOk) require_zero(key);
  std::vector<std::uint8_t> c(sz.ciphertext, 0);
  std::memcpy(c.data(), data, size < c.size() ? size : c.size());
  if (decaps(p, kp.dk, c, key) != Status::kOk) __builtin_trap();

  // A dk whose dk_pke and z are fuzzed but whose ek || H(ek) is intact passes the hash check
  // (§7.3 does not cover dk_pke or z), so decapsulation must run to the end on arbitrary
  // 12-bit s-hat coefficients, including unreduced ones, and still return a key.
  SecureBuffer odd(kp.dk.span());
  const std::size_t dk_pke = sz.decaps_key - sz.encaps_key - 64;
  for (std::size_t i = 0; i < size && i < dk_pke + 32; ++i) {
    const std::size_t at = i < dk_pke ? i : sz.decaps_key - 32 + (i - dk_pke);  // z is the last 32
    odd[at] ^= data[i];
  }
  if (decaps(p, odd, c, key) != Status::kOk) __builtin_trap();
  if (check_decaps_key(p, odd) != Status::kOk) __builtin_trap();
  return 0;
}
