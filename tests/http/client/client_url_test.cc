// URL parsing, certificate fingerprints and the client's TLS settings.
#include <gtest/gtest.h>

#include "http/client_tls.h"
#include "http/client_url.h"

namespace pqmcp::http {
namespace {

TEST(ClientUrl, Parses) {
  auto u = parse_url("https://127.0.0.1:8443/mcp");
  ASSERT_TRUE(u) << u.error();
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/mcp");
  EXPECT_EQ(u->host_header(), "127.0.0.1:8443");
  auto d = parse_url("http://localhost");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->tls);
  EXPECT_EQ(d->port, 80);
  EXPECT_EQ(d->target, "/");
  EXPECT_EQ(d->host_header(), "localhost");
  auto v6 = parse_url("https://[::1]:9000?x=1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->target, "/?x=1");
  EXPECT_EQ(v6->host_header(), "[::1]:9000");
  EXPECT_EQ(v6->str(), "https://[::1]:9000/?x=1");
}

TEST(ClientUrl, Refuses) {
  for (const char* bad : {"ftp://h/", "h:80/mcp", "https://", "https://:80/", "https://user:pw@h/",
                          "https://h:0/", "https://h:65536/", "https://h:8x/", "https://h/a b",
                          "https://h/#frag", "https://[::1/", "https://h:/"})
    EXPECT_FALSE(parse_url(bad)) << bad;
}

TEST(ClientTls, Fingerprint) {
  const std::string hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
  auto f = parse_fingerprint(hex);
  ASSERT_TRUE(f);
  EXPECT_EQ((*f)[1], 0x11);
  EXPECT_EQ((*f)[31], 0xFF);
  std::string colons;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (i) colons.push_back(':');
    colons.append(hex, i, 2);
  }
  EXPECT_EQ(parse_fingerprint(colons), f);
  EXPECT_EQ(parse_fingerprint(std::string("SHA256:").append(colons)), f);
  EXPECT_FALSE(parse_fingerprint(std::string("SHA1:").append(colons)));
  EXPECT_FALSE(parse_fingerprint(hex.substr(2)));
  EXPECT_FALSE(parse_fingerprint(std::string(hex).append("00")));
  EXPECT_FALSE(parse_fingerprint(hex.substr(1)));
  EXPECT_FALSE(parse_fingerprint(std::string("zz").append(hex, 2)));
}

TEST(ClientTls, Options) {
  EXPECT_FALSE(ClientTls::create({"ca.pem", "00", false}));  // both at once
  EXPECT_FALSE(ClientTls::create({"", "1234", false}));      // short fingerprint
  EXPECT_FALSE(ClientTls::create({"/nonexistent/ca.pem", "", false}));
  auto t = ClientTls::create({"", std::string(64, 'a'), true});
  ASSERT_TRUE(t) << t.error();
  EXPECT_TRUE((*t)->require_pq());
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*t)->ctx()), TLS1_3_VERSION);
}

}  // namespace
}  // namespace pqmcp::http
