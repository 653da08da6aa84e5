// The four-way Keccak: every backend of keccak_f1600_x4 against four scalar keccak_f1600 calls,
// and the four-way SHAKE sponges against the scalar ones on inputs around the rate boundaries.
// ctest runs this binary three times (as it is, with PQMCP_CRYPTO_PORTABLE=1 and with
// PQMCP_CRYPTO_NO_AVX512=1), so each of the dispatcher's choices is exercised where the CPU has it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "crypto/keccak/keccak_x4.h"
#include "crypto/sha3.h"
#include "support/vectors.h"

namespace pqmcp::crypto {
namespace {

using test::Bytes;

bool cpu_has_avx2() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
#else
  return false;
#endif
}

bool cpu_has_avx512vl() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512vl") != 0;
#else
  return false;
#endif
}

bool env_is_one(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, "1") == 0;
}

// Four random scalar states from the deterministic test stream, and their interleaving.
struct States {
  std::uint64_t one[4][25];
  std::uint64_t x4[kKeccakX4Words];
};

States random_states(int seed) {
  States st;
  const Bytes bytes = test::test_bytes("keccak-x4-states-" + std::to_string(seed), sizeof st.one);
  std::memcpy(st.one, bytes.data(), sizeof st.one);
  for (int i = 0; i < 25; ++i)
    for (int j = 0; j < 4; ++j) st.x4[4 * i + j] = st.one[j][i];
  return st;
}

using Permute = void (*)(std::uint64_t*) noexcept;

void check_permutation(Permute permute, const char* name) {
  for (int seed = 0; seed < 64; ++seed) {
    States st = random_states(seed);
    // Several rounds in a row, so an error in any round constant or offset shows up.
    for (int rep = 0; rep < 3; ++rep) {
      permute(st.x4);
      for (auto& s : st.one) keccak_f1600(s);
      for (int i = 0; i < 25; ++i)
        for (int j = 0; j < 4; ++j)
          ASSERT_EQ(st.x4[4 * i + j], st.one[j][i]) << name << " seed " << seed << " lane " << i << " state " << j;
    }
  }
}

TEST(KeccakX4, PortableBackendEqualsFourScalarPermutations) {
  check_permutation(&keccak_x4_internal::permute_portable, "portable");
}

#if defined(__x86_64__)
// A vector backend, where the CPU can run it (on other architectures there is none).
void check_backend(bool cpu_has_it, const char* name, Permute permute) {
  if (!cpu_has_it) GTEST_SKIP() << "CPU without " << name;
  check_permutation(permute, name);
}

TEST(KeccakX4, Avx2BackendEqualsFourScalarPermutations) {
  check_backend(cpu_has_avx2(), "avx2", &keccak_x4_internal::permute_avx2);
}

TEST(KeccakX4, Avx512BackendEqualsFourScalarPermutations) {
  check_backend(cpu_has_avx512vl(), "avx512vl", &keccak_x4_internal::permute_avx512);
}
#endif

TEST(KeccakX4, DispatcherEqualsFourScalarPermutations) {
  check_permutation(&keccak_f1600_x4, "dispatch");
}

TEST(KeccakX4, BackendFollowsCpuAndEnvironment) {
  using keccak_x4_internal::Backend;
  const bool portable = env_is_one("PQMCP_CRYPTO_PORTABLE") || !cpu_has_avx2();
  const Backend want = portable                                                        ? Backend::kPortable
                       : cpu_has_avx512vl() && !env_is_one("PQMCP_CRYPTO_NO_AVX512") ? Backend::kAvx512
                                                                                       : Backend::kAvx2;
  EXPECT_EQ(keccak_x4_internal::backend(), want) << keccak_x4_internal::backend_name();
  EXPECT_EQ(keccak_x4_internal::avx2_selected(), !portable);
}

template <class Scalar, class X4>
void check_shake(const char* name) {
  constexpr std::size_t R = X4::kRate;
  const std::size_t lengths[] = {0,      1,      8,      33,     34,     66,    R - 9, R - 2,
                                 R - 1,  R,      R + 1,  R + 8,  2 * R - 1, 2 * R, 2 * R + 1, 1000};
  for (std::size_t len : lengths) {
    Bytes in[4];
    const std::uint8_t* ptr[4];
    for (int j = 0; j < 4; ++j) {
      in[j] = test::test_bytes(std::string(name) + "-in-" + std::to_string(len) + "-" + std::to_string(j), len);
      ptr[j] = in[j].data();
    }
    X4 x4;
    x4.absorb_once(ptr, len);
    // Squeeze 1 block, then 3 more at once, to check that the stream continues across calls.
    Bytes out[4];
    std::uint8_t* optr[4];
    for (int j = 0; j < 4; ++j) {
      out[j].assign(4 * R, 0);
      optr[j] = out[j].data();
    }
    x4.squeeze_blocks(optr, 1);
    for (int j = 0; j < 4; ++j) optr[j] = out[j].data() + R;
    x4.squeeze_blocks(optr, 3);
    for (int j = 0; j < 4; ++j) {
      Bytes expected(4 * R);
      Scalar s;
      s.absorb(in[j]);
      s.squeeze(expected);
      ASSERT_EQ(out[j], expected) << name << " length " << len << " lane " << j;
    }
  }
}

TEST(KeccakX4, Shake128x4EqualsScalarShake128) { check_shake<Shake128, Shake128x4>("shake128"); }
TEST(KeccakX4, Shake256x4EqualsScalarShake256) { check_shake<Shake256, Shake256x4>("shake256"); }

TEST(KeccakX4, SharedInputAndSkippedLanes) {
  // Equal pointers in all lanes give four copies of one stream; a null output lane is skipped.
  const Bytes in = test::test_bytes("shared", 34);
  const std::uint8_t* ptr[4] = {in.data(), in.data(), in.data(), in.data()};
  Shake128x4 x4;
  x4.absorb_once(ptr, in.size());
  Bytes a(2 * Shake128x4::kRate), c(2 * Shake128x4::kRate);
  std::uint8_t* optr[4] = {a.data(), nullptr, c.data(), nullptr};
  x4.squeeze_blocks(optr, 2);
  Bytes expected(a.size());
  shake128(in, expected);
  EXPECT_EQ(a, expected);
  EXPECT_EQ(c, expected);
}

}  // namespace
}  // namespace pqmcp::crypto
