#include "runtime/linux/cgroups.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "runtime/kernel_settings.h"
#include "runtime/linux/device_filter.h"
#include "runtime/on_disk.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

namespace stack::runtime::linux_ {
namespace {

Status write_value(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Status::from_errno("opening " + path);
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) return Status::from_errno("writing \"" + value + "\" to " + path, err);
  return Status::ok();
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

constexpr const char* kV1Controllers[] = {"memory", "cpu", "pids", "freezer", "devices"};
// Made only for a container that asks for them: a new cpuset cgroup has
// no CPUs and no memory nodes until it is given some.
constexpr const char* kV1OnDemand[] = {"cpuset"};

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// A v1 cpuset directory `dir` under `parent`, given the parent's memory
// nodes and (for now) CPUs; an empty parent first takes its own parent's.
Status make_v1_cpuset(const std::string& parent, const std::string& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    if (!trimmed(read_whole_file(parent + "/" + file).value_or("")).empty()) continue;
    std::string above = parent.substr(0, parent.rfind('/'));
    if (Status s = write_value(parent + "/" + file, trimmed(read_whole_file(above + "/" + file).value_or(""))); !s)
      return s;
  }
  if (Status s = make_directories(dir); !s) return s;
  for (const char* file : {"cpuset.cpus", "cpuset.mems"})
    if (Status s = write_value(dir + "/" + file, trimmed(read_whole_file(parent + "/" + file).value_or(""))); !s) return s;
  return Status::ok();
}

std::vector<pid_t> pids_in(const std::string& dir) {
  std::vector<pid_t> out;
  std::istringstream in(read_whole_file(dir + "/cgroup.procs").value_or(""));
  for (pid_t p; in >> p;) out.push_back(p);
  return out;
}

// The allow list, where the host keeps it: the v1 devices controller
// (deny all, then allow each rule), else a BPF program on the v2 cgroup.
Status restrict_devices(const ContainerCgroup& cg, const std::vector<DeviceRule>& rules) {
  bool everything = std::any_of(rules.begin(), rules.end(), [](const DeviceRule& r) {
    return r.type == 'a' && r.major < 0 && r.minor < 0 && r.access == "rwm";
  });
  if (!cg.devices_dir().empty()) {
    if (everything) return Status::ok();  // a new cgroup inherits its parent's "a *:* rwm"
    if (Status s = write_value(cg.devices_dir() + "/devices.deny", "a"); !s) return s;
    for (const DeviceRule& r : rules)
      if (Status s = write_value(cg.devices_dir() + "/devices.allow", r.to_string()); !s) return s;
    return Status::ok();
  }
  if (cg.v2_dir().empty() || everything) return Status::ok();
  return attach_device_filter(cg.v2_dir(), rules);
}

}  // namespace

