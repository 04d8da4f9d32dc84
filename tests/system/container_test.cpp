// System tests of `stack container run` (root): what the container sees
// from inside, and what is left once it is gone.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

// Whether this host's kernel runs i386 syscalls from 64-bit code (int
// $0x80, i386's getpid): without ia32 emulation it faults instead.
bool host_runs_i386_syscalls() {
#if defined(__x86_64__)
  pid_t pid = ::fork();
  if (pid == 0) {
    long rc;
    __asm__ volatile("int $0x80" : "=a"(rc) : "a"(20L) : "memory");
    ::_exit(rc == ::getpid() ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
#else
  return false;
#endif
}

TEST_F(Container, RunsAsPidOneWithItsOwnHostnameAndExitCode) {
  Outcome r = run("--hostname box busybox sh -c 'echo pid=$$; hostname; cat /etc/hostname; exit 7'");
  EXPECT_EQ(r.rc, 7) << r.err;
  EXPECT_EQ(r.out, "pid=1\nbox\nbox\n");
}

TEST_F(Container, HasDockersDefaultCapabilitiesNoNewPrivsAndSeccomp) {
  Outcome r = run("busybox grep -E '^(CapEff|CapBnd|CapPrm|NoNewPrivs|Seccomp):' /proc/self/status");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("CapEff:\t00000000a80425fb"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapBnd:\t00000000a80425fb"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NoNewPrivs:\t1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out;
}

TEST_F(Container, CapabilitiesFollowCapAddAndCapDrop) {
  Outcome r = run("--cap-drop ALL --cap-add net_admin busybox grep -E '^CapEff:' /proc/self/status");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "CapEff:\t0000000000001000\n");
  r = run("--security-opt no-new-privileges:false busybox grep NoNewPrivs /proc/self/status");
  EXPECT_EQ(r.out, "NoNewPrivs:\t0\n") << r.err;
}

TEST_F(Container, SeccompDeniesWhatDockersProfileDenies) {
  Outcome r = run("busybox checker");
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char* line : {"keyctl=EPERM", "unshare=EPERM", "mount=EPERM", "clone3=ENOSYS", "socket_alg=EPERM",
                           "socket_vsock=EPERM", "socket_inet=ok", "syscall_500=ENOSYS", "bpf=EPERM"})
    EXPECT_NE(r.out.find(std::string(line) + "\n"), std::string::npos) << line << " in\n" << r.out;
  r = run("--security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status");
  EXPECT_EQ(r.out, "Seccomp:\t0\n") << r.err;
}

TEST_F(Container, SyscallsNewerThanTheFilterReturnEnosysAndX32IsNotKilled) {
  Outcome r = run("busybox checker syscalls");
  ASSERT_EQ(r.rc, 0) << r.err;
  // 457 is just above the newest the filter knows (futex_requeue, 456);
  // 1000 and 2000 are far past it.
  for (const char* line : {"syscall_457=ENOSYS", "syscall_1000=ENOSYS", "syscall_2000=ENOSYS", "dangerous_refused=19/19"})
    EXPECT_NE(r.out.find(std::string(line) + "\n"), std::string::npos) << line << " in\n" << r.out;
#if defined(__x86_64__)
  // Allowed by the filter; a kernel without x32 answers ENOSYS itself.
  EXPECT_TRUE(r.out.find("x32_getpid=ok\n") != std::string::npos || r.out.find("x32_getpid=ENOSYS\n") != std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("x32=killed"), std::string::npos) << r.out;
#endif
}

TEST_F(Container, I386SyscallsRunUnderTheSameRefusals) {
  if (!host_runs_i386_syscalls())
    GTEST_SKIP() << "this kernel does not run i386 syscalls (int $0x80 faults: ia32 emulation is off); "
                    "the filter's i386 answers are checked by the unit tests";
  Outcome r = run("busybox checker syscalls");
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char* line : {"i386_getpid=same", "i386_syscall_1000=ENOSYS", "i386_mount=EPERM", "i386_reboot=EPERM",
                           "i386_dangerous_refused=19/19"})
    EXPECT_NE(r.out.find(std::string(line) + "\n"), std::string::npos) << line << " in\n" << r.out;
  EXPECT_EQ(r.out.find("i386=killed"), std::string::npos) << r.out;
}

