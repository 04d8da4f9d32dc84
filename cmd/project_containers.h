// ProjectContainers: a stack's services as containers: names, labels, translation into a launch, and finding them again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cmd/container_launch.h"
#include "cmd/global_options.h"
#include "runtime/container_store.h"
#include "schema/project.h"

namespace stack::cmd {

// Labels as Compose writes them, so that tools reading them find their way.
inline constexpr const char* kProjectLabel = "com.docker.compose.project";
inline constexpr const char* kServiceLabel = "com.docker.compose.service";
inline constexpr const char* kNumberLabel = "com.docker.compose.container-number";
inline constexpr const char* kConfigHashLabel = "com.docker.compose.config-hash";

// `<project>-<service>-<n>`, or the service's container_name.
std::string service_container_name(const schema::Project& project, const schema::ServiceSpec& service, int number);

// Where a named volume's data lives: STACK_ROOT/volumes/<name>/_data.
std::string volume_data_dir(const std::string& volume_name);

// The launch of replica `number` of `service`, detached, labelled; named
// volumes made on first use. An error names the service and what it asks
// for that cannot be done.
runtime::Status service_launch(const schema::Project& project, const schema::ServiceSpec& service, int number,
                               const std::string& config_hash, LaunchRequest* out);

// The containers labelled with `project`, newest first.
std::vector<runtime::ContainerRecord> project_containers(const std::string& project);

// The project the global options name: loaded from its files, or (for
// commands that work from state alone) just its -p name when there are no
// files. Prints the load errors; nullopt when neither works.
struct ProjectRef {
  std::string name;
  std::optional<schema::Project> project;  // absent: files gone, -p only
  std::optional<schema::LoadedProject> loaded;
};
std::optional<ProjectRef> find_project(const GlobalOptions& global, bool files_required);

}  // namespace stack::cmd
