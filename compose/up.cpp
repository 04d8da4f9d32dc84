// up: the project's networks, volumes and containers, in dependency order; attached, their output until they end.
#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "compose/compose.h"
#include "compose/container_launch.h"
#include "compose/container_networks.h"
#include "compose/container_removal.h"
#include "compose/container_status.h"
#include "compose/crash_points.h"
#include "compose/host.h"
#include "compose/service_builds.h"
#include "compose/service_devices.h"
#include "orchestrator/dependency_graph.h"
#include "orchestrator/planner.h"
#include "schema/serialize.h"

namespace stack::compose {
namespace {

using runtime::Status;

// The images of the services about to start, before anything is made:
// registry images pulled as their pull_policy (or --pull) says; built ones
// built, all with --build, the missing ones otherwise, none with
// --no-build (a missing one is then an error).
Status prepare_images(const schema::Project& project, const std::vector<orchestrator::GraphNode>& order,
                      const UpOptions& o, ImageProgress& progress) {
  std::vector<const schema::ServiceSpec*> services;
  for (const auto& node : order)
    if (const schema::ServiceSpec* s = project.service(node.name); s && node.kind == orchestrator::GraphNode::Kind::Service)
      services.push_back(s);
  ImagePolicy policy;
  policy.pull = o.pull;
  policy.build = o.no_build ? ImagePolicy::Build::None : o.build ? ImagePolicy::Build::All : ImagePolicy::Build::Missing;
  return resolve_service_images(project, services, policy, progress);
}

orchestrator::ObservedContainer observed(const runtime::ContainerStore& store, const runtime::ContainerRecord& r) {
  ContainerStatus st = container_status(store, r);
  return {r.name, r.labels.at(kServiceLabel), st.ended(), st.exit_code, r.healthcheck.has_value(), st.health};
}

int replicas_of(const UpOptions& o, const schema::ServiceSpec& s) {
  auto it = o.scale.find(s.name);
  return it == o.scale.end() ? s.replicas : it->second;
}

// The executor's machine: containers made from the project's services
// through the real runtime; one of them removed at `timeout`.
class ProjectRuntime : public orchestrator::ServiceRuntime {
 public:
  ProjectRuntime(const schema::Project& project, std::map<std::string, runtime::ContainerRecord> records,
                 std::map<std::string, std::vector<devices::Gpu>> gpus, std::optional<int> timeout)
      : project_(project), records_(std::move(records)), gpus_(std::move(gpus)), timeout_(timeout),
        store_(runtime_paths().containers) {
    for (const auto& n : project.networks) networks_.push_back(n.name);
  }

  Status remove(const std::string& name) override {
    auto it = records_.find(name);
    if (it == records_.end()) return Status::error("no such container");
    return stop_and_remove_container(it->second, timeout_, gpus_.count(name) > 0);
  }

  Status start(const std::string& name) override {
    if (start_container(name, false, false) != 0) return Status::error("see its error above");
    return Status::ok();
  }

  Status create(const std::vector<orchestrator::CreateRequest>& batch, std::vector<Status>* results) override {
    std::vector<LaunchRequest> requests;
    for (const orchestrator::CreateRequest& c : batch) {
      LaunchRequest request;
      if (Status s = service_launch(project_, *project_.service(c.service), c.number, c.config_hash, &request, "", gpus_[c.name]); !s)
        return s;
      request.tell_peers = false;  // once for the whole batch, below
      requests.push_back(std::move(request));
    }
    std::vector<int> codes = launch_containers(requests);
    crash_point("containers-launched");
    refresh_hosts_on(networks_);
    crash_point("hosts-written");
    hosts_refreshed_ = true;
    for (int code : codes) results->push_back(code == 0 ? Status::ok() : Status::error("its error is above"));
    return Status::ok();
  }

  Status observe(const std::string& name, orchestrator::ObservedContainer* out) override {
    runtime::ContainerRecord r;
    if (Status s = store_.find(name, &r); !s) return s;
    *out = observed(store_, r);
    return Status::ok();
  }

  void pause() override { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }

  // Whether a batch was created, and every container on the project's
  // networks had its /etc/hosts rewritten then.
  bool hosts_refreshed() const { return hosts_refreshed_; }
  const std::vector<std::string>& networks() const { return networks_; }

