// System tests (root) of the stack-file keys that set a container's cgroup
// and process limits (cpu_shares, cpu_period, cpu_quota, cpuset,
// mem_reservation, memswap_limit, mem_swappiness, oom_kill_disable,
// oom_score_adj, group_add, device_cgroup_rules), each read from inside
// the container: its own cgroup files (its cgroup namespace shows its
// cgroup as the root), /proc/self and `id`. Each runs in a private network
// and mount namespace with a private STACK_ROOT.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

bool unified_cgroups() { return ::access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0; }

// Whether the host's cgroups have `controller`: a v1 hierarchy of its own,
// or one the v2 root hands down.
bool has_controller(const std::string& controller) {
  if (unified_cgroups()) {
    std::string available = slurp("/sys/fs/cgroup/cgroup.controllers");
    return (" " + available).find(" " + controller) != std::string::npos;
  }
  return ::access(("/sys/fs/cgroup/" + controller + "/cgroup.procs").c_str(), F_OK) == 0;
}

class ResourceKeys : public Container {
 protected:
  void SetUp() override {
    Container::SetUp();
    if (IsSkipped()) return;
    for (const char* c : {"cpu", "cpuset", "memory"})
      if (!has_controller(c)) GTEST_SKIP() << "this host has no " << c << " cgroup controller";
  }
};

