// Container: the fixture of the system tests (root): a private STACK_ROOT,
// a busybox image made from Debian's busybox-static, commands run inside
// `unshare --mount --net`, and a check after each test that no container
// directory, cgroup, mount or process leaked.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace stack_system_test {

namespace fs = std::filesystem;


inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Outcome {
  int rc = -1;
  std::string out, err;
};

// Everything the host has under a "stack" cgroup parent.
inline std::set<std::string> stack_cgroups() {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& controller : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    fs::path parent = controller.path() / "stack";
    for (const auto& c : fs::directory_iterator(parent, ec))
      if (c.is_directory()) out.insert(c.path().string());
  }
  for (const auto& c : fs::directory_iterator("/sys/fs/cgroup/stack", ec))
    if (c.is_directory()) out.insert(c.path().string());
  return out;
}

// The processes a test started and left running: those whose environment
// or command line names `root` (a sandbox's STACK_ROOT, a server serving
// files from it), whatever session or process group they moved to. Each
// is killed, so that one leak does not hold the next test's port or lock.
inline std::vector<std::string> kill_leaked_processes(const fs::path& root) {
  std::vector<std::string> leaked;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos || std::stoi(pid) == ::getpid()) continue;
    std::string environ = slurp(entry.path() / "environ"), cmdline = slurp(entry.path() / "cmdline");
    bool ours = environ.find("STACK_ROOT=" + root.string()) != std::string::npos ||
                cmdline.find(root.string()) != std::string::npos;
    if (!ours) continue;
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    leaked.push_back(pid + " " + cmdline);
    ::kill(std::stoi(pid), SIGKILL);
  }
  return leaked;
}

class Container : public testing::Test {
 protected:
  static inline fs::path root_;
  static inline bool usable_ = false;
  static inline std::string skip_reason_;

  static Outcome shell(const std::string& command) {
    fs::path out = root_ / "out", err = root_ / "err";
    int status = std::system((command + " >" + quote(out.string()) + " 2>" + quote(err.string()) + " </dev/null").c_str());
    Outcome r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      skip_reason_ = "needs root";
      return;
    }
    if (::access("/bin/busybox", X_OK) != 0) {
      skip_reason_ = "needs busybox-static (scripts/setup installs it)";
      return;
    }
    root_ = fs::temp_directory_path() / ("stack-system-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::path rootfs = root_ / "rootfs";
    for (const char* d : {"bin", "etc", "usr/bin", "tmp", "home/app"}) fs::create_directories(rootfs / d);
    fs::copy_file("/bin/busybox", rootfs / "bin/busybox");
    Outcome applets = shell("/bin/busybox --list");
    std::istringstream names(applets.out);
    for (std::string name; std::getline(names, name);)
      if (!name.empty() && name != "busybox") fs::create_symlink("busybox", rootfs / "bin" / name);
    fs::copy_file(CHECKER_BINARY, rootfs / "usr/bin/checker");
    std::ofstream(rootfs / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n";
    std::ofstream(rootfs / "etc/group") << "root:x:0:\napp:x:1000:\nstaff:x:50:app\n";
    Outcome tar = shell("tar -C " + quote(rootfs.string()) + " -cf " + quote((root_ / "rootfs.tar").string()) + " .");
    ASSERT_EQ(tar.rc, 0) << tar.err;
    Outcome import = shell("STACK_ROOT=" + quote((root_ / "state").string()) + " " STACK_BINARY " image import " +
                       quote((root_ / "rootfs.tar").string()) + " busybox --change 'CMD [\"sh\"]'");
    ASSERT_EQ(import.rc, 0) << import.err;
    Outcome probe = shell("unshare --mount --net --fork true");
    if (probe.rc != 0) {
      skip_reason_ = "unshare --mount --net does not work here: " + probe.err;
      return;
    }
    usable_ = true;
  }

  static void TearDownTestSuite() {
    if (!root_.empty()) fs::remove_all(root_);
  }

  void SetUp() override {
    if (!usable_) GTEST_SKIP() << skip_reason_;
    cgroups_before_ = stack_cgroups();
  }

  void TearDown() override {
    if (!usable_) return;
    // Nothing left: no writable layer, no cgroup, no mount of ours.
    std::error_code ec;
    fs::path containers = root_ / "state/containers";
    for (const auto& entry : fs::directory_iterator(containers, ec))
      if (entry.path().filename() != "names") {
        EXPECT_FALSE(entry.is_directory()) << "a container directory leaked: " << entry.path();
      }
    for (const auto& entry : fs::directory_iterator(containers / "names", ec))
      ADD_FAILURE() << "a container name was not given back: " << entry.path().filename();
    EXPECT_EQ(stack_cgroups(), cgroups_before_) << "a cgroup leaked";
    EXPECT_EQ(slurp("/proc/self/mountinfo").find(root_.string()), std::string::npos) << "a mount leaked";
    for (const std::string& process : kill_leaked_processes(root_)) ADD_FAILURE() << "a process leaked: " << process;
  }

  // `stack container run --rm ARGS` in a private mount and network namespace.
  Outcome run(const std::string& args, const std::string& prelude = "") {
    std::string inner = prelude + "STACK_ROOT=" + quote((root_ / "state").string()) + " " STACK_BINARY " container run --rm " + args;
    return shell("timeout -k 5 60 unshare --mount --net --fork -- sh -c " + quote(inner));
  }

  // SCRIPT run by sh in a private mount and network namespace, with
  // STACK_ROOT exported and $S naming the stack binary.
  Outcome in_sandbox(const std::string& script) {
    std::string inner = "export STACK_ROOT=" + quote((root_ / "state").string()) + "; S=" STACK_BINARY "; " + script;
    return shell("timeout -k 5 60 unshare --mount --net --fork -- sh -c " + quote(inner));
  }

  // Writes `compose` into a project directory named `name` and runs SCRIPT
  // there, in the sandbox. SCRIPT may call `wait_for 'CONDITION'`, which
  // polls the shell condition until it holds, for 10 s at most (then says
  // so on stderr and fails): what a container does after `up` returns
  // takes its own time.
  Outcome in_project(const std::string& name, const std::string& compose, const std::string& script) {
    fs::path dir = root_ / name;
    fs::create_directories(dir);
    std::ofstream(dir / "compose.yaml") << compose;
    return in_sandbox("wait_for() { i=0; until eval \"$1\" >/dev/null 2>&1; do i=$((i+1)); "
                      "if [ $i -ge 200 ]; then echo \"timed out waiting for: $1\" >&2; return 1; fi; sleep 0.05; done; }; "
                      "ip link set lo up; cd " + quote(dir.string()) + "; " + script);
  }

  std::set<std::string> cgroups_before_;
};

}  // namespace stack_system_test
