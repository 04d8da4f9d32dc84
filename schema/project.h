// Project: the typed, normalized model of a stack file that the orchestrator works from.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "schema/node.h"

namespace stack::schema {

struct PortSpec {
  std::string host_ip;    // empty: all addresses
  std::string published;  // "8080", "8000-8010" or empty (none published)
  int target = 0;
  std::string protocol = "tcp";
};

struct MountSpec {
  enum class Type { Bind, Volume, Tmpfs };
  Type type = Type::Volume;
  std::string source;  // host path (bind), volume key (volume; empty: anonymous)
  std::string target;
  bool read_only = false;
  bool create_host_path = true;
  bool nocopy = false;
  std::string propagation;
  std::string subpath;  // of the volume, mounted instead of its whole
  std::optional<std::int64_t> tmpfs_size;
  std::string tmpfs_options;  // as mount(8) takes them: "mode=1777,size=64m"
  Mark mark;  // the entry under volumes: (unknown for tmpfs:)
};

struct DependsOnSpec {
  enum class Condition { Started, Healthy, CompletedSuccessfully };
  Condition condition = Condition::Started;
  bool required = true;
  bool restart = false;
  Mark mark;
};

struct HealthcheckSpec {
  bool disabled = false;
  std::vector<std::string> test;  // CMD / CMD-SHELL form
  std::int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  int retries = 3;
};

struct DeviceRequest {
  std::vector<std::string> capabilities;
  std::string driver;
  std::optional<int> count;  // -1: all
  std::vector<std::string> device_ids;
  std::map<std::string, std::string> options;
};

struct DeviceMapping {
  std::string source;  // host path, or a CDI name such as nvidia.com/gpu=0
  std::string target;
  std::string permissions;
  bool cdi() const { return target.empty(); }
};

struct Ulimit {
  std::int64_t soft = 0, hard = 0;
};

struct NetworkAttachment {
  std::vector<std::string> aliases;
  std::string ipv4_address;
  int priority = 0;
};

// A secret or config a service's containers are given: a read-only file at
// `target` with, when set, this owner and mode.
struct FileGrant {
  std::string source;  // its key under the top-level secrets or configs
  std::string target;  // absolute, in the container
  std::optional<std::uint32_t> uid, gid, mode;
  Mark mark;
};

struct RestartPolicy {
  enum class Mode { No, Always, OnFailure, UnlessStopped };
  Mode mode = Mode::No;
  int max_retries = 0;  // on-failure:N; 0 = unlimited
};

struct ServiceSpec {
  std::string name;
  std::string image;
  std::optional<std::string> build_context, build_dockerfile, build_target, build_dockerfile_inline;
  std::map<std::string, std::string> build_args, build_labels;
  std::vector<std::string> build_tags;
  bool build_no_cache = false;
  // always, missing, never, build, daily, weekly, every_<duration> (if_not_present is missing)
  std::string pull_policy = "missing";
  std::string platform;  // OS/ARCH[/VARIANT] of the image pulled; empty: linux/amd64
  std::optional<std::vector<std::string>> command, entrypoint;
  std::map<std::string, std::optional<std::string>> environment;
  std::map<std::string, std::string> labels;
  std::string working_dir, user, hostname, container_name;
  std::vector<PortSpec> ports;
  std::vector<std::string> expose;
  std::vector<MountSpec> mounts;  // volumes then tmpfs, in file order
  std::map<std::string, NetworkAttachment> networks;
  std::string network_mode;  // empty (its networks), none, host, service:NAME or container:NAME
  std::map<std::string, DependsOnSpec> depends_on;
  std::optional<HealthcheckSpec> healthcheck;
  RestartPolicy restart;
  std::optional<double> cpus;
  std::optional<std::int64_t> memory_bytes, pids_limit, shm_size;
  std::vector<DeviceRequest> device_requests;  // deploy.resources.reservations.devices and gpus:
  std::vector<DeviceMapping> devices;
  std::vector<std::string> cap_add, cap_drop, security_opt, dns, dns_search, dns_opt, profiles;
  std::vector<std::string> extra_hosts;  // "NAME=ADDRESS"; ADDRESS may be host-gateway
  std::map<std::string, std::string> links;  // alias -> the service it names
  bool privileged = false, read_only = false, init = false, tty = false, stdin_open = false;
  std::string stop_signal = "SIGTERM";
  std::int64_t stop_grace_period_ns = 10'000'000'000;
  std::map<std::string, Ulimit> ulimits;
  std::map<std::string, std::string> sysctls;
  std::vector<FileGrant> secrets, configs;
  // cpu_shares, cpu_period, cpu_quota, mem_reservation (or deploy's
  // reservations.memory), memswap_limit, mem_swappiness, cpuset, ...
  std::optional<std::int64_t> cpu_shares, cpu_period, cpu_quota, mem_reservation, memswap_limit, mem_swappiness;
  std::string cpuset;
  bool oom_kill_disable = false;
  int oom_score_adj = 0;
  std::vector<std::string> group_add, device_cgroup_rules;
  std::string log_driver;
  std::map<std::string, std::string> log_options;
  int replicas = 1;
  Mark mark;
};

struct NetworkSpec {
  std::string key, name, driver = "bridge";
  bool external = false, internal = false;
  struct Pool {
    std::string subnet, gateway, ip_range;
  };
  std::vector<Pool> pools;
  std::map<std::string, std::string> labels, driver_opts;
};

struct VolumeSpec {
  std::string key, name;
  bool external = false;
  std::map<std::string, std::string> labels;
};

// A top-level secret or config: a host file, or a value (a variable of the
// project's environment, or a config's content).
struct FileObjectSpec {
  std::string key, name;
  std::string file;                    // empty: from `value`
  std::string environment;             // the variable `value` came from, if any
  std::optional<std::string> value;    // nullopt for a file, or a variable that is not set
  Mark mark;
};

struct Project {
  std::string name;
  std::string working_dir;
  std::vector<ServiceSpec> services;  // sorted by name
  std::vector<NetworkSpec> networks;
  std::vector<VolumeSpec> volumes;
  std::vector<FileObjectSpec> secrets, configs;

  const ServiceSpec* service(const std::string& name) const;
  const FileObjectSpec* secret(const std::string& key) const;
  const FileObjectSpec* config(const std::string& key) const;
};

// Builds the typed model from a tree that load_project() normalized;
// `environment` (the project's variables) gives secrets and configs read
// from a variable their value.
Project build_project(const Node& normalized, const std::string& project_dir,
                      const std::map<std::string, std::string>& environment = {});

}  // namespace stack::schema
