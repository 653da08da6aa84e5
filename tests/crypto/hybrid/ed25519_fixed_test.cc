// Ed25519 verification against a prepared key (VerifyingKey, on crypto/hybrid/ed25519_fixed):
// differential tests against libsodium 1.0.18's crypto_sign_ed25519_verify_detached, whose
// accept/reject decisions it must reproduce exactly — on valid signatures, on mutated and
// crafted ones (including signatures whose group equation holds but that libsodium refuses:
// S + L, and R the identity), and on which keys are refused.
#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <atomic>
#include <random>
#include <thread>

#include "crypto/eddsa.h"
#include "support/vectors.h"

namespace pqmcp::crypto::eddsa {
namespace {

using test::Bytes;
constexpr Curve k25519 = Curve::kEd25519;
const bool kSodiumReady = sodium_init() >= 0;  // before the first direct libsodium call

// L = 2^252 + 27742317777372353535851937790883648493, little-endian (RFC 8032 §5.1).
constexpr std::array<std::uint8_t, 32> kL = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                             0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                             0, 0, 0, 0x10};

// The y-coordinates of the eight points of small order (y = 0, 1, -1 and the two order-8
// values; each also with either sign bit below), plus y = p and y = p + 1, the non-canonical
// encodings of y = 0 and y = 1.
const char* const kSmallOrder[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

bool sodium_ok(const Bytes& pk, const Bytes& msg, const Bytes& sig) {
  return crypto_sign_ed25519_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) == 0;
}

// The prepared path's decision; anything but kOk / kVerifyFailed is a test failure.
bool prepared_ok(const VerifyingKey& vk, const Bytes& msg, const Bytes& sig) {
  const Status s = vk.verify(msg, sig);
  EXPECT_TRUE(s == Status::kOk || s == Status::kVerifyFailed) << status_name(s);
  return s == Status::kOk;
}

struct Rng {
  std::mt19937_64 g;
  explicit Rng(std::uint64_t seed) : g(seed) {}
  std::uint64_t operator()() { return g(); }
  Bytes bytes(std::size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(g());
    return b;
  }
};

struct Key {
  Bytes pk, sk;  // sk: libsodium's 64-byte seed ‖ pk
  VerifyingKey vk;
};

Key make_key(Rng& rng) {
  Key k;
  k.pk.resize(32);
  k.sk.resize(64);
  const Bytes seed = rng.bytes(32);
  EXPECT_EQ(crypto_sign_ed25519_seed_keypair(k.pk.data(), k.sk.data(), seed.data()), 0);
  EXPECT_EQ(VerifyingKey::load(k25519, k.pk, k.vk), Status::kOk);
  return k;
}

Bytes sodium_sign(const Key& k, const Bytes& msg) {
  Bytes sig(64);
  EXPECT_EQ(crypto_sign_ed25519_detached(sig.data(), nullptr, msg.data(), msg.size(), k.sk.data()), 0);
  return sig;
}

// sig[32..64) += mult·L (mult ≤ 15 keeps the sum below 2^256 for S < L).
void add_multiple_of_l(Bytes& sig, unsigned mult) {
  unsigned carry = 0;
  for (int i = 0; i < 32; ++i) {
    const unsigned t = sig[32 + i] + mult * kL[i] + carry;
    sig[32 + i] = static_cast<std::uint8_t>(t);
    carry = t >> 8;
  }
  ASSERT_EQ(carry, 0u);
}

TEST(Ed25519Prepared, Rfc8032Vectors) {
  ASSERT_TRUE(kSodiumReady);
  struct V {
    const char *pk, *msg, *sig;
  };
  // RFC 8032 §7.1 TEST 1, 2 and 3.
  const V vs[] = {
      {"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  for (const auto& v : vs) {
    const Bytes pk = test::from_hex(v.pk), msg = test::from_hex(v.msg), sig = test::from_hex(v.sig);
    VerifyingKey vk;
    ASSERT_EQ(VerifyingKey::load(k25519, pk, vk), Status::kOk);
    EXPECT_EQ(vk.verify(msg, sig), Status::kOk) << v.pk;
    EXPECT_TRUE(sodium_ok(pk, msg, sig));
    for (int bit = 0; bit < 512; bit += 7) {  // and no longer after any single bit flip
      Bytes bad = sig;
      bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      EXPECT_EQ(vk.verify(msg, bad), Status::kVerifyFailed) << bit;
    }
    Bytes other = msg;
    other.push_back(0);
    EXPECT_EQ(vk.verify(other, sig), Status::kVerifyFailed);
  }
}

// (1) Valid signatures under 20,000 random keys, messages of 0..300 bytes: both accept.
TEST(Ed25519Prepared, AcceptsWhatLibsodiumSigns) {
  Rng rng(0xed25519'0001);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const Key k = make_key(rng);
    const Bytes msg = rng.bytes(rng() % 301);
    const Bytes sig = sodium_sign(k, msg);
    ASSERT_TRUE(sodium_ok(k.pk, msg, sig)) << i;
    ASSERT_TRUE(prepared_ok(k.vk, msg, sig)) << i;
    ++accepted;
  }
  EXPECT_EQ(accepted, 20000);
}

// (2) Mutated signatures and messages: the prepared path decides as libsodium on every case.
TEST(Ed25519Prepared, AgreesWithLibsodiumOnMutations) {
  Rng rng(0xed25519'0002);
  std::vector<Key> keys;
  for (int i = 0; i < 64; ++i) keys.push_back(make_key(rng));
  std::vector<Bytes> small;
  for (const char* h : kSmallOrder) small.push_back(test::from_hex(h));

  constexpr int kKinds = 14;
  int cases = 0, both_accept = 0;
  int per_kind[kKinds] = {};
  for (int round = 0; round < 8000; ++round) {
    const Key& k = keys[rng() % keys.size()];
    const Bytes msg = rng.bytes(rng() % 301);
    const Bytes sig = sodium_sign(k, msg);
    for (int kind = 0; kind < kKinds; ++kind) {
      Bytes s = sig, m = msg;
      const VerifyingKey* vk = &k.vk;
      const Bytes* pk = &k.pk;
      switch (kind) {
        case 0:  // a bit of R
          s[rng() % 32] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 1:  // a bit of S
          s[32 + rng() % 32] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 2:  // a bit of the message (or one byte more)
          if (m.empty()) m.push_back(static_cast<std::uint8_t>(rng()));
          else m[rng() % m.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 3:  // S + L: the group equation still holds, but S is not canonical
          add_multiple_of_l(s, 1);
          break;
        case 4:  // S + k·L, k = 2..15
          add_multiple_of_l(s, 2 + static_cast<unsigned>(rng() % 14));
          break;
        case 5:  // S = L
          std::copy(kL.begin(), kL.end(), s.begin() + 32);
          break;
        case 6: {  // S = L + small, or random with S ≥ 2^252 + ... (top nibble set)
          std::copy(kL.begin(), kL.end(), s.begin() + 32);
          s[32] = static_cast<std::uint8_t>(0xed + rng() % 0x13);
          if (rng() % 2) {
            const Bytes r = rng.bytes(32);
            std::copy(r.begin(), r.end(), s.begin() + 32);
            s[63] = static_cast<std::uint8_t>(0x10 | (rng() & 0xf0) | (rng() & 0x0f));
          }
          break;
        }
        case 7: {  // R = a small-order encoding, either sign bit
          const Bytes& r = small[rng() % small.size()];
          std::copy(r.begin(), r.end(), s.begin());
          s[31] = static_cast<std::uint8_t>((s[31] & 0x7f) | ((rng() & 1) << 7));
          break;
        }
        case 8: {  // random R
          const Bytes r = rng.bytes(32);
          std::copy(r.begin(), r.end(), s.begin());
          break;
        }
        case 9: {  // non-canonical R: y = p + j, j = 0..18, either sign bit
          std::fill(s.begin(), s.begin() + 32, 0xff);
          s[0] = static_cast<std::uint8_t>(0xed + rng() % 19);
          s[31] = static_cast<std::uint8_t>(0x7f | ((rng() & 1) << 7));
          break;
        }
        case 10:  // R with its sign bit flipped (-R's x)
          s[31] ^= 0x80;
          break;
        case 11: {  // another key
          const Key& o = keys[rng() % keys.size()];
          vk = &o.vk;
          pk = &o.pk;
          break;
        }
        case 12: {  // R and S of another signature
          const Bytes o = sodium_sign(keys[rng() % keys.size()], rng.bytes(rng() % 40));
          if (rng() % 2) std::copy(o.begin(), o.begin() + 32, s.begin());
          else std::copy(o.begin() + 32, o.end(), s.begin() + 32);
          break;
        }
        case 13:  // untouched: both accept
          break;
      }
      const bool ref = sodium_ok(*pk, m, s);
      const bool got = prepared_ok(*vk, m, s);
      ASSERT_EQ(got, ref) << "round " << round << " kind " << kind << " sig " << test::to_hex(s);
      both_accept += ref;
      ++per_kind[kind];
      ++cases;
    }
  }
  EXPECT_GE(cases, 100000);
  EXPECT_GE(both_accept, 8000);  // kind 13, plus the rare mutation that keeps the signature valid
  for (int kind = 0; kind < kKinds; ++kind) EXPECT_GE(per_kind[kind], 8000) << kind;
}

// A signature whose cofactorless equation holds with R = the identity ([S]B = [h]A, S = h·a):
// libsodium refuses it because R is of small order, and so must the prepared path.
TEST(Ed25519Prepared, RefusesIdentityRWhoseEquationHolds) {
  Rng rng(0xed25519'0003);
  for (int i = 0; i < 500; ++i) {
    Bytes a(32), wide = rng.bytes(64), pk(32);
    crypto_core_ed25519_scalar_reduce(a.data(), wide.data());
    ASSERT_EQ(crypto_scalarmult_ed25519_base_noclamp(pk.data(), a.data()), 0);
    VerifyingKey vk;
    ASSERT_EQ(VerifyingKey::load(k25519, pk, vk), Status::kOk);
    const Bytes msg = rng.bytes(rng() % 100);
    Bytes sig(64, 0);
    sig[0] = 1;  // the identity (0, 1)
    // h = SHA-512(R ‖ A ‖ M) mod L for the R currently in sig (RFC 8032 §5.1.7 step 2).
    std::uint8_t h[32];
    auto challenge = [&] {
      std::uint8_t digest[64];
      crypto_hash_sha512_state st;
      crypto_hash_sha512_init(&st);
      crypto_hash_sha512_update(&st, sig.data(), 32);
      crypto_hash_sha512_update(&st, pk.data(), 32);
      crypto_hash_sha512_update(&st, msg.data(), msg.size());
      crypto_hash_sha512_final(&st, digest);
      crypto_core_ed25519_scalar_reduce(h, digest);
    };
    challenge();
    crypto_core_ed25519_scalar_mul(sig.data() + 32, h, a.data());
    EXPECT_FALSE(sodium_ok(pk, msg, sig));
    EXPECT_EQ(vk.verify(msg, sig), Status::kVerifyFailed) << i;
    // The same construction with a real nonce point R = [r]B verifies on both: the equation
    // check itself is right, only the small-order rule refuses the identity above.
    Bytes r(32), big = rng.bytes(64);
    crypto_core_ed25519_scalar_reduce(r.data(), big.data());
    ASSERT_EQ(crypto_scalarmult_ed25519_base_noclamp(sig.data(), r.data()), 0);
    challenge();
    std::uint8_t ha[32];
    crypto_core_ed25519_scalar_mul(ha, h, a.data());
    crypto_core_ed25519_scalar_add(sig.data() + 32, r.data(), ha);
    EXPECT_TRUE(sodium_ok(pk, msg, sig));
    EXPECT_EQ(vk.verify(msg, sig), Status::kOk) << i;
  }
}

// (3) Keys: load() refuses exactly what crypto_core_ed25519_is_valid_point refuses, and every
// key it takes decides signatures as libsodium does.
TEST(Ed25519Prepared, RefusesExactlyTheKeysLibsodiumRefuses) {
  Rng rng(0xed25519'0004);
  std::vector<Bytes> candidates;
  for (const char* h : kSmallOrder) {
    for (int sign = 0; sign < 2; ++sign) {
      Bytes b = test::from_hex(h);
      b[31] = static_cast<std::uint8_t>((b[31] & 0x7f) | (sign << 7));
      candidates.push_back(b);
    }
  }
  for (int j = 0; j < 19; ++j) {  // y = p + j
    Bytes b(32, 0xff);
    b[0] = static_cast<std::uint8_t>(0xed + j);
    b[31] = 0x7f;
    candidates.push_back(b);
    b[31] = 0xff;
    candidates.push_back(b);
  }
  for (int i = 0; i < 20000; ++i) candidates.push_back(rng.bytes(32));  // ~half decode
  for (int i = 0; i < 2000; ++i) {
    Key k = make_key(rng);
    candidates.push_back(k.pk);
    Bytes neg = k.pk;  // -A
    neg[31] ^= 0x80;
    candidates.push_back(neg);
    Bytes flip = k.pk;
    flip[rng() % 32] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    candidates.push_back(flip);
    // A plus a point of small order: on the curve, outside the prime-order subgroup.
    for (std::size_t t = 2; t < 5; ++t) {
      Bytes mixed(32);
      if (crypto_core_ed25519_add(mixed.data(), k.pk.data(), test::from_hex(kSmallOrder[t]).data()) == 0)
        candidates.push_back(mixed);
    }
  }
  int accepted = 0, refused = 0;
  for (const Bytes& pk : candidates) {
    VerifyingKey vk;
    const Status s = VerifyingKey::load(k25519, pk, vk);
    const bool valid = crypto_core_ed25519_is_valid_point(pk.data()) == 1;
    ASSERT_EQ(s, valid ? Status::kOk : Status::kBadEncoding) << test::to_hex(pk);
    ASSERT_EQ(vk.empty(), !valid);
    if (!valid) {
      ++refused;
      EXPECT_EQ(vk.verify({}, Bytes(64)), Status::kBadKey);
      continue;
    }
    ++accepted;
    const Bytes msg = rng.bytes(rng() % 64), sig = rng.bytes(64);
    EXPECT_EQ(prepared_ok(vk, msg, sig), sodium_ok(pk, msg, sig));
  }
  EXPECT_GE(accepted, 4000);
  EXPECT_GE(refused, 20000);
  VerifyingKey vk;
  EXPECT_EQ(VerifyingKey::load(k25519, Bytes(31), vk), Status::kBadLength);
  EXPECT_EQ(VerifyingKey::load(k25519, Bytes(33), vk), Status::kBadLength);
}

// load(..., precompute = false): no table, libsodium underneath; same keys refused, same
// decisions as the prepared key.
TEST(Ed25519Prepared, UnpreparedLoadDecidesTheSame) {
  Rng rng(0xed25519'0006);
  for (int i = 0; i < 2000; ++i) {
    const Key k = make_key(rng);
    VerifyingKey plain;
    ASSERT_EQ(VerifyingKey::load(k25519, k.pk, plain, false), Status::kOk);
    EXPECT_FALSE(plain.empty());
    const Bytes msg = rng.bytes(rng() % 120);
    Bytes sig = sodium_sign(k, msg);
    if (i % 2) sig[rng() % 64] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    const Status want = sodium_ok(k.pk, msg, sig) ? Status::kOk : Status::kVerifyFailed;
    EXPECT_EQ(plain.verify(msg, sig), want) << i;
    EXPECT_EQ(k.vk.verify(msg, sig), want) << i;
    const Bytes junk = rng.bytes(32);
    VerifyingKey a, b;
    EXPECT_EQ(VerifyingKey::load(k25519, junk, a, false), VerifyingKey::load(k25519, junk, b));
    EXPECT_EQ(a.empty(), b.empty());
  }
  VerifyingKey none;
  EXPECT_EQ(VerifyingKey::load(k25519, test::from_hex(kSmallOrder[1]), none, false), Status::kBadEncoding);
  EXPECT_TRUE(none.empty());
}

// A loaded key keeps working after a move, and from several threads at once (the shared B table
// is built on first use).
TEST(Ed25519Prepared, MovedAndConcurrentUse) {
  Rng rng(0xed25519'0005);
  Key k = make_key(rng);
  VerifyingKey moved = std::move(k.vk);
  const Bytes msg = rng.bytes(50), sig = sodium_sign(k, msg);
  EXPECT_EQ(moved.verify(msg, sig), Status::kOk);
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 200; ++i) ok += moved.verify(msg, sig) == Status::kOk;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 800);
}

}  // namespace
}  // namespace pqmcp::crypto::eddsa
