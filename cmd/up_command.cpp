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
#include "compose/container_launch.h"
#include "compose/container_networks.h"
#include "ui/container_status.h"
#include "compose/crash_points.h"
#include "compose/project_containers.h"
#include "ui/progress_display.h"
#include "ui/project_logs.h"
#include "compose/service_builds.h"
#include "compose/service_devices.h"
#include "compose/service_pulls.h"
#include "orchestrator/dependency_graph.h"
#include "orchestrator/executor.h"
#include "orchestrator/planner.h"
#include "runtime/on_disk.h"
#include "schema/serialize.h"
#include "compose/host.h"
#include "cmd/project_ref.h"
#include "ui/console_image_progress.h"
#include "compose/container_removal.h"

namespace stack::cmd {

using namespace stack::compose;
namespace {

struct UpFlags {
  bool detach = false, wait = false, no_deps = false, force_recreate = false, no_recreate = false,
       remove_orphans = false, abort_on_exit = false, build = false, no_build = false;
  std::string pull;  // --pull: always, missing or never over each service's pull_policy
  int wait_timeout = 0;
  std::string exit_code_from;
  std::vector<std::string> scale, services;
  std::optional<int> timeout;
};

bool on_terminal() { return ::isatty(STDOUT_FILENO); }

// The images of the services about to start, before anything is made:
// registry images pulled as their pull_policy (or --pull) says; built ones
// built, all with --build, the missing ones otherwise, none with
// --no-build (a missing one is then an error).
runtime::Status prepare_images(const schema::Project& project, const std::vector<orchestrator::GraphNode>& order,
                             const UpFlags& f) {
  std::vector<const schema::ServiceSpec*> services;
  for (const auto& node : order)
    if (const schema::ServiceSpec* s = project.service(node.name); s && node.kind == orchestrator::GraphNode::Kind::Service)
      services.push_back(s);
  ImagePolicy policy;
  policy.pull = f.pull;
  policy.build = f.no_build ? ImagePolicy::Build::None : f.build ? ImagePolicy::Build::All : ImagePolicy::Build::Missing;
  ui::ConsoleImageProgress progress;
  return resolve_service_images(project, services, policy, progress);
}

orchestrator::ObservedContainer observed(const runtime::ContainerStore& store, const runtime::ContainerRecord& r) {
  ui::ContainerStatus st = ui::container_status(store, r);
  return {r.name, r.labels.at(kServiceLabel), st.ended(), st.exit_code,
          r.healthcheck.has_value(), st.health};
}

struct Scale {
  std::map<std::string, int> replicas;
  int of(const schema::ServiceSpec& s) const {
    auto it = replicas.find(s.name);
    return it == replicas.end() ? s.replicas : it->second;
  }
};

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

  runtime::Status remove(const std::string& name) override {
    auto it = records_.find(name);
    if (it == records_.end()) return runtime::Status::error("no such container");
    return stop_and_remove_container(it->second, timeout_, gpus_.count(name) > 0);
  }

  runtime::Status start(const std::string& name) override {
    if (start_container(name, false, false) != 0) return runtime::Status::error("see its error above");
    return runtime::Status::ok();
  }

  runtime::Status create(const std::vector<orchestrator::CreateRequest>& batch, std::vector<runtime::Status>* results) override {
    std::vector<LaunchRequest> requests;
    for (const orchestrator::CreateRequest& c : batch) {
      LaunchRequest request;
      if (runtime::Status s = service_launch(project_, *project_.service(c.service), c.number, c.config_hash, &request, "", gpus_[c.name]); !s)
        return s;
      request.tell_peers = false;  // once for the whole batch, below
      requests.push_back(std::move(request));
    }
    std::vector<int> codes = launch_containers(requests);
    crash_point("containers-launched");
    refresh_hosts_on(networks_);
    crash_point("hosts-written");
    hosts_refreshed_ = true;
    for (int code : codes)
      results->push_back(code == 0 ? runtime::Status::ok() : runtime::Status::error("its error is above"));
    return runtime::Status::ok();
  }

