#include "runtime/default_spec.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <functional>

namespace stack::runtime {
namespace {

// "SRC:DST:OPTIONS" -> its parts (-v and --device).
std::vector<std::string> split_colons(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t c; (c = text.find(':', start)) != std::string::npos; start = c + 1) parts.push_back(text.substr(start, c - start));
  parts.push_back(text.substr(start));
  return parts;
}

const std::vector<std::string> kAllCapabilities = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE"};

std::string cap_name(std::string c) {
  std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return std::toupper(ch); });
  if (c.rfind("CAP_", 0) == 0) c = c.substr(4);
  return c;
}

void set_env(std::vector<std::string>& env, const std::string& entry) {
  std::string key = entry.substr(0, entry.find('='));
  for (std::string& e : env) {
    if (e.substr(0, e.find('=')) == key) {
      e = entry;
      return;
    }
  }
  env.push_back(entry);
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD",
                                                "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP",
                                                "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"};
  return caps;
}

Status make_spec(const Image& image, const std::vector<std::string>& lower_dirs, const RunOptions& o,
                 const std::string& id, ContainerSpec* out,
                 const std::function<std::optional<std::string>(const std::string&)>& lookup_env) {
  ContainerSpec spec;
  spec.id = id;
  spec.hostname = o.hostname.empty() ? id.substr(0, 12) : o.hostname;
  // In the host's network namespace it is named as the host, as with Docker.
  if (o.host_network && o.hostname.empty()) {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0 && name[0]) spec.hostname = name;
  }
  spec.host_network = o.host_network;
  spec.network_container = o.network_container;
  spec.extra_hosts = o.extra_hosts;
  spec.dns = o.dns;
  spec.sysctls = o.sysctls;
  spec.process.rlimits = o.ulimits;
  spec.lower_dirs = lower_dirs;
  spec.readonly_rootfs = o.read_only;
  spec.privileged = o.privileged;

  // Entrypoint + Cmd: a run entrypoint drops the image's Cmd, run args replace Cmd.
  std::vector<std::string> entrypoint = o.entrypoint ? *o.entrypoint : image.config.entrypoint.value_or(std::vector<std::string>{});
  std::vector<std::string> cmd = !o.command.empty() ? o.command
                                 : o.entrypoint     ? std::vector<std::string>{}
                                                    : image.config.cmd.value_or(std::vector<std::string>{});
  spec.process.args = entrypoint;
  spec.process.args.insert(spec.process.args.end(), cmd.begin(), cmd.end());
  if (spec.process.args.empty()) return Status::error("no command specified (the image has no Cmd or Entrypoint)");
  if (!o.init_path.empty()) {
    // As Docker's --init: the init reaps orphans and passes signals on to the command.
    spec.process.args.insert(spec.process.args.begin(), {kInitDestination, "--"});
  }

  spec.process.env = image.config.env;
  if (std::none_of(spec.process.env.begin(), spec.process.env.end(), [](const std::string& e) { return e.rfind("PATH=", 0) == 0; }))
    spec.process.env.insert(spec.process.env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  set_env(spec.process.env, "HOSTNAME=" + spec.hostname);
  for (const std::string& e : o.env) {
    if (e.find('=') != std::string::npos) set_env(spec.process.env, e);
    else if (auto v = lookup_env(e)) set_env(spec.process.env, e + "=" + *v);
  }
  spec.process.cwd = !o.working_dir.empty() ? o.working_dir
                     : !image.config.working_dir.empty() ? image.config.working_dir : "/";
  if (spec.process.cwd[0] != '/') return Status::error("working directory \"" + spec.process.cwd + "\" is not absolute");

  // Capabilities.
  std::vector<std::string> caps = o.privileged ? kAllCapabilities : default_capabilities();
  for (const std::string& raw : o.cap_drop) {
    std::string c = cap_name(raw);
    if (c == "ALL") caps.clear();
    else if (std::find(kAllCapabilities.begin(), kAllCapabilities.end(), c) == kAllCapabilities.end())
      return Status::error("--cap-drop: unknown capability \"" + raw + "\"");
    else caps.erase(std::remove(caps.begin(), caps.end(), c), caps.end());
  }
  for (const std::string& raw : o.cap_add) {
    std::string c = cap_name(raw);
    if (c == "ALL") {
      caps = kAllCapabilities;
      continue;
    }
    if (std::find(kAllCapabilities.begin(), kAllCapabilities.end(), c) == kAllCapabilities.end())
      return Status::error("--cap-add: unknown capability \"" + raw + "\"");
    if (std::find(caps.begin(), caps.end(), c) == caps.end()) caps.push_back(c);
  }
  spec.process.capabilities = caps;

  // Security options.
  spec.seccomp = o.privileged ? SeccompMode::Unconfined : SeccompMode::Default;
  for (const std::string& opt : o.security_opt) {
    std::string key = opt.substr(0, opt.find_first_of("=:"));
    std::string value = opt.find_first_of("=:") == std::string::npos ? "" : opt.substr(opt.find_first_of("=:") + 1);
    if (key == "seccomp") {
      if (value == "unconfined") spec.seccomp = SeccompMode::Unconfined;
      else {
        spec.seccomp = SeccompMode::Profile;
        spec.seccomp_profile_json = value;  // a path; read by the caller
      }
    } else if (key == "no-new-privileges") {
      spec.process.no_new_privileges = value.empty() || value == "true";
    } else if (key == "label" || key == "apparmor") {
      continue;  // no LSM handling here; accepted as Docker does on hosts without them
    } else {
      return Status::error("--security-opt: unknown option \"" + opt + "\"");
    }
  }

  // Default mounts, as Docker's default spec has them.
  spec.mounts = {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/dev/shm", "tmpfs", "shm",
       {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(o.shm_size.value_or(64ull << 20))}},
  };
  for (const std::string& v : o.volumes) {
    std::vector<std::string> parts = split_colons(v);
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[0][0] != '/' || parts[1].empty() ||
        parts[1][0] != '/')
      return Status::error("-v " + v + ": expected /HOST/PATH:/CONTAINER/PATH[:ro]");
    std::vector<std::string> options = {"rbind"};
    if (parts.size() == 3) {
      if (parts[2] != "ro" && parts[2] != "rw") return Status::error("-v " + v + ": mode must be ro or rw");
      if (parts[2] == "ro") options.push_back("ro");
    }
    spec.mounts.push_back({parts[1], "bind", parts[0], options});
  }
  for (const std::string& t : o.tmpfs) {
    std::string dest = t.substr(0, t.find(':'));
    if (dest.empty() || dest[0] != '/') return Status::error("--tmpfs " + t + ": the path must be absolute");
    std::vector<std::string> options = {"nosuid", "nodev", "noexec"};
    if (t.find(':') != std::string::npos) {
      std::string rest = t.substr(t.find(':') + 1);
      for (size_t s = 0; s <= rest.size();) {
        size_t c = rest.find(',', s);
        std::string opt = rest.substr(s, c == std::string::npos ? std::string::npos : c - s);
        if (!opt.empty()) options.push_back(opt);
        if (c == std::string::npos) break;
        s = c + 1;
      }
    }
    spec.mounts.push_back({dest, "tmpfs", "tmpfs", options});
  }
  if (!o.init_path.empty()) spec.mounts.push_back({kInitDestination, "bind", o.init_path, {"bind", "ro"}});
  if (!o.privileged) {
    spec.masked_paths = {"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
                         "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
                         "/proc/timer_stats", "/sys/firmware", "/sys/devices/virtual/powercap"};
    spec.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    spec.masked_paths.insert(spec.masked_paths.end(), o.masked_paths.begin(), o.masked_paths.end());
  }

  // Resources.
  spec.resources.memory_bytes = o.memory_bytes;
  spec.resources.pids_max = o.pids_limit;
  if (o.cpus) {
    if (*o.cpus <= 0) return Status::error("--cpus must be positive");
    // Docker's rule: --cpus is a quota per its own period.
    if (o.cpu_period_us || o.cpu_quota_us) return Status::error("--cpus conflicts with --cpu-period and --cpu-quota");
    spec.resources.cpu_quota_us = static_cast<int64_t>(std::llround(*o.cpus * spec.resources.cpu_period_us));
  }
  if (o.cpu_period_us) spec.resources.cpu_period_us = *o.cpu_period_us;
  // A period alone: no quota, written as such so that the period is set.
  if (o.cpu_quota_us || o.cpu_period_us) spec.resources.cpu_quota_us = o.cpu_quota_us.value_or(-1);
  spec.resources.cpu_shares = o.cpu_shares;
  spec.resources.cpuset_cpus = o.cpuset_cpus;
  // Docker's rules for the memory options.
  if (o.memory_reservation && o.memory_bytes && *o.memory_reservation > *o.memory_bytes)
    return Status::error("--memory-reservation must not be above --memory");
  if (o.memory_swap && !o.memory_bytes) return Status::error("--memory-swap needs --memory");
  if (o.memory_swap && *o.memory_swap >= 0 && *o.memory_swap < *o.memory_bytes)
    return Status::error("--memory-swap (memory plus swap) must not be below --memory");
  spec.resources.memory_reservation = o.memory_reservation;
  spec.resources.memory_swap = o.memory_swap;
  spec.resources.memory_swappiness = o.memory_swappiness;
  spec.resources.oom_kill_disable = o.oom_kill_disable;
  spec.process.oom_score_adj = o.oom_score_adj;
  if (o.shm_size) spec.shm_size = *o.shm_size;
  // Privileged: every device may be used (Docker also binds the host's
  // whole /dev; stack does not).
  if (o.privileged) spec.resources.devices = {DeviceRule{}};
  else spec.resources.devices.insert(spec.resources.devices.end(), o.device_rules.begin(), o.device_rules.end());
  spec.devices = o.device_nodes;
  spec.hooks = o.hooks;
  *out = std::move(spec);
  return Status::ok();
}

}  // namespace stack::runtime

