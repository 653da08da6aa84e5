// tls-bench: the transport's share of the post-quantum bandwidth tax. Full TLS 1.3 handshakes
// over TCP loopback, X25519MLKEM768 against X25519 in the same run: ClientHello and ServerHello
// sizes (from the handshake message callback), total bytes each way, and handshake time.
//
//   tls-bench [--handshakes N]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tls/pq_tls.h"

namespace {

struct Sizes {
  std::size_t client_hello = 0, server_hello = 0;
};

// Handshake messages, not records: content type 22, first byte = HandshakeType (RFC 8446 §4).
void on_message(int write_p, int, int content_type, const void* buf, std::size_t len, SSL*, void* arg) {
  if (content_type != SSL3_RT_HANDSHAKE || !write_p || len == 0) return;
  Sizes* s = static_cast<Sizes*>(arg);
  const unsigned type = static_cast<const unsigned char*>(buf)[0];
  if (type == SSL3_MT_CLIENT_HELLO) s->client_hello = len;
  if (type == SSL3_MT_SERVER_HELLO) s->server_hello = len;
}

struct Result {
  std::string group;
  Sizes sizes;
  std::size_t client_bytes = 0, server_bytes = 0;
  std::vector<double> ms;
};

bool run(SSL_CTX* server_ctx, SSL_CTX* client_ctx, int n, Result& out) {
  const int ls = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof addr;
  if (bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(ls, 64) != 0 ||
      getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &alen) != 0)
    return false;
  Sizes server_sizes;
  std::size_t server_bytes = 0;
  std::thread server([&] {
    for (int i = 0; i < n; ++i) {
      const int fd = accept(ls, nullptr, nullptr);
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      SSL* ssl = SSL_new(server_ctx);
      SSL_set_fd(ssl, fd);
      SSL_set_msg_callback(ssl, on_message);
      SSL_set_msg_callback_arg(ssl, &server_sizes);
      if (SSL_accept(ssl) == 1) {
        char b;
        SSL_read(ssl, &b, 1);  // the client's one byte: its Finished has arrived
        server_bytes = BIO_number_written(SSL_get_wbio(ssl));
      }
      SSL_free(ssl);
      close(fd);
    }
  });
  bool ok = true;
  for (int i = 0; i < n && ok; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SSL* ssl = SSL_new(client_ctx);
    SSL_set_msg_callback(ssl, on_message);
    SSL_set_msg_callback_arg(ssl, &out.sizes);
    const auto t0 = std::chrono::steady_clock::now();
    ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && SSL_set_fd(ssl, fd) == 1 &&
         SSL_connect(ssl) == 1 && SSL_write(ssl, "x", 1) == 1;
    const auto t1 = std::chrono::steady_clock::now();
    out.ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (ok) {
      out.group = pqmcp::tls::negotiated_group(ssl);
      out.client_bytes = BIO_number_written(SSL_get_wbio(ssl));
    }
    SSL_free(ssl);
    close(fd);
  }
  server.join();
  close(ls);
  out.sizes.server_hello = server_sizes.server_hello;
  out.server_bytes = server_bytes;
  return ok;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  int n = 200;
  if (argc == 3 && std::strcmp(argv[1], "--handshakes") == 0) n = std::max(1, std::atoi(argv[2]));
  pqmcp::tls::Providers providers;
  OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
  if (pqmcp::tls::Providers::load(libctx, providers) != pqmcp::tls::TlsStatus::kOk) return 1;
  SSL_CTX* server_ctx = SSL_CTX_new_ex(libctx, nullptr, TLS_server_method());
  if (pqmcp::tls::configure_groups(server_ctx, false) != pqmcp::tls::TlsStatus::kOk ||
      pqmcp::tls::use_self_signed_certificate(server_ctx, libctx, "localhost") != pqmcp::tls::TlsStatus::kOk)
    return 1;
  SSL_CTX_set_session_cache_mode(server_ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(server_ctx, 0);  // full handshakes only, and no ticket bytes
  std::printf("tls-bench: %d full TLS 1.3 handshakes per group over 127.0.0.1 (ECDSA P-256 cert, "
              "TLS_AES_256_GCM_SHA384)\n", n);
  std::printf("%-16s %12s %12s %12s %12s %10s %10s\n", "group", "ClientHello", "ServerHello",
              "client->srv", "srv->client", "p50 ms", "p99 ms");
  Result results[2];
  const char* groups[2] = {"X25519", "X25519MLKEM768"};
  for (int g = 0; g < 2; ++g) {
    SSL_CTX* client_ctx = SSL_CTX_new_ex(libctx, nullptr, TLS_client_method());
    SSL_CTX_set_min_proto_version(client_ctx, TLS1_3_VERSION);
    if (SSL_CTX_set1_groups_list(client_ctx, groups[g]) != 1) return 1;
    // A discarded warm-up round first (page faults, lazy provider fetches), then the measurement.
    Result warmup;
    if (!run(server_ctx, client_ctx, std::max(1, n / 10), warmup) ||
        !run(server_ctx, client_ctx, n, results[g]) || results[g].group != groups[g]) {
      std::fprintf(stderr, "handshakes for %s failed (got '%s')\n", groups[g], results[g].group.c_str());
      return 1;
    }
    const Result& r = results[g];
    std::printf("%-16s %12zu %12zu %12zu %12zu %10.3f %10.3f\n", groups[g], r.sizes.client_hello,
                r.sizes.server_hello, r.client_bytes, r.server_bytes, percentile(r.ms, 0.5),
                percentile(r.ms, 0.99));
    SSL_CTX_free(client_ctx);
  }
  const Result& c = results[0];
  const Result& p = results[1];
  std::printf("tax: +%zu bytes ClientHello, +%zu bytes ServerHello, +%zu bytes per handshake "
              "(x%.2f), p50 time x%.2f\n",
              p.sizes.client_hello - c.sizes.client_hello, p.sizes.server_hello - c.sizes.server_hello,
              (p.client_bytes + p.server_bytes) - (c.client_bytes + c.server_bytes),
              static_cast<double>(p.client_bytes + p.server_bytes) /
                  static_cast<double>(c.client_bytes + c.server_bytes),
              percentile(p.ms, 0.5) / percentile(c.ms, 0.5));
  SSL_CTX_free(server_ctx);
  providers = {};
  OSSL_LIB_CTX_free(libctx);
  return 0;
}
