#include "runtime/container_spec.h"

#include <nlohmann/json.hpp>

namespace stack::runtime {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MountSpec, destination, type, source, options)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Rlimit, name, soft, hard)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProcessSpec, args, env, cwd, uid, gid, additional_gids, added_gids,
                                                capabilities, no_new_privileges, terminal, rlimits, oom_score_adj)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DnsConfig, servers, search, options)

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeviceNode, path, type, major, minor, file_mode, uid, gid)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeviceRule, type, major, minor, access)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HookSpec, stage, path, args, env, timeout_s)

std::string DeviceRule::to_string() const {
  auto number = [](int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  return std::string(1, type) + " " + number(major) + ":" + number(minor) + " " + access;
}

const std::vector<DeviceRule>& default_device_rules() {
  static const std::vector<DeviceRule> rules = {
      {'c', -1, -1, "m"},  {'b', -1, -1, "m"},  {'c', 1, 3, "rwm"},   {'c', 1, 5, "rwm"},
      {'c', 1, 7, "rwm"},  {'c', 1, 8, "rwm"},  {'c', 1, 9, "rwm"},   {'c', 5, 0, "rwm"},
      {'c', 5, 1, "rwm"},  {'c', 5, 2, "rwm"},  {'c', 136, -1, "rwm"}, {'c', 10, 200, "rwm"},
  };
  return rules;
}

namespace {

template <typename T>
void put(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

template <typename T>
void get(const nlohmann::json& j, const char* key, std::optional<T>& v) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) v = it->get<T>();
}

}  // namespace

nlohmann::json spec_to_json(const ContainerSpec& s) {
  nlohmann::json resources = {{"cpu_period_us", s.resources.cpu_period_us}};
  put(resources, "memory_bytes", s.resources.memory_bytes);
  put(resources, "cpu_quota_us", s.resources.cpu_quota_us);
  put(resources, "pids_max", s.resources.pids_max);
  put(resources, "cpu_shares", s.resources.cpu_shares);
  if (!s.resources.cpuset_cpus.empty()) resources["cpuset_cpus"] = s.resources.cpuset_cpus;
  put(resources, "memory_reservation", s.resources.memory_reservation);
  put(resources, "memory_swap", s.resources.memory_swap);
  put(resources, "memory_swappiness", s.resources.memory_swappiness);
  if (s.resources.oom_kill_disable) resources["oom_kill_disable"] = true;
  resources["devices"] = s.resources.devices;
  const char* seccomp = s.seccomp == SeccompMode::Default ? "default" : s.seccomp == SeccompMode::Profile ? "profile" : "unconfined";
  return {{"id", s.id},
          {"hostname", s.hostname},
          {"extra_hosts", s.extra_hosts},
          {"dns", s.dns},
          {"sysctls", s.sysctls},
          {"process", s.process},
          {"lower_dirs", s.lower_dirs},
          {"readonly_rootfs", s.readonly_rootfs},
          {"mounts", s.mounts},
          {"devices", s.devices},
          {"hooks", s.hooks},
          {"masked_paths", s.masked_paths},
          {"readonly_paths", s.readonly_paths},
          {"seccomp", seccomp},
          {"seccomp_profile_json", s.seccomp_profile_json},
          {"privileged", s.privileged},
          {"resources", resources},
          {"shm_size", s.shm_size},
          {"network_namespace", s.network_namespace},
          {"host_network", s.host_network},
          {"network_container", s.network_container}};
}

ContainerSpec spec_from_json(const nlohmann::json& j) {
  ContainerSpec s;
  s.id = j.value("id", "");
  s.hostname = j.value("hostname", "");
  s.extra_hosts = j.value("extra_hosts", std::vector<std::string>{});
  if (j.contains("dns")) s.dns = j["dns"].get<DnsConfig>();
  s.sysctls = j.value("sysctls", std::map<std::string, std::string>{});
  if (j.contains("process")) s.process = j["process"].get<ProcessSpec>();
  s.lower_dirs = j.value("lower_dirs", std::vector<std::string>{});
  s.readonly_rootfs = j.value("readonly_rootfs", false);
  if (j.contains("mounts")) s.mounts = j["mounts"].get<std::vector<MountSpec>>();
  if (j.contains("devices")) s.devices = j["devices"].get<std::vector<DeviceNode>>();
  if (j.contains("hooks")) s.hooks = j["hooks"].get<std::vector<HookSpec>>();
  s.masked_paths = j.value("masked_paths", std::vector<std::string>{});
  s.readonly_paths = j.value("readonly_paths", std::vector<std::string>{});
  std::string seccomp = j.value("seccomp", "default");
  s.seccomp = seccomp == "profile" ? SeccompMode::Profile : seccomp == "unconfined" ? SeccompMode::Unconfined : SeccompMode::Default;
  s.seccomp_profile_json = j.value("seccomp_profile_json", "");
  s.privileged = j.value("privileged", false);
  if (auto r = j.find("resources"); r != j.end()) {
    get(*r, "memory_bytes", s.resources.memory_bytes);
    get(*r, "cpu_quota_us", s.resources.cpu_quota_us);
    get(*r, "pids_max", s.resources.pids_max);
    get(*r, "cpu_shares", s.resources.cpu_shares);
    s.resources.cpuset_cpus = r->value("cpuset_cpus", "");
    get(*r, "memory_reservation", s.resources.memory_reservation);
    get(*r, "memory_swap", s.resources.memory_swap);
    get(*r, "memory_swappiness", s.resources.memory_swappiness);
    s.resources.oom_kill_disable = r->value("oom_kill_disable", false);
    s.resources.cpu_period_us = r->value("cpu_period_us", int64_t{100000});
    // A spec written before device rules were: Docker's defaults.
    if (r->contains("devices")) s.resources.devices = (*r)["devices"].get<std::vector<DeviceRule>>();
  }
  s.shm_size = j.value("shm_size", uint64_t{64} << 20);
  s.network_namespace = j.value("network_namespace", "");
  s.host_network = j.value("host_network", false);
  s.network_container = j.value("network_container", "");
  return s;
}

}  // namespace stack::runtime
