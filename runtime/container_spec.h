// ContainerSpec: what a container is, shaped like the OCI runtime spec (process, root, mounts, namespaces, resources).
#pragma once

#include <cstdint>
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

struct ProcessSpec {
  std::vector<std::string> args;
  std::vector<std::string> env;  // KEY=VALUE
  std::string cwd = "/";
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  std::vector<std::string> capabilities;  // bounding = permitted = effective = inheritable
  bool no_new_privileges = true;
  bool terminal = false;
};

enum class SeccompMode { Default, Unconfined, Profile };

struct ResourceLimits {
  std::optional<int64_t> memory_bytes;
  std::optional<int64_t> cpu_quota_us;  // per cpu_period_us
  int64_t cpu_period_us = 100000;
  std::optional<int64_t> pids_max;
};

struct ContainerSpec {
  std::string id;    // unique; names the cgroup and the state directory
  std::string hostname;
  ProcessSpec process;
  std::vector<std::string> lower_dirs;  // image layers, top first
  bool readonly_rootfs = false;
  std::vector<MountSpec> mounts;  // in order, after the rootfs
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
};

// The spec as written next to the container (spec.json), so that `exec`
// runs its processes the way the init was run.
nlohmann::json spec_to_json(const ContainerSpec& spec);
ContainerSpec spec_from_json(const nlohmann::json& j);

}  // namespace stack::runtime
