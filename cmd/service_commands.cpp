// `stack logs|start|stop|restart|kill|rm|exec|run|top|ls`: the everyday commands on a project's services.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>

#include "cmd/commands.h"
#include "cmd/environment.h"
#include "cmd/project_ref.h"
#include "compose/compose.h"
#include "compose/machine.h"
#include "runtime/signal_names.h"
#include "ui/console_listener.h"
#include "ui/project_logs.h"

namespace stack::cmd {

using namespace stack::compose;
namespace {

int fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

struct LogsFlags {
  bool follow = false, timestamps = false, no_color = false, no_prefix = false;
  std::string tail = "all", since;
  std::vector<std::string> services;
};

int logs(const GlobalOptions& global, const LogsFlags& f) {
  ui::LogView view;
  view.timestamps = f.timestamps;
  view.prefix = !f.no_prefix;
  view.color = !f.no_color && ::isatty(STDOUT_FILENO);
  std::optional<long> tail = ui::parse_tail(f.tail);
  if (!tail) return fail("--tail " + f.tail + ": expected a number of lines or \"all\"");
  view.tail = *tail;
  if (!f.since.empty() && (view.since = ui::since_timestamp(f.since)).empty())
    return fail("--since " + f.since + ": expected a duration such as 10m or a UTC time such as 2026-01-02T15:04:05Z");
  std::optional<ProjectRef> ref = find_project(global, false);
  if (!ref) return 1;
  ui::ConsoleListener listener(std::cout, false, view);
  compose::HostMachine machine;
  compose::Compose engine(machine, listener);
  if (runtime::Status s = engine.logs(*ref, {f.follow, f.services}); !s) return fail(s.message());
  return 0;
}

struct RunFlags {
  compose::RunOptions options;
  bool no_tty = false;
  std::string entrypoint;
};

struct ExecFlags {
  compose::ExecOptions options;
  bool no_tty = false;
};

}  // namespace

void add_service_commands(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto lf = std::make_shared<LogsFlags>();
  CLI::App* logs_cmd = app.add_subcommand("logs", "Show the output of the project's containers, merged in time order");
  logs_cmd->add_flag("-f,--follow", lf->follow, "Keep following, through restarts, picking up containers that start");
  logs_cmd->add_option("-n,--tail", lf->tail, "Only the last N lines of each container (default: all)");
  logs_cmd->add_flag("-t,--timestamps", lf->timestamps, "Prefix each line with the time it was written");
  logs_cmd->add_option("--since", lf->since, "Only lines since a time (2026-01-02T15:04:05Z) or a duration ago (10m)");
  logs_cmd->add_flag("--no-color", lf->no_color, "Plain prefixes");
  logs_cmd->add_flag("--no-log-prefix", lf->no_prefix, "No container prefix");
  logs_cmd->add_option("services", lf->services, "Only these services");
  logs_cmd->callback([lf, &global, &exit_code] { exit_code = logs(global, *lf); });

  struct StopFlags {
    std::optional<int> timeout;
    std::vector<std::string> services;
  };
  auto sf = std::make_shared<StopFlags>();
  CLI::App* stop = app.add_subcommand("stop", "Stop the project's containers (dependents first)");
  stop->add_option("-t,--timeout", sf->timeout, "Seconds to wait before killing (default: each container's)");
  stop->add_option("services", sf->services, "Only these services");
  stop->callback([sf, &global, &exit_code] {
    exit_code = on_project(global, false, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
      return engine.stop(ref, {sf->timeout, sf->services}, code);
    });
  });

