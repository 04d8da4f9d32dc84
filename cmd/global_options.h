// GlobalOptions: the options every subcommand shares (-f, -p, --env-file, --profile, ...).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "schema/loader.h"

namespace stack::cmd {

struct GlobalOptions {
  std::vector<std::string> files;
  std::string project_name;
  std::string project_directory;
  std::vector<std::string> env_files;
  std::vector<std::string> profiles;
  std::string log_level = "warn";
  bool strict = false;
  bool creating = false;  // the command makes containers (see schema::LoadOptions::creating)
  std::vector<std::string> insecure_registries;
};

void add_global_options(CLI::App& app, GlobalOptions& options);

// Applies --log-level to spdlog.
void apply_log_level(const GlobalOptions& options);

// Loads the project the options name, printing warnings and errors to
// stderr (with the offending line and a caret). Returns nullopt on error.
std::optional<schema::LoadedProject> load_project(const GlobalOptions& options,
                                                  const std::vector<std::string>& services, bool interpolate);

}  // namespace stack::cmd
