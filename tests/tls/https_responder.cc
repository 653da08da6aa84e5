// pq-https-responder: a tiny HTTPS/1.1 server for the interop tests (curl, Chromium). It loads
// pqmcp's provider through pq_tls.h exactly as the gateway will, and appends one line per
// connection to a record file: "group=<negotiated group>" or "handshake-failed". Loopback only,
// bounded in connections and time.
//
//   pq-https-responder --port-file F --record F [--max-conns N] [--seconds S] [--require-pq]
//                      [--no-provider]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "tls/pq_tls.h"

namespace {

struct Options {
  std::string port_file, record;
  int max_conns = 8;
  int seconds = 60;
  bool require_pq = false;
  bool provider = true;
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--port-file" && has_value) o.port_file = argv[++i];
    else if (a == "--record" && has_value) o.record = argv[++i];
    else if (a == "--max-conns" && has_value) o.max_conns = std::atoi(argv[++i]);
    else if (a == "--seconds" && has_value) o.seconds = std::atoi(argv[++i]);
    else if (a == "--require-pq") o.require_pq = true;
    else if (a == "--no-provider") o.provider = false;
    else return false;
  }
  return !o.port_file.empty() && !o.record.empty() && o.max_conns > 0 && o.seconds > 0;
}

void serve_one(SSL_CTX* ctx, int fd, const Options& o) {
  timeval tv{3, 0};  // a silent client (a browser's speculative socket) must not stall us
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  std::ofstream record(o.record, std::ios::app);
  if (SSL_accept(ssl) != 1) {
    record << "handshake-failed\n";
  } else {
    const std::string group = pqmcp::tls::negotiated_group(ssl);
    record << "group=" << group << "\n";
    record.flush();
    std::string request;
    char buf[2048];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384) {
      const int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) break;
      request.append(buf, static_cast<std::size_t>(n));
    }
    if (!request.empty()) {
      const std::string body = "<!doctype html><html><body><p id=\"group\">" + group +
                               "</p></body></html>\n";
      const std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      SSL_write(ssl, resp.data(), static_cast<int>(resp.size()));
    }
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  close(fd);
  ERR_clear_error();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: pq-https-responder --port-file F --record F [--max-conns N] "
                         "[--seconds S] [--require-pq] [--no-provider]\n");
    return 2;
  }
  pqmcp::tls::Providers providers;
  if (o.provider && pqmcp::tls::Providers::load(nullptr, providers) != pqmcp::tls::TlsStatus::kOk) {
    std::fprintf(stderr, "cannot load providers\n");
    return 1;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr ||
      (o.provider && pqmcp::tls::configure_groups(ctx, o.require_pq) != pqmcp::tls::TlsStatus::kOk) ||
      pqmcp::tls::use_self_signed_certificate(ctx, nullptr, "localhost") != pqmcp::tls::TlsStatus::kOk) {
    std::fprintf(stderr, "cannot configure TLS\n");
    return 1;
  }
  const int ls = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // a free port, reported through --port-file
  socklen_t len = sizeof addr;
  if (ls < 0 || bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(ls, 16) != 0 ||
      getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("listen");
    return 1;
  }
  {
    const std::string tmp = o.port_file + ".tmp";
    std::ofstream(tmp) << ntohs(addr.sin_port) << "\n";
    std::rename(tmp.c_str(), o.port_file.c_str());  // readers never see a partial file
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.seconds);
  for (int served = 0; served < o.max_conns;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{ls, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    const int fd = accept(ls, nullptr, nullptr);
    if (fd < 0) continue;
    serve_one(ctx, fd, o);
    ++served;
  }
  close(ls);
  SSL_CTX_free(ctx);
  return 0;
}
