// The subcommands, one file each; each registers its options and its action.
#pragma once

#include <CLI/CLI.hpp>

#include "cmd/global_options.h"

namespace stack::cmd {

// Each returns the exit status through `exit_code` once the app has run.
void add_config_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_version_command(CLI::App& app, int& exit_code);
void add_image_command(CLI::App& app, int& exit_code);
// image build and image tag, under `stack image`.
void add_image_build_command(CLI::App* image, int& exit_code);
// image pull and image push, under `stack image`.
void add_image_pull_command(CLI::App* image, int& exit_code);
void add_image_push_command(CLI::App* image, int& exit_code);
// pull and push: the project's registry images.
void add_pull_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_push_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
// convert --to kubernetes.
void add_convert_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
// login and logout: registry logins in Docker's config.json.
void add_login_command(CLI::App& app, int& exit_code);
void add_logout_command(CLI::App& app, int& exit_code);
// build and builder prune.
void add_build_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_container_command(CLI::App& app, int& exit_code);
void add_network_command(CLI::App& app, int& exit_code);
// The stack lifecycle, on the project the global options name.
void add_up_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
// logs, start, stop, restart, kill, rm, exec, run, top, ls.
void add_service_commands(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_down_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
// ps and port.
void add_ps_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
// gpus: the host's GPUs and who holds them.
void add_gpus_command(CLI::App& app, int& exit_code);
// stop, kill, logs, exec: under `stack container`.
void add_container_process_commands(CLI::App& container, int& exit_code);

}  // namespace stack::cmd
