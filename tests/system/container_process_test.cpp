// System tests (root) of containers once they run: detached under a shim,
// logs, stop and kill, exec, --init, terminals and stdin.
#include "tests/system/container_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace stack_system_test {
namespace {

// Waits up to a minute for `pid` (our child); SIGKILLs its process group after that.
int wait_with_deadline(pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "still running after a minute";
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    ::usleep(20 * 1000);
  }
  return status;
}

struct OnATerminal {
  int status = -1;            // the shell's wait status
  std::string shown;          // what the terminal displayed
  std::string pending_input;  // what sat in the terminal's input when the shell was done: what was pushed in
};

// Runs SCRIPT by sh as a user's shell would: in a session of its own whose
// controlling terminal is a new pseudo-terminal, its stdio on it.
OnATerminal run_on_a_terminal(const std::string& script) {
  OnATerminal r;
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  char name[64];
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0 || ::ptsname_r(master, name, sizeof name) != 0) {
    ADD_FAILURE() << "no pseudo-terminal: " << std::strerror(errno);
    return r;
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return r;
  pid_t shell = ::fork();
  if (shell == 0) {
    ::setsid();
    int slave = ::open(name, O_RDWR);  // a session leader's first terminal: its controlling one
    if (slave < 0 || ::ioctl(slave, TIOCSCTTY, 0) != 0) ::_exit(120);
    // Not line by line, no echo: whatever is pushed into its input can be read at once.
    termios t{};
    ::tcgetattr(slave, &t);
    t.c_lflag &= ~(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    ::tcsetattr(slave, TCSANOW, &t);
    for (int fd = 0; fd <= 2; ++fd) ::dup2(slave, fd);
    if (slave > 2) ::close(slave);
    pid_t child = ::fork();
    if (child == 0) {
      ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    int pending = 0;
    ::ioctl(STDIN_FILENO, FIONREAD, &pending);
    std::string input(static_cast<size_t>(std::max(pending, 0)), '\0');
    ssize_t got = pending > 0 ? ::read(STDIN_FILENO, input.data(), input.size()) : 0;
    (void)!::write(report[1], input.data(), static_cast<size_t>(std::max<ssize_t>(got, 0)));
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  ::close(report[1]);
  // Read what it shows while it runs: a full terminal would hold it up.
  ::fcntl(master, F_SETFL, O_NONBLOCK);
  char buf[4096];
  auto drain = [&] {
    for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) r.shown.append(buf, static_cast<size_t>(n));
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (::waitpid(shell, &r.status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the shell still runs after 90 s";
      ::kill(-shell, SIGKILL);
      ::waitpid(shell, &r.status, 0);
      break;
    }
    pollfd p{master, POLLIN, 0};
    ::poll(&p, 1, 20);
    drain();
  }
  drain();
  ::close(master);
  for (ssize_t n; (n = ::read(report[0], buf, sizeof buf)) > 0;) r.pending_input.append(buf, static_cast<size_t>(n));
  ::close(report[0]);
  return r;
}

struct BesideASentinel {
  int status = -1;              // the shell's wait status
  bool sentinel_alive = false;  // the other process of the shell's group
  std::string out;
};

// Runs SCRIPT by sh in a process group of its own, as a shell without job
// control runs a command, beside a sentinel process of the same group.
BesideASentinel run_beside_a_sentinel(const std::string& script, const fs::path& out_file) {
  BesideASentinel r;
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return r;
  pid_t shell = ::fork();
  if (shell == 0) {
    ::setpgid(0, 0);
    char byte;
    if (::read(go[0], &byte, 1) != 1) ::_exit(120);
    int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(shell, shell);
  pid_t sentinel = ::fork();
  if (sentinel == 0) {
    for (;;) ::pause();
  }
  ::setpgid(sentinel, shell);
  ::close(go[0]);
  (void)!::write(go[1], "1", 1);
  ::close(go[1]);
  r.status = wait_with_deadline(shell);
  r.sentinel_alive = ::waitpid(sentinel, nullptr, WNOHANG) == 0;
  ::kill(sentinel, SIGKILL);
  ::waitpid(sentinel, nullptr, 0);
  r.out = slurp(out_file);
  return r;
}

const char* kOneService = "services:\n  app:\n    image: busybox\n    command: [\"sleep\", \"30\"]\n";

// Waits (up to 5 s) until `container logs NAME` shows TEXT.
std::string wait_for_log(const std::string& name, const std::string& text) {
  return "for i in $(seq 50); do $S container logs " + name + " 2>&1 | grep -q " + quote(text) +
         " && break; sleep 0.1; done; ";
}

TEST_F(Container, DetachedRunReturnsAtOnceAndLogsBothStreams) {
  Outcome r = in_sandbox(
      "id=$($S container run -d --name bg busybox sh -c "
      "'echo oops >&2; sleep 0.2; echo started; printf no-newline; trap \"echo got-usr1\" USR1; while true; do sleep 0.1; done'); "
      "echo id=${#id}; " + wait_for_log("bg", "started") +
      "$S container ls | grep -c 'Up   bg$'; "
      "echo stdout:; $S container logs bg 2>/dev/null; echo; echo stderr:; $S container logs bg 2>&1 >/dev/null; "
      "$S container logs -t bg | head -1 | grep -cE '^20[0-9-]+T[0-9:.]+Z started$'; "
      "$S container kill -s USR1 bg; " + wait_for_log("bg", "got-usr1") +
      "$S container logs --tail 1 bg; "
      "$S container stop -t 1 bg; echo stop=$?; "
      "$S container ls -a | grep -c 'Exited (137)   bg$'; "
      "$S container rm bg");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "id=64\n1\nstdout:\nstarted\nno-newline\nstderr:\noops\n1\nbg\nno-newlinegot-usr1\nbg\nstop=0\n1\nbg\n")
      << r.err;
}

TEST_F(Container, TheShimRecordsExitCodeAndOomKill) {
  Outcome r = in_sandbox(
      "$S container run -d --name hog --memory 32m busybox sh -c 'x=aaaaaaaaaaaaaaaa; while true; do x=\"$x$x\"; done' "
      ">/dev/null; $S container logs -f hog; $S container inspect hog | grep -E '\"(ExitCode|OOMKilled|Status)\"'; "
      "$S container rm hog");
  EXPECT_EQ(r.out, "    \"ExitCode\": 137,\n    \"OOMKilled\": true,\n    \"Status\": \"exited\",\nhog\n") << r.err;
}

TEST_F(Container, StopSendsTheStopSignalFirst) {
  Outcome r = in_sandbox(
      "$S container run -d --name polite --stop-signal USR2 busybox sh -c "
      "'trap \"echo bye; exit 0\" USR2; echo ready; while true; do sleep 0.1; done' >/dev/null; " +
      wait_for_log("polite", "ready") +
      "start=$(date +%s); $S container stop polite; [ $(( $(date +%s) - start )) -lt 5 ] && echo before-the-timeout; "
      "$S container logs polite; $S container inspect polite | grep '\"ExitCode\"'; $S container rm polite");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("before-the-timeout\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ready\nbye\n    \"ExitCode\": 0,\n"), std::string::npos) << r.out;
}

TEST_F(Container, LogsFollowUntilTheContainerExits) {
  Outcome r = in_sandbox(
      "$S container run -d --name f busybox sh -c 'for i in 1 2 3; do echo n$i; sleep 0.2; done; exit 3' >/dev/null; "
      "$S container logs -f f; $S container inspect f | grep '\"ExitCode\"'; $S container rm f");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "n1\nn2\nn3\n    \"ExitCode\": 3,\nf\n");
}

TEST_F(Container, ExecJoinsTheNamespacesCgroupAndRestrictions) {
  Outcome r = in_sandbox(
      "$S container run -d --name ex --hostname exhost --cap-drop ALL --cap-add CHOWN busybox sleep 30 >/dev/null; "
      "$S container exec ex sh -c 'hostname; cat /proc/1/comm; "
      "  for f in CapEff CapBnd NoNewPrivs Seccomp; do "
      "    [ \"$(grep ^$f: /proc/self/status)\" = \"$(grep ^$f: /proc/1/status)\" ] && echo same-$f; done; "
      "  [ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] && echo same-cgroup; "
      "  [ \"$(readlink /proc/self/ns/net)\" = \"$(readlink /proc/1/ns/net)\" ] && echo same-net; "
      "  grep Seccomp: /proc/self/status'; "
      "$S container exec ex checker | grep -E '^(keyctl|mount|unshare)='; "
      "$S container exec -u app -w /tmp -e GREETING=hi ex sh -c 'id -u; pwd; echo $GREETING $HOME'; "
      "$S container exec ex sh -c 'exit 9'; echo exit=$?; "
      "$S container exec ex no-such-program; echo missing=$?; "
      "$S container exec stopped-or-absent true; echo absent=$?; "
      "$S container rm -f ex");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "exhost\nsleep\nsame-CapEff\nsame-CapBnd\nsame-NoNewPrivs\nsame-Seccomp\nsame-cgroup\nsame-net\nSeccomp:\t2\n"
            "keyctl=EPERM\nunshare=EPERM\nmount=EPERM\n"
            "1000\n/tmp\nhi /home/app\nexit=9\nmissing=127\nabsent=125\nex\n")
      << r.err;
  EXPECT_NE(r.err.find("executable file not found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no such container: stopped-or-absent"), std::string::npos) << r.err;
}

