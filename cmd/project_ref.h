// The project the global options name, found for a command: its files loaded, or its name alone when they are gone.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cmd/global_options.h"
#include "compose/compose.h"
#include "compose/project_containers.h"

namespace stack::cmd {

using compose::ProjectRef;

// Loaded from its files, or (for commands that work from state alone, not
// `files_required`) just its -p name when there are no files. Prints the
// load errors; nullopt when neither works.
std::optional<ProjectRef> find_project(const GlobalOptions& global, bool files_required);

// The project the options find (its files required) and the services
// `names` name in it; nullopt once why not is printed.
struct NamedServices {
  ProjectRef ref;
  std::vector<const schema::ServiceSpec*> services;  // into ref.project
};
std::optional<NamedServices> find_named_services(const GlobalOptions& global, const std::vector<std::string>& names);

// Runs one operation of the engine, on this host and told on the
// terminal, on the project the options name (its files required with
// `files_required`). Its exit status: the operation's, or 1 with its error
// printed.
using EngineCall = std::function<runtime::Status(compose::Compose& engine, const ProjectRef& ref, int* exit_code)>;
int on_project(const GlobalOptions& global, bool files_required, const EngineCall& call);

}  // namespace stack::cmd