 private:
  const schema::Project& project_;
  std::map<std::string, runtime::ContainerRecord> records_;
  std::map<std::string, std::vector<devices::Gpu>> gpus_;  // reserved, by container
  std::optional<int> timeout_;
  runtime::ContainerStore store_;
  std::vector<std::string> networks_;
  bool hosts_refreshed_ = false;
};

// The services others wait on with service_completed_successfully.
std::set<std::string> completed_dependencies(const schema::Project& project) {
  std::set<std::string> out;
  for (const auto& s : project.services)
    for (const auto& [name, dep] : s.depends_on)
      if (dep.condition == schema::DependsOnSpec::Condition::CompletedSuccessfully) out.insert(name);
  return out;
}

// Attached `up`: every container's output, prefixed, until they have all
// ended, or one has with abort_on_exit, or the user interrupts (which
// stops the stack; a second interrupt hurries it). Returns `up`'s exit status.
int follow_attached(const ProjectRef& ref, const std::vector<std::pair<std::string, std::string>>& containers,
                    const UpOptions& o, Listener& listener) {
  const schema::Project& project = *ref.project;
  runtime::ContainerStore store(runtime_paths().containers);
  o.catch_interrupts();
  listener.attach(containers);
  bool abort = o.abort_on_exit || !o.exit_code_from.empty();
  // A one-shot that others wait to complete is meant to end: it stops nothing.
  std::set<std::string> one_shots = completed_dependencies(project);
  std::string stopped_by;  // the container whose end stopped the rest
  for (;;) {
    listener.print_attached();
    reap_ended_shims();
    if (o.interrupts() > 0) break;
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
    if (o.interrupts() > 0) listener.say("Gracefully stopping... (press Ctrl+C again to force)");
    else if (!stopped_by.empty()) listener.say("Aborting on container exit...");
    auto begin = std::chrono::steady_clock::now();
    stop_in_order(ref, &running, o.timeout, [&o] { return o.interrupts() > 1; });
    for (const runtime::ContainerRecord& r : running) listener.step_since("Container " + r.name, "Stopped", true, begin);
    listener.steps_done();
  }
  listener.print_attached();
  int rc = 0;
  if (!o.exit_code_from.empty()) {
    const schema::ServiceSpec* s = project.service(o.exit_code_from);
    runtime::ContainerRecord r;
    if (s && store.find(service_container_name(project, *s, 1), &r)) rc = r.exit_code;
  } else if (!stopped_by.empty()) {
    runtime::ContainerRecord r;
    if (store.find(stopped_by, &r)) rc = r.exit_code;
  }
  if (o.interrupts() > 0) rc = 130;
  return rc;
}

// Removes the containers of services the files no longer have, or says
// they are there.
void handle_orphans(const schema::Project& project, bool remove, Listener& listener) {
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
    listener.warning("found orphan containers (" + list + ") for this project. If you removed or renamed this " +
                     "service in your stack file, you can run this command with --remove-orphans to clean it up.");
    return;
  }
  for (const runtime::ContainerRecord& r : records) {
    if (!std::count(orphans.begin(), orphans.end(), r.name)) continue;
    listener.step("Container " + r.name, "Removing", false);
    listener.step("Container " + r.name, stop_and_remove_container(r, std::nullopt) ? "Removed" : "Error", true);
  }
}

// What the options ask that cannot be, before anything is looked at.
Status check_up_options(const schema::Project& project, const UpOptions& o) {
  for (const auto& [name, n] : o.scale)
    if (!project.service(name)) return Status::error("--scale " + name + "=" + std::to_string(n) + ": no such service: " + name);
  for (const std::string& name : o.services)
    if (!project.service(name)) return Status::error("no such service: " + name);
  if (!o.exit_code_from.empty() && !project.service(o.exit_code_from))
    return Status::error("--exit-code-from " + o.exit_code_from + ": no such service");
  if (o.detach && (o.abort_on_exit || !o.exit_code_from.empty()))
    return Status::error("--abort-on-container-exit and --exit-code-from need attached mode (without -d)");
  if (o.force_recreate && o.no_recreate) return Status::error("--force-recreate and --no-recreate are incompatible");
  if (o.build && o.no_build) return Status::error("--build and --no-build are incompatible");
  return Status::ok();
}

}  // namespace