TEST_F(Container, InitPassesSignalsOnAndReapsOrphans) {
  Outcome r = in_sandbox(
      "$S container run -d --init --name in busybox sh -c 'echo ready; sleep 30' >/dev/null; " +
      wait_for_log("in", "ready") +
      "$S container exec in cat /proc/1/comm; "
      "start=$(date +%s); $S container stop in >/dev/null; [ $(( $(date +%s) - start )) -lt 5 ] && echo before-the-timeout; "
      "$S container inspect in | grep '\"ExitCode\"'; $S container rm in >/dev/null; "
      "$S container run --rm --init busybox sh -c "
      "'sh -c \"sleep 0.2 & exit 0\"; sleep 0.6; ps -o stat,comm | grep -c ^Z; exit 4'; echo exit=$?");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "stack-init\nbefore-the-timeout\n    \"ExitCode\": 143,\n0\nexit=4\n") << r.err;
}

TEST_F(Container, TerminalAndStdin) {
  Outcome r = in_sandbox(
      "script -qec \"$S container run --rm -t busybox sh -c 'tty; test -t 0 && echo stdin-is-a-tty; exit 3'\" /dev/null "
      "| tr -d '\\r' | grep -v -e '^==' -e '^False positive' -e '^For details'; "  // ASan builds warn about clone's stack
      "$S container run --rm busybox sh -c 'test -t 1 || echo no-tty'; "
      "echo 'echo from-stdin' | $S container run --rm -i busybox sh; "
      "echo ignored | $S container run --rm busybox sh -c 'cat; echo stdin-closed'");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "/dev/pts/0\nstdin-is-a-tty\nno-tty\nfrom-stdin\nstdin-closed\n") << r.err;
}

