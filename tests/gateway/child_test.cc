// The child process and the relay loop: spawning, the server's stderr passed through, the
// stdio shutdown sequence (close stdin → SIGTERM → SIGKILL, MCP 2026-07-28 stdio "Shutdown")
// against children that exit, that need SIGTERM and that ignore it, a server that crashes with
// a request pending, and no zombie or stray process left behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "gateway/relay.h"
#include "gateway/rig.h"

namespace pqmcp::gateway {
namespace {

using namespace std::chrono_literals;
using namespace testing;

struct TempDir {
  TempDir() {
    char t[] = "/tmp/pqmcp-child-test-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// True when neither the child nor anything in its process group is left (reaped, not a zombie
// of ours). Orphaned grandchildren are reaped by init; give that a bounded moment.
bool nothing_left(pid_t pid) {
  int st;
  if (::waitpid(pid, &st, WNOHANG) != -1 || errno != ECHILD) return false;  // still ours to reap
  for (int i = 0; i < 200; ++i) {
    if (::kill(-pid, 0) != 0 && errno == ESRCH && !std::filesystem::exists("/proc/" + std::to_string(pid)))
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

Child spawn(const std::string& script) {
  auto c = Child::spawn({"sh", "-c", script});
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error());
  return std::move(c).value();
}

TEST(Child, SpawnsWithThreePipesAndReportsTheExitCode) {
  Child c = spawn("read x; echo \"got $x\"; echo to-stderr >&2; exit 3");
  // Its own process group, so that shutdown signals reach what it starts (sh -c, npx).
  EXPECT_EQ(::getpgid(c.pid()), c.pid());
  ASSERT_EQ(::write(c.stdin_fd(), "hello\n", 6), 6);
  c.close_stdin();
  while (!c.poll_exit()) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(c.exit_code(), 3);
  char buf[64];
  ssize_t n = ::read(c.stdout_fd(), buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "got hello\n");
  n = ::read(c.stderr_fd(), buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "to-stderr\n");
  EXPECT_TRUE(nothing_left(c.pid()));
}

TEST(Child, ACommandThatCannotStartIsAnError) {
  auto c = Child::spawn({"/nonexistent/mcp-server"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("cannot start"), std::string::npos);
  EXPECT_FALSE(Child::spawn({}).ok());
}

TEST(Child, ShutdownClosesStdinThenTermThenKill) {
  TempDir d;
  const std::string log = d.file("log");
  const ShutdownTimeouts t{200ms, 200ms};
  {
    // Exits when its stdin closes: no signal needed.
    Child c = spawn("cat >/dev/null; echo eof >> " + log);
    EXPECT_STREQ(c.shutdown(t), "exited");
    EXPECT_EQ(c.exit_code(), 0);
    EXPECT_TRUE(nothing_left(c.pid()));
    EXPECT_EQ(slurp(log), "eof\n");
  }
  std::filesystem::remove(log);
  {
    // Keeps running after EOF; SIGTERM ends it (and its own child, in the same group).
    Child c = spawn("trap 'echo term >> " + log + "; exit 0' TERM; cat >/dev/null; echo eof >> " + log +
                    "; while :; do sleep 0.05; done");
    EXPECT_STREQ(c.shutdown(t), "sigterm");
    EXPECT_TRUE(nothing_left(c.pid()));
    EXPECT_EQ(slurp(log), "eof\nterm\n");  // the order: stdin closed first, then SIGTERM
  }
  std::filesystem::remove(log);
  {
    // Ignores SIGTERM (and so does the sleep it starts): only SIGKILL ends it.
    Child c = spawn("trap '' TERM; cat >/dev/null; echo eof >> " + log + "; while :; do sleep 0.05; done");
    const pid_t pid = c.pid();
    EXPECT_STREQ(c.shutdown(t), "sigkill");
    EXPECT_TRUE(WIFSIGNALED(c.status()));
    EXPECT_EQ(WTERMSIG(c.status()), SIGKILL);
    EXPECT_EQ(c.exit_code(), 128 + SIGKILL);
    EXPECT_TRUE(nothing_left(pid));
    EXPECT_EQ(slurp(log), "eof\n");
  }
}

TEST(Child, DestructorShutsARunningChildDown) {
  pid_t pid;
  {
    Child c = spawn("cat >/dev/null");
    pid = c.pid();
  }
  EXPECT_TRUE(nothing_left(pid));
}

// Passes lines through unchanged and notes what the relay reported.
class PassThrough final : public Filter {
 public:
  void from_client(std::string_view l, Emit& out) override { out.to_server(std::string(l)); }
  void from_server(std::string_view l, Emit& out) override { out.to_client(std::string(l)); }
  void client_overlong(const Overlong& o, Emit& out) override {
    out.to_server("overlong " + std::to_string(o.bytes));  // in order with the other lines
  }
  void server_overlong(const Overlong&, Emit&) override {}
  void server_gone(Emit&) override { ++gone; }
  int gone = 0;
};

// Runs the relay with the client on two pipes: `input` is written first; the client's write end
// is closed (EOF) if close_input, else kept open until the relay returns. Captures our stderr.
struct RelayRun {
  RelayResult res;
  std::string to_client, stderr_text;
};
RelayRun relay(Child& c, Filter& f, const std::string& input, bool close_input, RelayOptions o = {}) {
  int in[2], out[2];
  EXPECT_EQ(::pipe(in), 0);
  EXPECT_EQ(::pipe(out), 0);
  EXPECT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  if (close_input) ::close(in[1]);
  TempDir d;
  const std::string errf = d.file("stderr");
  int saved = ::dup(2);
  int ef = ::open(errf.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(ef, 2);
  ::close(ef);
  RelayRun r;
  r.res = run_relay(c, in[0], out[1], f, o);
  ::dup2(saved, 2);
  ::close(saved);
  if (!close_input) ::close(in[1]);
  ::close(in[0]);
  ::close(out[1]);
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) r.to_client.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  r.stderr_text = slurp(errf);
  return r;
}

TEST(Relay, RelaysBothWaysForwardsStderrAndEndsOnClientEof) {
  Child c = spawn("while read l; do echo \"$l\"; echo \"server log: $l\" >&2; done");
  PassThrough f;
  RelayOptions o;
  o.max_line = 64;
  auto r = relay(c, f, "one\r\ntwo\n" + std::string(100, 'x') + "\nthree\n", true, o);
  EXPECT_EQ(r.to_client, "one\ntwo\noverlong 100\nthree\n");
  EXPECT_NE(r.stderr_text.find("server log: one\n"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("server log: three\n"), std::string::npos) << r.stderr_text;
  EXPECT_EQ(r.res.ended_by, "client-eof");
  EXPECT_EQ(r.res.child_ended, "exited");
  EXPECT_EQ(r.res.exit_code, 0);
  EXPECT_TRUE(nothing_left(c.pid()));
}

TEST(Relay, ChildIgnoringTermIsKilledAfterTheClientLeaves) {
  Child c = spawn("trap '' TERM; cat >/dev/null; while :; do sleep 0.05; done");
  PassThrough f;
  RelayOptions o;
  o.shutdown = {150ms, 150ms};
  auto r = relay(c, f, "", true, o);
  EXPECT_EQ(r.res.ended_by, "client-eof");
  EXPECT_EQ(r.res.child_ended, "sigkill");
  EXPECT_NE(r.stderr_text.find("sending SIGTERM"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("sending SIGKILL"), std::string::npos) << r.stderr_text;
  EXPECT_LT(r.stderr_text.find("sending SIGTERM"), r.stderr_text.find("sending SIGKILL"));
  EXPECT_TRUE(nothing_left(c.pid()));
}

TEST(Relay, ServerCrashingMidRequestAnswersThePendingRequest) {
  WrapRig w;
  Value req = call(7, "echo", {{"message", "boom"}});
  auto digest = w.sign(req);
  // Reads the request, then dies of a segmentation fault without answering.
  Child c = spawn("ulimit -c 0; read l; kill -SEGV $$");
  auto r = relay(c, *w.wrap, dump(req) + "\n", false);
  EXPECT_EQ(r.res.ended_by, "server-exit");
  EXPECT_EQ(r.res.exit_code, 128 + SIGSEGV);
  ASSERT_FALSE(r.to_client.empty());
  ASSERT_EQ(r.to_client.back(), '\n');
  Value e = parse(r.to_client.substr(0, r.to_client.size() - 1));
  EXPECT_EQ(e["id"], 7);
  EXPECT_EQ(e["error"]["code"], code::kServerUnavailable);
  EXPECT_EQ(pqmcp_data(e)["reason"], "server-exited");
  EXPECT_TRUE(w.agent_verifies(e, digest).ok());
  EXPECT_TRUE(nothing_left(c.pid()));
}

}  // namespace
}  // namespace pqmcp::gateway