bool is_cgroup2(const std::string& root) {
  struct statfs fs {};
  return ::statfs(root.c_str(), &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

Status ContainerCgroup::create(const std::string& root, const std::string& id, const ResourceLimits& limits,
                               ContainerCgroup* out) {
  ContainerCgroup cg;
  std::string v2_root;
  if (is_cgroup2(root)) {
    v2_root = root;
  } else {
    for (const char* controller : kV1Controllers) {
      std::string base = root + "/" + controller;
      if (!exists(base + "/cgroup.procs")) continue;
      std::string dir = base + "/stack/" + id;
      if (Status s = make_directories(dir); !s) return s;
      cg.add_v1_dir(controller, dir);
    }
    if (!limits.cpuset_cpus.empty() && exists(root + "/cpuset/cgroup.procs")) {
      std::string parent = root + "/cpuset/stack", dir = parent + "/" + id;
      Status s = make_directories(parent);
      if (s) s = make_v1_cpuset(parent, dir);
      if (!s) {
        cg.remove();
        return s;
      }
      cg.add_v1_dir("cpuset", dir);
    }
    if (is_cgroup2(root + "/unified")) v2_root = root + "/unified";
  }
  if (!v2_root.empty()) {
    std::string parent = v2_root + "/stack";
    if (Status s = make_directories(parent); !s) return s;
    // Controllers are handed down only where the v2 tree has them (on a
    // hybrid host v1 holds memory, cpu and pids).
    std::string available = read_whole_file(v2_root + "/cgroup.controllers").value_or("");
    for (const char* c : {"memory", "cpu", "pids", "cpuset"}) {
      if (std::string(c) == "cpuset" && limits.cpuset_cpus.empty()) continue;
      if (available.find(c) == std::string::npos) continue;
      write_value(v2_root + "/cgroup.subtree_control", std::string("+") + c);
      write_value(parent + "/cgroup.subtree_control", std::string("+") + c);
    }
    cg.v2_dir_ = parent + "/" + id;
    if (Status s = make_directories(cg.v2_dir_); !s) return s;
  }
  *out = cg;  // from here on, remove() undoes what was made
  auto set = [&](const char* v1_controller, const char* v1_file, const char* v2_file, const std::string& value,
                 const char* what) -> Status {
    for (const std::string& dir : cg.v1_dirs_)
      if (dir.find(std::string("/") + v1_controller + "/") != std::string::npos) return write_value(dir + "/" + v1_file, value);
    if (*v2_file && !cg.v2_dir_.empty() && exists(cg.v2_dir_ + "/" + v2_file))
      return write_value(cg.v2_dir_ + "/" + v2_file, value);
    return Status::error(std::string("this host has no cgroup controller for ") + what);
  };
  Status s;
  if (limits.memory_bytes) {
    s = set("memory", "memory.limit_in_bytes", "memory.max", std::to_string(*limits.memory_bytes), "memory limits");
    // Docker's default beside a memory limit: as much swap again (memory
    // plus swap twice the limit), where the kernel accounts swap.
    if (s && !limits.memory_swap && !cg.memory_dir_.empty() && exists(cg.memory_dir_ + "/memory.memsw.limit_in_bytes"))
      write_value(cg.memory_dir_ + "/memory.memsw.limit_in_bytes", std::to_string(2 * *limits.memory_bytes));
    if (s && !limits.memory_swap && !cg.v2_dir_.empty() && cg.memory_dir_.empty() && exists(cg.v2_dir_ + "/memory.swap.max"))
      write_value(cg.v2_dir_ + "/memory.swap.max", std::to_string(*limits.memory_bytes));
  }
  // Docker's --memory-swap is memory plus swap: v1 takes it as it is,
  // v2 the swap alone; -1 is swap without limit.
  if (s && limits.memory_swap && limits.memory_bytes) {
    int64_t both = *limits.memory_swap;
    if (!cg.memory_dir_.empty())
      s = set("memory", "memory.memsw.limit_in_bytes", "", std::to_string(both), "memswap_limit");
    else
      s = set("memory", "", "memory.swap.max", both < 0 ? "max" : std::to_string(both - *limits.memory_bytes),
              "memswap_limit");
  }
  if (s && limits.memory_reservation)
    s = set("memory", "memory.soft_limit_in_bytes", "memory.low", std::to_string(*limits.memory_reservation),
            "mem_reservation");
  // Neither has a cgroup v2 knob; Docker drops them there with a warning,
  // stack refuses them (see check_supported).
  if (s && limits.memory_swappiness)
    s = set("memory", "memory.swappiness", "", std::to_string(*limits.memory_swappiness), "mem_swappiness");
  if (s && limits.oom_kill_disable) s = set("memory", "memory.oom_control", "", "1", "oom_kill_disable");
  if (s && limits.cpu_quota_us) {
    std::string quota = std::to_string(*limits.cpu_quota_us), period = std::to_string(limits.cpu_period_us);
    if (!cg.v1_dirs_.empty() && exists(root + "/cpu/cgroup.procs")) {
      s = set("cpu", "cpu.cfs_period_us", "", period, "CPU quotas");
      if (s) s = set("cpu", "cpu.cfs_quota_us", "", quota, "CPU quotas");
    } else {
      s = set("cpu", "", "cpu.max", (*limits.cpu_quota_us < 0 ? "max" : quota) + " " + period, "CPU quotas");
    }
  }
  if (s && limits.cpu_shares)
    s = set("cpu", "cpu.shares", "cpu.weight",
            std::to_string(cg.v1_dirs_.empty() || !exists(root + "/cpu/cgroup.procs")
                               ? cpu_weight_from_shares(*limits.cpu_shares)
                               : *limits.cpu_shares),
            "cpu_shares");
  if (s && !limits.cpuset_cpus.empty()) s = set("cpuset", "cpuset.cpus", "cpuset.cpus", limits.cpuset_cpus, "cpuset");
  if (s && limits.pids_max)
    s = set("pids", "pids.max", "pids.max", *limits.pids_max < 0 ? "max" : std::to_string(*limits.pids_max), "pids limits");
  if (s) s = restrict_devices(cg, limits.devices);
  if (!s) {
    cg.remove();
    return s;
  }
  return Status::ok();
}

Status ContainerCgroup::check_supported(const std::string& root, const ResourceLimits& limits) {
  bool v1_memory = !is_cgroup2(root) && exists(root + "/memory/cgroup.procs");
  // Docker drops these two on cgroup v2 with a warning its clients do not
  // show; a setting that silently does nothing is refused here instead.
  if (limits.memory_swappiness && !v1_memory)
    return Status::error("mem_swappiness: this host's memory cgroup is v2, which has no per-cgroup swappiness "
                         "(only cgroup v1 has memory.swappiness); remove it");
  if (limits.oom_kill_disable && !v1_memory)
    return Status::error("oom_kill_disable: this host's memory cgroup is v2, which cannot turn the OOM killer off "
                         "(only cgroup v1 has memory.oom_control); remove it");
  if (!limits.cpuset_cpus.empty()) {
    std::string v2_root = is_cgroup2(root) ? root : is_cgroup2(root + "/unified") ? root + "/unified" : "";
    bool v2_cpuset = !v2_root.empty() && read_whole_file(v2_root + "/cgroup.controllers").value_or("").find("cpuset") !=
                                             std::string::npos;
    if (!exists(root + "/cpuset/cgroup.procs") && !v2_cpuset)
      return Status::error("cpuset: this host has no cpuset cgroup controller");
  }
  return Status::ok();
}

void ContainerCgroup::add_v1_dir(const std::string& controller, const std::string& dir) {
  v1_dirs_.push_back(dir);
  if (controller == "memory") memory_dir_ = dir;
  if (controller == "freezer") freezer_dir_ = dir;
  if (controller == "devices") devices_dir_ = dir;
}

ContainerCgroup ContainerCgroup::open_existing(const std::string& root, const std::string& id) {
  ContainerCgroup cg;
  if (is_cgroup2(root)) {
    if (exists(root + "/stack/" + id)) cg.v2_dir_ = root + "/stack/" + id;
    return cg;
  }
  for (const char* controller : kV1Controllers) {
    std::string dir = root + "/" + controller + "/stack/" + id;
    if (!exists(dir)) continue;
    cg.add_v1_dir(controller, dir);
  }
  for (const char* controller : kV1OnDemand)
    if (std::string dir = root + "/" + controller + "/stack/" + id; exists(dir)) cg.add_v1_dir(controller, dir);
  if (exists(root + "/unified/stack/" + id)) cg.v2_dir_ = root + "/unified/stack/" + id;
  return cg;
}

Status ContainerCgroup::add_process(pid_t pid) const {
  for (const std::string& dir : v1_dirs_)
    if (Status s = write_value(dir + "/cgroup.procs", std::to_string(pid)); !s) return s;
  if (!v2_dir_.empty())
    if (Status s = write_value(v2_dir_ + "/cgroup.procs", std::to_string(pid)); !s) return s;
  return Status::ok();
}

void ContainerCgroup::kill_all() const {
  if (!v2_dir_.empty() && v1_dirs_.empty() && exists(v2_dir_ + "/cgroup.kill")) {
    write_value(v2_dir_ + "/cgroup.kill", "1");
    return;
  }
  std::string dir = !v1_dirs_.empty() ? v1_dirs_.front() : v2_dir_;
  if (pids_in(dir).empty()) return;  // the usual case: freezing costs over a millisecond each way
  // Frozen, no process can fork away from the kill.
  if (!freezer_dir_.empty()) write_value(freezer_dir_ + "/freezer.state", "FROZEN");
  for (pid_t p : pids_in(dir)) ::kill(p, SIGKILL);
  if (!freezer_dir_.empty()) write_value(freezer_dir_ + "/freezer.state", "THAWED");
}

bool ContainerCgroup::oom_killed() const {
  std::string events = !memory_dir_.empty() ? read_whole_file(memory_dir_ + "/memory.oom_control").value_or("")
                                            : read_whole_file(v2_dir_ + "/memory.events").value_or("");
  size_t at = events.find("oom_kill ");
  return at != std::string::npos && std::stoll(events.substr(at + 9)) > 0;
}

Status ContainerCgroup::remove() const {
  std::vector<std::string> dirs = v1_dirs_;
  if (!v2_dir_.empty()) dirs.push_back(v2_dir_);
  Status result;
  for (const std::string& dir : dirs) {
    // A process that just exited may linger in cgroup.procs for a moment.
    for (int attempt = 0; ::rmdir(dir.c_str()) != 0 && errno != ENOENT; ++attempt) {
      if (errno != EBUSY || attempt == 200) {
        result = Status::from_errno("removing cgroup " + dir);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return result;
}

}  // namespace stack::runtime::linux_