// Each way a command runs in a container from a user's shell, without a terminal of its own.
struct ForegroundCommand {
  const char* name;
  const char* setup;    // before, its output dropped
  const char* command;  // `checker` is replaced by the checker's arguments
  const char* cleanup;  // after, its output dropped
};
const ForegroundCommand kForegroundCommands[] = {
    {"container run", "", "$S container run --rm busybox checker", ""},
    {"container run -i", "", "$S container run --rm -i busybox checker", ""},
    {"container exec", "$S container run -d --name held busybox sleep 30", "$S container exec held checker",
     "$S container rm -f held"},
    {"container exec -i", "$S container run -d --name held busybox sleep 30", "$S container exec -i held checker",
     "$S container rm -f held"},
    {"stack exec -T", "$S up -d", "$S exec -T app checker", "$S down -t 0"},
    {"stack run -T", "", "$S run --rm -T app checker", "$S down -t 0"},
};

std::string foreground_script(const fs::path& root, const ForegroundCommand& c, const std::string& checker_args) {
  std::string command = c.command;
  command.replace(command.find("checker"), 7, "checker " + checker_args);
  auto quiet = [](const std::string& s) { return s.empty() ? std::string() : s + " >/dev/null 2>&1; "; };
  std::string inner = "export STACK_ROOT=" + quote((root / "state").string()) + "; S=" STACK_BINARY "; ip link set lo up; cd " +
                      quote((root / "fg").string()) + "; " + quiet(c.setup) + command + "; echo after=$?; " + quiet(c.cleanup);
  return "unshare --mount --net --fork -- sh -c " + quote(inner);
}

