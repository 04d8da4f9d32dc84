// Compose: the engine under the CLI: one call per operation with its Options, what happens told to a Listener.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compose/image_progress.h"
#include "compose/project_containers.h"
#include "orchestrator/executor.h"
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
  // A line for the user ("Gracefully stopping...", " Network p_default  Removed").
  virtual void say(const std::string& line) = 0;
  // An error that does not stop the operation (it goes on with the next
  // object; the exit status says it failed).
  virtual void error(const std::string& message) = 0;
  // Attached `up`: the output of these containers (name, label) from now
  // on; each print_attached() prints what came since.
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

 private:
  Machine& machine_;
  Listener& listener_;
};

}  // namespace stack::compose
