#include <filesystem>
#include <set>
#include <thread>

#include "compose/container_launch.h"
#include "compose/container_networks.h"
#include "compose/container_removal.h"
#include "compose/container_status.h"
#include "compose/crash_points.h"
#include "compose/host.h"
#include "compose/image_removal.h"
#include "compose/machine.h"
#include "compose/service_pulls.h"

namespace stack::compose {

using runtime::Status;

Status HostMachine::lock_project(const std::string& project, runtime::FileLock* lock) {
  return compose::lock_project(project, lock);
}

void HostMachine::reclaim() {
  runtime::ContainerStore store(runtime_paths().containers);
  reclaim_containers(store, false);
}

std::vector<runtime::ContainerRecord> HostMachine::containers(const std::string& project) {
  return project_containers(project);
}

std::optional<runtime::ContainerRecord> HostMachine::find(const std::string& name) {
  runtime::ContainerRecord r;
  if (!runtime::ContainerStore(runtime_paths().containers).find(name, &r)) return std::nullopt;
  return r;
}

Status HostMachine::observe(const std::string& name, orchestrator::ObservedContainer* out) {
  runtime::ContainerStore store(runtime_paths().containers);
  runtime::ContainerRecord r;
  if (Status s = store.find(name, &r); !s) return s;
  ContainerStatus st = container_status(store, r);
  *out = {r.name, r.labels.at(kServiceLabel), st.ended(), st.exit_code, r.healthcheck.has_value(), st.health};
  return Status::ok();
}

Status HostMachine::resolve_images(const schema::Project& project, const std::vector<const schema::ServiceSpec*>& services,
                                   const ImagePolicy& policy, ImageProgress& progress) {
  return resolve_service_images(project, services, policy, progress);
}

std::optional<std::string> HostMachine::built_image_id(const schema::Project& project, const schema::ServiceSpec& service) {
  runtime::Image built;
  if (!service.build_context || !runtime::ImageStore(images_root()).find(service_image(project, service), &built))
    return std::nullopt;
  return built.id();
}

Status HostMachine::reserve_gpus(const std::string& project, const std::vector<PlannedContainer>& containers,
                                 std::map<std::string, std::vector<devices::Gpu>>* granted) {
  return compose::reserve_gpus(project, containers, granted);
}

void HostMachine::release_gpus_of_missing(const std::vector<PlannedContainer>& containers) {
  compose::release_gpus_of_missing(containers);
}

Status HostMachine::create_networks(const schema::Project& project) {
  Status s = create_project_networks(project);
  if (s) crash_point("networks-created");
  return s;
}

void HostMachine::refresh_hosts(const std::vector<std::string>& networks) {
  refresh_hosts_on(networks);
  crash_point("hosts-written");
}

namespace {

// Why a launch or start of `name` failed, without "container NAME: ":
// the executor names the service and container itself.
std::string cause(const LaunchResult& result, const std::string& name) {
  std::string prefix = "container " + name + ": ";
  return result.error.rfind(prefix, 0) == 0 ? result.error.substr(prefix.size()) : result.error;
}

}  // namespace

Status HostMachine::launch(const schema::Project& project, const std::vector<Launch>& batch, std::vector<Status>* results) {
  std::vector<LaunchRequest> requests;
  for (const Launch& l : batch) {
    LaunchRequest request;
    if (Status s = service_launch(project, *l.service, l.number, l.config_hash, &request, "", l.gpus); !s) return s;
    request.tell_peers = false;  // the caller refreshes the peers' hosts once for the whole batch
    requests.push_back(std::move(request));
  }
  std::vector<LaunchResult> launched = launch_containers(requests);
  crash_point("containers-launched");
  for (size_t i = 0; i < launched.size(); ++i)
    results->push_back(launched[i].exit_code == 0 ? Status::ok() : Status::error(cause(launched[i], requests[i].name)));
  return Status::ok();
}

Status HostMachine::start(const std::string& name) {
  if (LaunchResult started = start_container(name, false, false); started.exit_code != 0)
    return Status::error(cause(started, name));
  return Status::ok();
}

Status HostMachine::remove(const runtime::ContainerRecord& record, std::optional<int> timeout, bool keep_gpus) {
  return stop_and_remove_container(record, timeout, keep_gpus);
}

void HostMachine::stop(const ProjectRef& ref, std::vector<runtime::ContainerRecord>* records, std::optional<int> timeout,
                       const std::function<bool()>& hurry) {
  stop_in_order(ref, records, timeout, hurry);
}

Status HostMachine::kill(const runtime::ContainerRecord& record, int signal) {
  return runtime::ContainerStore(runtime_paths().containers).kill(record, signal);
}

void HostMachine::reap_shims() { reap_ended_shims(); }

void HostMachine::pause(std::chrono::milliseconds how_long) { std::this_thread::sleep_for(how_long); }

Status HostMachine::take_out(const runtime::ContainerRecord& record, runtime::ContainerRecord* removed) {
  return runtime::ContainerStore(runtime_paths().containers).take_out(record.id, true, removed);
}

void HostMachine::purge_removed() { runtime::ContainerStore(runtime_paths().containers).purge_removed(); }

void HostMachine::release_removed(const std::vector<runtime::ContainerRecord>& removed) { compose::release_removed(removed); }

std::vector<std::string> HostMachine::project_networks(const std::string& project) {
  std::vector<netbridge::NetworkRecord> all;
  network_store().list(&all);
  std::vector<std::string> out;
  for (const auto& n : all)
    if (auto label = n.labels.find(kProjectLabel); label != n.labels.end() && label->second == project) out.push_back(n.name);
  return out;
}

Status HostMachine::remove_network(const std::string& name) { return compose::remove_network(name); }

Status HostMachine::remove_unused_image(const std::string& name, bool* existed, std::string* reference) {
  runtime::Image image;
  *existed = runtime::ImageStore(images_root()).find(name, &image).is_ok();
  if (!*existed) return Status::ok();
  std::string digest;
  return compose::remove_unused_image(name, reference, &digest);
}

std::vector<std::string> HostMachine::project_volumes(const ProjectRef& ref) {
  std::set<std::string> volumes;
  for (const std::string& v : labelled_volumes(kProjectLabel, ref.name)) volumes.insert(v);
  if (ref.project)
    for (const auto& v : ref.project->volumes)
      if (std::string dir; !v.external && volume_dir(v.name, &dir) && std::filesystem::exists(dir)) volumes.insert(v.name);
  return {volumes.begin(), volumes.end()};
}

Status HostMachine::remove_volume(const std::string& name) { return compose::remove_volume(name); }

Status HostMachine::remove_stopped(const runtime::ContainerRecord& record) {
  runtime::ContainerRecord removed;
  return remove_container(record.id, false, &removed);
}

std::vector<std::string> HostMachine::anonymous_volumes(const std::string& name) {
  return labelled_volumes(kVolumeContainerLabel, name);
}

Status HostMachine::pull(const std::vector<const schema::ServiceSpec*>& services, const PullOptions& o,
                         ImageProgress& progress) {
  return pull_services(services, "always", o.quiet, progress, o.ignore_failures);
}

Status HostMachine::build(const schema::Project& project, const std::vector<const schema::ServiceSpec*>& services,
                          const BuildOptions& o, ImageProgress& progress) {
  return build_services(project, services, false, o, progress);
}

LaunchResult HostMachine::run_one_off(const schema::Project& project, const Launch& launch, const RunOptions& o) {
  LaunchRequest r;
  if (Status s = service_launch(project, *launch.service, launch.number, launch.config_hash, &r, launch.name, launch.gpus); !s)
    return LaunchResult::failure(1, s.message());
  r.labels[kOneOffLabel] = "True";
  r.detach = o.detach;
  r.remove = o.remove;
  if (o.remove) r.restart = {};  // removed once it exits: nothing to restart
  r.tty = o.tty;
  r.interactive = o.interactive;
  if (!o.service_ports) r.ports.clear();
  if (!o.command.empty()) r.options.command = o.command;
  if (o.entrypoint) r.options.entrypoint = std::vector<std::string>{*o.entrypoint};
  r.options.env.insert(r.options.env.end(), o.env.begin(), o.env.end());
  r.options.volumes.insert(r.options.volumes.end(), o.volumes.begin(), o.volumes.end());
  if (!o.user.empty()) r.user = o.user;
  if (!o.workdir.empty()) r.options.working_dir = o.workdir;
  return launch_container(r);
}

LaunchResult HostMachine::exec(const std::string& name, const ExecOptions& o) {
  return exec_in_container({o.interactive, o.tty, o.user, o.workdir, name, o.env, o.command});
}

ContainerStatus HostMachine::status(const runtime::ContainerRecord& record) {
  return container_status(runtime::ContainerStore(runtime_paths().containers), record);
}

std::vector<runtime::ContainerRecord> HostMachine::all_containers() {
  std::vector<runtime::ContainerRecord> all;
  runtime::ContainerStore(runtime_paths().containers).list(&all);
  return all;
}

std::vector<runtime::linux_::ProcessRow> HostMachine::processes(const runtime::ContainerRecord& record) {
  return runtime::linux_::processes_in_pid_namespace_of(record.pid);
}

}  // namespace stack::compose