TEST_F(ResourceKeys, CpuAndMemoryKeysAreTheContainersCgroup) {
  bool v2 = unified_cgroups();
  // Where a knob is in the container's view of its cgroup, on this host.
  auto file = [v2](const char* v1_controller, const char* name) {
    return std::string("/sys/fs/cgroup/") + (v2 ? "" : std::string(v1_controller) + "/") + name;
  };
  std::string swap_file = v2 ? file("", "memory.swap.max") : file("memory", "memory.memsw.limit_in_bytes");
  if (!v2 && ::access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) != 0)
    GTEST_SKIP() << "this kernel keeps no swap accounting (memory.memsw.*): memswap_limit cannot be checked";
  std::string script =
      "$S up -d >/dev/null; echo up=$?; $S exec -T app sh -c '"
      "echo shares $(cat " + file("cpu", v2 ? "cpu.weight" : "cpu.shares") + "); " +
      (v2 ? "echo max $(cat /sys/fs/cgroup/cpu.max); "
          : "echo max $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us); ") +
      "echo cpuset $(cat " + file("cpuset", "cpuset.cpus") + ") $(grep Cpus_allowed_list /proc/1/status | cut -f2); "
      "echo low $(cat " + file("memory", v2 ? "memory.low" : "memory.soft_limit_in_bytes") + "); "
      "echo swap $(cat " + swap_file + "); " +
      (v2 ? "" : "echo swappiness $(cat /sys/fs/cgroup/memory/memory.swappiness); "
                 "grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control; ") +
      "echo oom $(cat /proc/1/oom_score_adj) $(cat /proc/self/oom_score_adj)'; "
      // A one-off container of the service takes the same limits.
      "$S run --rm -T app cat /proc/self/oom_score_adj; "
      // A memory limit alone: as much swap again, Docker's default.
      "echo plain $($S exec -T plain cat " + swap_file + "); "
      "$S down -t 0 >/dev/null; echo down=$?";
  Outcome r = in_project("cpu", std::string(R"(services:
  plain:
    image: busybox
    command: ["sleep", "30"]
    mem_limit: 64m
  app:
    image: busybox
    command: ["sleep", "30"]
    cpu_shares: 512
    cpu_period: 50000
    cpu_quota: 25000
    cpuset: "0"
    mem_limit: 64m
    mem_reservation: 32m
    memswap_limit: 96m
    oom_score_adj: 500
)") + (v2 ? "" : "    mem_swappiness: 10\n    oom_kill_disable: true\n"),
                         script);
  ASSERT_NE(r.out.find("up=0\n"), std::string::npos) << r.out << r.err;
  // On v2, runc's and crun's weight for 512 shares (1024 -> 100).
  std::string shares = v2 ? "59" : "512";
  EXPECT_NE(r.out.find("shares " + shares + "\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("max 25000 50000\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cpuset 0 0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("low 33554432\n"), std::string::npos) << r.out;
  // memory plus swap on v1; v2 counts the swap alone.
  EXPECT_NE(r.out.find(v2 ? "swap 33554432\n" : "swap 100663296\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(v2 ? "plain 67108864\n" : "plain 134217728\n"), std::string::npos) << r.out;
  if (!v2) {
    EXPECT_NE(r.out.find("swappiness 10\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("oom_kill_disable 1\n"), std::string::npos) << r.out;
  }
  // The init's, and an exec'd process's (each is written as it starts).
  EXPECT_NE(r.out.find("oom 500 500\n500\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("down=0"), std::string::npos) << r.out;
}

TEST_F(ResourceKeys, GroupAddAndDeviceCgroupRulesAreWhatTheProcessMayDo) {
  // Major numbers 42 and 43 have no driver: a node the cgroup lets through
  // fails to open with ENXIO ("No such device or address"), one it stops
  // with EPERM ("Operation not permitted").
  Outcome r = in_project("devices", R"(services:
  app:
    image: busybox
    command: ["sleep", "30"]
    group_add: [staff, "4242"]
    device_cgroup_rules: ["c 42:* rm"]
)",
                         "$S up -d >/dev/null; echo up=$?; "
                         "$S exec -T app id; "
                         "$S exec -T app grep Groups /proc/1/status; "
                         // Another user's exec keeps the container's added groups, as Docker's does.
                         "$S exec -T --user 1000:1000 app id 2>&1; "
                         "$S exec -T app sh -c 'mknod /dev/allowed c 42 0; mknod /dev/other c 43 0; "
                         "cat /dev/allowed; cat /dev/other; echo x > /dev/allowed' 2>&1; "
                         "$S down -t 0 >/dev/null; echo down=$?");
  ASSERT_NE(r.out.find("up=0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("uid=0(root) gid=0(root) groups=0(root),50(staff),4242\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Groups:\t0 50 4242"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("uid=1000(app) gid=1000(app) groups=50(staff),1000(app),4242\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cat: can't open '/dev/allowed': No such device or address\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cat: can't open '/dev/other': Operation not permitted\n"), std::string::npos) << r.out;
  // The rule gives read and mknod, not write.
  EXPECT_NE(r.out.find("/dev/allowed: Operation not permitted\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("down=0"), std::string::npos) << r.out;
}

TEST_F(ResourceKeys, AGroupTheImageLacksIsRefusedByName) {
  Outcome r = in_project("nogroup", R"(services:
  app:
    image: busybox
    command: ["true"]
    group_add: [video]
)",
                         "$S up -d; echo up=$?; $S ps -a | tail -n +2 | wc -l; $S down -t 0 >/dev/null");
  EXPECT_NE(r.out.find("up=1\n0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("group_add: unable to find group video"), std::string::npos) << r.err;
}

// cgroup v2 has no per-cgroup swappiness and no way to turn the OOM killer
// off: where the host's memory cgroup is v2, both are refused by name
// before anything is made (Docker drops them there with a warning). On a
// v1 or hybrid host the sandbox gets a plain cgroup2 mount at
// /sys/fs/cgroup, as a v2 host has.
TEST_F(ResourceKeys, SwappinessAndOomKillDisableAreRefusedWhereTheKernelHasNoKnob) {
  std::string v2 = unified_cgroups() ? "" : "umount -R /sys/fs/cgroup 2>/dev/null || umount -l /sys/fs/cgroup; "
                                            "mount -t cgroup2 none /sys/fs/cgroup; ";
  for (const char* key : {"mem_swappiness: 10", "oom_kill_disable: true"}) {
    Outcome r = in_project("nov1", std::string(R"(services:
  app:
    image: busybox
    command: ["true"]
    )") + key + "\n",
                           v2 + "$S up -d; echo up=$?; $S ps -a | tail -n +2 | wc -l; $S down -t 0 >/dev/null");
    EXPECT_NE(r.out.find("up=1\n0\n"), std::string::npos) << key << "\n" << r.out << r.err;
    std::string name = std::string(key).substr(0, std::string(key).find(':'));
    EXPECT_NE(r.err.find(name + ": this host's memory cgroup is v2"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace stack_system_test
