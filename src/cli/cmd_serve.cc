// `pqmcp serve`: the server side of the gateway over Streamable HTTP (docs/http.md). The same
// verification, policy, signing and audit as `pqmcp wrap` (one WrapFilter per session, built from
// the shared gateway end), in front of one stdio MCP server process per session.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <mutex>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/gateway_setup.h"
#include "cli/tls_binding.h"
#include "gateway/wrap_filter.h"
#include "http/http_upstream.h"
#include "http/server.h"
#include "identity/keystore.h"
#include "identity/registry.h"
#include "identity/signed_doc.h"

namespace pqmcp::cli {

namespace {

struct ServeOpts : GwOverrides {
  std::string listen = "127.0.0.1:8443", cert, key, identity, upstream_url;
  std::string upstream_ca, upstream_fingerprint, tls_binding;
  bool self_signed = false, no_tls = false, require_pq = false, quiet = false, upstream_require_pq = false;
  std::vector<std::string> origins, hosts, command;
  std::size_t max_body = 0, max_header = 0, max_connections = 0, max_sessions = 0;
  long request_timeout_ms = -1, session_idle_s = -1;
  unsigned threads = 0;
};
ServeOpts o;

// The policy's rate limiter keeps state; sessions run on several threads.
class LockedPolicy final : public gateway::PolicyCheck {
 public:
  explicit LockedPolicy(gateway::PolicyCheck& p) : p_(p) {}
  gateway::PolicyVerdict check(const json::Value& msg, const std::string& agent, const std::string& kid,
                               std::int64_t now_ms) noexcept override {
    std::lock_guard<std::mutex> l(mu_);
    return p_.check(msg, agent, kid, now_ms);
  }

 private:
  gateway::PolicyCheck& p_;
  std::mutex mu_;
};

bool split_listen(const std::string& s, std::string& host, unsigned short& port) {
  auto c = s.rfind(':');
  if (c == std::string::npos || c + 1 == s.size()) return false;
  host = s.substr(0, c);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    int p = std::stoi(s.substr(c + 1));
    if (p < 0 || p > 65535) return false;
    port = static_cast<unsigned short>(p);
  } catch (...) {
    return false;
  }
  return !host.empty();
}

int run_serve(Globals& g) {
  const char* name = "pqmcp serve";
  if (!o.upstream_url.empty() && !o.command.empty())
    return fail(kExitUsage, "pqmcp serve: give --upstream URL or --upstream -- COMMAND, not both");
  if (o.upstream_url.empty() && o.command.empty()) return fail(kExitUsage, "pqmcp serve: give the MCP server command after --upstream --");
  if (int(o.self_signed) + int(o.no_tls) + int(!o.cert.empty() || !o.key.empty()) > 1)
    return fail(kExitUsage, "pqmcp serve: choose one of --tls-cert/--tls-key, --tls-self-signed, --no-tls");
  if (o.cert.empty() != o.key.empty()) return fail(kExitUsage, "pqmcp serve: --tls-cert and --tls-key go together");
  if (o.no_tls && o.require_pq) return fail(kExitUsage, "pqmcp serve: --require-pq needs TLS");

  http::ServerOptions so;
  if (!split_listen(o.listen, so.host, so.port))
    return fail(kExitUsage, "pqmcp serve: --listen wants HOST:PORT, e.g. 127.0.0.1:8443");
  so.tls = o.no_tls ? http::TlsMode::kOff : (o.cert.empty() ? http::TlsMode::kSelfSigned : http::TlsMode::kCertFiles);
  so.cert_file = o.cert, so.key_file = o.key;
  so.require_pq = o.require_pq;
  so.allowed_origins = o.origins, so.allowed_hosts = o.hosts;
  if (o.max_body) so.max_body = o.max_body;
  if (o.max_header) so.max_header = o.max_header;
  if (o.max_connections) so.max_connections = o.max_connections;
  if (o.max_sessions) so.max_sessions = o.max_sessions;
  if (o.request_timeout_ms > 0) so.request_timeout = std::chrono::milliseconds(o.request_timeout_ms);
  if (o.session_idle_s > 0) so.session_idle = std::chrono::seconds(o.session_idle_s);
  if (o.threads) so.threads = o.threads;
  so.log_connections = !o.quiet;
  so.log_name = name;

  Context ctx(g.config.empty() ? default_config_path() : g.config);
  if (int rc = ctx.load()) return rc;
  GwConf gc;
  if (int rc = load_gw_conf(ctx.config(), gc)) return rc;
  apply_overrides(o, gc);
  gc.seq_window = kHttpSeqWindow;
  if (so.max_body > gc.max_message) so.max_body = gc.max_message;
  so.strip_for_unsigned = gc.mode == "observe";

  GatewayEnd end;
  if (int rc = build_gateway_end(ctx, gc, GwRole::kWrap, o.identity, name, end)) return rc;
  std::unique_ptr<LockedPolicy> policy;
  if (end.policy) policy = std::make_unique<LockedPolicy>(*end.policy);
  http::FilterFactory filters = [&end, &policy] {
    return std::unique_ptr<gateway::Filter>(
        std::make_unique<gateway::WrapFilter>(end.fc, *end.signer, *end.verifier, *end.sink, policy.get()));
  };
  http::UpstreamFactory upstream;
  if (!o.upstream_url.empty()) {  // an HTTP MCP server (http_upstream.h)
    http::HttpUpstreamOptions uo;
    uo.url = o.upstream_url, uo.max_line = gc.max_message, uo.log_name = name;
    uo.tls.ca_file = o.upstream_ca, uo.tls.fingerprint = o.upstream_fingerprint, uo.tls.require_pq = o.upstream_require_pq;
    auto f = http::http_upstream_factory(uo);
    if (!f) return fail(kExitUsage, std::string(name) + ": " + f.error());
    upstream = std::move(*f);
  } else {
    upstream = http::stdio_upstream_factory(o.command, gc.max_message, gc.shutdown_ms, name);
  }

  // Writes to a pipe whose server has exited are errors, not deaths.
  ::signal(SIGPIPE, SIG_IGN);
  auto server = http::Server::create(so, upstream, filters);
  if (!server) return fail(kExitUsage, std::string(name) + ": " + server.error());
  auto& s = *server.value();
  std::string url = std::string(so.tls == http::TlsMode::kOff ? "http" : "https") + "://" +
                    (so.host.find(':') != std::string::npos ? "[" + so.host + "]" : so.host) + ":" +
                    std::to_string(s.port()) + so.path;
  std::string line = std::string(name) + ": listening on " + url + " (identity " + o.identity + ", mode " + gc.mode +
                     (so.require_pq ? ", post-quantum key exchange required" : "") + ")\n";
  if (so.tls != http::TlsMode::kOff)
    line += std::string(name) + ": certificate " + s.certificate_fingerprint() + " (ECDSA P-256; SPKI sha256 " + s.spki_sha256() + ")\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  if (!o.tls_binding.empty()) {
    if (so.tls == http::TlsMode::kOff) return fail(kExitUsage, "pqmcp serve: --tls-binding needs TLS");
    if (int rc = write_tls_binding(ctx, o.identity, s, url, so.tls == http::TlsMode::kSelfSigned, o.tls_binding)) return rc;
  }
  s.run();
  gateway::warn(name, "stopped");
  return kExitOk;
}

}  // namespace

