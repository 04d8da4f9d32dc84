// `stack version`.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <utility>

#include "cmd/commands.h"

#ifndef STACK_VERSION
#define STACK_VERSION "0.0.0-dev"
#endif

namespace stack::cmd {

std::string stack_root() {
  const char* root = std::getenv("STACK_ROOT");
  return root && *root ? root : "/var/lib/stack";
}

runtime::RuntimePaths runtime_paths() {
  runtime::RuntimePaths paths;
  paths.containers = stack_root() + "/containers";
  paths.seccomp_cache = stack_root() + "/seccomp";
  paths.mount_points = stack_root() + "/mount-points";
  // The shim's supervisor is installed beside us (build/cmd, /usr/bin).
  static const std::pair<std::string, std::string> programs = [] {
    std::error_code ec;
    std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    if (ec) return std::pair<std::string, std::string>();
    std::string supervisor = std::filesystem::path(self).parent_path().string() + "/stack-shim";
    if (::access(supervisor.c_str(), X_OK) != 0) return std::pair<std::string, std::string>();
    return std::pair(self, supervisor);
  }();
  paths.stack_binary = programs.first;
  paths.supervisor = programs.second;
  return paths;
}

void add_version_command(CLI::App& app, int& exit_code) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* sub = app.add_subcommand("version", "Print the version of stack");
  sub->add_option("--format", *format, "Output format")->check(CLI::IsMember({"text", "json"}));
  sub->callback([format, &exit_code] {
    if (*format == "json") std::cout << "{\"version\":\"" STACK_VERSION "\"}\n";
    else std::cout << "stack version " STACK_VERSION "\n";
    exit_code = 0;
  });
}

}  // namespace stack::cmd
