// System tests (root) of containers once they run: detached under a shim,
// logs, stop and kill, exec, --init, terminals and stdin.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

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
