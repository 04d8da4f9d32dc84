// Machine: what the engine asks of the host to bring a project up (state, images, GPUs, networks, launches), behind one interface so that a test fakes it without root.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compose/compose.h"
#include "compose/container_launch.h"
#include "compose/container_status.h"
#include "compose/image_progress.h"
#include "compose/project_containers.h"
#include "compose/service_builds.h"
#include "compose/service_devices.h"
#include "orchestrator/executor.h"
#include "runtime/container_store.h"
#include "runtime/on_disk.h"
#include "runtime/status.h"

namespace stack::compose {

class Machine {
 public:
  virtual ~Machine() = default;

  // Serializes commands that change `project` (see lock_project).
  virtual runtime::Status lock_project(const std::string& project, runtime::FileLock* lock) = 0;
  // Finishes what killed commands left: half-made containers, gone shims.
  virtual void reclaim() = 0;
  // The project's containers as recorded now.
  virtual std::vector<runtime::ContainerRecord> containers(const std::string& project) = 0;
  // One container by name; nullopt when there is none.
  virtual std::optional<runtime::ContainerRecord> find(const std::string& name) = 0;
  // How it stands for a depends_on condition.
  virtual runtime::Status observe(const std::string& name, orchestrator::ObservedContainer* out) = 0;

  // Pulls and builds the services' images as `policy` says (resolve_service_images).
  virtual runtime::Status resolve_images(const schema::Project& project,
                                         const std::vector<const schema::ServiceSpec*>& services,
                                         const ImagePolicy& policy, ImageProgress& progress) = 0;
  // `stack pull` and `stack build`: pull_services and build_services.
  virtual runtime::Status pull(const std::vector<const schema::ServiceSpec*>& services, const PullOptions& options,
                               ImageProgress& progress) = 0;
  virtual runtime::Status build(const schema::Project& project, const std::vector<const schema::ServiceSpec*>& services,
                                const BuildOptions& options, ImageProgress& progress) = 0;
  // The ID of the image a service with `build:` runs, when there is one.
  virtual std::optional<std::string> built_image_id(const schema::Project& project, const schema::ServiceSpec& service) = 0;

  virtual runtime::Status reserve_gpus(const std::string& project, const std::vector<PlannedContainer>& containers,
                                       std::map<std::string, std::vector<devices::Gpu>>* granted) = 0;
  virtual void release_gpus_of_missing(const std::vector<PlannedContainer>& containers) = 0;
  virtual runtime::Status create_networks(const schema::Project& project) = 0;
  // Rewrites the /etc/hosts of every container on `networks`.
  virtual void refresh_hosts(const std::vector<std::string>& networks) = 0;

  // Creates and starts replica `number` of each service in `batch` (as
  // many at once as it can): a status each; an error returned instead
  // means none was made.
  struct Launch {
    const schema::ServiceSpec* service;
    int number;
    std::string name, config_hash;
    std::vector<devices::Gpu> gpus;
  };
  virtual runtime::Status launch(const schema::Project& project, const std::vector<Launch>& batch,
                                 std::vector<runtime::Status>* results) = 0;
  // Starts a stopped container again, its writable layer kept.
  virtual runtime::Status start(const std::string& name) = 0;
  // Stops and removes it; its GPUs stay reserved with `keep_gpus`.
  virtual runtime::Status remove(const runtime::ContainerRecord& record, std::optional<int> timeout, bool keep_gpus) = 0;
  // Stops `records`, dependents first (stop_in_order).
  virtual void stop(const ProjectRef& ref, std::vector<runtime::ContainerRecord>* records, std::optional<int> timeout,
                    const std::function<bool()>& hurry) = 0;
  // Sends `signal` to a running container's init.
  virtual runtime::Status kill(const runtime::ContainerRecord& record, int signal) = 0;
  // Reaps the shims of launches that have ended.
  virtual void reap_shims() = 0;
  // Lets time pass before the next look at what is being waited for.
  virtual void pause(std::chrono::milliseconds how_long) = 0;

  // What `down` asks besides.
  // Takes a stopped container out of the store: no command finds it, its
  // name is free; its files stay for purge_removed().
  virtual runtime::Status take_out(const runtime::ContainerRecord& record, runtime::ContainerRecord* removed) = 0;
  // Deletes the files of the containers taken out. Runs on a thread of its own.
  virtual void purge_removed() = 0;
  // Lets go of what removed containers held (release_removed).
  virtual void release_removed(const std::vector<runtime::ContainerRecord>& removed) = 0;
  // The networks labelled with `project`: found so even when the files are gone.
  virtual std::vector<std::string> project_networks(const std::string& project) = 0;
  virtual runtime::Status remove_network(const std::string& name) = 0;
  // Removes the image `name` unless a container still uses it (the error
  // says which); *existed false when there is no such image.
  virtual runtime::Status remove_unused_image(const std::string& name, bool* existed, std::string* reference) = 0;
  // The project's volumes: those labelled with it, and the named ones of
  // its files that exist (made before volumes were labelled).
  virtual std::vector<std::string> project_volumes(const ProjectRef& ref) = 0;
  virtual runtime::Status remove_volume(const std::string& name) = 0;

