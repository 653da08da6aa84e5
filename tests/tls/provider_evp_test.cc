// pqmcp-provider through the public EVP API, checked against pqmcp's raw ML-KEM: the provider
// must be a faithful wrapper (same keys, same secrets), and the hybrid groups must agree on both
// sides with the draft-ietf-tls-ecdhe-mlkem sizes. Bad shares and ciphertexts must be refused.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <memory>
#include <vector>

#include "crypto/mlkem.h"
#include "tls/pq_tls.h"

namespace {
namespace mlkem = pqmcp::crypto::mlkem;
using Bytes = std::vector<std::uint8_t>;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;

class ProviderEvp : public ::testing::Test {
 protected:
  void SetUp() override {
    libctx_ = OSSL_LIB_CTX_new();
    ASSERT_NE(libctx_, nullptr);
    ASSERT_EQ(pqmcp::tls::Providers::load(libctx_, providers_), pqmcp::tls::TlsStatus::kOk);
  }
  void TearDown() override {
    providers_ = {};
    OSSL_LIB_CTX_free(libctx_);
  }

  Pkey keygen(const char* alg) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(libctx_, alg, "provider=pqmcp"));
    EVP_PKEY* k = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_keygen(ctx.get(), &k) <= 0) return nullptr;
    return Pkey(k);
  }
  Pkey from_public(const char* alg, const Bytes& pub) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(libctx_, alg, "provider=pqmcp"));
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(
                               OSSL_PKEY_PARAM_PUB_KEY, const_cast<std::uint8_t*>(pub.data()), pub.size()),
                           OSSL_PARAM_construct_end()};
    EVP_PKEY* k = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
      return nullptr;
    return Pkey(k);
  }
  static Bytes encoded_public(EVP_PKEY* k) {
    unsigned char* p = nullptr;
    const std::size_t n = EVP_PKEY_get1_encoded_public_key(k, &p);
    Bytes out(p, p + n);
    OPENSSL_free(p);
    return out;
  }
  bool encaps(EVP_PKEY* k, Bytes& ct, Bytes& ss) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(libctx_, k, nullptr));
    std::size_t ctlen = 0, sslen = 0;
    if (!ctx || EVP_PKEY_encapsulate_init(ctx.get(), nullptr) <= 0 ||
        EVP_PKEY_encapsulate(ctx.get(), nullptr, &ctlen, nullptr, &sslen) <= 0)
      return false;
    ct.assign(ctlen, 0);
    ss.assign(sslen, 0);
    if (EVP_PKEY_encapsulate(ctx.get(), ct.data(), &ctlen, ss.data(), &sslen) <= 0) return false;
    ct.resize(ctlen);
    ss.resize(sslen);
    return true;
  }
  bool decaps(EVP_PKEY* k, const Bytes& ct, Bytes& ss) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(libctx_, k, nullptr));
    std::size_t sslen = 0;
    if (!ctx || EVP_PKEY_decapsulate_init(ctx.get(), nullptr) <= 0 ||
        EVP_PKEY_decapsulate(ctx.get(), nullptr, &sslen, ct.data(), ct.size()) <= 0)
      return false;
    ss.assign(sslen, 0);
    if (EVP_PKEY_decapsulate(ctx.get(), ss.data(), &sslen, ct.data(), ct.size()) <= 0) return false;
    ss.resize(sslen);
    return true;
  }

  OSSL_LIB_CTX* libctx_ = nullptr;
  pqmcp::tls::Providers providers_;
};

struct PlainCase {
  const char* name;
  mlkem::ParamSet ps;
};

class PlainMlKem : public ProviderEvp, public ::testing::WithParamInterface<PlainCase> {};

TEST_P(PlainMlKem, EvpKeyDecapsulatesRawEncapsulation) {
  const auto [name, ps] = GetParam();
  Pkey key = keygen(name);
  ASSERT_TRUE(key);
  const Bytes ek = encoded_public(key.get());
  ASSERT_EQ(ek.size(), mlkem::sizes(ps).encaps_key);
  ASSERT_TRUE(mlkem::check_encaps_key(ps, ek) == pqmcp::crypto::Status::kOk);

  std::vector<std::uint8_t> ct;
  mlkem::SharedSecret k;
  ASSERT_EQ(mlkem::encaps(ps, ek, ct, k), pqmcp::crypto::Status::kOk);
  Bytes ss;
  ASSERT_TRUE(decaps(key.get(), ct, ss));
  EXPECT_EQ(ss, Bytes(k.data(), k.data() + k.size()));
}