namespace stack::runtime {
namespace {

Status add_host_device(const std::string& host, const std::string& target, const std::string& access,
                       std::vector<DeviceNode>* nodes, std::vector<DeviceRule>* rules) {
  struct stat st {};
  if (::stat(host.c_str(), &st) != 0) return Status::from_errno("device " + host);
  if (S_ISDIR(st.st_mode)) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(host, ec)) {
      struct stat child {};
      if (::stat(entry.path().c_str(), &child) != 0) continue;
      // Only the device nodes and directories of devices, as Docker.
      if (!S_ISCHR(child.st_mode) && !S_ISBLK(child.st_mode) && !S_ISDIR(child.st_mode)) continue;
      std::string name = entry.path().filename().string();
      if (Status s = add_host_device(host + "/" + name, target + "/" + name, access, nodes, rules); !s) return s;
    }
    return Status::ok();
  }
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) return Status::error("device " + host + ": not a device node");
  DeviceNode node{target, S_ISCHR(st.st_mode) ? 'c' : 'b', static_cast<int64_t>(major(st.st_rdev)),
                  static_cast<int64_t>(minor(st.st_rdev)), st.st_mode & 07777, st.st_uid, st.st_gid};
  nodes->push_back(node);
  rules->push_back({node.type, node.major, node.minor, access});
  return Status::ok();
}

}  // namespace

Status host_devices(const std::string& mapping, std::vector<DeviceNode>* nodes, std::vector<DeviceRule>* rules) {
  std::vector<std::string> parts = split_colons(mapping);
  std::string host = parts[0], target = parts[0], access = "rwm";
  // HOST:PERMISSIONS is also accepted, as Docker does.
  auto is_access = [](const std::string& p) {
    return !p.empty() && p.size() <= 3 && p.find_first_not_of("rwm") == std::string::npos;
  };
  if (parts.size() == 2 && is_access(parts[1])) access = parts[1];
  else if (parts.size() >= 2) target = parts[1];
  if (parts.size() == 3) access = parts[2];
  if (parts.size() > 3 || host.empty() || host[0] != '/' || target.empty() || target[0] != '/')
    return Status::error("device " + mapping + ": expected /HOST/PATH[:/CONTAINER/PATH[:PERMISSIONS]]");
  if (!is_access(access)) return Status::error("device " + mapping + ": permissions \"" + access + "\" are not a subset of rwm");
  return add_host_device(host, target, access, nodes, rules);
}

}  // namespace stack::runtime
