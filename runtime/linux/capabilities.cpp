#include "runtime/linux/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <set>
#include <utility>

namespace stack::runtime::linux_ {
namespace {

const std::pair<const char*, int> kCaps[] = {
    {"CHOWN", 0}, {"DAC_OVERRIDE", 1}, {"DAC_READ_SEARCH", 2}, {"FOWNER", 3}, {"FSETID", 4}, {"KILL", 5},
    {"SETGID", 6}, {"SETUID", 7}, {"SETPCAP", 8}, {"LINUX_IMMUTABLE", 9}, {"NET_BIND_SERVICE", 10},
    {"NET_BROADCAST", 11}, {"NET_ADMIN", 12}, {"NET_RAW", 13}, {"IPC_LOCK", 14}, {"IPC_OWNER", 15},
    {"SYS_MODULE", 16}, {"SYS_RAWIO", 17}, {"SYS_CHROOT", 18}, {"SYS_PTRACE", 19}, {"SYS_PACCT", 20},
    {"SYS_ADMIN", 21}, {"SYS_BOOT", 22}, {"SYS_NICE", 23}, {"SYS_RESOURCE", 24}, {"SYS_TIME", 25},
    {"SYS_TTY_CONFIG", 26}, {"MKNOD", 27}, {"LEASE", 28}, {"AUDIT_WRITE", 29}, {"AUDIT_CONTROL", 30},
    {"SETFCAP", 31}, {"MAC_OVERRIDE", 32}, {"MAC_ADMIN", 33}, {"SYSLOG", 34}, {"WAKE_ALARM", 35},
    {"BLOCK_SUSPEND", 36}, {"AUDIT_READ", 37}, {"PERFMON", 38}, {"BPF", 39}, {"CHECKPOINT_RESTORE", 40}};

int last_cap() {
  // The running kernel's highest capability, which may exceed our table.
  if (FILE* f = std::fopen("/proc/sys/kernel/cap_last_cap", "r")) {
    int n = 40;
    if (std::fscanf(f, "%d", &n) != 1) n = 40;
    std::fclose(f);
    return n;
  }
  return 40;
}

}  // namespace

std::optional<int> capability_number(const std::string& name) {
  for (const auto& [n, v] : kCaps)
    if (name == n) return v;
  return std::nullopt;
}

Status limit_bounding_set(const std::vector<std::string>& names) {
  std::set<int> keep;
  for (const std::string& n : names)
    if (auto v = capability_number(n)) keep.insert(*v);
  int last = last_cap();  // read once: the loop would read the file for every capability
  for (int cap = 0; cap <= last; ++cap) {
    if (keep.count(cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return Status::from_errno("dropping capability " + std::to_string(cap) + " from the bounding set");
  }
  return Status::ok();
}

Status set_process_capabilities(const std::vector<std::string>& names, bool root_user) {
  uint64_t mask = 0;
  // Only what the bounding set still holds: a host (or sandbox) without
  // some capability cannot hand it on, even to --privileged.
  if (root_user)
    for (const std::string& n : names)
      if (auto v = capability_number(n); v && ::prctl(PR_CAPBSET_READ, *v, 0, 0, 0) == 1) mask |= uint64_t{1} << *v;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    auto part = static_cast<uint32_t>(mask >> (32 * i));
    data[i].effective = data[i].permitted = data[i].inheritable = part;
  }
  if (::syscall(SYS_capset, &header, data) != 0) return Status::from_errno("setting capabilities");
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return Status::from_errno("clearing ambient capabilities");
  return Status::ok();
}

}  // namespace stack::runtime::linux_
