#include "compose/project_containers.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "compose/container_networks.h"
#include "compose/host.h"
#include "compose/service_builds.h"
#include "compose/service_devices.h"
#include "orchestrator/dependency_graph.h"
#include "runtime/image_store.h"
#include "runtime/kernel_settings.h"
#include "runtime/sha256.h"
#include "runtime/layer_copy.h"
#include "runtime/on_disk.h"
#include "runtime/path_beneath.h"

namespace fs = std::filesystem;

namespace stack::compose {

std::string service_container_name(const schema::Project& project, const schema::ServiceSpec& service, int number) {
  if (!service.container_name.empty()) return service.container_name;
  return project.name + "-" + service.name + "-" + std::to_string(number);
}

runtime::Status volume_dir(const std::string& volume_name, std::string* dir) {
  std::string root = stack_root();
  if (runtime::Status s = runtime::path_beneath(root, {"volumes", volume_name}, dir); !s)
    return s.with_context("volume " + volume_name.substr(0, 80));
  if (runtime::Status s = runtime::resolves_beneath(root, *dir + "/_data"); !s) return s.with_context("volume " + volume_name);
  return runtime::Status::ok();
}

namespace {

void write_volume_labels(const std::string& dir, const std::map<std::string, std::string>& labels) {
  runtime::write_file(dir + "/labels.json", nlohmann::json(labels).dump() + "\n");
}

// A volume's directory (its labels and _data) is root's alone; _data
// itself keeps the mode the image or the container gives it, which is what
// the container sees through its bind mount.
runtime::Status make_volume_directories(const std::string& data) {
  if (runtime::Status st = runtime::make_private_directory(fs::path(data).parent_path().string(), 0700); !st) return st;
  return runtime::make_directories(data);
}

runtime::Status seed_volume(const std::string& image_name, const std::string& target, const std::string& data) {
  runtime::ImageStore images(images_root());
  runtime::Image image;
  if (!images.find(image_name, &image)) return runtime::Status::ok();  // launching reports the missing image
  return runtime::copy_image_directory(images.lower_dirs(image.diff_ids), target, data);
}

}  // namespace

runtime::Status service_launch(const schema::Project& project, const schema::ServiceSpec& s, int number,
                               const std::string& config_hash, LaunchRequest* out, const std::string& container_name,
                               const std::vector<devices::Gpu>& gpus) {
  LaunchRequest r;
  r.image = service_image(project, s);
  r.name = container_name.empty() ? service_container_name(project, s, number) : container_name;
  r.detach = true;
  runtime::RunOptions& o = r.options;
  // Anonymous: named after its container and path, so that a recreated
  // container finds its data again, as with Compose.
  auto anonymous_volume = [&](const std::string& target, bool read_only, bool copy) {
    std::string name = runtime::Sha256::of(r.name + ":" + target);
    std::string dir;
    if (runtime::Status st = volume_dir(name, &dir); !st) return st;
    std::string data = dir + "/_data";
    bool created = !fs::exists(data);
    if (runtime::Status st = make_volume_directories(data); !st) return st;
    if (created) {
      write_volume_labels(dir, {{kProjectLabel, project.name}, {kVolumeContainerLabel, r.name}});
      if (runtime::Status st = copy ? seed_volume(r.image, target, data) : runtime::Status::ok(); !st)
        return runtime::Status::error("service " + s.name + ": the anonymous volume at " + target + ": " + st.message());
    }
    o.volumes.push_back(data + ":" + target + (read_only ? ":ro" : ""));
    return runtime::Status::ok();
  };
  if (s.command) o.command = *s.command;
  if (s.entrypoint) o.entrypoint = *s.entrypoint;
  for (const auto& [key, value] : s.environment) o.env.push_back(value ? key + "=" + *value : key);
  o.working_dir = s.working_dir;
  o.hostname = s.hostname;
  for (const schema::MountSpec& m : s.mounts) {
    switch (m.type) {
      case schema::MountSpec::Type::Bind:
        if (m.create_host_path)
          if (runtime::Status st = runtime::make_directories(m.source); !st && !fs::exists(m.source)) return st;
        o.volumes.push_back(m.source + ":" + m.target + (m.read_only ? ":ro" : ""));
        break;
      case schema::MountSpec::Type::Tmpfs:
        o.tmpfs.push_back(m.target + (m.tmpfs_options.empty() ? "" : ":" + m.tmpfs_options));
        break;
      case schema::MountSpec::Type::Volume: {
        if (m.source.empty()) {
          if (runtime::Status st = anonymous_volume(m.target, m.read_only, !m.nocopy); !st) return st;
          break;
        }
        const schema::VolumeSpec* volume = nullptr;
        for (const auto& v : project.volumes)
          if (v.key == m.source) volume = &v;
        if (!volume) return runtime::Status::error("service " + s.name + ": no volume " + m.source);
        std::string dir;
        if (runtime::Status st = volume_dir(volume->name, &dir); !st) return st.with_context("service " + s.name);
        std::string data = dir + "/_data";
        if (volume->external && !fs::is_directory(data))
          return runtime::Status::error("external volume " + volume->name + " does not exist");
        bool created = !fs::exists(data);
        if (runtime::Status st = make_volume_directories(data); !st) return st;
        if (created && !volume->external) write_volume_labels(dir, {{kProjectLabel, project.name}, {kVolumeLabel, volume->key}});
        // As Docker: a new volume starts with what the image has where it
        // is mounted, unless nocopy (or only a part of it is mounted).
        if (created && !volume->external && !m.nocopy && m.subpath.empty())
          if (runtime::Status st = seed_volume(r.image, m.target, data); !st) {
            std::error_code ec;
            fs::remove_all(dir, ec);
            return runtime::Status::error("service " + s.name + ": volume " + volume->name + ": " + st.message());
          }
        if (!m.subpath.empty()) {
          // As Docker: the path must be there in the volume already, and
          // (a container may have made it a link) inside the volume.
          std::string volume_data = data;
          data += "/" + m.subpath;
          if (runtime::Status st = runtime::resolves_beneath(volume_data, data); !st)
            return st.with_context("service " + s.name + ": volume " + volume->name + ": subpath " + m.subpath);
          if (!fs::exists(data))
            return runtime::Status::error("service " + s.name + ": volume " + volume->name + " has no subpath " + m.subpath);
        }
        o.volumes.push_back(data + ":" + m.target + (m.read_only ? ":ro" : ""));
        break;
      }
    }
  }
  // The image's VOLUME paths that nothing above mounts get anonymous volumes, as with Docker.
  runtime::Image image;
  auto normal = [](const std::string& path) {
    std::string p = fs::path(path).lexically_normal().string();
    if (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
  };
  if (runtime::ImageStore(images_root()).find(r.image, &image))
    for (const std::string& path : image.config.volumes) {
      std::string target = normal(path);
      bool mounted = std::any_of(s.mounts.begin(), s.mounts.end(), [&](const schema::MountSpec& m) { return normal(m.target) == target; });
      if (!mounted)
        if (runtime::Status st = anonymous_volume(target, false, true); !st) return st;
    }
  o.cap_add = s.cap_add;
  o.cap_drop = s.cap_drop;
  o.privileged = s.privileged;
  o.read_only = s.read_only;
  o.security_opt = s.security_opt;
  o.memory_bytes = s.memory_bytes;
  o.pids_limit = s.pids_limit;
  o.cpus = s.cpus;
  if (s.shm_size) o.shm_size = static_cast<uint64_t>(*s.shm_size);
  if (runtime::Status st = apply_devices(s, gpus, &o); !st) return st;
  for (const devices::Gpu& gpu : gpus) r.gpus.push_back(gpu.id);
  r.user = s.user;
  r.init = s.init;
  r.tty = s.tty;
  r.stop_signal = s.stop_signal;
  r.stop_timeout = static_cast<int>(std::ceil(static_cast<double>(s.stop_grace_period_ns) / 1e9));
  using Mode = schema::RestartPolicy::Mode;
  r.restart.mode = s.restart.mode == Mode::Always          ? runtime::RestartPolicy::Mode::Always
                   : s.restart.mode == Mode::OnFailure     ? runtime::RestartPolicy::Mode::OnFailure
                   : s.restart.mode == Mode::UnlessStopped ? runtime::RestartPolicy::Mode::UnlessStopped
                                                           : runtime::RestartPolicy::Mode::No;
  r.restart.max_retries = s.restart.max_retries;
  if (std::optional<std::string> refused = runtime::log_config(s.log_driver, s.log_options, &r.log))
    return runtime::Status::error("service " + s.name + ": logging: " + *refused);
  if (s.healthcheck && s.healthcheck->disabled) {
    r.no_healthcheck = true;
  } else if (s.healthcheck) {
    const schema::HealthcheckSpec& h = *s.healthcheck;
    runtime::HealthCheck check;
    check.test = h.test;  // empty: the image's test, with these timings
    // Zero, as in Docker, means the default.
    auto set = [](runtime::Nanoseconds* field, std::int64_t ns) {
      if (ns > 0) *field = runtime::Nanoseconds(ns);
    };
    set(&check.interval, h.interval_ns);
    set(&check.timeout, h.timeout_ns);
    set(&check.start_period, h.start_period_ns);
    set(&check.start_interval, h.start_interval_ns);
    check.retries = h.retries > 0 ? h.retries : 3;
    r.healthcheck = check;
  }
  // Networks by priority (highest first, as Compose), then by key: eth0 is the first.
  std::vector<std::pair<std::string, schema::NetworkAttachment>> networks(s.networks.begin(), s.networks.end());
  std::stable_sort(networks.begin(), networks.end(),
                   [](const auto& a, const auto& b) { return a.second.priority > b.second.priority; });
  for (const auto& [key, attachment] : networks) {
    const schema::NetworkSpec* network = nullptr;
    for (const auto& n : project.networks)
      if (n.key == key) network = &n;
    if (!network) return runtime::Status::error("service " + s.name + ": no network " + key);
    netbridge::NetworkJoin join{network->name, {s.name}, std::nullopt};
    join.aliases.insert(join.aliases.end(), attachment.aliases.begin(), attachment.aliases.end());
    if (!attachment.ipv4_address.empty()) {
      join.ipv4_address = netbridge::Ipv4Address::parse(attachment.ipv4_address);
      if (!join.ipv4_address) return runtime::Status::error("service " + s.name + ": ipv4_address " + attachment.ipv4_address);
    }
    r.joins.push_back(join);
  }
  if (s.network_mode == "host") o.host_network = true;
  if (s.network_mode.rfind("container:", 0) == 0) o.network_container = s.network_mode.substr(10);
  std::string hash = config_hash;
  if (s.network_mode.rfind("service:", 0) == 0) {
    std::string shared = s.network_mode.substr(8);
    std::vector<runtime::ContainerRecord> records = project_containers(project.name);
    const runtime::ContainerRecord* first = shared_network_container(records, shared);
    if (!first)
      return runtime::Status::error("service " + s.name + ": network_mode service:" + shared + ": service " + shared +
                                    " has no container");
    o.network_container = first->id;
    // The container it joins, as of now (the caller's may be older).
    hash = hash.substr(0, hash.find(kSharedNetworkHashPart)) + kSharedNetworkHashPart + first->id;
  }
  // ulimits, extra_hosts and dns*: as Docker's --ulimit, --add-host and --dns*.
  for (const auto& [name, limit] : s.ulimits) o.ulimits.push_back({name, limit.soft, limit.hard});
  for (const std::string& entry : s.extra_hosts) {
    size_t eq = entry.find('=');
    std::string name = entry.substr(0, eq), address = entry.substr(eq + 1);
    if (address == "host-gateway") {
      // The host as the container reaches it: its bridge's address on the
      // container's first network (Docker's default host-gateway-ip is
      // docker0's, the bridge of its default network).
      netbridge::NetworkRecord network;
      if (r.joins.empty() || !network_store().find(r.joins.front().network, &network))
        return runtime::Status::error("service " + s.name + ": extra_hosts " + name +
                                      ": host-gateway needs the service on a network");
      address = network.gateway.to_string();
    }
    o.extra_hosts.push_back(address + "\t" + name);
  }
  o.dns = {s.dns, s.dns_search, s.dns_opt};
  o.sysctls = s.sysctls;
  // Secrets and configs: a file bound in read-only as Compose binds it, or
  // a value (and a file with an owner or mode of its own) copied in.
  for (bool secret : {true, false}) {
    for (const schema::FileGrant& g : secret ? s.secrets : s.configs) {
      const schema::FileObjectSpec* object = secret ? project.secret(g.source) : project.config(g.source);
      std::string what = std::string(secret ? "secret " : "config ") + g.source;
      if (!object) return runtime::Status::error("service " + s.name + ": no " + what);
      if (object->file.empty() && !object->value)
        return runtime::Status::error("service " + s.name + ": " + what + ": variable " + object->environment + " is not set");
      o.files.push_back({g.target, object->file, object->value.value_or(""), g.uid, g.gid, g.mode});
    }
  }
  // The rest of Docker's resource options, as Compose hands them on.
  o.cpu_shares = s.cpu_shares;
  o.cpu_period_us = s.cpu_period;
  o.cpu_quota_us = s.cpu_quota;
  o.cpuset_cpus = s.cpuset;
  o.memory_reservation = s.mem_reservation;
  o.memory_swap = s.memswap_limit;
  o.memory_swappiness = s.mem_swappiness;
  o.oom_kill_disable = s.oom_kill_disable;
  o.oom_score_adj = s.oom_score_adj;
  o.group_add = s.group_add;
  for (const std::string& text : s.device_cgroup_rules)
    if (std::optional<runtime::DeviceRule> rule = runtime::parse_device_cgroup_rule(text)) o.device_rules.push_back(*rule);
  for (const schema::PortSpec& p : s.ports) {
    std::string ip = p.host_ip.find(':') != std::string::npos ? "[" + p.host_ip + "]" : p.host_ip;
    std::string text = (ip.empty() ? "" : ip + ":") + (p.published.empty() ? "" : p.published + ":") +
                       std::to_string(p.target) + "/" + p.protocol;
    if (!ip.empty() && p.published.empty()) text = ip + "::" + std::to_string(p.target) + "/" + p.protocol;
    if (runtime::Status st = netbridge::parse_port_mappings(text, &r.ports); !st)
      return runtime::Status::error("service " + s.name + ": " + st.message());
  }
  // The service's labels on its containers, as Compose puts them; its own
  // com.docker.compose.* ones, which find the containers again, win.
  r.links = s.links;
  r.labels = s.labels;
  r.labels[kProjectLabel] = project.name;
  r.labels[kServiceLabel] = s.name;
  r.labels[kNumberLabel] = std::to_string(number);
  r.labels[kConfigHashLabel] = hash;
  r.labels[kOneOffLabel] = "False";
  *out = std::move(r);
  return runtime::Status::ok();
}

runtime::Status lock_project(const std::string& project, runtime::FileLock* lock) {
  std::string path;
  if (runtime::Status s = runtime::path_beneath(stack_root(), {"projects", project + ".lock"}, &path); !s)
    return s.with_context("project " + project);
  if (runtime::Status s = runtime::make_directories(stack_root() + "/projects"); !s) return s;
  if (runtime::FileLock::try_acquire(path, lock)) return runtime::Status::ok();
  std::cerr << "waiting for another stack command on project " << project << " to finish...\n";
  return runtime::FileLock::acquire(path, lock);
}

std::vector<long> sort_in_service_order(const ProjectRef& ref, std::vector<runtime::ContainerRecord>* records,
                                        bool stopping) {
  std::vector<std::string> order;
  if (ref.project) {
    orchestrator::DependencyGraph graph(*ref.project);
    for (const auto& node : stopping ? graph.stop_order() : graph.start_order())
      if (node.kind == orchestrator::GraphNode::Kind::Service) order.push_back(node.name);
  }
  auto rank = [&](const runtime::ContainerRecord& r) -> long {
    return std::find(order.begin(), order.end(), r.labels.at(kServiceLabel)) - order.begin();
  };
  std::stable_sort(records->begin(), records->end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  std::vector<long> ranks;
  for (const auto& r : *records) ranks.push_back(rank(r));
  return ranks;
}

void stop_in_order(const ProjectRef& ref, std::vector<runtime::ContainerRecord>* records, std::optional<int> timeout,
                   const std::function<bool()>& hurry) {
  std::vector<long> rank = sort_in_service_order(ref, records, true);
  runtime::ContainerStore store(runtime_paths().containers);
  // With no grace period at all (-t 0) nothing shuts down gracefully, so
  // there is no order to keep: all are killed together.
  if (timeout == 0 && !records->empty()) {
    auto begin = std::chrono::steady_clock::now();
    store.stop_all(*records, 0, runtime_paths().cgroup_root, hurry);
    spdlog::debug("killed {} container(s) together in {:.1f} ms", records->size(),
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count());
    return;
  }
  // A service's replicas stop together, one grace period for all of them;
  // services one after another, dependents first.
  for (size_t i = 0; i < records->size();) {
    size_t j = i;
    while (j < records->size() && rank[j] == rank[i]) ++j;
    std::vector<runtime::ContainerRecord> group(records->begin() + i, records->begin() + j);
    auto begin = std::chrono::steady_clock::now();
    store.stop_all(group, timeout.value_or(group[0].stop_timeout), runtime_paths().cgroup_root, hurry);
    spdlog::debug("stopped {} container(s) of service {} in {:.1f} ms", group.size(), group[0].labels.at(kServiceLabel),
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count());
    i = j;
  }
}

std::vector<std::string> labelled_volumes(const std::string& label, const std::string& value) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(stack_root() + "/volumes", ec)) {
    auto text = runtime::read_whole_file(entry.path().string() + "/labels.json");
    nlohmann::json labels = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    if (labels.is_object() && labels.value(label, "") == value) out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

runtime::Status remove_volume(const std::string& name) {
  std::string dir;
  if (runtime::Status s = runtime::path_beneath(stack_root(), {"volumes", name}, &dir); !s)
    return s.with_context("volume " + name.substr(0, 80));
  // remove_all takes a symbolic link away, not what it points at; a link
  // anywhere inside is likewise removed, never followed.
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return runtime::Status::error("removing volume " + name + ": " + ec.message());
  return runtime::Status::ok();
}

orchestrator::ExistingContainer existing_container(const runtime::ContainerRecord& r) {
  auto label = [&](const char* key) {
    auto it = r.labels.find(key);
    return it == r.labels.end() ? std::string() : it->second;
  };
  return {r.name, label(kServiceLabel), std::atoi(label(kNumberLabel).c_str()), label(kConfigHashLabel), one_off(r),
          r.running() || r.runner_alive()};
}

const runtime::ContainerRecord* shared_network_container(const std::vector<runtime::ContainerRecord>& records,
                                                         const std::string& service) {
  const runtime::ContainerRecord* first = nullptr;
  auto number = [](const runtime::ContainerRecord& c) {
    auto n = c.labels.find(kNumberLabel);
    return n == c.labels.end() ? 0 : std::atoi(n->second.c_str());
  };
  for (const runtime::ContainerRecord& c : records) {
    auto label = c.labels.find(kServiceLabel);
    if (one_off(c) || label == c.labels.end() || label->second != service) continue;
    if (!first || number(c) < number(*first)) first = &c;
  }
  return first;
}

std::vector<runtime::ContainerRecord> project_containers(const std::string& project) {
  runtime::ContainerStore store(runtime_paths().containers);
  std::vector<runtime::ContainerRecord> all, out;
  store.list(&all);
  for (auto& r : all) {
    auto it = r.labels.find(kProjectLabel);
    if (it != r.labels.end() && it->second == project) out.push_back(std::move(r));
  }
  return out;
}

runtime::Status select_service_containers(const ProjectRef& ref, std::vector<runtime::ContainerRecord> records,
                                          const std::vector<std::string>& services, bool one_offs,
                                          std::vector<runtime::ContainerRecord>* out) {
  if (ref.project)
    for (const std::string& s : services)
      if (!ref.project->service(s)) return runtime::Status::error("no such service: " + s);
  for (runtime::ContainerRecord& r : records) {
    if (one_off(r) && !one_offs) continue;
    if (!services.empty() && std::find(services.begin(), services.end(), r.labels.at(kServiceLabel)) == services.end())
      continue;
    out->push_back(std::move(r));
  }
  std::sort(out->begin(), out->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return runtime::Status::ok();
}

runtime::Status named_services(const schema::Project& project, const std::vector<std::string>& names,
                               std::vector<const schema::ServiceSpec*>* out) {
  out->clear();
  for (const std::string& name : names) {
    const schema::ServiceSpec* s = project.service(name);
    if (!s) return runtime::Status::error("no such service: " + name);
    out->push_back(s);
  }
  if (names.empty())
    for (const schema::ServiceSpec& s : project.services) out->push_back(&s);
  return runtime::Status::ok();
}

}  // namespace stack::compose