void add_serve_commands(CLI::App& app, Globals& g) {
  auto* s = app.add_subcommand("serve", "Server side over Streamable HTTP + post-quantum TLS: verify, police, sign, audit");
  s->add_option("--listen", o.listen, "HOST:PORT to listen on (default 127.0.0.1:8443; loopback unless you mean it)");
  s->add_option("--tls-cert", o.cert, "certificate chain (PEM)");
  s->add_option("--tls-key", o.key, "private key of the certificate (PEM)");
  s->add_flag("--tls-self-signed", o.self_signed, "a fresh ECDSA P-256 certificate in memory (the default); prints its fingerprint");
  s->add_flag("--no-tls", o.no_tls, "plain HTTP (only behind a TLS-terminating proxy or for local tests)");
  s->add_option("--tls-binding", o.tls_binding,
                "write FILE (+ FILE.sig): the certificate's SPKI hash signed by --identity (check with pqmcp verify)");
  s->add_flag("--require-pq", o.require_pq, "refuse clients that cannot do X25519MLKEM768/SecP256r1MLKEM768");
  s->add_option("--identity", o.identity, "the server identity that signs responses")->required();
  s->add_option("--policy", o.policy, "access policy (TOML, docs/policy.md; default gateway.policy)");
  s->add_option("--mode", o.mode, "require (default) or observe");
  s->add_option("--audit", o.audit, "JSON-lines audit file (default gateway.audit)");
  s->add_option("--bundle", o.bundle, "trust bundle of verification keys (default gateway.bundle, else the local registry)");
  s->add_option("--admin-key", o.admin_key, "the bundle's pinned admin public key");
  s->add_option("--allowed-origin", o.origins, "browser Origin allowed to call (repeatable; default: loopback origins only)");
  s->add_option("--allowed-host", o.hosts, "Host name the server answers to besides localhost/127.0.0.1/[::1] (repeatable)");
  s->add_option("--max-message", o.max_message, "largest MCP message in bytes (default 16 MiB)");
  s->add_option("--max-body", o.max_body, "largest POST body in bytes (default 4 MiB; at most --max-message)");
  s->add_option("--max-header", o.max_header, "largest request header block in bytes (default 16 KiB)");
  s->add_option("--max-connections", o.max_connections, "open connections (default 1024)");
  s->add_option("--max-sessions", o.max_sessions, "sessions, each with its own server process (default 64)");
  s->add_option("--request-timeout", o.request_timeout_ms, "ms for a client to send a whole request (default 10000)");
  s->add_option("--session-idle", o.session_idle_s, "seconds before an idle session ends (default 900)");
  s->add_option("--shutdown-timeout", o.shutdown_ms, "ms to wait after closing a server's stdin, and after SIGTERM (default 2000)");
  s->add_option("--threads", o.threads, "I/O threads (default 2)");
  s->add_flag("--quiet", o.quiet, "no log line per connection");
  s->add_option("--upstream", o.upstream_url, "the MCP server: `--upstream -- COMMAND ARGS…` (stdio) or `--upstream https://host/mcp` (Streamable HTTP)")->expected(0, 1);
  s->add_option("--upstream-ca", o.upstream_ca, "CA certificates (PEM) that verify an https upstream");
  s->add_option("--upstream-fingerprint", o.upstream_fingerprint, "SHA-256 fingerprint of an https upstream's certificate");
  s->add_flag("--upstream-require-pq", o.upstream_require_pq, "refuse an https upstream without a post-quantum key exchange");
  s->add_option("command", o.command, "the MCP server command and its arguments, after --upstream --");
  s->footer("Example:\n  pqmcp serve --listen 127.0.0.1:8443 --identity files-server --policy policy.toml "
            "--upstream -- npx @modelcontextprotocol/server-everything");
  s->callback([&g] { g.rc = run_serve(g); });
}

}  // namespace pqmcp::cli
