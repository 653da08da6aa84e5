// ML-KEM without vector files: the CCTV accumulated test pinned to FINAL FIPS 203 (reference/
// pqc.md §3.1), round trips, implicit rejection, the seed and randomized key forms, and bad input.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstring>
#include <deque>

#include "crypto/mlkem.h"
#include "crypto/random_testing.h"
#include "mlkem_test_util.h"

namespace pqmcp::crypto::mlkem {
namespace {

using namespace testutil;
using test::to_hex;

// OpenSSL's SHAKE, so the expected values do not depend on the Keccak under test.
Bytes openssl_shake(const EVP_MD* md, std::span<const std::uint8_t> in, std::size_t n) {
  Bytes out(n);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EXPECT_EQ(EVP_DigestInit_ex(ctx, md, nullptr), 1);
  EXPECT_EQ(EVP_DigestUpdate(ctx, in.data(), in.size()), 1);
  EXPECT_EQ(EVP_DigestFinalXOF(ctx, out.data(), out.size()), 1);
  EVP_MD_CTX_free(ctx);
  return out;
}

// C2SP/CCTV "accumulated pq-crystals vectors": RNG = SHAKE128("") read as a stream drawing d, z,
// m and a random ciphertext per test; accumulator = SHAKE128 over ek, dk, ct, K, K-bar.
std::string accumulated(ParamSet p, int iterations) {
  const Sizes sz = sizes(p);
  const std::size_t per_test = 32 + 32 + 32 + sz.ciphertext;
  const Bytes stream = openssl_shake(EVP_shake128(), {}, per_test * static_cast<std::size_t>(iterations));
  EVP_MD_CTX* acc = EVP_MD_CTX_new();
  EXPECT_EQ(EVP_DigestInit_ex(acc, EVP_shake128(), nullptr), 1);
  std::vector<std::uint8_t> ek, ct;
  SecureBuffer dk;
  SharedSecret k, k2, kbar;
  for (int i = 0; i < iterations; ++i) {
    const std::uint8_t* r = stream.data() + per_test * static_cast<std::size_t>(i);
    Bytes seed(r, r + 64);  // d || z
    const std::span<const std::uint8_t, 32> m(r + 64, 32);
    const std::span<const std::uint8_t> bad_ct(r + 96, sz.ciphertext);
    EXPECT_EQ(keygen_from_seed(p, fixed<64>(seed), ek, dk), Status::kOk);
    EXPECT_EQ(encaps_derand(p, ek, m, ct, k), Status::kOk);
    EXPECT_EQ(decaps(p, dk, ct, k2), Status::kOk);
    EXPECT_EQ(to_bytes(k), to_bytes(k2)) << "iteration " << i;
    EXPECT_EQ(decaps(p, dk, bad_ct, kbar), Status::kOk);
    EVP_DigestUpdate(acc, ek.data(), ek.size());
    EVP_DigestUpdate(acc, dk.data(), dk.size());
    EVP_DigestUpdate(acc, ct.data(), ct.size());
    EVP_DigestUpdate(acc, k.data(), k.size());
    EVP_DigestUpdate(acc, kbar.data(), kbar.size());
  }
  Bytes out(32);
  EVP_DigestFinalXOF(acc, out.data(), out.size());
  EVP_MD_CTX_free(acc);
  return to_hex(out);
}

TEST(MlKemUnit, AccumulatedCctvFinalFips203TenThousand) {
  // Final FIPS 203 values (pqc.md §3.1, reproduced with kyber-py and liboqs); the CCTV README's
  // own values are for the ipd key generation and must NOT match.
  const struct {
    ParamSet p;
    const char* expected;
  } cases[] = {
      {ParamSet::kMlKem512, "705dcffc87f4e67e35a09dcaa31772e86f3341bd3ccf1e78a5fef99ae6a35a13"},
      {ParamSet::kMlKem768, "f959d18d3d1180121433bf0e05f11e7908cf9d03edc150b2b07cb90bef5bc1c1"},
      {ParamSet::kMlKem1024, "e3bf82b013307b2e9d47dde791ff6dfc82e694e6382404abdb948b908b75bad5"},
  };
  int checked = 0;
  for (const auto& c : cases) {
    EXPECT_EQ(accumulated(c.p, 10000), c.expected) << name(c.p);
    std::printf("[ accumulated ] %s 10000 iterations\n", name(c.p));
    ++checked;
  }
  ASSERT_EQ(checked, 3);
}

TEST(MlKemUnit, RoundTripAndImplicitRejection) {
  for (ParamSet p : kAllSets) {
    const Sizes sz = sizes(p);
    for (int i = 0; i < 20; ++i) {
      const Bytes seed = test::test_bytes("rt-seed-" + std::to_string(i) + name(p), 64);
      const Bytes m = test::test_bytes("rt-m-" + std::to_string(i) + name(p), 32);
      std::vector<std::uint8_t> ek, ct;
      SecureBuffer dk;
      SharedSecret k, k2, kbar;
      ASSERT_EQ(keygen_from_seed(p, fixed<64>(seed), ek, dk), Status::kOk);
      ASSERT_EQ(ek.size(), sz.encaps_key);
      ASSERT_EQ(dk.size(), sz.decaps_key);
      ASSERT_EQ(check_encaps_key(p, ek), Status::kOk);
      ASSERT_EQ(check_decaps_key(p, dk), Status::kOk);
      ASSERT_EQ(encaps_derand(p, ek, fixed<32>(m), ct, k), Status::kOk);
      ASSERT_EQ(ct.size(), sz.ciphertext);
      ASSERT_EQ(decaps(p, dk, ct, k2), Status::kOk);
      ASSERT_EQ(to_bytes(k), to_bytes(k2));
      // Flip one bit anywhere: decapsulation succeeds with K-bar = J(z || c') (FIPS 203
      // Algorithm 18 line 7), computed here with OpenSSL.
      Bytes bad(ct.begin(), ct.end());
      bad[static_cast<std::size_t>(i * 37) % bad.size()] ^= static_cast<std::uint8_t>(1u << (i % 8));
      ASSERT_EQ(decaps(p, dk, bad, kbar), Status::kOk);
      Bytes j_in(dk.data() + dk.size() - 32, dk.data() + dk.size());
      j_in.insert(j_in.end(), bad.begin(), bad.end());
      ASSERT_EQ(to_bytes(kbar), openssl_shake(EVP_shake256(), j_in, 32));
      ASSERT_NE(to_bytes(kbar), to_bytes(k));
      // The same in c2 (the last 32 dv bytes): flipping a low bit there often leaves m' as it
      // was, so only a compare that covers all of c (Algorithm 18 line 9) rejects it.
      Bytes bad2(ct.begin(), ct.end());
      bad2[bad2.size() - 1 - static_cast<std::size_t>(i)] ^= 0x01;
      ASSERT_EQ(decaps(p, dk, bad2, kbar), Status::kOk);
      Bytes j_in2(dk.data() + dk.size() - 32, dk.data() + dk.size());
      j_in2.insert(j_in2.end(), bad2.begin(), bad2.end());
      ASSERT_EQ(to_bytes(kbar), openssl_shake(EVP_shake256(), j_in2, 32)) << name(p) << " i " << i;
    }
  }
}

// Inputs that share memory with an output: a seed stored at the front of the dk buffer it is
// expanded into, m taken from the key it produces, ek stored in the vector that receives ct.
// Each must give exactly the result of the same call with separate buffers.
TEST(MlKemUnit, AliasedArgumentsGiveTheSameResults) {
  int checked = 0;
  for (ParamSet p : kAllSets) {
    const Bytes seed = test::test_bytes(std::string("alias-seed") + name(p), 64);
    const Bytes m = test::test_bytes(std::string("alias-m") + name(p), 32);
    std::vector<std::uint8_t> ek, ct;
    SecureBuffer dk;
    SharedSecret k;
    ASSERT_EQ(keygen_from_seed(p, fixed<64>(seed), ek, dk), Status::kOk);
    ASSERT_EQ(encaps_derand(p, ek, fixed<32>(m), ct, k), Status::kOk);

    SecureBuffer in_place(seed);
    std::vector<std::uint8_t> ek2;
    ASSERT_EQ(keygen_from_seed(p, std::span<const std::uint8_t, 64>(in_place.data(), 64), ek2, in_place),
              Status::kOk);
    EXPECT_EQ(ek2, ek);
    EXPECT_EQ(to_bytes(in_place), to_bytes(dk));

    SharedSecret km;
    std::memcpy(km.data(), m.data(), 32);
    std::vector<std::uint8_t> ct2;
    ASSERT_EQ(encaps_derand(p, ek, km.span(), ct2, km), Status::kOk);
    EXPECT_EQ(ct2, ct);
    EXPECT_EQ(to_bytes(km), to_bytes(k));

    std::vector<std::uint8_t> shared = ek;
    SharedSecret k3;
    ASSERT_EQ(encaps_derand(p, shared, fixed<32>(m), shared, k3), Status::kOk);
    EXPECT_EQ(shared, ct);
    EXPECT_EQ(to_bytes(k3), to_bytes(k));
    ++checked;
  }
  ASSERT_EQ(checked, 3);
}

TEST(MlKemUnit, SeedFormEqualsExpandedForm) {
  for (ParamSet p : kAllSets) {
    std::vector<std::uint8_t> ek, ek2;
    SecureBuffer dk, dk2;
    Seed seed;
    ASSERT_EQ(keygen(p, ek, dk, &seed), Status::kOk);
    ASSERT_EQ(keygen_from_seed(p, seed, ek2, dk2), Status::kOk);
    EXPECT_EQ(ek, ek2);
    EXPECT_EQ(to_bytes(dk), to_bytes(dk2));
    EXPECT_EQ(check_seed_matches(p, seed, dk), Status::kOk);
    Seed other = seed;
    other[63] ^= 1;  // z differs: the dk's last byte differs
    EXPECT_EQ(check_seed_matches(p, other, dk), Status::kBadKey);
    other = seed;
    other[0] ^= 1;  // d differs: everything differs
    EXPECT_EQ(check_seed_matches(p, other, dk), Status::kBadKey);
    Bytes shorter = to_bytes(dk);
    shorter.pop_back();
    EXPECT_EQ(check_seed_matches(p, seed, shorter), Status::kBadLength);
    EXPECT_EQ(check_seed_matches(p, seed, {}), Status::kBadLength);
  }
}

TEST(MlKemUnit, RandomizedApisUseTheRandomSourceInFips203Order) {
  for (ParamSet p : kAllSets) {
    const Bytes seed = test::test_bytes(std::string("seam-seed") + name(p), 64);
    const Bytes m = test::test_bytes(std::string("seam-m") + name(p), 32);
    std::deque<std::uint8_t> pool(seed.begin(), seed.end());
    pool.insert(pool.end(), m.begin(), m.end());
    testing::ScopedRandomSource source([&](std::span<std::uint8_t> out) {
      for (auto& b : out) {
        b = pool.front();
        pool.pop_front();
      }
    });
    std::vector<std::uint8_t> ek, ek2, ct, ct2;
    SecureBuffer dk, dk2;
    Seed got_seed;
    SharedSecret k, k2;
    ASSERT_EQ(keygen(p, ek, dk, &got_seed), Status::kOk);  // d then z (Algorithm 19)
    ASSERT_EQ(keygen_from_seed(p, fixed<64>(seed), ek2, dk2), Status::kOk);
    EXPECT_EQ(ek, ek2);
    EXPECT_EQ(to_bytes(dk), to_bytes(dk2));
    EXPECT_EQ(to_bytes(got_seed), seed);
    ASSERT_EQ(encaps(p, ek, ct, k), Status::kOk);  // m (Algorithm 20)
    ASSERT_EQ(encaps_derand(p, ek, fixed<32>(m), ct2, k2), Status::kOk);
    EXPECT_EQ(ct, ct2);
    EXPECT_EQ(to_bytes(k), to_bytes(k2));
    EXPECT_TRUE(pool.empty());
  }
}

TEST(MlKemUnit, FreshKeysDiffer) {
  std::vector<std::uint8_t> ek1, ek2;
  SecureBuffer dk1, dk2;
  ASSERT_EQ(keygen(ParamSet::kMlKem768, ek1, dk1), Status::kOk);
  ASSERT_EQ(keygen(ParamSet::kMlKem768, ek2, dk2), Status::kOk);
  EXPECT_NE(ek1, ek2);
}

// Fixture data for the bad-input tests: a valid key pair and ciphertext per set.
struct Valid {
  ParamSet p;
  Bytes seed, m;
  std::vector<std::uint8_t> ek, ct;
  SecureBuffer dk;
  explicit Valid(ParamSet ps) : p(ps) {
    seed = test::test_bytes(std::string("bad-seed") + name(p), 64);
    m = test::test_bytes(std::string("bad-m") + name(p), 32);
    SharedSecret k;
    EXPECT_EQ(keygen_from_seed(p, fixed<64>(seed), ek, dk), Status::kOk);
    EXPECT_EQ(encaps_derand(p, ek, fixed<32>(m), ct, k), Status::kOk);
  }
};

std::vector<std::size_t> bad_lengths(std::size_t good) {
  return {0, 1, good - 1, good + 1, good - 32, good + 32, 2 * good};
}

// Every output starts as junk, so the test sees that an error zeroes or empties it.
void poison(std::vector<std::uint8_t>& v, SecureBuffer& s, SharedSecret& k) {
  v.assign(7, 0xAA);
  s.resize(9);
  std::memset(s.data(), 0xAA, s.size());
  std::memset(k.data(), 0xAA, k.size());
}

TEST(MlKemUnit, WrongLengthsAreRejectedAndOutputsCleared) {
  int checked = 0;
  for (ParamSet p : kAllSets) {
    const Valid v(p);
    const Sizes sz = sizes(p);
    std::vector<std::uint8_t> out;
    SecureBuffer sb;
    SharedSecret k;
    for (std::size_t len : bad_lengths(sz.encaps_key)) {
      const Bytes ek = test::test_bytes("ek-len", len);
      poison(out, sb, k);
      EXPECT_EQ(encaps_derand(p, ek, fixed<32>(v.m), out, k), Status::kBadLength) << len;
      EXPECT_TRUE(out.empty());
      EXPECT_TRUE(all_zero(k));
      poison(out, sb, k);
      EXPECT_EQ(encaps(p, ek, out, k), Status::kBadLength) << len;
      EXPECT_TRUE(out.empty());
      EXPECT_TRUE(all_zero(k));
      EXPECT_EQ(check_encaps_key(p, ek), Status::kBadLength);
      ++checked;
    }
    for (std::size_t len : bad_lengths(sz.decaps_key)) {
      Bytes dk = to_bytes(v.dk);
      dk.resize(len);
      poison(out, sb, k);
      EXPECT_EQ(decaps(p, dk, v.ct, k), Status::kBadLength) << len;
      EXPECT_TRUE(all_zero(k));
      EXPECT_EQ(check_decaps_key(p, dk), Status::kBadLength);
      EXPECT_EQ(check_seed_matches(p, fixed<64>(v.seed), dk), Status::kBadLength);
      ++checked;
    }
    for (std::size_t len : bad_lengths(sz.ciphertext)) {
      Bytes ct(v.ct.begin(), v.ct.end());
      ct.resize(len);
      poison(out, sb, k);
      EXPECT_EQ(decaps(p, v.dk, ct, k), Status::kBadLength) << len;
      EXPECT_TRUE(all_zero(k));
      ++checked;
    }
    // A key or ciphertext of another parameter set has another length.
    for (ParamSet q : kAllSets) {
      if (q == p) continue;
      const Valid w(q);
      EXPECT_EQ(check_encaps_key(p, w.ek), Status::kBadLength);
      EXPECT_EQ(check_decaps_key(p, w.dk), Status::kBadLength);
      EXPECT_EQ(decaps(p, v.dk, w.ct, k), Status::kBadLength);
      ++checked;
    }
  }
  ASSERT_EQ(checked, 3 * (7 + 7 + 7 + 2));
}

TEST(MlKemUnit, UnknownParameterSetIsUnsupported) {
  const auto bogus = static_cast<ParamSet>(7);
  const Valid v(ParamSet::kMlKem768);
  std::vector<std::uint8_t> out;
  SecureBuffer sb;
  SharedSecret k;
  poison(out, sb, k);
  EXPECT_EQ(keygen_from_seed(bogus, fixed<64>(v.seed), out, sb), Status::kUnsupported);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(sb.empty());
  poison(out, sb, k);
  EXPECT_EQ(keygen(bogus, out, sb), Status::kUnsupported);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(sb.empty());
  poison(out, sb, k);
  EXPECT_EQ(encaps(bogus, v.ek, out, k), Status::kUnsupported);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(all_zero(k));
  poison(out, sb, k);
  EXPECT_EQ(decaps(bogus, v.dk, v.ct, k), Status::kUnsupported);
  EXPECT_TRUE(all_zero(k));
  EXPECT_EQ(check_encaps_key(bogus, v.ek), Status::kUnsupported);
  EXPECT_EQ(check_decaps_key(bogus, v.dk), Status::kUnsupported);
  EXPECT_EQ(check_seed_matches(bogus, fixed<64>(v.seed), v.dk), Status::kUnsupported);
  EXPECT_STREQ(name(bogus), "unknown");
  EXPECT_STREQ(name(ParamSet::kMlKem768), "ML-KEM-768");
}

// Sets 12-bit coefficient `index` of an encoded vector to `value`.
void set_coeff(std::uint8_t* enc, std::size_t index, unsigned value) {
  std::uint8_t* b = enc + 3 * (index / 2);
  if (index % 2 == 0) {
    b[0] = static_cast<std::uint8_t>(value);
    b[1] = static_cast<std::uint8_t>((b[1] & 0xF0) | (value >> 8));
  } else {
    b[1] = static_cast<std::uint8_t>((b[1] & 0x0F) | ((value & 0xF) << 4));
    b[2] = static_cast<std::uint8_t>(value >> 4);
  }
}

TEST(MlKemUnit, OutOfRangeCoefficientsFailTheModulusCheck) {
  int checked = 0;
  for (ParamSet p : kAllSets) {
    const Valid v(p);
    const std::size_t ncoeff = 256 * (v.ek.size() - 32) / 384;
    std::vector<std::uint8_t> out;
    SecureBuffer sb;
    SharedSecret k;
    for (std::size_t idx : {std::size_t{0}, std::size_t{1}, std::size_t{255}, std::size_t{256}, ncoeff - 1}) {
      for (unsigned value : {3329u, 3330u, 4095u}) {
        Bytes ek(v.ek.begin(), v.ek.end());
        set_coeff(ek.data(), idx, value);
        poison(out, sb, k);
        EXPECT_EQ(encaps_derand(p, ek, fixed<32>(v.m), out, k), Status::kBadEncoding);
        EXPECT_TRUE(out.empty());
        EXPECT_TRUE(all_zero(k));
        EXPECT_EQ(check_encaps_key(p, ek), Status::kBadEncoding);
        // The same ek embedded in a dk with a matching H(ek): the hash check passes, the
        // modulus check of check_decaps_key must still reject it (pqc.md pitfall 4).
        Bytes dk = to_bytes(v.dk);
        const std::size_t off = dk.size() - 64 - ek.size();
        std::copy(ek.begin(), ek.end(), dk.begin() + static_cast<std::ptrdiff_t>(off));
        Bytes h(32);
        unsigned int hl = 0;
        EVP_Digest(ek.data(), ek.size(), h.data(), &hl, EVP_sha3_256(), nullptr);
        std::copy(h.begin(), h.end(), dk.end() - 64);
        EXPECT_EQ(check_decaps_key(p, dk), Status::kBadEncoding);
        // Decaps itself needs only the hash check (§7.3) and still decapsulates.
        EXPECT_EQ(decaps(p, dk, v.ct, k), Status::kOk);
        ++checked;
      }
      // q - 1 is in range.
      Bytes ek(v.ek.begin(), v.ek.end());
      set_coeff(ek.data(), idx, 3328);
      EXPECT_EQ(check_encaps_key(p, ek), Status::kOk);
    }
  }
  ASSERT_EQ(checked, 3 * 5 * 3);
}

TEST(MlKemUnit, CorruptedDecapsKeyFailsTheHashCheck) {
  for (ParamSet p : kAllSets) {
    const Valid v(p);
    SharedSecret k;
    const std::size_t n = v.dk.size();
    // Bytes inside ek (which H covers) and inside H itself; dk_pke and z are not covered.
    for (std::size_t pos : {n - 96 - 1, n - 64 - 32 - 200, n - 64, n - 33}) {
      Bytes dk = to_bytes(v.dk);
      dk[pos] ^= 0x01;
      std::memset(k.data(), 0xAA, k.size());
      EXPECT_EQ(decaps(p, dk, v.ct, k), Status::kBadKey) << pos;
      EXPECT_TRUE(all_zero(k));
      EXPECT_EQ(check_decaps_key(p, dk), Status::kBadKey) << pos;
    }
    const Bytes zeros(n, 0);  // mlkem-native PR #1823: an all-zero dk must not decapsulate
    EXPECT_EQ(decaps(p, zeros, v.ct, k), Status::kBadKey);
  }
}

TEST(MlKemUnit, RandomBytesNeverCrashAndGiveConsistentVerdicts) {
  int n = 0;
  for (ParamSet p : kAllSets) {
    const Valid v(p);
    const Sizes sz = sizes(p);
    for (int i = 0; i < 50; ++i) {
      const std::string tag = std::to_string(i) + name(p);
      const Bytes ek = test::test_bytes("rnd-ek" + tag, sz.encaps_key);
      const Bytes dk = test::test_bytes("rnd-dk" + tag, sz.decaps_key);
      const Bytes ct = test::test_bytes("rnd-ct" + tag, sz.ciphertext);
      std::vector<std::uint8_t> out;
      SharedSecret k;
      // 256k uniform 12-bit values are all < q with probability < 2^-130: random ek fails.
      EXPECT_EQ(check_encaps_key(p, ek), Status::kBadEncoding);
      EXPECT_EQ(encaps_derand(p, ek, fixed<32>(v.m), out, k), Status::kBadEncoding);
      EXPECT_EQ(check_decaps_key(p, dk), Status::kBadKey);
      EXPECT_EQ(decaps(p, dk, ct, k), Status::kBadKey);
      // Random ciphertext under a valid key: implicit rejection, not an error.
      EXPECT_EQ(decaps(p, v.dk, ct, k), Status::kOk);
      ++n;
    }
  }
  ASSERT_EQ(n, 150);
}

}  // namespace
}  // namespace pqmcp::crypto::mlkem