Status Compose::up(const ProjectRef& ref, const UpOptions& o, int* exit_code) {
  *exit_code = 1;
  const schema::Project& project = *ref.project;
  if (Status s = check_up_options(project, o); !s) return s;
  runtime::FileLock lock;
  if (Status s = lock_project(project.name, &lock); !s) return s;
  // Before the plan reads what exists: a container a killed `up` left
  // half-made is removed here, to be created again below, not started.
  {
    runtime::ContainerStore store(runtime_paths().containers);
    reclaim_containers(store, false);
  }
  handle_orphans(project, o.remove_orphans, listener_);
  orchestrator::DependencyGraph graph(project);
  std::vector<orchestrator::GraphNode> order;
  if (o.services.empty()) order = graph.start_order();
  else if (o.no_deps)
    for (const auto& n : graph.start_order())
      if (n.kind == orchestrator::GraphNode::Kind::Service && std::count(o.services.begin(), o.services.end(), n.name))
        order.push_back(n);
  if (!o.services.empty() && !o.no_deps) order = graph.needed_by(o.services);
  if (Status s = prepare_images(project, order, o, listener_); !s) return s;
  // What is there before this `up` touches anything; only this `up` (it holds the lock) changes it.
  std::map<std::string, runtime::ContainerRecord> records;
  for (runtime::ContainerRecord& r : project_containers(project.name)) records.emplace(r.name, std::move(r));
  std::vector<orchestrator::ExistingContainer> existing;
  for (const auto& [name, r] : records) existing.push_back(existing_container(r));
  const schema::Node* services_tree = ref.loaded->tree.find("services");
  std::vector<orchestrator::DesiredService> wanted;
  std::vector<std::pair<std::string, std::string>> attached;  // container name, log label
  for (const auto& node : order) {
    const schema::ServiceSpec* service = project.service(node.name);
    if (node.kind != orchestrator::GraphNode::Kind::Service || !service) continue;
    const schema::Node* tree = services_tree ? services_tree->find(service->name) : nullptr;
    orchestrator::DesiredService desired{service->name, replicas_of(o, *service), tree ? schema::service_config_hash(*tree) : "", {}};
    // A rebuilt image recreates the containers of its service, as Compose does.
    runtime::Image built;
    if (service->build_context && runtime::ImageStore(images_root()).find(service_image(project, *service), &built))
      desired.config_hash += "+" + built.id();
    for (int i = 1; i <= desired.replicas; ++i) {
      std::string name = service_container_name(project, *service, i);
      desired.container_names.push_back(name);
      attached.emplace_back(name, service->container_name.empty() ? service->name + "-" + std::to_string(i) : name);
    }
    wanted.push_back(std::move(desired));
  }
  // GPUs first: a request that cannot be met fails `up` before anything is made.
  std::vector<PlannedContainer> planned;
  for (const orchestrator::DesiredService& d : wanted)
    for (const std::string& name : d.container_names) planned.push_back({name, project.service(d.name)});
  std::map<std::string, std::vector<devices::Gpu>> gpus;
  if (Status s = reserve_gpus(project.name, planned, &gpus); !s) return s;
  auto networks_begin = std::chrono::steady_clock::now();
  if (Status s = create_project_networks(project); !s) {
    release_gpus_of_missing(planned);
    return s;
  }
  crash_point("networks-created");
  spdlog::debug("networks ready in {:.1f} ms",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - networks_begin).count());
  ProjectRuntime machine(project, std::move(records), std::move(gpus), o.timeout);
  orchestrator::Executor executor(machine, listener_);
  if (Status s = executor.up(project, wanted, existing, {o.force_recreate, o.no_recreate}); !s) {
    release_gpus_of_missing(planned);
    return s;
  }
  // Nothing created: a killed `up` may have left its containers running
  // before it told them of each other.
  if (!machine.hosts_refreshed()) refresh_hosts_on(machine.networks());
  lock = {};  // what follows only watches: other commands (stop, logs) may run meanwhile
  if (!o.detach) {
    listener_.steps_done();
    *exit_code = follow_attached(ref, attached, o, listener_);
    return Status::ok();
  }
  if (o.wait) {
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (o.wait_timeout && *o.wait_timeout > 0) deadline = std::chrono::steady_clock::now() + std::chrono::seconds(*o.wait_timeout);
    // One-shot services that others wait to complete may have ended; the rest must run, healthy where checked.
    if (Status s = executor.wait_until_ready(project, completed_dependencies(project), deadline); !s) return s;
  }
  *exit_code = 0;
  return Status::ok();
}

}  // namespace stack::compose
