// TLS 1.3 handshakes in process with pqmcp-provider on both sides: the hybrid groups are
// negotiated and carry application data; classical clients get classical TLS, or a refusal
// under require-PQ; and every positive check has a control that would notice a silent
// classical fallback.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include <cstring>
#include <string>

#include "tls/pq_tls.h"
#include "tls_pair.h"

namespace {
using namespace pqmcp::tls;
using pqmcp::tls::testing::TlsPair;

class Handshake : public ::testing::Test {
 protected:
  void SetUp() override {
    libctx_ = OSSL_LIB_CTX_new();
    ASSERT_NE(libctx_, nullptr);
    ASSERT_EQ(Providers::load(libctx_, providers_), TlsStatus::kOk);
  }
  void TearDown() override {
    SSL_CTX_free(server_ctx_);
    SSL_CTX_free(client_ctx_);
    providers_ = {};
    OSSL_LIB_CTX_free(libctx_);
  }
  void make_server(bool require_pq) {
    server_ctx_ = SSL_CTX_new_ex(libctx_, nullptr, TLS_server_method());
    ASSERT_NE(server_ctx_, nullptr);
    ASSERT_EQ(configure_groups(server_ctx_, require_pq), TlsStatus::kOk);
    ASSERT_EQ(use_self_signed_certificate(server_ctx_, libctx_, "localhost"), TlsStatus::kOk);
  }
  void make_client(const char* groups, int max_version = TLS1_3_VERSION) {
    client_ctx_ = SSL_CTX_new_ex(libctx_, nullptr, TLS_client_method());
    ASSERT_NE(client_ctx_, nullptr);
    ASSERT_EQ(SSL_CTX_set_max_proto_version(client_ctx_, max_version), 1);
    ASSERT_EQ(SSL_CTX_set1_groups_list(client_ctx_, groups), 1) << groups;
  }
  static void exchange(TlsPair& p) {
    const char req[] = "ping over post-quantum TLS";
    char buf[64] = {};
    ASSERT_EQ(SSL_write(p.client, req, sizeof req), static_cast<int>(sizeof req));
    ASSERT_EQ(SSL_read(p.server, buf, sizeof buf), static_cast<int>(sizeof req));
    EXPECT_STREQ(buf, req);
    ASSERT_EQ(SSL_write(p.server, "pong", 5), 5);
    ASSERT_EQ(SSL_read(p.client, buf, sizeof buf), 5);
    EXPECT_STREQ(buf, "pong");
  }

