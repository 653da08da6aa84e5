// A throwaway PostgreSQL cluster for the PostgreSQL test and audit-bench (library
// pqmcp_audit_pg_cluster; never linked into pqmcp itself). One helper for both, so that the
// start/stop logic exists once.
//
// start() makes a temp dir, runs initdb and pg_ctl from the server binaries (Debian's
// /usr/lib/postgresql/<v>/bin, or $PQMCP_PG_BINDIR) and binds the server to 127.0.0.1 on a free
// port with trust authentication for 127.0.0.1 only and the Unix socket inside the temp dir.
// initdb and the server refuse to run as root, so as root they run as the `postgres` user
// (runuser) with the temp dir owned by it.
//
// Cleanup is guaranteed even when the owning process is killed with SIGKILL (a ctest timeout):
// before initdb, a detached watchdog (`sh`, double-forked so it is not in the caller's process
// tree and survives a tree kill) blocks reading a pipe whose only write end the caller holds;
// when that end closes — destructor or process death — it stops the server (immediate mode)
// and removes the temp dir. This is the shell `trap … EXIT` of a test script, made robust
// against kill -9.
#pragma once

#include <memory>
#include <string>

#include "audit/result.h"

namespace pqmcp::audit {

class TempPgCluster {
 public:
  // Empty when no server binaries are found (callers skip); otherwise the bin directory.
  static std::string find_bindir();
  // Starts the cluster; waits at most ~30 s for it to accept connections.
  static Result<std::unique_ptr<TempPgCluster>> start();
  ~TempPgCluster();  // stops the server and removes the temp dir (via the watchdog), and waits
  TempPgCluster(const TempPgCluster&) = delete;
  TempPgCluster& operator=(const TempPgCluster&) = delete;

  // libpq connection string: host=127.0.0.1 port=<p> dbname=postgres user=pqmcp
  const std::string& conninfo() const { return conninfo_; }
  const std::string& dir() const { return dir_; }

 private:
  TempPgCluster() = default;
  std::string dir_, conninfo_;
  int watchdog_fd_ = -1;  // write end of the watchdog's pipe
  int done_fd_ = -1;      // read end: EOF once the watchdog has finished cleaning up
};

}  // namespace pqmcp::audit
