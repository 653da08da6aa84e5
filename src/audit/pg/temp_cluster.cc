#include "audit/pg/temp_cluster.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace pqmcp::audit {

namespace {

bool executable(const std::string& p) { return ::access(p.c_str(), X_OK) == 0; }

// A port the kernel just handed out on 127.0.0.1; there is a window before the server binds it,
// so start() retries with a new port if the server fails to start.
int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

// Runs argv (as `postgres` when we are root), stdin from /dev/null and stdout/stderr appended to
// `log`, so that no server process started through it holds the caller's pipes (ctest would wait
// for them). Returns the exit status, -1 when it could not run.
int run(std::vector<std::string> argv, bool as_postgres, const std::string& log) {
  if (as_postgres) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  std::vector<char*> a;
  for (auto& s : argv) a.push_back(s.data());
  a.push_back(nullptr);
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (in < 0 || out < 0) {
    if (in >= 0) ::close(in);
    if (out >= 0) ::close(out);
    return -1;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execvp(a[0], a.data());
    ::_exit(127);
  }
  ::close(in);
  ::close(out);
  if (pid < 0) return -1;
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

}  // namespace

std::string TempPgCluster::find_bindir() {
  if (const char* d = std::getenv("PQMCP_PG_BINDIR"); d && *d) return executable(std::string(d) + "/initdb") ? d : "";
  // Debian installs the server outside PATH, one directory per major version; take the newest.
  std::string best;
  int best_v = -1;
  if (DIR* d = ::opendir("/usr/lib/postgresql")) {
    while (dirent* e = ::readdir(d)) {
      const int v = std::atoi(e->d_name);
      const std::string bin = std::string("/usr/lib/postgresql/") + e->d_name + "/bin";
      if (v > best_v && executable(bin + "/initdb") && executable(bin + "/pg_ctl")) best = bin, best_v = v;
    }
    ::closedir(d);
  }
  return best;
}

Result<std::unique_ptr<TempPgCluster>> TempPgCluster::start() {
  const std::string bin = find_bindir();
  if (bin.empty()) return make_error(Error::Kind::kNotFound, "no PostgreSQL server binaries (initdb, pg_ctl) found");
  const bool root = ::geteuid() == 0;
  const passwd* pw = root ? ::getpwnam("postgres") : nullptr;
  if (root && !pw) return make_error(Error::Kind::kNotFound, "running as root and there is no 'postgres' user to run the server as");

  std::unique_ptr<TempPgCluster> c(new TempPgCluster());
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/pqmcp-pg-XXXXXX";
  if (!::mkdtemp(templ.data())) return make_error(Error::Kind::kIo, "cannot create a temp dir for PostgreSQL");
  c->dir_ = templ;
  if (root && ::chown(c->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    ::rmdir(c->dir_.c_str());
    return make_error(Error::Kind::kIo, "cannot hand " + c->dir_ + " to the postgres user");
  }

  // The watchdog first, so that every later failure (or a kill) is cleaned up by it too.
  int wp[2], dp[2];
  if (::pipe2(wp, O_CLOEXEC) != 0) return make_error(Error::Kind::kIo, "pipe");
  if (::pipe2(dp, O_CLOEXEC) != 0) {
    ::close(wp[0]), ::close(wp[1]);
    return make_error(Error::Kind::kIo, "pipe");
  }
  // $1 dir, $2 bin dir, $3 "root" when pg_ctl must run as postgres. Signals are ignored: the
  // watchdog must outlive a Ctrl-C or SIGTERM to its owner to clean up after it.
  std::string script =
      "trap '' INT TERM HUP; cat >/dev/null; "
      "if [ -f \"$1/data/postmaster.pid\" ]; then "
      "if [ \"$3\" = root ]; then runuser -u postgres -- \"$2/pg_ctl\" -D \"$1/data\" -m immediate -w -t 20 stop; "
      "else \"$2/pg_ctl\" -D \"$1/data\" -m immediate -w -t 20 stop; fi; fi >/dev/null 2>&1 </dev/null; "
      "rm -rf \"$1\"";
  std::string a0 = "sh", a1 = "-c", a3 = "pqmcp-pg-watchdog", dir = c->dir_, bindir = bin, mode = root ? "root" : "user";
  char* argv[] = {a0.data(), a1.data(), script.data(), a3.data(), dir.data(), bindir.data(), mode.data(), nullptr};
  const pid_t p1 = ::fork();
  if (p1 == 0) {
    // Only async-signal-safe calls until exec (the caller may have threads).
    ::setsid();
    if (::fork() != 0) ::_exit(0);  // the grandchild is re-parented to init: out of the caller's tree
    ::dup2(wp[0], 0);                // EOF when the caller's write end closes, however it dies
    ::dup2(dp[1], 3);                // held open until the script exits: the "done" signal
    const int nul = ::open("/dev/null", O_WRONLY);
    if (nul >= 0) ::dup2(nul, 1), ::dup2(nul, 2);
    ::execv("/bin/sh", argv);
    ::_exit(127);
  }
  ::close(wp[0]);
  ::close(dp[1]);
  if (p1 < 0) {
    ::close(wp[1]), ::close(dp[0]);
    return make_error(Error::Kind::kIo, "fork");
  }
  ::waitpid(p1, nullptr, 0);
  c->watchdog_fd_ = wp[1];
  c->done_fd_ = dp[0];

  const std::string data = c->dir_ + "/data", log = c->dir_ + "/setup.log";
  if (run({bin + "/initdb", "-D", data, "-U", "pqmcp", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"}, root, log) != 0)
    return make_error(Error::Kind::kIo, "initdb failed: " + slurp(log));
  {
    // Only TCP from 127.0.0.1, trusted: a throwaway cluster that nothing else can reach. (The
    // Unix socket lives in the 0700 temp dir and has no hba line, so it accepts nobody.)
    std::ofstream hba(data + "/pg_hba.conf", std::ios::trunc);
    hba << "host all all 127.0.0.1/32 trust\n";
    if (!hba) return make_error(Error::Kind::kIo, "cannot write pg_hba.conf");
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int port = free_port();
    if (port <= 0) return make_error(Error::Kind::kIo, "no free TCP port on 127.0.0.1");
    {
      // Later lines win in postgresql.conf, so appending overrides initdb's defaults.
      std::ofstream conf(data + "/postgresql.conf", std::ios::app);
      conf << "listen_addresses = '127.0.0.1'\nport = " << port << "\nunix_socket_directories = '" << c->dir_ << "'\n";
    }
    if (run({bin + "/pg_ctl", "-D", data, "-l", c->dir_ + "/server.log", "-w", "-t", "30", "start"}, root, log) == 0) {
      c->conninfo_ = "host=127.0.0.1 port=" + std::to_string(port) + " dbname=postgres user=pqmcp connect_timeout=10";
      return c;
    }
  }
  return make_error(Error::Kind::kIo, "the PostgreSQL server did not start: " + slurp(log) + slurp(c->dir_ + "/server.log"));
}

TempPgCluster::~TempPgCluster() {
  if (watchdog_fd_ >= 0) ::close(watchdog_fd_);
  // Wait for the watchdog to have stopped the server and removed the dir (read returns 0 when
  // the script and everything it ran have exited).
  if (done_fd_ >= 0) {
    char b;
    for (ssize_t n; (n = ::read(done_fd_, &b, 1)) != 0;)
      if (n < 0 && errno != EINTR) break;
    ::close(done_fd_);
  }
}

}  // namespace pqmcp::audit