  auto restart_flags = std::make_shared<StopFlags>();
  CLI::App* restart = app.add_subcommand("restart", "Stop and start the project's containers again");
  restart->add_option("-t,--timeout", restart_flags->timeout, "Seconds to wait before killing (default: each container's)");
  restart->add_option("services", restart_flags->services, "Only these services");
  restart->callback([restart_flags, &global, &exit_code] {
    exit_code = on_project(global, false, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
      return engine.restart(ref, {restart_flags->timeout, restart_flags->services}, code);
    });
  });

  auto start_services = std::make_shared<std::vector<std::string>>();
  CLI::App* start = app.add_subcommand("start", "Start the project's stopped containers (dependencies first)");
  start->add_option("services", *start_services, "Only these services");
  start->callback([start_services, &global, &exit_code] {
    exit_code = on_project(global, false, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
      return engine.start(ref, {*start_services}, code);
    });
  });

  struct KillFlags {
    std::string signal = "SIGKILL";
    std::vector<std::string> services;
  };
  auto kf = std::make_shared<KillFlags>();
  CLI::App* kill = app.add_subcommand("kill", "Send a signal to the project's containers (default SIGKILL)");
  kill->add_option("-s,--signal", kf->signal, "Signal name or number");
  kill->add_option("services", kf->services, "Only these services");
  kill->callback([kf, &global, &exit_code] {
    std::optional<int> signal = runtime::signal_number(kf->signal);
    if (!signal) {
      exit_code = fail(kf->signal + " is not a signal");
      return;
    }
    exit_code = on_project(global, false, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
      return engine.kill(ref, {*signal, kf->services}, code);
    });
  });

  struct RmFlags {
    bool force = false, stop = false, volumes = false;
    std::vector<std::string> services;
  };
  auto rf = std::make_shared<RmFlags>();
  CLI::App* rm = app.add_subcommand("rm", "Remove the project's stopped containers");
  rm->add_flag("-f,--force", rf->force, "Do not ask");
  rm->add_flag("-s,--stop", rf->stop, "Stop them first");
  rm->add_flag("-v,--volumes", rf->volumes, "Also remove their anonymous volumes");
  rm->add_option("services", rf->services, "Only these services");
  rm->callback([rf, &global, &exit_code] {
    compose::RmOptions o{rf->stop, rf->volumes, rf->services, {}};
    // As Compose: asked on a terminal, unless -f.
    if (!rf->force && ::isatty(STDIN_FILENO))
      o.confirm = [](const std::vector<std::string>& names) {
        std::cout << "Going to remove";
        for (const std::string& name : names) std::cout << " " << name;
        std::cout << "\n? Are you sure? [y/N] " << std::flush;
        std::string answer;
        std::getline(std::cin, answer);
        return answer == "y" || answer == "Y" || answer == "yes";
      };
    exit_code = on_project(global, false, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
      return engine.rm(ref, o, code);
    });
  });

  auto ef = std::make_shared<ExecFlags>();
  CLI::App* exec_cmd = app.add_subcommand("exec", "Run a command in a service's running container");
  exec_cmd->add_flag("-T,--no-TTY", ef->no_tty, "No terminal (default: one when stdin is a terminal)");
  exec_cmd->add_option("-u,--user", ef->options.user, "USER[:GROUP]");
  exec_cmd->add_option("-w,--workdir", ef->options.workdir, "Working directory");
  exec_cmd->add_option("-e,--env", ef->options.env, "KEY=VALUE")->allow_extra_args(false);
  exec_cmd->add_option("--index", ef->options.index, "Which replica (default 1)");
  exec_cmd->add_option("service", ef->options.service, "SERVICE")->required();
  // Everything after SERVICE belongs to the command, options included.
  exec_cmd->prefix_command();
  exec_cmd->fallthrough(false);
  exec_cmd->callback([ef, exec_cmd, &global, &exit_code] {
    compose::ExecOptions o = ef->options;
    o.command = exec_cmd->remaining();
    o.env = with_values_from_environment(o.env);
    o.interactive = !ef->no_tty;
    o.tty = !ef->no_tty && ::isatty(STDIN_FILENO);
    exit_code = on_project(global, false, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
      return engine.exec(ref, o, code);
    });
  });

  auto rf2 = std::make_shared<RunFlags>();
  compose::RunOptions& ro = rf2->options;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a one-off container of a service on the project's networks");
  run_cmd->add_flag("--rm", ro.remove, "Remove it when it exits");
  run_cmd->add_flag("-d,--detach", ro.detach, "Run in the background; print its name");
  run_cmd->add_flag("--no-deps", ro.no_deps, "Do not start the services it depends on");
  run_cmd->add_flag("-T,--no-TTY", rf2->no_tty, "No terminal, stdin not read");
  run_cmd->add_flag("-P,--service-ports", ro.service_ports, "Publish the service's ports too");
  run_cmd->add_option("--name", ro.name, "Container name (default <project>-<service>-run-<id>)");
  run_cmd->add_option("--entrypoint", rf2->entrypoint, "Replace the entrypoint");
  run_cmd->add_option("-e,--env", ro.env, "KEY=VALUE")->allow_extra_args(false);
  run_cmd->add_option("-v,--volume", ro.volumes, "/HOST:/CONTAINER[:ro]")->allow_extra_args(false);
  run_cmd->add_option("-u,--user", ro.user, "USER[:GROUP]");
  run_cmd->add_option("-w,--workdir", ro.workdir, "Working directory");
  run_cmd->add_option("service", ro.service, "SERVICE")->required();
  run_cmd->prefix_command();
  run_cmd->fallthrough(false);
  run_cmd->callback([rf2, run_cmd, &global, &exit_code] {
    compose::RunOptions o = rf2->options;
    o.command = run_cmd->remaining();
    o.env = with_values_from_environment(o.env);
    if (!rf2->entrypoint.empty()) o.entrypoint = rf2->entrypoint;
    o.interactive = !o.detach && !rf2->no_tty;
    o.tty = o.interactive && ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
    exit_code = on_project(global, true, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
      return engine.run(ref, o, code);
    });
  });

  auto top_services = std::make_shared<std::vector<std::string>>();
  CLI::App* top = app.add_subcommand("top", "Show the processes of the project's running containers");
  top->add_option("services", *top_services, "Only these services");
  top->callback([top_services, &global, &exit_code] {
    exit_code = on_project(global, false, [&](compose::Compose& engine, const ProjectRef& ref, int*) {
      std::vector<ContainerProcesses> containers;
      runtime::Status s = engine.top(ref, {*top_services}, &containers);
      for (const ContainerProcesses& c : containers) {
        std::printf("%s\n%-8s %-8s %-8s %s\n", c.name.c_str(), "UID", "PID", "PPID", "CMD");
        for (const auto& p : c.processes) std::printf("%-8u %-8d %-8d %s\n", p.uid, p.pid, p.ppid, p.command.c_str());
        std::printf("\n");
      }
      return s;
    });
  });

  auto ls_all = std::make_shared<bool>(false);
  CLI::App* ls = app.add_subcommand("ls", "List the projects on this host");
  ls->add_flag("-a,--all", *ls_all, "Also projects with no running container");
  ls->callback([ls_all, &exit_code] {
    ui::ConsoleListener listener(std::cout, false);
    compose::HostMachine machine;
    std::vector<ProjectSummary> projects;
    if (runtime::Status s = compose::Compose(machine, listener).ls({*ls_all}, &projects); !s) {
      exit_code = fail(s.message());
      return;
    }
    std::printf("%-24s %s\n", "NAME", "STATUS");
    for (const ProjectSummary& p : projects) {
      std::string status;
      for (const auto& [state, n] : p.states) status += (status.empty() ? "" : ", ") + state + "(" + std::to_string(n) + ")";
      std::printf("%-24s %s\n", p.name.c_str(), status.c_str());
    }
    exit_code = 0;
  });
}

}  // namespace stack::cmd
