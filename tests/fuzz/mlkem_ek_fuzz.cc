// Fuzzes ML-KEM encapsulation-key handling (FIPS 203 §7.2): the key check and encapsulation
// must agree, never crash, and clear their outputs on error. Each input is tried raw (any
// length), tiled to the exact key length (the modulus check path), and xored into a valid key
// (mostly accepted keys, plus single out-of-range coefficients).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "crypto/mlkem.h"

using namespace pqmcp::crypto;
using namespace pqmcp::crypto::mlkem;

namespace {

const std::vector<std::uint8_t>& valid_ek(ParamSet p) {
  static std::vector<std::uint8_t> eks[3];
  auto& ek = eks[static_cast<int>(p)];
  if (ek.empty()) {
    Seed seed;
    for (std::size_t j = 0; j < seed.size(); ++j) seed[j] = static_cast<std::uint8_t>(j * 5 + 1);
    SecureBuffer dk;
    if (keygen_from_seed(p, seed, ek, dk) != Status::kOk) __builtin_trap();
  }
  return ek;
}

void check(ParamSet p, std::span<const std::uint8_t> ek) {
  std::uint8_t m[kMessageBytes];
  for (std::size_t i = 0; i < sizeof m; ++i) m[i] = static_cast<std::uint8_t>(i);
  const Status chk = check_encaps_key(p, ek);
  std::vector<std::uint8_t> ct(3, 0xAA);
  SharedSecret key;
  std::memset(key.data(), 0xAA, key.size());
  const Status s = encaps_derand(p, ek, m, ct, key);
  if (s != chk) __builtin_trap();
  if (ek.size() != sizes(p).encaps_key && s != Status::kBadLength) __builtin_trap();
  if (ek.size() == sizes(p).encaps_key && s != Status::kOk && s != Status::kBadEncoding) __builtin_trap();
  if (s == Status::kOk) {
    if (ct.size() != sizes(p).ciphertext) __builtin_trap();
  } else {
    if (!ct.empty()) __builtin_trap();
    for (std::size_t i = 0; i < key.size(); ++i)
      if (key[i] != 0) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (ParamSet p : {ParamSet::kMlKem512, ParamSet::kMlKem768, ParamSet::kMlKem1024}) {
    check(p, std::span<const std::uint8_t>(data, size));
    if (size == 0) continue;
    const std::size_t n = sizes(p).encaps_key;
    std::vector<std::uint8_t> tiled(n);
    for (std::size_t i = 0; i < n; ++i) tiled[i] = data[i % size];
    check(p, tiled);
    std::vector<std::uint8_t> mutated = valid_ek(p);
    const std::size_t off = size >= 2 ? (static_cast<std::size_t>(data[0]) << 8 | data[1]) % n : 0;
    for (std::size_t i = 2; i < size && off + i - 2 < n; ++i) mutated[off + i - 2] ^= data[i];
    check(p, mutated);
  }
  return 0;
}