  // What `rm` asks besides.
  // Removes a container that is not running; refused for one that runs.
  virtual runtime::Status remove_stopped(const runtime::ContainerRecord& record) = 0;
  // The anonymous volumes made for the container `name`.
  virtual std::vector<std::string> anonymous_volumes(const std::string& name) = 0;

  // What `run`, `exec`, `ps`, `top` and `ls` ask besides.
  // Creates and runs a one-off container of `launch`'s service, as
  // `options` change it: how it went, as launch_container says.
  virtual LaunchResult run_one_off(const schema::Project& project, const Launch& launch, const RunOptions& options) = 0;
  // Runs options.command in the running container `name`.
  virtual LaunchResult exec(const std::string& name, const ExecOptions& options) = 0;
  virtual ContainerStatus status(const runtime::ContainerRecord& record) = 0;
  // Every container on this host, of every project.
  virtual std::vector<runtime::ContainerRecord> all_containers() = 0;
  virtual std::vector<runtime::linux_::ProcessRow> processes(const runtime::ContainerRecord& record) = 0;
};

// The machine stack runs on: STACK_ROOT's stores, the kernel's networks
// and namespaces, the host's GPUs.
class HostMachine : public Machine {
 public:
  runtime::Status lock_project(const std::string& project, runtime::FileLock* lock) override;
  void reclaim() override;
  std::vector<runtime::ContainerRecord> containers(const std::string& project) override;
  std::optional<runtime::ContainerRecord> find(const std::string& name) override;
  runtime::Status observe(const std::string& name, orchestrator::ObservedContainer* out) override;
  runtime::Status resolve_images(const schema::Project& project, const std::vector<const schema::ServiceSpec*>& services,
                                 const ImagePolicy& policy, ImageProgress& progress) override;
  runtime::Status pull(const std::vector<const schema::ServiceSpec*>& services, const PullOptions& options,
                       ImageProgress& progress) override;
  runtime::Status build(const schema::Project& project, const std::vector<const schema::ServiceSpec*>& services,
                        const BuildOptions& options, ImageProgress& progress) override;
  std::optional<std::string> built_image_id(const schema::Project& project, const schema::ServiceSpec& service) override;
  runtime::Status reserve_gpus(const std::string& project, const std::vector<PlannedContainer>& containers,
                               std::map<std::string, std::vector<devices::Gpu>>* granted) override;
  void release_gpus_of_missing(const std::vector<PlannedContainer>& containers) override;
  runtime::Status create_networks(const schema::Project& project) override;
  void refresh_hosts(const std::vector<std::string>& networks) override;
  runtime::Status launch(const schema::Project& project, const std::vector<Launch>& batch,
                         std::vector<runtime::Status>* results) override;
  runtime::Status start(const std::string& name) override;
  runtime::Status remove(const runtime::ContainerRecord& record, std::optional<int> timeout, bool keep_gpus) override;
  void stop(const ProjectRef& ref, std::vector<runtime::ContainerRecord>* records, std::optional<int> timeout,
            const std::function<bool()>& hurry) override;
  runtime::Status kill(const runtime::ContainerRecord& record, int signal) override;
  void reap_shims() override;
  void pause(std::chrono::milliseconds how_long) override;
  runtime::Status take_out(const runtime::ContainerRecord& record, runtime::ContainerRecord* removed) override;
  void purge_removed() override;
  void release_removed(const std::vector<runtime::ContainerRecord>& removed) override;
  std::vector<std::string> project_networks(const std::string& project) override;
  runtime::Status remove_network(const std::string& name) override;
  runtime::Status remove_unused_image(const std::string& name, bool* existed, std::string* reference) override;
  std::vector<std::string> project_volumes(const ProjectRef& ref) override;
  runtime::Status remove_volume(const std::string& name) override;
  runtime::Status remove_stopped(const runtime::ContainerRecord& record) override;
  std::vector<std::string> anonymous_volumes(const std::string& name) override;
  LaunchResult run_one_off(const schema::Project& project, const Launch& launch, const RunOptions& options) override;
  LaunchResult exec(const std::string& name, const ExecOptions& options) override;
  ContainerStatus status(const runtime::ContainerRecord& record) override;
  std::vector<runtime::ContainerRecord> all_containers() override;
  std::vector<runtime::linux_::ProcessRow> processes(const runtime::ContainerRecord& record) override;
};

}  // namespace stack::compose
