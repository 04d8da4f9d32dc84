#include "cmd/project_ref.h"

#include <filesystem>
#include <iostream>

#include <unistd.h>

#include "compose/machine.h"
#include "schema/loader.h"
#include "ui/console_listener.h"

namespace stack::cmd {

namespace fs = std::filesystem;

std::optional<ProjectRef> find_project(const GlobalOptions& global, bool files_required) {
  if (!files_required && !global.project_name.empty() && global.files.empty()) {
    // -p alone: the files may be gone; state is enough.
    ProjectRef ref;
    ref.name = global.project_name;
    schema::DiskFileSource disk;
    if (schema::discover_stack_files(fs::current_path().string(), disk).empty()) return ref;
    if (auto loaded = load_project(global, {}, true)) {
      ref.project = schema::build_project(loaded->tree, loaded->project_dir, loaded->environment);
      ref.name = ref.project->name;
      ref.loaded = std::move(loaded);
    }
    return ref;
  }
  auto loaded = load_project(global, {}, true);
  if (!loaded) return std::nullopt;
  ProjectRef ref;
  ref.project = schema::build_project(loaded->tree, loaded->project_dir, loaded->environment);
  ref.name = ref.project->name;
  ref.loaded = std::move(loaded);
  return ref;
}

std::optional<NamedServices> find_named_services(const GlobalOptions& global, const std::vector<std::string>& names) {
  std::optional<ProjectRef> ref = find_project(global, true);
  if (!ref) return std::nullopt;
  // The pointers are taken once the project is where it stays.
  std::optional<NamedServices> out(std::in_place);
  out->ref = std::move(*ref);
  if (runtime::Status s = compose::named_services(*out->ref.project, names, &out->services); !s) {
    std::cerr << "error: " << s.message() << "\n";
    return std::nullopt;
  }
  return out;
}

int on_project(const GlobalOptions& global, bool files_required, const EngineCall& call) {
  std::optional<ProjectRef> ref = find_project(global, files_required);
  if (!ref) return 1;
  ui::ConsoleListener listener(std::cout, ::isatty(STDOUT_FILENO));
  compose::HostMachine machine;
  compose::Compose engine(machine, listener);
  int exit_code = 0;
  if (runtime::Status s = call(engine, *ref, &exit_code); !s) {
    listener.steps_done();  // the error goes below the rows
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  return exit_code;
}

}  // namespace stack::cmd
