// up: the project's networks, volumes and containers, in dependency order; attached, their output until they end.
#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "compose/compose.h"
#include "compose/machine.h"
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
Status prepare_images(Machine& machine, const schema::Project& project, const std::vector<orchestrator::GraphNode>& order,
                      const UpOptions& o, ImageProgress& progress) {
  std::vector<const schema::ServiceSpec*> services;
  for (const auto& node : order)
    if (const schema::ServiceSpec* s = project.service(node.name); s && node.kind == orchestrator::GraphNode::Kind::Service)
      services.push_back(s);
  ImagePolicy policy;
  policy.pull = o.pull;
  policy.build = o.no_build ? ImagePolicy::Build::None : o.build ? ImagePolicy::Build::All : ImagePolicy::Build::Missing;
  return machine.resolve_images(project, services, policy, progress);
}

int replicas_of(const UpOptions& o, const schema::ServiceSpec& s) {
  auto it = o.scale.find(s.name);
  return it == o.scale.end() ? s.replicas : it->second;
}

// The executor's machine: containers made from the project's services on
// `machine`; one of them removed at `timeout`.
class ProjectRuntime : public orchestrator::ServiceRuntime {
 public:
  ProjectRuntime(Machine& machine, const schema::Project& project, std::map<std::string, runtime::ContainerRecord> records,
                 std::map<std::string, std::vector<devices::Gpu>> gpus, std::optional<int> timeout)
      : machine_(machine), project_(project), records_(std::move(records)), gpus_(std::move(gpus)), timeout_(timeout) {
    for (const auto& n : project.networks) networks_.push_back(n.name);
  }

  Status remove(const std::string& name) override {
    auto it = records_.find(name);
    if (it == records_.end()) return Status::error("no such container");
    return machine_.remove(it->second, timeout_, gpus_.count(name) > 0);
  }

  Status start(const std::string& name) override { return machine_.start(name); }

  Status create(const std::vector<orchestrator::CreateRequest>& batch, std::vector<Status>* results) override {
    std::vector<Machine::Launch> launches;
    for (const orchestrator::CreateRequest& c : batch)
      launches.push_back({project_.service(c.service), c.number, c.name, c.config_hash, gpus_[c.name]});
    if (Status s = machine_.launch(project_, launches, results); !s) return s;
    machine_.refresh_hosts(networks_);  // once for the whole batch
    hosts_refreshed_ = true;
    return Status::ok();
  }

  Status observe(const std::string& name, orchestrator::ObservedContainer* out) override {
    return machine_.observe(name, out);
  }

  void pause() override { machine_.pause(std::chrono::milliseconds(20)); }

  // Whether a batch was created, and every container on the project's
  // networks had its /etc/hosts rewritten then.
  bool hosts_refreshed() const { return hosts_refreshed_; }
  const std::vector<std::string>& networks() const { return networks_; }

