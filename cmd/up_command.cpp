// `stack up`: flags into compose::UpOptions, Ctrl-C counted for the engine, its progress on the terminal.
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cmd/commands.h"
#include "cmd/project_ref.h"
#include "compose/compose.h"
#include "runtime/linux/this_process.h"

namespace stack::cmd {
namespace {

struct UpFlags {
  compose::UpOptions options;
  int wait_timeout = 0;
  std::vector<std::string> scale;
};

// "SERVICE=NUMBER" of --scale into `out`; false, with why, when it is not that.
bool parse_scale(const std::vector<std::string>& flags, std::map<std::string, int>* out, std::string* error) {
  for (const std::string& s : flags) {
    size_t eq = s.find('=');
    char* end = nullptr;
    long n = eq == std::string::npos ? -1 : std::strtol(s.c_str() + eq + 1, &end, 10);
    if (n < 0 || *end != '\0' || eq + 1 == s.size()) {
      *error = "--scale " + s + ": expected SERVICE=NUMBER";
      return false;
    }
    (*out)[s.substr(0, eq)] = static_cast<int>(n);
  }
  return true;
}

int up(const GlobalOptions& global, UpFlags f) {
  std::string error;
  if (!parse_scale(f.scale, &f.options.scale, &error)) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  if (f.wait_timeout > 0) f.options.wait_timeout = f.wait_timeout;
  // Attached: Ctrl-C stops the stack (a second one kills it), as Compose's.
  f.options.catch_interrupts = runtime::linux_::count_interrupts;
  f.options.interrupts = runtime::linux_::interrupts_counted;
  return on_project(global, true, [&](compose::Compose& engine, const ProjectRef& ref, int* exit_code) {
    return engine.up(ref, f.options, exit_code);
  });
}

}  // namespace

void add_up_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto f = std::make_shared<UpFlags>();
  compose::UpOptions& o = f->options;
  CLI::App* up_cmd = app.add_subcommand("up", "Create and start the project's containers");
  up_cmd->add_flag("-d,--detach", o.detach, "Return once started");
  up_cmd->add_flag("--wait", o.wait, "With -d: return once services run and are healthy; fail naming one that is not");
  up_cmd->add_option("--wait-timeout", f->wait_timeout, "Seconds --wait waits at most (default: no limit)");
  up_cmd->add_flag("--no-deps", o.no_deps, "Not the services the named ones depend on");
  up_cmd->add_flag("--build", o.build, "Build images before starting (else only missing ones are built)");
  up_cmd->add_flag("--no-build", o.no_build, "Build nothing, even missing images");
  up_cmd->add_option("--pull", o.pull, "Pull images: always, missing or never (default: each service's pull_policy)")
      ->check(CLI::IsMember({"always", "missing", "never"}));
  up_cmd->add_flag("--force-recreate", o.force_recreate, "Recreate containers even if their config is unchanged");
  up_cmd->add_flag("--no-recreate", o.no_recreate, "Leave existing containers as they are, even if changed");
  up_cmd->add_flag("--remove-orphans", o.remove_orphans, "Remove containers of services no longer in the files");
  up_cmd->add_flag("--abort-on-container-exit", o.abort_on_exit, "Stop everything once one container ends");
  up_cmd->add_option("--exit-code-from", o.exit_code_from, "Exit with this service's code (implies --abort-on-container-exit)");
  up_cmd->add_option("--scale", f->scale, "SERVICE=NUMBER of replicas, over the files' scale")->allow_extra_args(false);
  up_cmd->add_option("-t,--timeout", o.timeout, "Seconds to wait for containers to stop (recreate, scale down, Ctrl-C)");
  up_cmd->add_option("services", o.services, "Only these services (and what they need)");
  up_cmd->callback([f, &global, &exit_code] {
    if (f->options.wait) f->options.detach = true;
    exit_code = up(global, *f);
  });
}

}  // namespace stack::cmd