  OSSL_LIB_CTX* libctx_ = nullptr;
  Providers providers_;
  SSL_CTX* server_ctx_ = nullptr;
  SSL_CTX* client_ctx_ = nullptr;
};

TEST_F(Handshake, X25519MlKem768IsNegotiatedAndCarriesData) {
  make_server(false);
  make_client("X25519MLKEM768:X25519");
  TlsPair p;
  ASSERT_TRUE(pqmcp::tls::testing::make_pair(client_ctx_, server_ctx_, p));
  ASSERT_TRUE(pqmcp::tls::testing::handshake(p));
  EXPECT_EQ(negotiated_group(p.server), "X25519MLKEM768");
  EXPECT_EQ(negotiated_group(p.client), "X25519MLKEM768");
  EXPECT_EQ(SSL_version(p.client), TLS1_3_VERSION);
  EXPECT_EQ(check_pq(p.server, true), TlsStatus::kOk);
  exchange(p);
}

TEST_F(Handshake, SecP256r1MlKem768IsNegotiatedAndCarriesData) {
  make_server(false);
  make_client("SecP256r1MLKEM768:P-256");
  TlsPair p;
  ASSERT_TRUE(pqmcp::tls::testing::make_pair(client_ctx_, server_ctx_, p));
  ASSERT_TRUE(pqmcp::tls::testing::handshake(p));
  EXPECT_EQ(negotiated_group(p.server), "SecP256r1MLKEM768");
  EXPECT_EQ(negotiated_group(p.client), "SecP256r1MLKEM768");
  exchange(p);
}

TEST_F(Handshake, ClientListingPqSecondStillGetsPqThroughHelloRetry) {
  // A 3.0 client sends one key share, for its first group (X25519 here). Under require-PQ the
  // server has only PQ groups, so it answers with a HelloRetryRequest (RFC 8446 §4.1.4) for
  // X25519MLKEM768 and the second ClientHello carries the hybrid share.
  make_server(true);
  make_client("X25519:X25519MLKEM768");
  TlsPair p;
  ASSERT_TRUE(pqmcp::tls::testing::make_pair(client_ctx_, server_ctx_, p));
  ASSERT_TRUE(pqmcp::tls::testing::handshake(p));
  EXPECT_EQ(negotiated_group(p.server), "X25519MLKEM768");
  exchange(p);
}

TEST_F(Handshake, ClassicalOnlyClientGetsClassicalTls) {
  make_server(false);
  make_client("X25519");
  TlsPair p;
  ASSERT_TRUE(pqmcp::tls::testing::make_pair(client_ctx_, server_ctx_, p));
  ASSERT_TRUE(pqmcp::tls::testing::handshake(p));
  EXPECT_EQ(negotiated_group(p.server), "X25519");
  EXPECT_FALSE(is_pq_group(negotiated_group(p.server)));
  EXPECT_EQ(check_pq(p.server, true), TlsStatus::kNotPostQuantum);
  EXPECT_EQ(check_pq(p.server, false), TlsStatus::kOk);
  exchange(p);
}

TEST_F(Handshake, RequirePqRefusesClassicalOnlyClient) {
  make_server(true);
  make_client("X25519:P-256");
  TlsPair p;
  ASSERT_TRUE(pqmcp::tls::testing::make_pair(client_ctx_, server_ctx_, p));
  EXPECT_FALSE(pqmcp::tls::testing::handshake(p));
  EXPECT_EQ(negotiated_group(p.server), "");
  ERR_clear_error();
}

TEST_F(Handshake, RequirePqRefusesTls12Client) {
  make_server(true);
  make_client("X25519:P-256", TLS1_2_VERSION);
  TlsPair p;
  ASSERT_TRUE(pqmcp::tls::testing::make_pair(client_ctx_, server_ctx_, p));
  EXPECT_FALSE(pqmcp::tls::testing::handshake(p));
  ERR_clear_error();
}

TEST(HandshakeControl, WithoutProviderTheGroupIsUnknownAndTheFallbackIsX25519) {
  OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
  OSSL_PROVIDER* def = OSSL_PROVIDER_load(libctx, "default");
  SSL_CTX* ctx = SSL_CTX_new_ex(libctx, nullptr, TLS_server_method());
  ASSERT_NE(ctx, nullptr);
  // The gateway's configuration fails loudly rather than silently dropping PQ.
  EXPECT_EQ(configure_groups(ctx, false), TlsStatus::kBadConfiguration);
  EXPECT_EQ(configure_groups(ctx, true), TlsStatus::kBadConfiguration);
  // A plain classical pair in the same context negotiates X25519, which our assertions on the
  // PQ tests above would catch.
  ASSERT_EQ(use_self_signed_certificate(ctx, libctx, "localhost"), TlsStatus::kOk);
  SSL_CTX* cctx = SSL_CTX_new_ex(libctx, nullptr, TLS_client_method());
  TlsPair p;
  ASSERT_TRUE(pqmcp::tls::testing::make_pair(cctx, ctx, p));
  ASSERT_TRUE(pqmcp::tls::testing::handshake(p));
  EXPECT_EQ(negotiated_group(p.server), "X25519");
  SSL_CTX_free(cctx);
  SSL_CTX_free(ctx);
  OSSL_PROVIDER_unload(def);
  OSSL_LIB_CTX_free(libctx);
  ERR_clear_error();
}

TEST(ProvidersApi, LoadsIntoTheDefaultContextToo) {
  Providers providers;
  ASSERT_EQ(Providers::load(nullptr, providers), TlsStatus::kOk);
  EXPECT_TRUE(providers.loaded());
  EXPECT_EQ(OSSL_PROVIDER_available(nullptr, "pqmcp"), 1);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  EXPECT_EQ(configure_groups(ctx, true), TlsStatus::kOk);
  SSL_CTX_free(ctx);
}

}  // namespace