TEST_F(Container, AForegroundContainerCannotPushInputIntoTheUsersTerminal) {
  fs::create_directories(root_ / "fg");
  std::ofstream(root_ / "fg/compose.yaml") << kOneService;
  for (const ForegroundCommand& c : kForegroundCommands) {
    SCOPED_TRACE(c.name);
    OnATerminal r = run_on_a_terminal(foreground_script(root_, c, "tiocsti"));
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.status << "\n" << r.shown;
    // Nothing reached the terminal's input, by any of its file descriptors.
    EXPECT_EQ(r.pending_input, "");
    EXPECT_EQ(r.shown.find("injected"), std::string::npos) << r.shown;
    for (const char* line : {"tiocsti_fd0=", "tiocsti_fd1=", "tiocsti_fd2=", "open_dev_tty="})
      EXPECT_NE(r.shown.find(line), std::string::npos) << line << " in\n" << r.shown;
    for (const char* line : {"tiocsti_fd0=ok", "tiocsti_fd1=ok", "tiocsti_fd2=ok", "tiocsti_dev_tty", "tiocsctty_fd1=ok"})
      EXPECT_EQ(r.shown.find(line), std::string::npos) << line << " in\n" << r.shown;
    EXPECT_NE(r.shown.find("session_leader=yes"), std::string::npos) << r.shown;
    EXPECT_NE(r.shown.find("after=0"), std::string::npos) << r.shown;
  }
}

TEST_F(Container, KillZeroInAForegroundContainerReachesNothingOutsideIt) {
  fs::create_directories(root_ / "fg");
  std::ofstream(root_ / "fg/compose.yaml") << kOneService;
  for (const ForegroundCommand& c : kForegroundCommands) {
    SCOPED_TRACE(c.name);
    BesideASentinel r = run_beside_a_sentinel(foreground_script(root_, c, "kill-group"), root_ / "fg/out");
    EXPECT_TRUE(r.sentinel_alive) << r.out;
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.status << "\n" << r.out;
    EXPECT_NE(r.out.find("pgrp_is_ours=yes"), std::string::npos) << r.out;
    // The init of `run` outlives its own SIGKILL; an exec'd process does not.
    bool init = std::string(c.command).find(" run ") != std::string::npos;
    EXPECT_NE(r.out.find(init ? "kill0=ok survived\nafter=0\n" : "after=137\n"), std::string::npos) << r.out;
  }
}

TEST_F(Container, DetachedRmRemovesItselfAndAKilledShimIsReclaimed) {
  Outcome r = in_sandbox(
      "$S container run -d --rm --name gone busybox sh -c 'echo bye' >/dev/null; "
      "for i in $(seq 50); do $S container ls -a | grep -q gone || break; sleep 0.1; done; "
      "$S container ls -a | grep -c gone; "
      "$S container run -d --name orphan busybox sleep 30 >/dev/null; "
      "shim=$($S container inspect orphan | grep '\"Runner\"' | tr -dc 0-9); "
      "kill -KILL $shim; sleep 0.3; "
      "$S container ls -a | grep -c 'Exited (-1)   orphan$'; $S container rm orphan");
  EXPECT_EQ(r.out, "0\n1\norphan\n") << r.err;
  EXPECT_NE(r.err.find("cleaned up container orphan"), std::string::npos) << r.err;
}

// Once its container runs, a detached shim is the small static supervisor
// (stack-shim): an idle container costs its pages, not those of `stack`.
TEST_F(Container, AnIdleContainersShimIsTheStaticSupervisorAndStillRecordsTheEnd) {
  Outcome r = in_sandbox(
      "$S container run -d --name idle busybox sleep 30 >/dev/null; "
      "shim=$($S container inspect idle | grep '\"Runner\"' | tr -dc 0-9); "
      // It execs the supervisor just after reporting the start to us.
      "for i in $(seq 50); do readlink /proc/$shim/exe | grep -q 'stack-shim$' && break; sleep 0.1; done; "
      "basename \"$(readlink /proc/$shim/exe)\"; grep -c '[.]so' /proc/$shim/maps; "
      "$S container stop -t 1 idle >/dev/null; $S container inspect idle | grep -E '\"(ExitCode|Status)\"'; "
      "$S container rm idle");
  EXPECT_EQ(r.out, "stack-shim\n0\n    \"ExitCode\": 137,\n    \"Status\": \"exited\",\nidle\n") << r.err;
}

TEST_F(Container, ExecAndDetachOnAPureCgroupV2Mount) {
  Outcome r = in_sandbox(
      "umount -R /sys/fs/cgroup 2>/dev/null || umount -l /sys/fs/cgroup; mount -t cgroup2 none /sys/fs/cgroup; "
      "$S container run -d --name v2 busybox sleep 30 >/dev/null; "
      "$S container exec v2 cat /proc/self/cgroup | tail -1; $S container stop -t 0 v2; $S container rm v2; "
      "find /sys/fs/cgroup/stack -mindepth 1 -type d | wc -l");
  // The v2 line shows the container's cgroup as the root of its namespace.
  EXPECT_EQ(r.out, "0::/\nv2\nv2\n0\n") << r.err;
}

}  // namespace
}  // namespace stack_system_test
