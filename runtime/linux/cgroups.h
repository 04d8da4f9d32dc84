// Cgroups: one container's cgroup on v1, v2 or hybrid hosts: create with limits, join, kill, OOM check, remove.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "runtime/container_spec.h"
#include "runtime/status.h"

namespace stack::runtime::linux_ {

// Directories of one container's cgroup. On v1 it is one directory per
// controller (memory, cpu, pids, freezer, devices, and cpuset for a
// container given CPUs); on v2 one directory; on a hybrid
// host (v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified) the
// v1 directories plus one in the unified tree, so the process is placed
// consistently in both.
class ContainerCgroup {
 public:
  // `root` is normally /sys/fs/cgroup; tests point it at a private mount.
  static Status create(const std::string& root, const std::string& id, const ResourceLimits& limits,
                       ContainerCgroup* out);

  // Whether this host's cgroups can apply `limits`: an error naming the
  // first they cannot (by its Compose key: mem_swappiness on cgroup v2, say),
  // for refusing a container before anything of it is made.
  static Status check_supported(const std::string& root, const ResourceLimits& limits);

  // The cgroup `create` made for `id`, found again (after its runner died).
  static ContainerCgroup open_existing(const std::string& root, const std::string& id);

  Status add_process(pid_t pid) const;
  // SIGKILL to every process inside (cgroup.kill on v2, frozen first on v1).
  void kill_all() const;
  bool oom_killed() const;
  // Removes the directories; processes must be gone.
  Status remove() const;

  bool unified_only() const { return v1_dirs_.empty(); }
  const std::string& devices_dir() const { return devices_dir_; }
  const std::string& v2_dir() const { return v2_dir_; }

 private:
  void add_v1_dir(const std::string& controller, const std::string& dir);

  std::vector<std::string> v1_dirs_;  // per controller
  std::string memory_dir_, freezer_dir_, devices_dir_, v2_dir_;
};

// Whether `root` is a cgroup2 mount (pure v2).
bool is_cgroup2(const std::string& root);

}  // namespace stack::runtime::linux_