TEST_F(Container, PrivilegedLiftsTheRestrictions) {
  Outcome r = run("--privileged busybox sh -c 'grep -E \"^(CapEff|Seccomp):\" /proc/self/status; mount -t tmpfs x /tmp && echo mounted'");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("Seccomp:\t0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mounted"), std::string::npos) << r.out;
}

TEST_F(Container, ProcAndSysAreMaskedAndReadOnly) {
  Outcome r = run("busybox sh -c 'wc -c < /proc/timer_list; wc -c < /proc/keys; "
              "echo x > /proc/sys/kernel/domainname || echo proc-sys-ro; touch /sys/x || echo sys-ro; "
              "cat /proc/1/mountinfo | grep -c \" /sys/fs/cgroup\"'");
  EXPECT_NE(r.out.find("0\n0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("proc-sys-ro"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sys-ro"), std::string::npos) << r.out;
}

TEST_F(Container, DevHasOnlyTheDefaultNodes) {
  Outcome r = run("busybox ls /dev");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "fd\nfull\nmqueue\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n");
}

TEST_F(Container, ReadOnlyRootfs) {
  Outcome r = run("--read-only --tmpfs /scratch busybox sh -c 'touch /x || echo ro; touch /scratch/y && echo tmpfs-rw'");
  EXPECT_EQ(r.out, "ro\ntmpfs-rw\n") << r.err;
}

TEST_F(Container, UsersComeFromTheImage) {
  Outcome r = run("-u app busybox id");
  EXPECT_EQ(r.out, "uid=1000(app) gid=1000(app) groups=50(staff),1000(app)\n") << r.err;
  r = run("-u 1234:50 busybox sh -c 'id -u; id -g; grep CapEff /proc/self/status'");
  EXPECT_EQ(r.out, "1234\n50\nCapEff:\t0000000000000000\n") << r.err;
  r = run("-u nosuchuser busybox id");
  EXPECT_EQ(r.rc, 125);
  EXPECT_NE(r.err.find("unable to find user nosuchuser"), std::string::npos) << r.err;
}

TEST_F(Container, ExitCodesForCommandsThatCannotRun) {
  Outcome r = run("busybox nosuchcommand");
  EXPECT_EQ(r.rc, 127);
  EXPECT_NE(r.err.find("executable file not found"), std::string::npos) << r.err;
  r = run("busybox /etc/passwd");
  EXPECT_EQ(r.rc, 126) << r.err;
  // A command killed by a signal exits 128+N (PID 1 itself cannot be killed from inside).
  r = run("busybox sh -c 'sh -c \"kill -KILL \\$\\$\"; exit $?'");
  EXPECT_EQ(r.rc, 137) << r.err;
  r = run("no-such-image true");
  EXPECT_EQ(r.rc, 125);
  EXPECT_NE(r.err.find("no such image: no-such-image"), std::string::npos) << r.err;
}

TEST_F(Container, SignalsAreForwardedToTheContainer) {
  std::string inner = "STACK_ROOT=" + quote((root_ / "state").string()) + " " STACK_BINARY
                      " container run --rm busybox sh -c 'trap \"echo got-term; exit 3\" TERM; "
                      "echo ready; while true; do sleep 0.05; done' & pid=$!; sleep 1; kill -TERM $pid; wait $pid";
  Outcome r = shell("timeout -k 5 60 unshare --mount --net --fork -- sh -c " + quote(inner));
  EXPECT_EQ(r.rc, 3) << r.err;
  EXPECT_EQ(r.out, "ready\ngot-term\n") << r.err;
}

TEST_F(Container, MemoryLimitOomKills) {
  Outcome r = run("--memory 32m busybox sh -c 'x=aaaaaaaaaaaaaaaa; while true; do x=\"$x$x\"; done'");
  EXPECT_EQ(r.rc, 137) << r.err;
  EXPECT_NE(r.err.find("OOM-killed"), std::string::npos) << r.err;
}

TEST_F(Container, ForkBombStopsAtPidsLimit) {
  // The checker is PID 1; seven more processes fit under pids.max = 8.
  Outcome r = run("--pids-limit 8 busybox checker fork 100");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "forked=7\n");
}

