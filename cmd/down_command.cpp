// `stack down`: flags into compose::DownOptions; the project found from its files or, when they are gone, from -p alone.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "cmd/commands.h"
#include "cmd/project_ref.h"
#include "compose/compose.h"
#include "compose/machine.h"
#include "ui/console_listener.h"

namespace stack::cmd {
namespace {

int down(const GlobalOptions& global, const compose::DownOptions& options) {
  std::optional<ProjectRef> ref = find_project(global, false);
  if (!ref) return 1;
  ui::ConsoleListener listener(std::cout, ::isatty(STDOUT_FILENO));
  compose::HostMachine machine;
  int exit_code = 1;
  if (runtime::Status s = compose::Compose(machine, listener).down(*ref, options, &exit_code); !s) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  return exit_code;
}

}  // namespace

void add_down_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto o = std::make_shared<compose::DownOptions>();
  auto remove_orphans = std::make_shared<bool>(false);
  CLI::App* down_cmd = app.add_subcommand("down", "Stop and remove the project's containers and networks");
  down_cmd->add_flag("-v,--volumes", o->volumes, "Also remove the project's named volumes");
  down_cmd->add_option("-t,--timeout", o->timeout, "Seconds to wait for each container to stop");
  down_cmd->add_option("--rmi", o->rmi, "Also remove images: \"local\" those built for the project, \"all\" every image its services use")
      ->check(CLI::IsMember({"local", "all"}));
  down_cmd->add_flag("--remove-orphans", *remove_orphans,
                     "Accepted for Compose's sake: down always removes every container labelled with the project");
  down_cmd->callback([o, &global, &exit_code] { exit_code = down(global, *o); });
}

}  // namespace stack::cmd
