// DefaultSpec: Docker's default container spec for an image, adjusted by `container run` options.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/container_spec.h"
#include "runtime/image_store.h"
#include "runtime/status.h"

namespace stack::runtime {

struct RunOptions {
  std::vector<std::string> command;             // replaces the image's Cmd when not empty
  std::optional<std::vector<std::string>> entrypoint;
  std::vector<std::string> env;                 // KEY=VALUE, or KEY to pass the caller's value
  std::string working_dir, user, hostname;
  std::vector<std::string> volumes;             // SRC:DST[:ro]
  std::vector<std::string> tmpfs;               // DST[:options]
  std::optional<int64_t> memory_bytes, pids_limit;
  std::optional<double> cpus;
  // --cpu-shares, --cpu-period, --cpu-quota (microseconds; -1 no quota),
  // --memory-reservation, --memory-swap (-1 unlimited), --memory-swappiness.
  std::optional<int64_t> cpu_shares, cpu_period_us, cpu_quota_us, memory_reservation, memory_swap, memory_swappiness;
  std::string cpuset_cpus;      // --cpuset-cpus
  bool oom_kill_disable = false;
  int oom_score_adj = 0;
  std::vector<std::string> cap_add, cap_drop;
  bool privileged = false, read_only = false;
  std::vector<std::string> security_opt;        // seccomp=unconfined|FILE, no-new-privileges[:bool]
  std::optional<uint64_t> shm_size;
  std::vector<Rlimit> ulimits;
  std::vector<std::string> extra_hosts;  // /etc/hosts lines: "ADDRESS\tNAME"
  DnsConfig dns;
  std::map<std::string, std::string> sysctls;
  std::vector<ContainerFile> files;  // given by the container's creator (ContainerStore::give_files)
  std::string init_path;  // --init: a static init on the host (tini-static), run as PID 1
  std::vector<DeviceNode> device_nodes;  // made in /dev
  std::vector<DeviceRule> device_rules;  // allowed beyond Docker's defaults
  std::vector<uint32_t> additional_gids;  // beyond the user's groups
  std::vector<std::string> group_add;     // --group-add: names (the image's /etc/group) or numbers
  std::vector<std::string> masked_paths;  // beyond Docker's
  std::vector<HookSpec> hooks;
  bool host_network = false;      // --network host
  std::string network_container;  // --network container:ID (its ID)
};

// `--device HOST[:CONTAINER[:PERMISSIONS]]` as Docker reads it: the host's
// node (or every node under a host directory, such as /dev/dri) with its
// type, numbers, mode and owner, and a rule allowing PERMISSIONS (a subset
// of "rwm", all by default). Errors name the device.
Status host_devices(const std::string& mapping, std::vector<DeviceNode>* nodes, std::vector<DeviceRule>* rules);

// Where the --init binary appears inside the container.
inline constexpr const char* kInitDestination = "/sbin/stack-init";

// Docker's 14 default capabilities.
const std::vector<std::string>& default_capabilities();

// Builds the spec: entrypoint + cmd as Docker combines them, image env
// under run env, default mounts, masked and read-only /proc and /sys
// paths, capabilities, seccomp and resources. `lookup_env` gives the
// caller's variables for `-e KEY`. Errors name the option at fault.
Status make_spec(const Image& image, const std::vector<std::string>& lower_dirs, const RunOptions& options,
                 const std::string& id, ContainerSpec* out,
                 const std::function<std::optional<std::string>(const std::string&)>& lookup_env);

}  // namespace stack::runtime
