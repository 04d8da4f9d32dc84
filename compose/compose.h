// Compose: the engine under the CLI: one call per operation with its Options, what happens told to a Listener.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compose/container_status.h"
#include "compose/image_progress.h"
#include "compose/project_containers.h"
#include "compose/service_builds.h"
#include "orchestrator/executor.h"
#include "runtime/linux/process_table.h"
#include "runtime/status.h"

namespace stack::compose {

// What the engine tells the user as it works: progress rows and warnings
// (the executor's), builds and pulls, and an attached `up`'s output.
class Listener : public orchestrator::ExecutorListener, public ImageProgress {
 public:
  // A row whose clock started at `since` (containers stopped together).
  virtual void step_since(const std::string& object, const std::string& status, bool done,
                          std::chrono::steady_clock::time_point since) = 0;
  // The rows are done: what is printed next goes below them.
  virtual void steps_done() = 0;
  // One warning, whether the executor's or a pull's (both bases ask for it).
  void warning(const std::string& message) override = 0;
  // A line for the user ("Gracefully stopping...", " Network p_default  Removed").
  virtual void say(const std::string& line) = 0;
  // An error that does not stop the operation (it goes on with the next
  // object; the exit status says it failed).
  virtual void error(const std::string& message) = 0;
  // Attached `up` and `logs`: the output of these containers (name,
  // label) too, followed by name; each print_attached() prints what came
  // since the last (at first: what the listener's view shows of before).
  virtual void attach(const std::vector<std::pair<std::string, std::string>>& containers) = 0;
  virtual void print_attached() = 0;
};

struct UpOptions {
  bool detach = false;  // return once started
  bool wait = false;    // with detach: once running and healthy (one-shots others wait on: completed)
  std::optional<int> wait_timeout;  // seconds --wait waits at most
  bool no_deps = false;             // only `services`, not what they need
  bool force_recreate = false, no_recreate = false;
  bool remove_orphans = false;
  bool abort_on_exit = false;   // attached: stop everything once one container ends
  std::string exit_code_from;   // attached: exit with this service's code (implies abort_on_exit)
  bool build = false, no_build = false;
  std::string pull;             // always, missing or never over each service's pull_policy; empty: theirs
  std::map<std::string, int> scale;  // replicas by service, over the files'
  std::vector<std::string> services;  // empty: all
  std::optional<int> timeout;         // seconds to wait for a container to stop (recreate, orphans, Ctrl-C)
  // Attached mode only. Called once the containers run, before following
  // them: from then on an interrupt (Ctrl-C) stops the stack rather than
  // the command. `interrupts` says how many came: the first stops the
  // stack gracefully, the second hurries it.
  std::function<void()> catch_interrupts = [] {};
  std::function<int()> interrupts = [] { return 0; };
};

struct DownOptions {
  bool volumes = false;         // the project's volumes too, named and anonymous
  std::optional<int> timeout;   // seconds to wait for each container to stop
  std::string rmi;              // "local": images built for the project; "all": every image its services use
};

// Which of the project's containers an operation acts on: those of
// `services`, or all when empty. An unknown service is an error.
struct StopOptions {
  std::optional<int> timeout;  // seconds before killing; default: each container's own
  std::vector<std::string> services;
};
struct StartOptions {
  std::vector<std::string> services;
};
// depends_on with `restart: true`: restarting a dependency restarts its
// dependents too, transitively.
using RestartOptions = StopOptions;
struct KillOptions {
  int signal = 9;  // SIGKILL
  std::vector<std::string> services;
};

struct RmOptions {
  bool stop = false;     // stop them first; otherwise running ones stay
  bool volumes = false;  // their anonymous volumes too
  std::vector<std::string> services;
  // Asked, with the containers' names, before anything is removed; false
  // removes nothing. Unset: nothing is asked (-f, or no terminal).
  std::function<bool(const std::vector<std::string>&)> confirm;
};

// `run`: a one-off container of `service`, on the project's networks,
// named <project>-<service>-run-<id> unless `name` says otherwise.
struct RunOptions {
  std::string service;
  std::vector<std::string> command;        // empty: the service's
  std::optional<std::string> entrypoint;   // replaces the service's
  std::string name, user, workdir;         // empty: the service's
  std::vector<std::string> env;            // KEY=VALUE, over the service's
  std::vector<std::string> volumes;        // /HOST:/CONTAINER[:ro], besides the service's
  bool remove = false;         // removed, with its anonymous volumes, once it exits
  bool detach = false;         // return once it runs
  bool no_deps = false;        // not the services it depends on
  bool service_ports = false;  // publish the service's ports too (else none)
  bool tty = false, interactive = false;
};

// `exec`: a command in replica `index` of a running service.
struct ExecOptions {
  std::string service;
  int index = 1;
  std::vector<std::string> command;
  std::vector<std::string> env;  // KEY=VALUE
  std::string user, workdir;
  bool tty = false, interactive = false;
};

// `logs`: the containers' output (one-offs too) through the listener's
// attach(); following, until none of them runs.
struct LogsOptions {
  bool follow = false;
  std::vector<std::string> services;
};

struct PsOptions {
  bool all = false;  // stopped ones too
  std::vector<std::string> services;
};
struct ContainerSummary {
  runtime::ContainerRecord record;
  ContainerStatus status;
};

struct TopOptions {
  std::vector<std::string> services;
};
struct ContainerProcesses {
  std::string name;
  std::vector<runtime::linux_::ProcessRow> processes;
};

struct LsOptions {
  bool all = false;  // projects with nothing running too
};
struct ProjectSummary {
  std::string name;
  std::map<std::string, int> states;  // "running" -> how many of its containers
};

// `pull`: the registry images of `services` (all when empty), whatever
// their pull_policy says.
struct PullOptions {
  std::vector<std::string> services;
  bool quiet = false;
  bool ignore_failures = false;  // warn about one that fails and go on
};
// `build`: the images of `services` (all when empty) that have a build section.
struct ServiceBuildOptions {
  std::vector<std::string> services;
  BuildOptions build;
};

class Machine;

class Compose {
 public:
  // `machine` is what it runs on (HostMachine, or a test's fake).
  Compose(Machine& machine, Listener& listener) : machine_(machine), listener_(listener) {}