TEST_F(Container, BindVolumesAndTmpfs) {
  fs::path host = root_ / "shared";
  fs::create_directories(host);
  std::ofstream(host / "in.txt") << "from host\n";
  Outcome r = run("-v " + host.string() + ":/data -v " + host.string() + ":/ro:ro --tmpfs /t busybox sh -c "
              "'cat /data/in.txt; echo from container > /data/out.txt; touch /ro/x || echo ro; "
              "grep \" /t \" /proc/mounts | cut -d\" \" -f3'");
  EXPECT_EQ(r.out, "from host\nro\ntmpfs\n") << r.err;
  EXPECT_EQ(slurp(host / "out.txt"), "from container\n");
}

TEST_F(Container, EnvironmentAndWorkingDirectory) {
  Outcome r = run("-e A=1 -e HOME=/elsewhere -w /work busybox sh -c 'echo $A $HOME; pwd; echo $PATH'");
  EXPECT_EQ(r.out, "1 /elsewhere\n/work\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n") << r.err;
}

TEST_F(Container, NetworkNamespaceHasOnlyLoopbackUp) {
  Outcome r = run("busybox sh -c 'ls /sys/class/net; cat /sys/class/net/lo/operstate; ping -c1 -W1 127.0.0.1 >/dev/null && echo ping'");
  EXPECT_EQ(r.out, "lo\nunknown\nping\n") << r.err;
}

TEST_F(Container, KeptContainersAreListedAndRemoved) {
  std::string stack = "STACK_ROOT=" + quote((root_ / "state").string()) + " " STACK_BINARY;
  Outcome r = shell("timeout -k 5 60 unshare --mount --net --fork -- sh -c " +
                    quote(stack + " container run --name kept busybox sh -c 'echo x > /written; exit 4'"));
  EXPECT_EQ(r.rc, 4) << r.err;
  r = shell("unshare --mount --net --fork -- sh -c " + quote(stack + " container run --name kept busybox true"));
  EXPECT_EQ(r.rc, 125);
  EXPECT_NE(r.err.find("the container name \"kept\" is already in use"), std::string::npos) << r.err;
  r = shell(stack + " container ls -a");
  EXPECT_NE(r.out.find("Exited (4)   kept"), std::string::npos) << r.out;
  EXPECT_EQ(shell(stack + " container ls").out.find("kept"), std::string::npos);
  r = shell(stack + " image rm busybox");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("is used by container kept"), std::string::npos) << r.err;
  r = shell(stack + " container inspect kept");
  EXPECT_NE(r.out.find("\"ExitCode\": 4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"Running\": false"), std::string::npos) << r.out;
  // prune -a keeps what a container uses and removes the rest.
  ASSERT_EQ(shell(stack + " image import " + quote((root_ / "rootfs.tar").string()) + " spare --change 'CMD [\"true\"]'").rc, 0);
  r = shell(stack + " image prune -a");
  EXPECT_NE(r.out.find("Deleted: spare:latest"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("busybox"), std::string::npos) << r.out;
  r = shell(stack + " container rm kept");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(shell(stack + " container ls -a").out.find("kept"), std::string::npos);
}

