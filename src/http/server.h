// `pqmcp serve`: an MCP Streamable HTTP endpoint (docs/http.md) in front of an upstream MCP server,
// on Boost.Asio/Beast (HTTP/1.1 with keep-alive and streamed responses) over TLS 1.3 with pqmcp's
// post-quantum key exchange (src/tls). Each session gets its own upstream and filter.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "http/metrics.h"
#include "http/session.h"
#include "http/upstream.h"
#include "json/result.h"

namespace pqmcp::http {

enum class TlsMode { kOff, kCertFiles, kSelfSigned };

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback by default (MCP 2025-11-25 basic/transports, Security)
  unsigned short port = 8443;      // 0: any free port (see Server::port)
  std::string path = "/mcp";
  TlsMode tls = TlsMode::kSelfSigned;
  std::string cert_file, key_file;
  bool require_pq = false;
  std::vector<std::string> allowed_origins, allowed_hosts;
  // Limits (docs/http.md "Limits").
  std::size_t max_header = 16u << 10;
  std::size_t max_body = 4u << 20;
  std::size_t max_connections = 1024;
  std::size_t max_sessions = 64;
  std::chrono::milliseconds request_timeout{10000};   // a whole request, headers and body
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds session_idle{15 * 60 * 1000};
  std::chrono::milliseconds heartbeat{15000};
  unsigned threads = 2;
  SessionLimits session;
  std::string log_name = "pqmcp serve";
  bool log_connections = true;
  // Observe mode: a session opened by an initialize without pqmcp's signature gets responses
  // without pqmcp's envelopes (Session::strip_signatures).
  bool strip_for_unsigned = false;
};

class Server {
 public:
  // Binds, loads the TLS context; errors are a sentence.
  static Result<std::unique_ptr<Server>, std::string> create(ServerOptions o, UpstreamFactory upstream,
                                                             FilterFactory filter);
  ~Server();
  // Serves on o.threads threads until SIGINT/SIGTERM or stop(); ends every session first.
  void run();
  void stop();
  unsigned short port() const;
  Metrics& metrics();
  // "SHA256:ab:cd:…" of the certificate in use ("" without TLS).
  std::string certificate_fingerprint() const;
  // Base64url SHA-256 of the certificate's SubjectPublicKeyInfo ("" without TLS).
  std::string spki_sha256() const;
  // The served certificate's notAfter (Unix seconds; 0 without TLS or when unreadable).
  std::int64_t certificate_not_after() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pqmcp::http