  // Creates and starts the project's networks, volumes and containers in
  // dependency order, as `docker compose up` does. Detached, *exit_code is
  // 0 once they run (with wait: are ready); attached, it follows their
  // output until they end, one ends (abort_on_exit) or the user
  // interrupts, and *exit_code is `up`'s exit status. An error: nothing
  // more was started, and what it names is why.
  runtime::Status up(const ProjectRef& ref, const UpOptions& options, int* exit_code);

  // Stops the project's containers, dependents first, and removes them,
  // then its networks (found by label: the files may be gone), and as
  // asked its images and volumes. An object that cannot be removed is an
  // error told to the listener, and *exit_code 1; the rest still go.
  runtime::Status down(const ProjectRef& ref, const DownOptions& options, int* exit_code);

  // stop: dependents first, a service's replicas together. start: the
  // stopped ones, dependencies first. restart: both. kill: a signal to the
  // running ones. Each under the project's lock; a container that cannot
  // be acted on is an error told to the listener, and *exit_code 1.
  runtime::Status stop(const ProjectRef& ref, const StopOptions& options, int* exit_code);
  runtime::Status start(const ProjectRef& ref, const StartOptions& options, int* exit_code);
  runtime::Status restart(const ProjectRef& ref, const RestartOptions& options, int* exit_code);
  runtime::Status kill(const ProjectRef& ref, const KillOptions& options, int* exit_code);
  // rm: the stopped ones (all of them with `stop`), and their anonymous
  // volumes with `volumes`.
  runtime::Status rm(const ProjectRef& ref, const RmOptions& options, int* exit_code);

  // A one-off container: its image first, then (unless no_deps) the
  // services it depends on brought up detached, then it. *exit_code is its
  // command's (detached: 0 once it runs, its name said to the listener).
  runtime::Status run(const ProjectRef& ref, const RunOptions& options, int* exit_code);
  // A command in a running container; *exit_code is the command's, or
  // 125/126/127 as `docker exec`'s when it could not run.
  runtime::Status exec(const ProjectRef& ref, const ExecOptions& options, int* exit_code);
  // The containers' logs through the listener; following picks up
  // containers that start later and follows recreated ones by name.
  runtime::Status logs(const ProjectRef& ref, const LogsOptions& options);

  // What is there, for the CLI to print: the project's containers by
  // name (running ones unless `all`), the processes of its running ones,
  // the projects on this host.
  runtime::Status ps(const ProjectRef& ref, const PsOptions& options, std::vector<ContainerSummary>* out);
  runtime::Status top(const ProjectRef& ref, const TopOptions& options, std::vector<ContainerProcesses>* out);
  runtime::Status ls(const LsOptions& options, std::vector<ProjectSummary>* out);

  // The services' images, pulled or built, their progress told to the listener.
  runtime::Status pull(const ProjectRef& ref, const PullOptions& options);
  runtime::Status build(const ProjectRef& ref, const ServiceBuildOptions& options);

 private:
  // The hash a service's containers carry: its config, and the image a
  // build made (a rebuilt image recreates them, as Compose does).
  std::string config_hash(const ProjectRef& ref, const schema::ServiceSpec& service);

  Machine& machine_;
  Listener& listener_;
};

}  // namespace stack::compose
