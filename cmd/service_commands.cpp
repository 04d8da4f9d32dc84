// `stack logs|start|stop|restart|kill|rm|exec|run|top|ls`: the everyday commands on a project's services.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "cmd/commands.h"
#include "compose/container_launch.h"
#include "compose/container_networks.h"
#include "compose/container_status.h"
#include "compose/project_containers.h"
#include "compose/service_builds.h"
#include "compose/service_devices.h"
#include "compose/service_pulls.h"
#include "ui/project_logs.h"
#include "runtime/on_disk.h"
#include "runtime/signal_names.h"
#include "schema/serialize.h"
#include "compose/host.h"
#include "cmd/project_ref.h"
#include "ui/console_image_progress.h"
#include "compose/container_removal.h"
#include "compose/compose.h"
#include "compose/machine.h"
#include "ui/console_listener.h"

namespace stack::cmd {

using namespace stack::compose;
namespace {

int fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

// The project's containers of `services` (all when empty), by name; with
// `one_offs`, `stack run` containers too. An unknown service is an error, printed.
bool select_containers(const ProjectRef& ref, const std::vector<std::string>& services, bool one_offs,
                       std::vector<runtime::ContainerRecord>* out) {
  runtime::Status s = select_service_containers(ref, project_containers(ref.name), services, one_offs, out);
  if (!s) fail(s.message());
  return s.is_ok();
}

// "web-1" for p-web-1: how logs and Compose label a container.
std::string log_label(const runtime::ContainerRecord& r, const std::string& project) {
  std::string prefix = project + "-";
  return r.name.rfind(prefix, 0) == 0 ? r.name.substr(prefix.size()) : r.name;
}

struct LogsFlags {
  bool follow = false, timestamps = false, no_color = false, no_prefix = false;
  std::string tail = "all", since;
  std::vector<std::string> services;
};

int logs(const GlobalOptions& global, const LogsFlags& f) {
  std::optional<ProjectRef> ref = find_project(global, false);
  if (!ref) return 1;
  ui::LogView view;
  view.timestamps = f.timestamps;
  view.prefix = !f.no_prefix;
  view.color = !f.no_color && ::isatty(STDOUT_FILENO);
  std::optional<long> tail = ui::parse_tail(f.tail);
  if (!tail) return fail("--tail " + f.tail + ": expected a number of lines or \"all\"");
  view.tail = *tail;
  if (!f.since.empty() && (view.since = ui::since_timestamp(f.since)).empty())
    return fail("--since " + f.since + ": expected a duration such as 10m or a UTC time such as 2026-01-02T15:04:05Z");
  runtime::ContainerStore store(runtime_paths().containers);
  ui::ProjectLogs merged(store, view);
  auto pick_up = [&] {
    std::vector<runtime::ContainerRecord> records;
    if (!select_containers(*ref, f.services, true, &records)) return false;
    for (const auto& r : records)
      if (!merged.has(r.name)) merged.add(r.name, log_label(r, ref->name));
    return true;
  };
  if (!pick_up()) return 1;
  merged.print_new();
  // Following: through restarts and recreations (by name), picking up
  // containers that start later, until none of them runs any more.
  while (f.follow) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    pick_up();
    merged.print_new();
    std::vector<runtime::ContainerRecord> records;
    select_containers(*ref, f.services, true, &records);
    if (std::none_of(records.begin(), records.end(), [](const auto& r) { return r.running() || r.runner_alive(); })) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      merged.print_new();
      break;
    }
  }
  return 0;
}

// Runs one operation of the engine on the project the options name (its
// files, or -p alone); its exit status.
template <typename Operation>
int on_project(const GlobalOptions& global, Operation operation) {
  std::optional<ProjectRef> ref = find_project(global, false);
  if (!ref) return 1;
  ui::ConsoleListener listener(std::cout, ::isatty(STDOUT_FILENO));
  compose::HostMachine machine;
  compose::Compose engine(machine, listener);
  int exit_code = 1;
  if (runtime::Status s = operation(engine, *ref, &exit_code); !s) return fail(s.message());
  return exit_code;
}

