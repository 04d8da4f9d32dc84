// `stack up`: the project's networks, volumes and containers, in dependency order; attached, their output until they end.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "cmd/commands.h"
#include "cmd/container_networks.h"
#include "cmd/container_status.h"
#include "cmd/project_containers.h"
#include "cmd/progress_display.h"
#include "cmd/project_logs.h"
#include "orchestrator/dependency_graph.h"
#include "orchestrator/planner.h"
#include "runtime/on_disk.h"
#include "schema/serialize.h"

namespace stack::cmd {
namespace {

struct UpFlags {
  bool detach = false, wait = false, no_deps = false, force_recreate = false, no_recreate = false,
       remove_orphans = false, abort_on_exit = false;
  int wait_timeout = 0;
  std::string exit_code_from;
  std::vector<std::string> scale, services;
  std::optional<int> timeout;
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

bool on_terminal() { return ::isatty(STDOUT_FILENO); }

orchestrator::ObservedContainer observed(const runtime::ContainerStore& store, const runtime::ContainerRecord& r) {
  ContainerStatus st = container_status(store, r);
  return {r.name, r.labels.at(kServiceLabel), st.state == "exited" || st.state == "dead", st.exit_code,
          r.healthcheck.has_value(), st.health};
}

// Waits until `condition` holds for every replica of `service`; an error
// names what failed. `deadline` (if set) bounds the wait.
runtime::Status wait_for(const schema::Project& project, const schema::ServiceSpec& service, int replicas,
                         schema::DependsOnSpec::Condition condition,
                         std::optional<std::chrono::steady_clock::time_point> deadline) {
  runtime::ContainerStore store(runtime_paths().containers);
  for (int i = 1; i <= replicas; ++i) {
    std::string name = service_container_name(project, service, i);
    for (;;) {
      runtime::ContainerRecord r;
      if (runtime::Status s = store.find(name, &r); !s) return s;
      std::string why;
      orchestrator::Readiness ready = orchestrator::readiness(observed(store, r), condition, &why);
      if (ready == orchestrator::Readiness::Ready) break;
      if (ready == orchestrator::Readiness::Failed) return runtime::Status::error(why);
      if (deadline && std::chrono::steady_clock::now() > *deadline)
        return runtime::Status::error("container " + name + " is not ready in time");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return runtime::Status::ok();
}

struct Scale {
  std::map<std::string, int> replicas;
  int of(const schema::ServiceSpec& s) const {
    auto it = replicas.find(s.name);
    return it == replicas.end() ? s.replicas : it->second;
  }
};

// Waits for what `service` depends on to be ready, as its conditions say.
runtime::Status wait_for_dependencies(const schema::Project& project, const schema::ServiceSpec& service, const Scale& scale,
                                      const std::set<std::string>& started, ProgressDisplay& display) {
  for (const auto& [name, dep] : service.depends_on) {
    const schema::ServiceSpec* d = project.service(name);
    if (!d || !started.count(name)) continue;  // not in this `up` (--no-deps, or a profile not enabled)
    auto begin = std::chrono::steady_clock::now();
    using Condition = schema::DependsOnSpec::Condition;
    if (dep.condition != Condition::Started)
      for (int i = 1; i <= scale.of(*d); ++i) display.update("Container " + service_container_name(project, *d, i), "Waiting", false, begin);
    runtime::Status s = wait_for(project, *d, scale.of(*d), dep.condition, std::nullopt);
    if (dep.condition != Condition::Started)
      for (int i = 1; i <= scale.of(*d); ++i)
        display.update("Container " + service_container_name(project, *d, i),
                       !s ? "Error" : dep.condition == Condition::Healthy ? "Healthy" : "Exited", true);
    if (!s && !dep.required) {
      std::cerr << "warning: service " << service.name << ": optional dependency " << name << ": " << s.message() << "\n";
      continue;
    }
    if (!s) return runtime::Status::error("dependency failed to start: " + s.message());
  }
  return runtime::Status::ok();
}

// The services others wait on with service_completed_successfully.
std::set<std::string> completed_dependencies(const schema::Project& project) {
  std::set<std::string> out;
  for (const auto& s : project.services)
    for (const auto& [name, dep] : s.depends_on)
      if (dep.condition == schema::DependsOnSpec::Condition::CompletedSuccessfully) out.insert(name);
  return out;
}

std::atomic<int> g_interrupts{0};
extern "C" void count_interrupt(int) { g_interrupts.fetch_add(1); }

// Attached `up`: every container's output, prefixed, until they have all
// ended, or one has with --abort-on-container-exit, or Ctrl-C (which stops
// the stack; a second one kills it). Returns `up`'s exit status.
int follow_attached(const ProjectRef& ref, const std::vector<std::pair<std::string, std::string>>& containers,
                    const UpFlags& f) {
  const schema::Project& project = *ref.project;
  struct sigaction sa {};
  sa.sa_handler = count_interrupt;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  runtime::ContainerStore store(runtime_paths().containers);
  LogView view;
  view.color = on_terminal();
  ProjectLogs logs(store, view);
  for (const auto& [name, label] : containers) logs.add(name, label);
  bool abort = f.abort_on_exit || !f.exit_code_from.empty();
  // A one-shot that others wait to complete is meant to end: it stops nothing.
  std::set<std::string> one_shots = completed_dependencies(project);
  std::string stopped_by;  // the container whose end stopped the rest
  int rc = 0;
  for (;;) {
    logs.print_new();
    if (g_interrupts.load() > 0) break;
    size_t ended = 0;
    for (const auto& [name, label] : containers) {
      runtime::ContainerRecord r;
      if (!store.find(name, &r) || (!r.running() && !r.runner_alive())) {
        ++ended;
        if (abort && stopped_by.empty() && !one_shots.count(r.labels[kServiceLabel])) stopped_by = name;
      }
    }
    if (ended == containers.size() || !stopped_by.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<runtime::ContainerRecord> running;
  for (const runtime::ContainerRecord& r : project_containers(project.name))
    if (r.running() || r.runner_alive()) running.push_back(r);
  if (!running.empty()) {
    if (g_interrupts.load() > 0) std::cout << "Gracefully stopping... (press Ctrl+C again to force)" << std::endl;
    else if (!stopped_by.empty()) std::cout << "Aborting on container exit..." << std::endl;
    auto begin = std::chrono::steady_clock::now();
    stop_in_order(ref, &running, f.timeout, [] { return g_interrupts.load() > 1; });
    ProgressDisplay display(std::cout, on_terminal());
    for (const runtime::ContainerRecord& r : running) display.update("Container " + r.name, "Stopped", true, begin);
  }
  logs.print_new();
  if (!f.exit_code_from.empty()) {
    const schema::ServiceSpec* s = project.service(f.exit_code_from);
    runtime::ContainerRecord r;
    if (s && store.find(service_container_name(project, *s, 1), &r)) rc = r.exit_code;
  } else if (!stopped_by.empty()) {
    runtime::ContainerRecord r;
    if (store.find(stopped_by, &r)) rc = r.exit_code;
  }
  if (g_interrupts.load() > 0) rc = 130;
  return rc;
}

// Removes the containers of services the files no longer have, or says
// they are there.
// Stops and removes a container of the project and lets go of its networks.
runtime::Status remove_container(const runtime::ContainerRecord& r, std::optional<int> timeout) {
  runtime::ContainerStore store(runtime_paths().containers);
  store.stop(r, timeout.value_or(r.stop_timeout), runtime_paths().cgroup_root);
  runtime::ContainerRecord removed;
  if (runtime::Status s = store.remove(r.id, true, &removed); !s) return s;
  release_networks(removed);
  return runtime::Status::ok();
}

void handle_orphans(const schema::Project& project, bool remove, ProgressDisplay& display) {
  std::set<std::string> services;
  for (const schema::ServiceSpec& s : project.services) services.insert(s.name);
  std::vector<runtime::ContainerRecord> records = project_containers(project.name);
  std::vector<orchestrator::ExistingContainer> existing;
  for (const runtime::ContainerRecord& r : records) existing.push_back(existing_container(r));
  std::vector<std::string> orphans = orchestrator::find_orphans(services, existing);
  if (orphans.empty()) return;
  if (!remove) {
    std::string list;
    for (const auto& o : orphans) list += (list.empty() ? "" : ", ") + o;
    std::cerr << "warning: found orphan containers (" << list << ") for this project. If you removed or renamed this "
              << "service in your stack file, you can run this command with --remove-orphans to clean it up.\n";
    return;
  }
  for (const runtime::ContainerRecord& r : records) {
    if (!std::count(orphans.begin(), orphans.end(), r.name)) continue;
    auto begin = std::chrono::steady_clock::now();
    display.update("Container " + r.name, "Removing", false, begin);
    display.update("Container " + r.name, remove_container(r, std::nullopt) ? "Removed" : "Error", true);
  }
}

int up(const GlobalOptions& global, const UpFlags& f) {
  ProgressDisplay display(std::cout, on_terminal());
  auto fail = [&display](const std::string& message) {
    display.finish();  // the error goes below the rows
    std::cerr << "error: " << message << "\n";
    return 1;
  };
  std::optional<ProjectRef> ref = find_project(global, true);
  if (!ref) return 1;
  const schema::Project& project = *ref->project;
  Scale scale;
  for (const std::string& s : f.scale) {
    size_t eq = s.find('=');
    std::string name = s.substr(0, eq);
    char* end = nullptr;
    long n = eq == std::string::npos ? -1 : std::strtol(s.c_str() + eq + 1, &end, 10);
    if (n < 0 || *end != '\0' || eq + 1 == s.size()) return fail("--scale " + s + ": expected SERVICE=NUMBER");
    if (!project.service(name)) return fail("--scale " + s + ": no such service: " + name);
    scale.replicas[name] = static_cast<int>(n);
  }
  for (const std::string& name : f.services)
    if (!project.service(name)) return fail("no such service: " + name);
  if (!f.exit_code_from.empty() && !project.service(f.exit_code_from))
    return fail("--exit-code-from " + f.exit_code_from + ": no such service");
  if (f.detach && (f.abort_on_exit || !f.exit_code_from.empty()))
    return fail("--abort-on-container-exit and --exit-code-from need attached mode (without -d)");
  if (f.force_recreate && f.no_recreate) return fail("--force-recreate and --no-recreate are incompatible");
  runtime::FileLock lock;
  if (runtime::Status s = lock_project(project.name, &lock); !s) return fail(s.message());
  handle_orphans(project, f.remove_orphans, display);
  auto networks_begin = std::chrono::steady_clock::now();
  if (runtime::Status s = create_networks(project); !s) return fail(s.message());
  spdlog::debug("networks ready in {:.1f} ms",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - networks_begin).count());
  orchestrator::DependencyGraph graph(project);
  std::vector<orchestrator::GraphNode> order;
  if (f.services.empty()) order = graph.start_order();
  else if (f.no_deps)
    for (const auto& n : graph.start_order())
      if (n.kind == orchestrator::GraphNode::Kind::Service && std::count(f.services.begin(), f.services.end(), n.name))
        order.push_back(n);
  if (!f.services.empty() && !f.no_deps) order = graph.needed_by(f.services);
  // What is there before this `up` touches anything; only this `up` (it holds the lock) changes it.
  std::map<std::string, runtime::ContainerRecord> records;
  for (runtime::ContainerRecord& r : project_containers(project.name)) records.emplace(r.name, std::move(r));
  std::vector<orchestrator::ExistingContainer> existing;
  for (const auto& [name, r] : records) existing.push_back(existing_container(r));
  orchestrator::PlanOptions plan_options{f.force_recreate, f.no_recreate};
  const schema::Node* services_tree = ref->loaded->tree.find("services");
  std::set<std::string> started;
  std::vector<std::pair<std::string, std::string>> attached;  // container name, log label
  // Level by level: a level's services depend only on earlier levels, so
  // once their dependencies are ready its containers start in parallel.
  std::set<std::string> wanted;
  for (const auto& node : order)
    if (node.kind == orchestrator::GraphNode::Kind::Service) wanted.insert(node.name);
  std::vector<std::string> project_network_names;
  for (const auto& n : project.networks) project_network_names.push_back(n.name);
  for (const auto& level : graph.start_levels()) {
    std::vector<LaunchRequest> batch;
    std::vector<std::string> batch_services;
    std::vector<std::string> level_services;
    auto begin = std::chrono::steady_clock::now();
    for (const orchestrator::GraphNode& node : level) {
      if (node.kind != orchestrator::GraphNode::Kind::Service || !wanted.count(node.name)) continue;
      const schema::ServiceSpec* service = project.service(node.name);
      if (!service) continue;
      if (runtime::Status s = wait_for_dependencies(project, *service, scale, started, display); !s) return fail(s.message());
      level_services.push_back(service->name);
      const schema::Node* tree = services_tree ? services_tree->find(service->name) : nullptr;
      orchestrator::DesiredService desired{service->name, scale.of(*service), tree ? schema::service_config_hash(*tree) : "", {}};
      for (int i = 1; i <= desired.replicas; ++i) desired.container_names.push_back(service_container_name(project, *service, i));
      for (const orchestrator::ContainerStep& step : orchestrator::plan_service(desired, existing, plan_options)) {
        using Action = orchestrator::ContainerStep::Action;
        if (step.action != Action::Remove)
          attached.emplace_back(step.name, service->container_name.empty() ? service->name + "-" + std::to_string(step.number) : step.name);
        auto record = records.find(step.name);
        switch (step.action) {
          case Action::Keep:
            display.update("Container " + step.name, "Running", true, begin);
            continue;
          case Action::Start:
            display.update("Container " + step.name, "Starting", false, begin);
            if (start_container(step.name, false, false) != 0) {
              display.update("Container " + step.name, "Error", true);
              return fail("service " + service->name + ": container " + step.name + " did not start");
            }
            display.update("Container " + step.name, "Started", true);
            continue;
          case Action::Remove:
          case Action::Recreate:
            display.update("Container " + step.name, step.action == Action::Remove ? "Removing" : "Recreate", false, begin);
            if (runtime::Status s = remove_container(record->second, f.timeout); !s) {
              display.update("Container " + step.name, "Error", true);
              return fail(s.message());
            }
            display.update("Container " + step.name, step.action == Action::Remove ? "Removed" : "Recreated", true);
            if (step.action == Action::Remove) continue;
            break;
          case Action::Create:
            break;
        }
        LaunchRequest request;
        if (runtime::Status s = service_launch(project, *service, step.number, desired.config_hash, &request); !s) return fail(s.message());
        request.tell_peers = false;  // once for the whole level, below
        batch.push_back(std::move(request));
        batch_services.push_back(service->name);
      }
    }
    auto launching = std::chrono::steady_clock::now();
    for (const LaunchRequest& request : batch) display.update("Container " + request.name, "Starting", false, launching);
    std::vector<int> results = launch_containers(batch);
    if (!batch.empty()) refresh_hosts_on(project_network_names);
    if (!level_services.empty())
      spdlog::debug("level of {}{}: {} container(s) launched in {:.1f} ms (dependencies waited for: {:.1f} ms)",
                  level_services.front(), level_services.size() > 1 ? ", ..." : "", batch.size(), std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - launching).count(),
                  std::chrono::duration<double, std::milli>(launching - begin).count());
    int failed = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (results[i] != 0) {
        display.update("Container " + batch[i].name, "Error", true);
        display.finish();
        std::cerr << "error: service " << batch_services[i] << ": container " << batch[i].name << " did not start\n";
        ++failed;
        continue;
      }
      display.update("Container " + batch[i].name, "Started", true);
    }
    if (failed) return 1;
    started.insert(level_services.begin(), level_services.end());
  }
  lock = {};  // what follows only watches: other commands (stop, logs) may run meanwhile
  if (!f.detach) {
    display.finish();
    return follow_attached(*ref, attached, f);
  }
  if (!f.wait) return 0;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (f.wait_timeout > 0) deadline = std::chrono::steady_clock::now() + std::chrono::seconds(f.wait_timeout);
  // One-shot services that others wait to complete may have ended; the rest must run, healthy where checked.
  std::set<std::string> one_shots = completed_dependencies(project);
  using Condition = schema::DependsOnSpec::Condition;
  std::map<std::string, Condition> awaited;
  auto waiting_since = std::chrono::steady_clock::now();
  for (const std::string& name : started) {
    const schema::ServiceSpec* service = project.service(name);
    awaited[name] = one_shots.count(name) ? Condition::CompletedSuccessfully
                    : service->healthcheck && !service->healthcheck->disabled ? Condition::Healthy
                                                                              : Condition::Started;
    for (int i = 1; i <= scale.of(*service); ++i)
      display.update("Container " + service_container_name(project, *service, i), "Waiting", false, waiting_since);
  }
  for (const auto& [name, condition] : awaited) {
    const schema::ServiceSpec* service = project.service(name);
    runtime::Status s = wait_for(project, *service, scale.of(*service), condition, deadline);
    for (int i = 1; i <= scale.of(*service); ++i)
      display.update("Container " + service_container_name(project, *service, i),
                     !s ? "Error" : condition == Condition::Healthy ? "Healthy" : condition == Condition::Started ? "Running" : "Exited",
                     true);
    if (!s) return fail("service " + name + ": " + s.message());
  }
  return 0;
}

}  // namespace

int up_detached(const GlobalOptions& global, const std::vector<std::string>& services) {
  UpFlags f;
  f.detach = true;
  f.services = services;
  return up(global, f);
}

void add_up_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto f = std::make_shared<UpFlags>();
  CLI::App* up_cmd = app.add_subcommand("up", "Create and start the project's containers");
  up_cmd->add_flag("-d,--detach", f->detach, "Return once started");
  up_cmd->add_flag("--wait", f->wait, "With -d: return once services run and are healthy; fail naming one that is not");
  up_cmd->add_option("--wait-timeout", f->wait_timeout, "Seconds --wait waits at most (default: no limit)");
  up_cmd->add_flag("--no-deps", f->no_deps, "Not the services the named ones depend on");
  up_cmd->add_flag("--force-recreate", f->force_recreate, "Recreate containers even if their config is unchanged");
  up_cmd->add_flag("--no-recreate", f->no_recreate, "Leave existing containers as they are, even if changed");
  up_cmd->add_flag("--remove-orphans", f->remove_orphans, "Remove containers of services no longer in the files");
  up_cmd->add_flag("--abort-on-container-exit", f->abort_on_exit, "Stop everything once one container ends");
  up_cmd->add_option("--exit-code-from", f->exit_code_from, "Exit with this service's code (implies --abort-on-container-exit)");
  up_cmd->add_option("--scale", f->scale, "SERVICE=NUMBER of replicas, over the files' scale")->allow_extra_args(false);
  up_cmd->add_option("-t,--timeout", f->timeout, "Seconds to wait for containers to stop (recreate, scale down, Ctrl-C)");
  up_cmd->add_option("services", f->services, "Only these services (and what they need)");
  up_cmd->callback([f, &global, &exit_code] {
    if (f->wait) f->detach = true;
    exit_code = up(global, *f);
  });
}

}  // namespace stack::cmd
