// `stack up -d`: the project's networks, volumes and containers, in dependency order.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "cmd/commands.h"
#include "cmd/container_networks.h"
#include "cmd/project_containers.h"
#include "orchestrator/dependency_graph.h"
#include "runtime/on_disk.h"
#include "schema/serialize.h"

namespace stack::cmd {
namespace {

struct UpFlags {
  bool detach = false, force_recreate = false;
  std::vector<std::string> services;
};

runtime::Status create_networks(const schema::Project& project) {
  netbridge::NetworkStore store = network_store();
  for (const schema::NetworkSpec& n : project.networks) {
    netbridge::NetworkRecord record;
    if (n.external) {
      if (runtime::Status s = store.find(n.name, &record); !s)
        return runtime::Status::error("external network " + n.name + " does not exist (stack network create " + n.name + ")");
      continue;
    }
    netbridge::NetworkOptions o;
    o.name = n.name;
    o.internal = n.internal;
    o.labels = n.labels;
    o.labels[kProjectLabel] = project.name;
    if (auto mtu = n.driver_opts.find("com.docker.network.driver.mtu"); mtu != n.driver_opts.end()) {
      o.mtu = std::atoi(mtu->second.c_str());
      if (o.mtu < 68 || o.mtu > 65535) return runtime::Status::error("network " + n.key + ": mtu " + mtu->second + " is out of range");
    }
    if (!n.pools.empty()) {
      const auto& pool = n.pools[0];
      if (!pool.subnet.empty() && !(o.subnet = netbridge::Ipv4Subnet::parse(pool.subnet)))
        return runtime::Status::error("network " + n.key + ": subnet " + pool.subnet + " is not an IPv4 subnet");
      if (!pool.gateway.empty() && !(o.gateway = netbridge::Ipv4Address::parse(pool.gateway)))
        return runtime::Status::error("network " + n.key + ": gateway " + pool.gateway + " is not an IPv4 address");
      if (!pool.ip_range.empty() && !(o.ip_range = netbridge::Ipv4Subnet::parse(pool.ip_range)))
        return runtime::Status::error("network " + n.key + ": ip_range " + pool.ip_range + " is not an IPv4 subnet");
    }
    if (runtime::Status s = store.create(o, &record); !s) return s;
  }
  return runtime::Status::ok();
}

// Waits for what `service` depends on to be ready, as its conditions say.
runtime::Status wait_for_dependencies(const schema::Project& project, const schema::ServiceSpec& service) {
  runtime::ContainerStore store(runtime_paths().containers);
  for (const auto& [name, dep] : service.depends_on) {
    if (dep.condition == schema::DependsOnSpec::Condition::Started) continue;
    if (dep.condition == schema::DependsOnSpec::Condition::Healthy)
      return runtime::Status::error("service " + service.name + ": depends_on " + name +
                                    " condition service_healthy is not supported yet (healthchecks come with the shim)");
    const schema::ServiceSpec* d = project.service(name);
    if (!d) continue;
    for (int i = 1; i <= d->replicas; ++i) {
      runtime::ContainerRecord r;
      std::string cname = service_container_name(project, *d, i);
      for (;;) {
        if (!store.find(cname, &r)) break;
        if (r.status == "exited") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (r.status == "exited" && r.exit_code != 0)
        return runtime::Status::error("service " + name + " didn't complete successfully: exit " + std::to_string(r.exit_code));
    }
  }
  return runtime::Status::ok();
}

int up(const GlobalOptions& global, const UpFlags& f) {
  auto fail = [](const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return 1;
  };
  if (!f.detach) return fail("only `up -d` is supported yet: attached mode comes with the stack lifecycle");
  std::optional<ProjectRef> ref = find_project(global, true);
  if (!ref) return 1;
  const schema::Project& project = *ref->project;
  runtime::FileLock lock;
  if (runtime::Status s = runtime::make_directories(stack_root() + "/projects"); !s) return fail(s.message());
  if (runtime::Status s = runtime::FileLock::acquire(stack_root() + "/projects/" + project.name + ".lock", &lock); !s)
    return fail(s.message());
  if (runtime::Status s = create_networks(project); !s) return fail(s.message());
  orchestrator::DependencyGraph graph(project);
  std::vector<orchestrator::GraphNode> order = f.services.empty() ? graph.start_order() : graph.needed_by(f.services);
  runtime::ContainerStore containers(runtime_paths().containers);
  const schema::Node* services_tree = ref->loaded->tree.find("services");
  for (const orchestrator::GraphNode& node : order) {
    if (node.kind != orchestrator::GraphNode::Kind::Service) continue;
    const schema::ServiceSpec* service = project.service(node.name);
    if (!service) continue;
    if (runtime::Status s = wait_for_dependencies(project, *service); !s) return fail(s.message());
    const schema::Node* tree = services_tree ? services_tree->find(service->name) : nullptr;
    std::string hash = tree ? schema::service_config_hash(*tree) : "";
    for (int i = 1; i <= service->replicas; ++i) {
      std::string name = service_container_name(project, *service, i);
      runtime::ContainerRecord existing;
      if (containers.find(name, &existing)) {
        auto label = existing.labels.find(kConfigHashLabel);
        bool same = label != existing.labels.end() && label->second == hash && !f.force_recreate;
        if (same && existing.running()) {
          std::cout << " Container " << name << "  Running\n";
          continue;
        }
        containers.stop(existing, existing.stop_timeout, runtime_paths().cgroup_root);
        runtime::ContainerRecord removed;
        if (runtime::Status s = containers.remove(existing.id, true, &removed); !s) return fail(s.message());
        release_networks(removed);
        if (!same) std::cout << " Container " << name << "  Recreate\n";
      }
      LaunchRequest request;
      if (runtime::Status s = service_launch(project, *service, i, hash, &request); !s) return fail(s.message());
      std::string id;
      if (int rc = launch_container(request, &id); rc != 0)
        return fail("service " + service->name + ": container " + name + " did not start");
      std::cout << " Container " << name << "  Started\n";
    }
  }
  return 0;
}

}  // namespace

void add_up_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto f = std::make_shared<UpFlags>();
  CLI::App* up_cmd = app.add_subcommand("up", "Create and start the project's containers");
  up_cmd->add_flag("-d,--detach", f->detach, "Return once started");
  up_cmd->add_flag("--force-recreate", f->force_recreate, "Recreate containers even if their config is unchanged");
  up_cmd->add_option("services", f->services, "Only these services (and what they need)");
  up_cmd->callback([f, &global, &exit_code] { exit_code = up(global, *f); });
}

}  // namespace stack::cmd
