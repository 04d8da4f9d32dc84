// ContainerSpec: what a container is, shaped like the OCI runtime spec (process, root, mounts, namespaces, resources).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace stack::runtime {

struct MountSpec {
  std::string destination;  // inside the container
  std::string type;         // "bind", "tmpfs", "proc", ...
  std::string source;
  std::vector<std::string> options;  // "ro", "nosuid", "rbind", "size=65536k", ...
};

// A file a container is given read-only (a Compose secret or config): a
// host file mounted as it is, or `content` written beside the container
// with this owner and mode and mounted from there.
struct ContainerFile {
  std::string destination;  // absolute, in the container
  std::string source;       // a host file; empty: `content`
  std::string content;
  std::optional<uint32_t> uid, gid, mode;  // set: the host file is copied to have them
};

// A resource limit set with setrlimit before the process runs, as Docker's
// --ulimit: `name` as Docker spells it (nofile, memlock, stack, ...), -1
// unlimited.
struct Rlimit {
  std::string name;
  int64_t soft = 0, hard = 0;
};

struct ProcessSpec {
  std::vector<std::string> args;
  std::vector<std::string> env;  // KEY=VALUE
  std::string cwd = "/";
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  // Of those, the ones the container adds (group_add, a device's group):
  // an exec as another user has them too, as under Docker.
  std::vector<uint32_t> added_gids;
  std::vector<std::string> capabilities;  // bounding = permitted = effective = inheritable
  bool no_new_privileges = true;
  bool terminal = false;
  std::vector<Rlimit> rlimits;  // beyond those it inherits
  int oom_score_adj = 0;  // its /proc/self/oom_score_adj (-1000..1000), as Docker always writes it
};

// What a container's /etc/resolv.conf says instead of the host's, as
// Docker's --dns, --dns-search and --dns-option: each list that is set
// replaces the host's lines of its kind.
struct DnsConfig {
  std::vector<std::string> servers, search, options;
};

enum class SeccompMode { Default, Unconfined, Profile };

// A device node made in the container's /dev (as runc does without a user
// namespace: mknod, so its mode and owner are the container's own).
struct DeviceNode {
  std::string path;  // in the container
  char type = 'c';   // 'c' or 'b'
  int64_t major = 0, minor = 0;
  uint32_t file_mode = 0666;
  uint32_t uid = 0, gid = 0;
};

// One rule of the device cgroup's allow list, as `devices.allow` writes it:
// type 'a' (any), 'c' or 'b'; -1 for a wildcard major or minor; access a
// subset of "rwm". Everything not allowed is denied.
struct DeviceRule {
  char type = 'a';
  int64_t major = -1, minor = -1;
  std::string access = "rwm";

  std::string to_string() const;  // "c 195:0 rwm", "a *:* rwm"
};

// Docker's default allow list: mknod anything; use null, zero, full,
// random, urandom, tty, console, ptmx, the pts and /dev/net/tun.
const std::vector<DeviceRule>& default_device_rules();

struct ResourceLimits {
  std::optional<int64_t> memory_bytes;
  std::optional<int64_t> cpu_quota_us;  // per cpu_period_us; -1 none
  int64_t cpu_period_us = 100000;
  std::optional<int64_t> pids_max;
  // Docker's --cpu-shares (2..262144; cpu.weight converted on v2),
  // --cpuset-cpus ("0-3,5"), --memory-reservation (a soft limit: v2's
  // memory.low), --memory-swap (memory plus swap, -1 unlimited; needs
  // memory_bytes), --memory-swappiness and --oom-kill-disable (v1 only:
  // v2 has neither knob).
  std::optional<int64_t> cpu_shares;
  std::string cpuset_cpus;
  std::optional<int64_t> memory_reservation, memory_swap, memory_swappiness;
  bool oom_kill_disable = false;
  // The device cgroup's allow list (linux.resources.devices); "a *:* rwm"
  // for a privileged container.
  std::vector<DeviceRule> devices = default_device_rules();
};

// A hook of the OCI runtime spec (a CDI device's, say), run with the
// container's state on its standard input. The stages run: createRuntime,
// createContainer and startContainer once the container's filesystem is
// mounted, before pivot_root, in its mount namespace; poststart once its
// command runs; poststop once it is gone.
struct HookSpec {
  std::string stage;
  std::string path;
  std::vector<std::string> args, env;
  int timeout_s = 0;  // 0: no limit
};

struct ContainerSpec {
  std::string id;    // unique; names the cgroup and the state directory
  std::string hostname;
  // /etc/hosts lines of its own, after localhost and its hostname: "ADDRESS\tNAME".
  std::vector<std::string> extra_hosts;
  DnsConfig dns;
  std::map<std::string, std::string> sysctls;  // namespaced ones only (linux/sysctls.h)
  ProcessSpec process;
  std::vector<std::string> lower_dirs;  // image layers, top first
  bool readonly_rootfs = false;
  std::vector<MountSpec> mounts;  // in order, after the rootfs
  std::vector<DeviceNode> devices;  // beyond the default ones
  std::vector<HookSpec> hooks;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  SeccompMode seccomp = SeccompMode::Default;
  std::string seccomp_profile_json;  // SeccompMode::Profile
  bool privileged = false;
  ResourceLimits resources;
  uint64_t shm_size = 64ull << 20;
  // A kept network namespace (see linux/network_namespace.h) the init
  // joins; empty: a new one of its own, with loopback only.
  std::string network_namespace;
  // network_mode host: the host's network namespace, no namespace of its own.
  bool host_network = false;
  // network_mode container:/service:: the ID of the container whose
  // network namespace (and /etc/hosts, resolv.conf, hostname) it shares,
  // found again at each start (container_runner.h).
  std::string network_container;
};

// The spec as written next to the container (spec.json), so that `exec`
// runs its processes the way the init was run.
nlohmann::json spec_to_json(const ContainerSpec& spec);
ContainerSpec spec_from_json(const nlohmann::json& j);

}  // namespace stack::runtime
