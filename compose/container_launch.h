// ContainerLaunch: one container made from a local image and run, as `container run` and `up` ask.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "netbridge/endpoints.h"
#include "netbridge/port_proxy.h"
#include "runtime/image_store.h"
#include "runtime/default_spec.h"
#include "runtime/health_check.h"
#include "runtime/log_options.h"
#include "runtime/restart_policy.h"

namespace stack::compose {

// Where a container's links are kept, under its directory: "ALIAS\tSERVICE"
// lines, read whenever its /etc/hosts is written.
inline constexpr const char* kLinksFile = "links";

struct LaunchRequest {
  std::string image, name;  // name empty: the ID's first 12 characters
  runtime::RunOptions options;
  std::string user;         // empty: the image's
  bool init = false;        // --init: tini-static as PID 1
  bool remove = false, detach = false, tty = false, interactive = false;
  std::string stop_signal;  // empty: the image's, else SIGTERM
  int stop_timeout = 10;
  std::vector<netbridge::NetworkJoin> joins;
  std::vector<netbridge::PortMapping> ports;
  std::vector<std::string> gpus;  // reserved for it (their ledger ids), for its record
  std::map<std::string, std::string> labels;
  // links: alias -> service; its /etc/hosts (and so its resolver) finds
  // the service's containers by the alias too (kLinksFile).
  std::map<std::string, std::string> links;
  runtime::RestartPolicy restart;
  runtime::LogConfig log;
  // Replaces the image's HEALTHCHECK (an empty test keeps the image's
  // command with these timings); `no_healthcheck` turns both off.
  std::optional<runtime::HealthCheck> healthcheck;
  bool no_healthcheck = false;
  bool tell_peers = true;  // false: the caller refreshes the peers' /etc/hosts itself
};

// What launch_containers gives each launch it runs in a forked process,
// having done once for all of them what a launch alone does itself: find
// the image and check for stale containers. That process goes on as the
// container's shim, and reports its start on `report_fd` rather than by
// its exit. Pointers into the parent's memory: a forked launch reads its
// request where it is, as a copy would write every heap page it takes.
struct BatchedLaunch {
  const runtime::Image* image = nullptr;  // null: the launch looks it up
  int report_fd = -1;
};

// How a launch (or a start, or an exec) went. Errors are the caller's to print: the
// CLI as "error: " + error, the engine in the Status it hands on.
struct LaunchResult {
  int exit_code = 0;  // `container run`'s (or `container start`'s) exit status
  std::string error;  // what went wrong, when something did ("container web: ...")
  std::string id;     // the container's ID, once made
  // Attached: its command was OOM-killed ("container NAME was OOM-killed"),
  // its name here for saying so.
  bool oom_killed = false;
  std::string name;

  static LaunchResult failure(int exit_code, std::string error) {
    LaunchResult r;
    r.exit_code = exit_code;
    r.error = std::move(error);
    return r;
  }
};

// Creates the container (record, spec, ports bound, networks joined) and
// runs it. Its exit status: 125 when it could not be made; detached, 0
// once its command runs; attached, the command's.
LaunchResult launch_container(const LaunchRequest& request, const BatchedLaunch* batched = nullptr);

// Launches detached containers several at a time, each from a process of
// its own (forked: locks and IPAM leases stay per process) that then
// becomes its shim; how each went, in order. A launch that failed before
// its shim began sends its error back over its report pipe.
std::vector<LaunchResult> launch_containers(const std::vector<LaunchRequest>& requests);

// Reaps the shims of launch_containers that have ended: our children, they
// stay zombies until then (or until we exit and init adopts them).
void reap_ended_shims();

// Starts a stopped container again: same spec, writable layer, networks
// (and so addresses) and published ports. Fails with 125 attached, 1
// detached; attached, the command's exit status.
LaunchResult start_container(const std::string& name, bool attach, bool interactive);

// `stack __shim-resume TEXT`, exec'd by a container's supervisor program
// (stack-shim) in the shim's process once the init exited: finishes the
// run and goes on with its restart policy (runtime::resume_detached_shim).
int resume_shim(const std::string& text);

struct ExecRequest {
  bool interactive = false, tty = false;
  std::string user, workdir, name;
  std::vector<std::string> env, command;
};

// Runs a command in a running container: its exit status, or 125/126/127
// with the error.
LaunchResult exec_in_container(const ExecRequest& request);

}  // namespace stack::compose