 private:
  Machine& machine_;
  const schema::Project& project_;
  std::map<std::string, runtime::ContainerRecord> records_;
  std::map<std::string, std::vector<devices::Gpu>> gpus_;  // reserved, by container
  std::optional<int> timeout_;
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
int follow_attached(Machine& machine, const ProjectRef& ref, const std::vector<std::pair<std::string, std::string>>& containers,
                    const UpOptions& o, Listener& listener) {
  const schema::Project& project = *ref.project;
  o.catch_interrupts();
  listener.attach(containers);
  bool abort = o.abort_on_exit || !o.exit_code_from.empty();
  // A one-shot that others wait to complete is meant to end: it stops nothing.
  std::set<std::string> one_shots = completed_dependencies(project);
  std::string stopped_by;  // the container whose end stopped the rest
  for (;;) {
    listener.print_attached();
    machine.reap_shims();
    if (o.interrupts() > 0) break;
    size_t ended = 0;
    for (const auto& [name, label] : containers) {
      std::optional<runtime::ContainerRecord> r = machine.find(name);
      if (!r || (!r->running() && !r->runner_alive())) {
        ++ended;
        if (abort && stopped_by.empty() && !(r && one_shots.count(r->labels[kServiceLabel]))) stopped_by = name;
      }
    }
    if (ended == containers.size() || !stopped_by.empty()) break;
    machine.pause(std::chrono::milliseconds(50));
  }
  std::vector<runtime::ContainerRecord> running;
  for (const runtime::ContainerRecord& r : machine.containers(project.name))
    if (r.running() || r.runner_alive()) running.push_back(r);
  if (!running.empty()) {
    if (o.interrupts() > 0) listener.say("Gracefully stopping... (press Ctrl+C again to force)");
    else if (!stopped_by.empty()) listener.say("Aborting on container exit...");
    auto begin = std::chrono::steady_clock::now();
    machine.stop(ref, &running, o.timeout, [&o] { return o.interrupts() > 1; });
    for (const runtime::ContainerRecord& r : running) listener.step_since("Container " + r.name, "Stopped", true, begin);
    listener.steps_done();
  }
  listener.print_attached();
  int rc = 0;
  if (!o.exit_code_from.empty()) {
    const schema::ServiceSpec* s = project.service(o.exit_code_from);
    if (s)
      if (auto r = machine.find(service_container_name(project, *s, 1))) rc = r->exit_code;
  } else if (!stopped_by.empty()) {
    if (auto r = machine.find(stopped_by)) rc = r->exit_code;
  }
  if (o.interrupts() > 0) rc = 130;
  return rc;
}

// Removes the containers of services the files no longer have, or says
// they are there.
void handle_orphans(Machine& machine, const schema::Project& project, bool remove, Listener& listener) {
  std::set<std::string> services;
  for (const schema::ServiceSpec& s : project.services) services.insert(s.name);
  std::vector<runtime::ContainerRecord> records = machine.containers(project.name);
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
    listener.step("Container " + r.name, machine.remove(r, std::nullopt, false) ? "Removed" : "Error", true);
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

std::string Compose::config_hash(const ProjectRef& ref, const schema::ServiceSpec& service) {
  const schema::Node* services = ref.loaded->tree.find("services");
  const schema::Node* tree = services ? services->find(service.name) : nullptr;
  std::string hash = tree ? schema::service_config_hash(*tree) : "";
  if (std::optional<std::string> built = machine_.built_image_id(*ref.project, service)) hash += "+" + *built;
  if (service.network_mode.rfind("service:", 0) == 0) {
    std::vector<runtime::ContainerRecord> records = machine_.containers(ref.project->name);
    if (const runtime::ContainerRecord* shared = shared_network_container(records, service.network_mode.substr(8)))
      hash += kSharedNetworkHashPart + shared->id;
  }
  return hash;
}

Status Compose::up(const ProjectRef& ref, const UpOptions& o, int* exit_code) {
  *exit_code = 1;
  const schema::Project& project = *ref.project;
  if (Status s = check_up_options(project, o); !s) return s;
  runtime::FileLock lock;
  if (Status s = machine_.lock_project(project.name, &lock); !s) return s;
  // Before the plan reads what exists: a container a killed `up` left
  // half-made is removed here, to be created again below, not started.
  machine_.reclaim();
  handle_orphans(machine_, project, o.remove_orphans, listener_);
  orchestrator::DependencyGraph graph(project);
  std::vector<orchestrator::GraphNode> order;
  if (o.services.empty()) order = graph.start_order();
  else if (o.no_deps)
    for (const auto& n : graph.start_order())
      if (n.kind == orchestrator::GraphNode::Kind::Service && std::count(o.services.begin(), o.services.end(), n.name))
        order.push_back(n);
  if (!o.services.empty() && !o.no_deps) order = graph.needed_by(o.services);
  if (Status s = prepare_images(machine_, project, order, o, listener_); !s) return s;
  // What is there before this `up` touches anything; only this `up` (it holds the lock) changes it.
  std::map<std::string, runtime::ContainerRecord> records;
  for (runtime::ContainerRecord& r : machine_.containers(project.name)) records.emplace(r.name, std::move(r));
  std::vector<orchestrator::ExistingContainer> existing;
  for (const auto& [name, r] : records) existing.push_back(existing_container(r));
  std::vector<orchestrator::DesiredService> wanted;
  std::vector<std::pair<std::string, std::string>> attached;  // container name, log label
  for (const auto& node : order) {
    const schema::ServiceSpec* service = project.service(node.name);
    if (node.kind != orchestrator::GraphNode::Kind::Service || !service) continue;
    orchestrator::DesiredService desired{service->name, replicas_of(o, *service), config_hash(ref, *service), {}};
    // Compose attaches to the output itself; stack shows what the log has.
    if (!o.detach && service->log_driver == "none")
      listener_.warning("service " + service->name + ": logging driver \"none\" keeps no log: its output is not shown");
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
  if (Status s = machine_.reserve_gpus(project.name, planned, &gpus); !s) return s;
  auto networks_begin = std::chrono::steady_clock::now();
  if (Status s = machine_.create_networks(project); !s) {
    machine_.release_gpus_of_missing(planned);
    return s;
  }
  spdlog::debug("networks ready in {:.1f} ms",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - networks_begin).count());
  ProjectRuntime services(machine_, project, std::move(records), std::move(gpus), o.timeout);
  orchestrator::Executor executor(services, listener_);
  if (Status s = executor.up(project, wanted, existing, {o.force_recreate, o.no_recreate}); !s) {
    machine_.release_gpus_of_missing(planned);
    return s;
  }
  // Nothing created: a killed `up` may have left its containers running
  // before it told them of each other.
  if (!services.hosts_refreshed()) machine_.refresh_hosts(services.networks());
  lock = {};  // what follows only watches: other commands (stop, logs) may run meanwhile
  if (!o.detach) {
    listener_.steps_done();
    *exit_code = follow_attached(machine_, ref, attached, o, listener_);
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