  runtime::Status observe(const std::string& name, orchestrator::ObservedContainer* out) override {
    runtime::ContainerRecord r;
    if (runtime::Status s = store_.find(name, &r); !s) return s;
    *out = observed(store_, r);
    return runtime::Status::ok();
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

// Progress rows and warnings of the executor, on the display and stderr.
class ShownProgress : public orchestrator::ExecutorListener {
 public:
  explicit ShownProgress(ui::ProgressDisplay& display) : display_(display) {}
  void step(const std::string& container, const std::string& status, bool done) override {
    display_.update(container, status, done);
  }
  void warning(const std::string& message) override { std::cerr << "warning: " << message << "\n"; }

 private:
  ui::ProgressDisplay& display_;
};

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
  ui::LogView view;
  view.color = on_terminal();
  ui::ProjectLogs logs(store, view);
  for (const auto& [name, label] : containers) logs.add(name, label);
  bool abort = f.abort_on_exit || !f.exit_code_from.empty();
  // A one-shot that others wait to complete is meant to end: it stops nothing.
  std::set<std::string> one_shots = completed_dependencies(project);
  std::string stopped_by;  // the container whose end stopped the rest
  int rc = 0;
  for (;;) {
    logs.print_new();
    reap_ended_shims();
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
    ui::ProgressDisplay display(std::cout, on_terminal());
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
void handle_orphans(const schema::Project& project, bool remove, ui::ProgressDisplay& display) {
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
    display.update("Container " + r.name, stop_and_remove_container(r, std::nullopt) ? "Removed" : "Error", true);
  }
}

int up(const GlobalOptions& global, const UpFlags& f) {
  ui::ProgressDisplay display(std::cout, on_terminal());
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
  if (f.build && f.no_build) return fail("--build and --no-build are incompatible");
  runtime::FileLock lock;
  if (runtime::Status s = lock_project(project.name, &lock); !s) return fail(s.message());
  // Before the plan reads what exists: a container a killed `up` left
  // half-made is removed here, to be created again below, not started.
  {
    runtime::ContainerStore store(runtime_paths().containers);
    reclaim_containers(store, false);
  }
  handle_orphans(project, f.remove_orphans, display);
  orchestrator::DependencyGraph graph(project);
  std::vector<orchestrator::GraphNode> order;
  if (f.services.empty()) order = graph.start_order();
  else if (f.no_deps)
    for (const auto& n : graph.start_order())
      if (n.kind == orchestrator::GraphNode::Kind::Service && std::count(f.services.begin(), f.services.end(), n.name))
        order.push_back(n);
  if (!f.services.empty() && !f.no_deps) order = graph.needed_by(f.services);
  if (runtime::Status s = prepare_images(project, order, f); !s) return fail(s.message());
  // What is there before this `up` touches anything; only this `up` (it holds the lock) changes it.
  std::map<std::string, runtime::ContainerRecord> records;
  for (runtime::ContainerRecord& r : project_containers(project.name)) records.emplace(r.name, std::move(r));
  std::vector<orchestrator::ExistingContainer> existing;
  for (const auto& [name, r] : records) existing.push_back(existing_container(r));
  const schema::Node* services_tree = ref->loaded->tree.find("services");
  std::vector<orchestrator::DesiredService> wanted;
  std::vector<std::pair<std::string, std::string>> attached;  // container name, log label
  for (const auto& node : order) {
    const schema::ServiceSpec* service = project.service(node.name);
    if (node.kind != orchestrator::GraphNode::Kind::Service || !service) continue;
    const schema::Node* tree = services_tree ? services_tree->find(service->name) : nullptr;
    orchestrator::DesiredService desired{service->name, scale.of(*service), tree ? schema::service_config_hash(*tree) : "", {}};
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
  if (runtime::Status s = reserve_gpus(project.name, planned, &gpus); !s) return fail(s.message());
  auto networks_begin = std::chrono::steady_clock::now();
  if (runtime::Status s = create_project_networks(project); !s) {
    release_gpus_of_missing(planned);
    return fail(s.message());
  }
  crash_point("networks-created");
  spdlog::debug("networks ready in {:.1f} ms",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - networks_begin).count());
  ProjectRuntime machine(project, std::move(records), std::move(gpus), f.timeout);
  ShownProgress shown(display);
  orchestrator::Executor executor(machine, shown);
  if (runtime::Status s = executor.up(project, wanted, existing, {f.force_recreate, f.no_recreate}); !s) {
    release_gpus_of_missing(planned);
    return fail(s.message());
  }
  // Nothing created: a killed `up` may have left its containers running
  // before it told them of each other.
  if (!machine.hosts_refreshed()) refresh_hosts_on(machine.networks());
  lock = {};  // what follows only watches: other commands (stop, logs) may run meanwhile
  if (!f.detach) {
    display.finish();
    return follow_attached(*ref, attached, f);
  }
  if (!f.wait) return 0;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (f.wait_timeout > 0) deadline = std::chrono::steady_clock::now() + std::chrono::seconds(f.wait_timeout);
  // One-shot services that others wait to complete may have ended; the rest must run, healthy where checked.
  if (runtime::Status s = executor.wait_until_ready(project, completed_dependencies(project), deadline); !s) return fail(s.message());
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
  up_cmd->add_flag("--build", f->build, "Build images before starting (else only missing ones are built)");
  up_cmd->add_flag("--no-build", f->no_build, "Build nothing, even missing images");
  up_cmd->add_option("--pull", f->pull, "Pull images: always, missing or never (default: each service's pull_policy)")
      ->check(CLI::IsMember({"always", "missing", "never"}));
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
