// ProjectContainers: a stack's services as containers: names, labels, translation into a launch, and finding them again.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compose/container_launch.h"
#include "schema/loader.h"
#include "devices/gpu_inventory.h"
#include "orchestrator/planner.h"
#include "runtime/container_store.h"
#include "runtime/on_disk.h"
#include "schema/project.h"

namespace stack::compose {

// Labels as Compose writes them, so that tools reading them find their way.
inline constexpr const char* kProjectLabel = "com.docker.compose.project";
inline constexpr const char* kServiceLabel = "com.docker.compose.service";
inline constexpr const char* kNumberLabel = "com.docker.compose.container-number";
inline constexpr const char* kConfigHashLabel = "com.docker.compose.config-hash";
inline constexpr const char* kOneOffLabel = "com.docker.compose.oneoff";  // "True" for `stack run` containers

inline bool one_off(const runtime::ContainerRecord& r) {
  auto it = r.labels.find(kOneOffLabel);
  return it != r.labels.end() && it->second == "True";
}

// `<project>-<service>-<n>`, or the service's container_name.
std::string service_container_name(const schema::Project& project, const schema::ServiceSpec& service, int number);

// Where a volume lives: STACK_ROOT/volumes/<name>, its data in _data and
// next to it labels.json: the project, and the volume's key or (anonymous
// ones) its container, as Compose labels volumes. Refused for a name that
// is not one plain file name, or whose directory leads out of STACK_ROOT
// through a symbolic link: such a volume would be a host directory that
// `up` mounts and `down -v` deletes.
runtime::Status volume_dir(const std::string& volume_name, std::string* dir);
inline constexpr const char* kVolumeLabel = "com.docker.compose.volume";
inline constexpr const char* kVolumeContainerLabel = "com.docker.compose.container";  // stack's: an anonymous volume's container

// The volumes labelled `label`=`value`, by name.
std::vector<std::string> labelled_volumes(const std::string& label, const std::string& value);
runtime::Status remove_volume(const std::string& name);

// The launch of replica `number` of `service`, detached, labelled; named
// volumes made on first use. An error names the service and what it asks
// for that cannot be done.
// `container_name` replaces the usual one (a one-off's); `gpus` are those
// reserved for it (see service_devices.h).
runtime::Status service_launch(const schema::Project& project, const schema::ServiceSpec& service, int number,
                               const std::string& config_hash, LaunchRequest* out, const std::string& container_name = "",
                               const std::vector<devices::Gpu>& gpus = {});

// Serializes commands that change a project (up, down, stop...): waits,
// saying so, while another holds STACK_ROOT/projects/<project>.lock.
runtime::Status lock_project(const std::string& project, runtime::FileLock* lock);

// The containers labelled with `project`, newest first.
std::vector<runtime::ContainerRecord> project_containers(const std::string& project);

// The container a service with network_mode service:`service` joins, of
// the project's `records`: as Compose, that service's first (lowest
// number); null when it has none.
const runtime::ContainerRecord* shared_network_container(const std::vector<runtime::ContainerRecord>& records,
                                                         const std::string& service);
// What ends the config hash of such a service's container, before that
// container's ID: a container made again (another ID) makes the service's
// stale, so that `up` makes it again in the new one's namespace.
inline constexpr const char* kSharedNetworkHashPart = "+network:";

// A container as the planner sees it: its service, number, config hash.
orchestrator::ExistingContainer existing_container(const runtime::ContainerRecord& record);

// A project as a command found it: loaded from its files, or (for commands
// that work from state alone) just its name when the files are gone.
struct ProjectRef {
  std::string name;
  std::optional<schema::Project> project;  // absent: files gone, -p only
  std::optional<schema::LoadedProject> loaded;
};

// Those of `records` that run `services` (all when empty), sorted by name;
// one-offs (`stack run`) only with `one_offs`. A service the files do not
// have is an error naming it (not checked when the files are gone).
runtime::Status select_service_containers(const ProjectRef& ref, std::vector<runtime::ContainerRecord> records,
                                          const std::vector<std::string>& services, bool one_offs,
                                          std::vector<runtime::ContainerRecord>* out);

// The services `names` name, in that order, or every service when it is
// empty; an unknown name is an error naming it.
runtime::Status named_services(const schema::Project& project, const std::vector<std::string>& names,
                               std::vector<const schema::ServiceSpec*>* out);


// Sorts `records` by their service's place in the project's start order
// (dependencies first) or, `stopping`, its stop order; services the files
// do not name, or all when the files are gone, come last. Returns each
// sorted record's rank: equal for a service's replicas.
std::vector<long> sort_in_service_order(const ProjectRef& ref, std::vector<runtime::ContainerRecord>* records,
                                        bool stopping);

// Stops `records` of the project, dependents first (when its files are
// there to say), a service's replicas together; sorts them in that order.
// `timeout` overrides each container's grace period; with 0, all are killed
// together, there being no graceful shutdown to order.
void stop_in_order(const ProjectRef& ref, std::vector<runtime::ContainerRecord>* records, std::optional<int> timeout,
                   const std::function<bool()>& hurry = {});

}  // namespace stack::compose