struct RunFlags {
  bool rm = false, detach = false, no_deps = false, no_tty = false, service_ports = false;
  std::string name, entrypoint, user, workdir;
  std::vector<std::string> env, volumes;
  std::string service;
  std::vector<std::string> command;
};

// A one-off container of a service, `<project>-<service>-run-<id>`, on the
// project's networks, without its published ports (unless asked).
int run(const GlobalOptions& global, const RunFlags& f) {
  std::optional<ProjectRef> ref = find_project(global, true);
  if (!ref) return 1;
  const schema::Project& project = *ref->project;
  const schema::ServiceSpec* service = project.service(f.service);
  if (!service) return fail("no such service: " + f.service);
  // Its image first, as Compose: a missing one starts none of its dependencies.
  ui::ConsoleImageProgress progress;
  if (runtime::Status s = resolve_service_images(project, {service}, {}, progress); !s) return fail(s.message());
  if (!f.no_deps && !service->depends_on.empty()) {
    std::vector<std::string> deps;
    for (const auto& [name, dep] : service->depends_on)
      if (project.service(name)) deps.push_back(name);
    if (!deps.empty())
      if (int rc = up_detached(global, deps); rc != 0) return rc;
  }
  LaunchRequest r;
  const schema::Node* services_tree = ref->loaded->tree.find("services");
  const schema::Node* tree = services_tree ? services_tree->find(service->name) : nullptr;
  std::mt19937_64 random(std::random_device{}());
  char id[16];
  std::snprintf(id, sizeof id, "%012llx", static_cast<unsigned long long>(random() & 0xffffffffffffULL));
  std::string name = !f.name.empty() ? f.name : project.name + "-" + service->name + "-run-" + id;
  std::vector<PlannedContainer> planned = {{name, service}};
  std::map<std::string, std::vector<devices::Gpu>> gpus;
  if (runtime::Status s = reserve_gpus(project.name, planned, &gpus); !s) return fail(s.message());
  // As Compose: the project's networks, when nothing made them yet.
  if (runtime::Status s = create_project_networks(project); !s) {
    release_gpus_of_missing(planned);
    return fail(s.message());
  }
  if (runtime::Status s = service_launch(project, *service, 1, tree ? schema::service_config_hash(*tree) : "", &r, name, gpus[name]); !s) {
    release_gpus_of_missing(planned);
    return fail(s.message());
  }
  r.labels[kOneOffLabel] = "True";
  r.detach = f.detach;
  r.remove = f.rm;
  if (f.rm) r.restart = {};
  bool terminal = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
  r.tty = !f.no_tty && !f.detach && terminal;
  r.interactive = !f.detach && !f.no_tty;
  if (!f.service_ports) r.ports.clear();
  if (!f.command.empty()) r.options.command = f.command;
  if (!f.entrypoint.empty()) r.options.entrypoint = std::vector<std::string>{f.entrypoint};
  for (const std::string& e : f.env) r.options.env.push_back(e);
  for (const std::string& v : f.volumes) r.options.volumes.push_back(v);
  if (!f.user.empty()) r.user = f.user;
  if (!f.workdir.empty()) r.options.working_dir = f.workdir;
  std::string container_id;
  int rc = launch_container(r, &container_id);
  release_gpus_of_missing(planned);  // it could not start, or ran and was removed
  if (f.detach && rc == 0) std::cout << r.name << "\n";
  // As Compose: a removed one-off takes its anonymous volumes with it.
  if (f.rm && !f.detach)
    for (const std::string& v : labelled_volumes(kVolumeContainerLabel, r.name))
      if (runtime::Status s = remove_volume(v); !s) std::cerr << "warning: " << s.message() << "\n";
  return rc;
}

