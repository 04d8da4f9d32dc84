// stack: runs multi-container applications from Compose-style stack files, with no daemon.
#include <CLI/CLI.hpp>

#include <string_view>

#include "cmd/commands.h"
#include "cmd/environment.h"
#include "cmd/global_options.h"
#include "compose/container_launch.h"
#include "compose/crash_points.h"
#include "runtime/shim_handover.h"

int main(int argc, char** argv) {
  // Not a command of users': a container's supervisor coming back.
  if (argc == 3 && std::string_view(argv[1]) == stack::runtime::kShimResumeCommand) {
    stack::compose::use_host(stack::cmd::host_from_environment({}));
    return stack::compose::resume_shim(argv[2]);
  }
  CLI::App app{"stack: run multi-container applications described in Compose files, without Docker"};
  app.name("stack");
  app.require_subcommand(1);
  app.fallthrough();  // global options also after the subcommand
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  stack::cmd::GlobalOptions global;
  stack::cmd::add_global_options(app, global);
  int exit_code = 0;
  stack::cmd::add_config_command(app, global, exit_code);
  stack::cmd::add_container_command(app, exit_code);
  stack::cmd::add_image_command(app, exit_code);
  stack::cmd::add_network_command(app, exit_code);
  stack::cmd::add_build_command(app, global, exit_code);
  stack::cmd::add_pull_command(app, global, exit_code);
  stack::cmd::add_push_command(app, global, exit_code);
  stack::cmd::add_convert_command(app, global, exit_code);
  stack::cmd::add_login_command(app, exit_code);
  stack::cmd::add_logout_command(app, exit_code);
  stack::cmd::add_up_command(app, global, exit_code);
  stack::cmd::add_down_command(app, global, exit_code);
  stack::cmd::add_ps_command(app, global, exit_code);
  stack::cmd::add_service_commands(app, global, exit_code);
  stack::cmd::add_gpus_command(app, exit_code);
  stack::cmd::add_version_command(app, exit_code);
  // Once the flags are read, before the command runs.
  app.parse_complete_callback([&app, &global] {
    stack::cmd::apply_log_level(global);
    // Only the commands that make containers check what they would read
    // (secrets' files) and tell the project's warnings, as Compose's do.
    for (const CLI::App* command : app.get_subcommands())
      for (const char* creating : {"config", "up", "run", "create", "convert"})
        if (command->get_name() == creating) global.creating = true;
    stack::compose::use_host(stack::cmd::host_from_environment(global.insecure_registries));
    stack::compose::arm_crash_point();
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