TEST_F(Container, RemovingARunningContainerNeedsForce) {
  std::string stack = "STACK_ROOT=" + quote((root_ / "state").string()) + " " STACK_BINARY;
  // Waits until `container ls` shows it running, then tries rm and rm -f.
  std::string inner = stack + " container run --rm --name runner busybox sleep 30 & pid=$!; " +
                      "for i in $(seq 100); do " + stack + " container ls | grep -q runner && break; sleep 0.1; done; " + stack +
                      " container rm runner; echo rm=$?; " + stack + " container rm -f runner; wait $pid; echo run=$?";
  Outcome r = shell("timeout -k 5 60 unshare --mount --net --fork -- sh -c " + quote(inner));
  EXPECT_NE(r.out.find("rm=1\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("runner\nrun=137\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("is running: stop it first, or use rm -f"), std::string::npos) << r.err;
}

TEST_F(Container, WhatAKilledStackLeftIsReclaimed) {
  std::string stack = "STACK_ROOT=" + quote((root_ / "state").string()) + " " STACK_BINARY;
  // SIGKILL the runner: its container dies with it (PDEATHSIG); its cgroup
  // and writable layer stay until the next command reclaims them.
  std::string inner = stack + " container run --rm --name victim busybox sleep 30 & pid=$!; " +
                      "for i in $(seq 100); do " + stack + " container ls | grep -q victim && break; sleep 0.1; done; " +
                      "kill -KILL $pid; wait $pid; sleep 0.2; " + stack + " container ls -a";
  Outcome r = shell("timeout -k 5 60 unshare --mount --net --fork -- sh -c " + quote(inner));
  EXPECT_NE(r.err.find("cleaned up container victim"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("victim"), std::string::npos) << r.out;
}

// What the device cgroup lets a container do with a node, from busybox's
// errors: opening a node whose driver is absent fails with ENXIO when the
// cgroup allows it and EPERM when it does not.
constexpr const char* kDeviceProbe =
    "mknod /tmp/other c 195 1; cat /tmp/other; cat /dev/nvidia0; echo x > /dev/nvidia0; "
    "ls -l /dev/nvidia0 | cut -c1-10; echo > /dev/null && echo null-ok";

void expect_device_rules_hold(const Outcome& r) {
  EXPECT_EQ(r.out, "crw-rw-rw-\nnull-ok\n") << r.err;
  // Made, but not usable: it is not on the allow list.
  EXPECT_NE(r.err.find("can't open '/tmp/other': Operation not permitted"), std::string::npos) << r.err;
  // The given node: read allowed, write not (":r").
  EXPECT_EQ(r.err.find("'/dev/nvidia0': Operation not permitted"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("can't create /dev/nvidia0: Operation not permitted"), std::string::npos) << r.err;
}

TEST_F(Container, DeviceCgroupAllowsTheDefaultsAndTheGivenDevicesOnly) {
  std::string node = (root_ / "fake-gpu0").string();
  ASSERT_EQ(shell("rm -f " + node + "; mknod -m 666 " + node + " c 195 0").rc, 0);
  Outcome r = run("--device " + node + ":/dev/nvidia0:r busybox sh -c " + quote(kDeviceProbe));
  expect_device_rules_hold(r);
  Outcome privileged = run("--privileged busybox sh -c 'mknod /tmp/other c 195 1; cat /tmp/other'");
  EXPECT_EQ(privileged.err.find("Operation not permitted"), std::string::npos) << privileged.err;
  Outcome missing = run("--device /dev/no-such-device busybox true");
  EXPECT_EQ(missing.rc, 125);
  EXPECT_NE(missing.err.find("device /dev/no-such-device: No such file or directory"), std::string::npos) << missing.err;
  fs::remove(node);
}

TEST_F(Container, DeviceRulesHoldOnAPureCgroupV2MountThroughABpfProgram) {
  std::string node = (root_ / "fake-gpu0").string();
  ASSERT_EQ(shell("rm -f " + node + "; mknod -m 666 " + node + " c 195 0").rc, 0);
  std::string v2 = "umount -R /sys/fs/cgroup 2>/dev/null || umount -l /sys/fs/cgroup; "
                   "mount -t cgroup2 none /sys/fs/cgroup && ";
  Outcome r = run("--device " + node + ":/dev/nvidia0:r busybox sh -c " + quote(kDeviceProbe), v2);
  expect_device_rules_hold(r);
  fs::remove(node);
}

TEST_F(Container, WorksOnAPureCgroupV2Mount) {
  // On a hybrid host the test's own mount namespace gets a plain cgroup2 mount at /sys/fs/cgroup.
  std::string v2 = "umount -R /sys/fs/cgroup 2>/dev/null || umount -l /sys/fs/cgroup; "
                   "mount -t cgroup2 none /sys/fs/cgroup && ";
  Outcome r = run("busybox cat /proc/self/cgroup", v2);
  ASSERT_EQ(r.rc, 0) << r.err;
  // The v2 line shows the container's own cgroup as the root of its namespace.
  ASSERT_GE(r.out.size(), 5u) << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - 5), "0::/\n") << r.out;
  // A limit with no controller for it fails cleanly, naming what is missing.
  Outcome limited = run("--pids-limit 5 busybox true", v2);
  std::string controllers = slurp("/sys/fs/cgroup/unified/cgroup.controllers");
  if (controllers.empty() || controllers.find("pids") != std::string::npos) {
    EXPECT_EQ(limited.rc, 0) << limited.err;
  } else {
    EXPECT_EQ(limited.rc, 125);
    EXPECT_NE(limited.err.find("no cgroup controller for pids limits"), std::string::npos) << limited.err;
  }
}

}  // namespace
}  // namespace stack_system_test