TEST_P(PlainMlKem, RawKeyDecapsulatesEvpEncapsulation) {
  const auto [name, ps] = GetParam();
  std::vector<std::uint8_t> ek;
  pqmcp::crypto::SecureBuffer dk;
  ASSERT_EQ(mlkem::keygen(ps, ek, dk), pqmcp::crypto::Status::kOk);
  Pkey pub = from_public(name, ek);
  ASSERT_TRUE(pub);
  Bytes ct, ss;
  ASSERT_TRUE(encaps(pub.get(), ct, ss));
  ASSERT_EQ(ct.size(), mlkem::sizes(ps).ciphertext);
  mlkem::SharedSecret k;
  ASSERT_EQ(mlkem::decaps(ps, dk, ct, k), pqmcp::crypto::Status::kOk);
  EXPECT_EQ(ss, Bytes(k.data(), k.data() + k.size()));
  // A public-only key cannot decapsulate.
  Bytes ss2;
  EXPECT_FALSE(decaps(pub.get(), ct, ss2));
}

TEST_P(PlainMlKem, ImportedPrivateKeyRoundTrips) {
  const auto [name, ps] = GetParam();
  std::vector<std::uint8_t> ek;
  pqmcp::crypto::SecureBuffer dk;
  ASSERT_EQ(mlkem::keygen(ps, ek, dk), pqmcp::crypto::Status::kOk);
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(libctx_, name, "provider=pqmcp"));
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, dk.data(), dk.size()),
                         OSSL_PARAM_construct_end()};
  EVP_PKEY* raw = nullptr;
  ASSERT_EQ(EVP_PKEY_fromdata_init(ctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params), 1);
  Pkey key(raw);
  EXPECT_EQ(encoded_public(key.get()), ek);
  Bytes ct, ss_enc, ss_dec;
  ASSERT_TRUE(encaps(key.get(), ct, ss_enc));
  ASSERT_TRUE(decaps(key.get(), ct, ss_dec));
  EXPECT_EQ(ss_enc, ss_dec);
  // A corrupted dk fails the FIPS 203 §7.3 hash check and is refused at import.
  dk[dk.size() - 40] ^= 1;
  EVP_PKEY* bad = nullptr;
  EXPECT_LE(EVP_PKEY_fromdata(ctx.get(), &bad, EVP_PKEY_KEYPAIR, params), 0);
  EVP_PKEY_free(bad);
}

TEST_P(PlainMlKem, WrongLengthsAreRefused) {
  const auto [name, ps] = GetParam();
  Pkey key = keygen(name);
  ASSERT_TRUE(key);
  Bytes ek = encoded_public(key.get());
  Bytes ct, ss;
  ASSERT_TRUE(encaps(key.get(), ct, ss));
  for (long delta : {-1L, 1L, -static_cast<long>(ct.size())}) {
    Bytes bad(ct.size() + delta, 0x5a);
    EXPECT_FALSE(decaps(key.get(), bad, ss)) << delta;
  }
  ek.pop_back();
  EXPECT_FALSE(from_public(name, ek));
}

INSTANTIATE_TEST_SUITE_P(All, PlainMlKem,
                         ::testing::Values(PlainCase{"ML-KEM-768", mlkem::ParamSet::kMlKem768},
                                           PlainCase{"ML-KEM-1024", mlkem::ParamSet::kMlKem1024}),
                         [](const auto& info) { return info.param.ps == mlkem::ParamSet::kMlKem768 ? "MlKem768" : "MlKem1024"; });

struct HybridCase {
  const char* name;
  std::size_t client_share, server_share;
  bool classical_first;
};

class HybridGroup : public ProviderEvp, public ::testing::WithParamInterface<HybridCase> {
 protected:
  // The TLS server path: a parameters-only key that receives the client's share.
  Pkey server_key(const Bytes& share) {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(libctx_, GetParam().name, "provider=pqmcp"));
    EVP_PKEY* k = nullptr;
    if (!ctx || EVP_PKEY_paramgen_init(ctx.get()) <= 0 || EVP_PKEY_paramgen(ctx.get(), &k) <= 0) return nullptr;
    Pkey key(k);
    if (EVP_PKEY_set1_encoded_public_key(key.get(), share.data(), share.size()) != 1) return nullptr;
    return key;
  }
};

TEST_P(HybridGroup, BothSidesAgreeWithDraftSizes) {
  const HybridCase c = GetParam();
  Pkey client = keygen(c.name);
  ASSERT_TRUE(client);
  const Bytes share = encoded_public(client.get());
  ASSERT_EQ(share.size(), c.client_share);
  Pkey server = server_key(share);
  ASSERT_TRUE(server);
  Bytes ct, ss_server, ss_client;
  ASSERT_TRUE(encaps(server.get(), ct, ss_server));
  ASSERT_EQ(ct.size(), c.server_share);
  ASSERT_EQ(ss_server.size(), 64u);
  ASSERT_TRUE(decaps(client.get(), ct, ss_client));
  EXPECT_EQ(ss_client, ss_server);
  EXPECT_NE(ss_client, Bytes(64, 0));
}