// The processes of a running container: those in its init's pid namespace.
void print_top(const runtime::ContainerRecord& r) {
  std::string ns = "/proc/" + std::to_string(r.pid) + "/ns/pid";
  struct stat want {};
  if (::stat(ns.c_str(), &want) != 0) return;
  std::printf("%s\n%-8s %-8s %-8s %s\n", r.name.c_str(), "UID", "PID", "PPID", "CMD");
  DIR* proc = ::opendir("/proc");
  if (!proc) return;
  std::vector<int> pids;
  while (dirent* e = ::readdir(proc))
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9') pids.push_back(std::atoi(e->d_name));
  ::closedir(proc);
  std::sort(pids.begin(), pids.end());
  for (int pid : pids) {
    std::string dir = "/proc/" + std::to_string(pid);
    struct stat have {};
    if (::stat((dir + "/ns/pid").c_str(), &have) != 0 || have.st_ino != want.st_ino || have.st_dev != want.st_dev) continue;
    std::string status = runtime::read_whole_file(dir + "/status").value_or("");
    auto field = [&](const char* key) {
      size_t at = status.find(key);
      return at == std::string::npos ? 0 : std::atoi(status.c_str() + at + std::strlen(key));
    };
    std::string cmd = runtime::read_whole_file(dir + "/cmdline").value_or("");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    std::printf("%-8d %-8d %-8d %s\n", field("\nUid:"), pid, field("\nPPid:"), cmd.c_str());
  }
  std::printf("\n");
}

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
    exit_code = on_project(global, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
      return engine.stop(ref, {sf->timeout, sf->services}, code);
    });
  });

  auto restart_flags = std::make_shared<StopFlags>();
  CLI::App* restart = app.add_subcommand("restart", "Stop and start the project's containers again");
  restart->add_option("-t,--timeout", restart_flags->timeout, "Seconds to wait before killing (default: each container's)");
  restart->add_option("services", restart_flags->services, "Only these services");
  restart->callback([restart_flags, &global, &exit_code] {
    exit_code = on_project(global, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
      return engine.restart(ref, {restart_flags->timeout, restart_flags->services}, code);
    });
  });

  auto start_services = std::make_shared<std::vector<std::string>>();
  CLI::App* start = app.add_subcommand("start", "Start the project's stopped containers (dependencies first)");
  start->add_option("services", *start_services, "Only these services");
  start->callback([start_services, &global, &exit_code] {
    exit_code = on_project(global, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
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
    exit_code = on_project(global, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
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
    exit_code = on_project(global, [&](compose::Compose& engine, const ProjectRef& ref, int* code) {
      return engine.rm(ref, o, code);
    });
  });

  struct ServiceExec {
    ExecRequest request;
    bool no_tty = false;
    int index = 1;
    std::string service;
  };
  auto ef = std::make_shared<ServiceExec>();
  CLI::App* exec_cmd = app.add_subcommand("exec", "Run a command in a service's running container");
  exec_cmd->add_flag("-T,--no-TTY", ef->no_tty, "No terminal (default: one when stdin is a terminal)");
  exec_cmd->add_option("-u,--user", ef->request.user, "USER[:GROUP]");
  exec_cmd->add_option("-w,--workdir", ef->request.workdir, "Working directory");
  exec_cmd->add_option("-e,--env", ef->request.env, "KEY=VALUE")->allow_extra_args(false);
  exec_cmd->add_option("--index", ef->index, "Which replica (default 1)");
  exec_cmd->add_option("service", ef->service, "SERVICE")->required();
  // Everything after SERVICE belongs to the command, options included.
  exec_cmd->prefix_command();
  exec_cmd->fallthrough(false);
  exec_cmd->callback([ef, exec_cmd, &global, &exit_code] {
    std::optional<ProjectRef> ref = find_project(global, false);
    if (!ref) {
      exit_code = 1;
      return;
    }
    std::vector<runtime::ContainerRecord> records;
    if (!select_containers(*ref, {ef->service}, false, &records)) {
      exit_code = 1;
      return;
    }
    auto it = std::find_if(records.begin(), records.end(),
                           [&](const auto& r) { return r.labels.at(kNumberLabel) == std::to_string(ef->index); });
    if (it == records.end() || !it->running()) {
      exit_code = fail("service \"" + ef->service + "\" is not running");
      return;
    }
    ExecRequest request = ef->request;
    request.name = it->name;
    request.command = exec_cmd->remaining();
    request.interactive = !ef->no_tty;
    request.tty = !ef->no_tty && ::isatty(STDIN_FILENO);
    exit_code = exec_in_running_container(request);
  });

  auto rf2 = std::make_shared<RunFlags>();
  CLI::App* run_cmd = app.add_subcommand("run", "Run a one-off container of a service on the project's networks");
  run_cmd->add_flag("--rm", rf2->rm, "Remove it when it exits");
  run_cmd->add_flag("-d,--detach", rf2->detach, "Run in the background; print its name");
  run_cmd->add_flag("--no-deps", rf2->no_deps, "Do not start the services it depends on");
  run_cmd->add_flag("-T,--no-TTY", rf2->no_tty, "No terminal, stdin not read");
  run_cmd->add_flag("-P,--service-ports", rf2->service_ports, "Publish the service's ports too");
  run_cmd->add_option("--name", rf2->name, "Container name (default <project>-<service>-run-<id>)");
  run_cmd->add_option("--entrypoint", rf2->entrypoint, "Replace the entrypoint");
  run_cmd->add_option("-e,--env", rf2->env, "KEY=VALUE")->allow_extra_args(false);
  run_cmd->add_option("-v,--volume", rf2->volumes, "/HOST:/CONTAINER[:ro]")->allow_extra_args(false);
  run_cmd->add_option("-u,--user", rf2->user, "USER[:GROUP]");
  run_cmd->add_option("-w,--workdir", rf2->workdir, "Working directory");
  run_cmd->add_option("service", rf2->service, "SERVICE")->required();
  run_cmd->prefix_command();
  run_cmd->fallthrough(false);
  run_cmd->callback([rf2, run_cmd, &global, &exit_code] {
    rf2->command = run_cmd->remaining();
    exit_code = run(global, *rf2);
  });

  auto top_services = std::make_shared<std::vector<std::string>>();
  CLI::App* top = app.add_subcommand("top", "Show the processes of the project's running containers");
  top->add_option("services", *top_services, "Only these services");
  top->callback([top_services, &global, &exit_code] {
    std::optional<ProjectRef> ref = find_project(global, false);
    std::vector<runtime::ContainerRecord> records;
    if (!ref || !select_containers(*ref, *top_services, true, &records)) {
      exit_code = 1;
      return;
    }
    for (const auto& r : records)
      if (r.running()) print_top(r);
    exit_code = 0;
  });

  auto ls_all = std::make_shared<bool>(false);
  CLI::App* ls = app.add_subcommand("ls", "List the projects on this host");
  ls->add_flag("-a,--all", *ls_all, "Also projects with no running container");
  ls->callback([ls_all, &exit_code] {
    runtime::ContainerStore store(runtime_paths().containers);
    std::vector<runtime::ContainerRecord> all;
    store.list(&all);
    std::map<std::string, std::map<std::string, int>> projects;  // project -> state -> count
    for (const auto& r : all)
      if (auto p = r.labels.find(kProjectLabel); p != r.labels.end()) ++projects[p->second][std::string(runtime::to_string(container_status(store, r).state))];
    std::printf("%-24s %s\n", "NAME", "STATUS");
    for (const auto& [name, states] : projects) {
      if (!*ls_all && !states.count("running") && !states.count("restarting")) continue;
      std::string status;
      for (const auto& [state, n] : states) status += (status.empty() ? "" : ", ") + state + "(" + std::to_string(n) + ")";
      std::printf("%-24s %s\n", name.c_str(), status.c_str());
    }
    exit_code = 0;
  });
}

}  // namespace stack::cmd
