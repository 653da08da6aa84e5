// In-process TLS 1.3 between two SSL objects over a BIO pair: no sockets, no threads.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

#include "tls/pq_tls.h"

namespace pqmcp::tls::testing {

struct TlsPair {
  SSL* client = nullptr;
  SSL* server = nullptr;
  ~TlsPair() {
    SSL_free(client);
    SSL_free(server);
  }
};

// Builds both SSL objects over one BIO pair; the client SSL_CTX needs no certificate checks
// (the server's certificate is self-signed and not what these tests are about).
inline bool make_pair(SSL_CTX* client_ctx, SSL_CTX* server_ctx, TlsPair& pair) {
  pair.client = SSL_new(client_ctx);
  pair.server = SSL_new(server_ctx);
  BIO *c = nullptr, *s = nullptr;
  if (pair.client == nullptr || pair.server == nullptr || BIO_new_bio_pair(&c, 0, &s, 0) != 1) return false;
  SSL_set_bio(pair.client, c, c);
  SSL_set_bio(pair.server, s, s);
  SSL_set_connect_state(pair.client);
  SSL_set_accept_state(pair.server);
  return true;
}

// Drives both handshakes to completion; false as soon as either side fails for good.
inline bool handshake(TlsPair& pair) {
  bool client_done = false, server_done = false;
  for (int i = 0; i < 64 && !(client_done && server_done); ++i) {
    if (!client_done) {
      const int r = SSL_do_handshake(pair.client);
      if (r == 1) client_done = true;
      else if (SSL_get_error(pair.client, r) != SSL_ERROR_WANT_READ) return false;
    }
    if (!server_done) {
      const int r = SSL_do_handshake(pair.server);
      if (r == 1) server_done = true;
      else if (SSL_get_error(pair.server, r) != SSL_ERROR_WANT_READ) return false;
    }
  }
  return client_done && server_done;
}

}  // namespace pqmcp::tls::testing