// The ML-KEM part sits where the draft puts it, in the share and in the secret: the ek is taken
// from the client share at the draft's offset, encapsulated to with the raw library, and the
// client's secret must carry that K at the ML-KEM position (a swapped order would fail here).
TEST_P(HybridGroup, MlKemPartSitsWhereTheDraftSaysIt) {
  const HybridCase c = GetParam();
  Pkey client = keygen(c.name);
  ASSERT_TRUE(client);
  const Bytes share = encoded_public(client.get());
  const std::size_t cl = c.client_share - 1184;
  const Bytes ek = c.classical_first ? Bytes(share.begin() + cl, share.end())
                                     : Bytes(share.begin(), share.begin() + 1184);
  EXPECT_EQ(mlkem::check_encaps_key(mlkem::ParamSet::kMlKem768, ek), pqmcp::crypto::Status::kOk);
  if (cl == 65) {
    EXPECT_EQ(share[0], 0x04);  // P-256 uncompressed point first
  }

  // Encapsulate to the ML-KEM part with the raw library and splice the result into a server
  // share whose classical part comes from the provider: the client's secret must then contain
  // our K exactly at the ML-KEM position.
  Pkey server = server_key(share);
  ASSERT_TRUE(server);
  Bytes ct, ss_server, ss_client;
  ASSERT_TRUE(encaps(server.get(), ct, ss_server));
  std::vector<std::uint8_t> raw_ct;
  mlkem::SharedSecret k;
  ASSERT_EQ(mlkem::encaps(mlkem::ParamSet::kMlKem768, ek, raw_ct, k), pqmcp::crypto::Status::kOk);
  std::copy(raw_ct.begin(), raw_ct.end(), ct.begin() + (c.classical_first ? cl : 0));
  ASSERT_TRUE(decaps(client.get(), ct, ss_client));
  const std::size_t pq_at = c.classical_first ? 32 : 0;
  const std::size_t cl_at = c.classical_first ? 0 : 32;
  EXPECT_TRUE(std::equal(k.data(), k.data() + 32, ss_client.begin() + pq_at));
  EXPECT_TRUE(std::equal(ss_server.begin() + cl_at, ss_server.begin() + cl_at + 32, ss_client.begin() + cl_at));
}

TEST_P(HybridGroup, BadSharesAndCiphertextsAreRefused) {
  const HybridCase c = GetParam();
  Pkey client = keygen(c.name);
  ASSERT_TRUE(client);
  Bytes share = encoded_public(client.get());
  // Wrong lengths of the client share (server side: illegal_parameter in TLS).
  for (std::size_t len : {std::size_t{0}, c.client_share - 1, std::size_t{1184}}) {
    EXPECT_FALSE(server_key(Bytes(share.begin(), share.begin() + len))) << len;
  }
  Bytes longer = share;
  longer.push_back(0);
  EXPECT_FALSE(server_key(longer));
  // An ML-KEM ek failing the FIPS 203 §7.2 modulus check: coefficient 0xFFF > q.
  Bytes bad_ek = share;
  const std::size_t ek_at = c.classical_first ? c.client_share - 1184 : 0;
  bad_ek[ek_at] = 0xFF;
  bad_ek[ek_at + 1] |= 0x0F;
  EXPECT_FALSE(server_key(bad_ek));
  if (c.classical_first) {  // a P-256 point off the curve, and a compressed point
    Bytes off = share;
    off[64] ^= 1;
    EXPECT_FALSE(server_key(off));
    Bytes compressed = share;
    compressed[0] = 0x02;
    EXPECT_FALSE(server_key(compressed));
  }
  Pkey server = server_key(share);
  ASSERT_TRUE(server);
  Bytes ct, ss;
  ASSERT_TRUE(encaps(server.get(), ct, ss));
  // Wrong ciphertext lengths (client side: the draft's length check).
  for (long delta : {-1L, 1L, -32L}) {
    Bytes bad(ct.begin(), ct.end());
    bad.resize(ct.size() + delta, 0);
    Bytes out;
    EXPECT_FALSE(decaps(client.get(), bad, out)) << delta;
  }
  if (!c.classical_first) {  // X25519 all-zero peer share: RFC 8446 §7.4.2 / RFC 7748 §6.1
    Bytes zero = ct;
    std::fill(zero.end() - 32, zero.end(), 0);
    Bytes out;
    EXPECT_FALSE(decaps(client.get(), zero, out));
  }
  // A public-only (server) key cannot decapsulate.
  Bytes out;
  EXPECT_FALSE(decaps(server.get(), ct, out));
}

INSTANTIATE_TEST_SUITE_P(Groups, HybridGroup,
                         ::testing::Values(HybridCase{"X25519MLKEM768", 1216, 1120, false},
                                           HybridCase{"SecP256r1MLKEM768", 1249, 1153, true}),
                         [](const auto& info) { return info.param.classical_first ? "SecP256r1MLKEM768" : "X25519MLKEM768"; });

TEST(ProviderLoading, WithoutProviderTheAlgorithmsAreAbsent) {
  OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
  OSSL_PROVIDER* def = OSSL_PROVIDER_load(libctx, "default");
  EVP_KEM* kem = EVP_KEM_fetch(libctx, "X25519MLKEM768", nullptr);
  EXPECT_EQ(kem, nullptr);
  EVP_KEM_free(kem);
  OSSL_PROVIDER_unload(def);
  OSSL_LIB_CTX_free(libctx);
}

}  // namespace
