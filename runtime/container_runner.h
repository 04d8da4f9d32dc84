// ContainerRun: one container from create to cleanup: state directory, cgroup, create sequence, reaping, removal.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "runtime/container_spec.h"
#include "runtime/linux/cgroups.h"
#include "runtime/linux/container_process.h"
#include "runtime/status.h"

namespace stack::runtime {

struct RunResult {
  int exit_code = 0;     // the command's, 128+N for a signal, 125/126/127 when it never ran
  bool oom_killed = false;
  std::string error;     // why the command never ran
};

struct RuntimePaths {
  std::string containers;   // STACK_ROOT/containers: writable layers and /etc files
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string seccomp_cache;  // compiled default filters; empty: compile every time
  std::string mount_points;   // the shared layer of empty mount points; empty: none, made in each writable layer
  // The small program a detached shim execs into once its container runs
  // (stack-shim), and the `stack` binary that program execs back into when
  // the container exits; either empty: the shim supervises in-process.
  std::string supervisor;
  std::string stack_binary;
};

// A container's /etc/hosts before it joins networks: localhost, its own
// name, and the lines it was given (extra_hosts).
std::string hosts_file(const std::string& hostname, const std::vector<std::string>& extra_hosts = {});

// The file the lines given to a container's /etc/hosts are kept in, under
// its state directory, for rewriting its /etc/hosts as peers come and go.
inline constexpr const char* kExtraHostsFile = "etc/extra_hosts";

// A container's /etc/resolv.conf: the host's (`host`, its text), each kind
// of line `dns` sets replaced by those, as Docker writes it. A host that
// names only loopback resolvers (unreachable from the container) gives
// way to 8.8.8.8, as Docker's does. In the host's network namespace
// (ResolvConfFor::HostNetwork) they are reachable, and kept. On project
// networks (ResolvConfFor::ProjectNetworks) the one nameserver is the
// embedded resolver at 127.0.0.11, which forwards to the others; search
// and options lines stay, as Docker writes it.
enum class ResolvConfFor { OwnNamespace, HostNetwork, ProjectNetworks };
std::string resolv_conf(const std::string& host, const DnsConfig& dns, ResolvConfFor where = ResolvConfFor::OwnNamespace);

// What the caller does around a container's life, as OCI hooks: `prestart`
// runs once the init exists, in its namespaces and cgroup, before it goes
// on (networks are joined there: a failure stops the start); `poststop`
// once it is gone and its cgroup removed. `released` runs once no restart
// follows: what outlives one run of the init (published ports) ends there.
// `hosts` gives the lines its /etc/hosts has after its own (its peers on
// its networks), asked for as each run starts.
struct ContainerHooks {
  std::function<std::string()> hosts;
  std::function<Status(pid_t)> prestart;
  std::function<void()> poststop;
  std::function<void()> released;
  // What `prestart` started that a shim's supervisor takes over across
  // exec (published ports, serialized by netbridge::PortProxy::handover);
  // empty: nothing.
  std::function<std::string()> handover;
  // The embedded DNS resolver `prestart` started, which the supervisor
  // serves while the init runs (serialized by netbridge::DnsResolver::handover);
  // empty: none.
  std::function<std::string()> resolver;
  // Called once a run's command runs and this process supervises it
  // (attached, or a detached shim whose supervisor program was not
  // exec'd): what `resolver` would have handed over is served from here.
  std::function<void()> supervising_here;
};

// A container whose init was started. Whatever fails, nothing it made is
// left behind once wait() returns but the writable layer of a kept
// container.
class ContainerRun {
 public:
  // Writes the /etc files, compiles the seccomp filter, creates the cgroup
  // and starts the init with `stdio`. An error: nothing was made. Otherwise
  // the init may still have failed to run its command: see start_error().
  static Status start(const ContainerSpec& spec, const RuntimePaths& paths, bool remove,
                      const linux_::ContainerStdio& stdio, const ContainerHooks& hooks,
                      std::unique_ptr<ContainerRun>* out);

  // The run whose init `pid` a shim started before it exec'd its
  // supervisor, which reaped it with `wait_status`: wait() finishes it.
  static std::unique_ptr<ContainerRun> adopt(const ContainerSpec& spec, const RuntimePaths& paths, bool remove,
                                             const ContainerHooks& hooks, pid_t pid, int wait_status);

  pid_t pid() const { return pid_; }
  // Why the command never ran, with its 125/126/127 exit; empty when it runs.
  const std::string& start_error() const { return start_error_; }
  int failure_exit() const { return failure_exit_; }

  // Reaps the init, kills whatever is left in the cgroup, removes the
  // cgroup, runs the poststop hook and, when `remove`, removes the
  // writable layer.
  Status wait(RunResult* out);

 private:
  ContainerRun() = default;
  std::string dir_, id_;
  bool remove_ = false;
  ContainerHooks hooks_;
  std::vector<HookSpec> oci_hooks_;  // the spec's, for poststop
  linux_::ContainerCgroup cgroup_;
  pid_t pid_ = -1;
  int reaped_status_ = -1;  // >= 0: reaped already, with this status
  std::string start_error_;
  int failure_exit_ = 0;
};

// Forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to `pid`
// for the life of the object.
class SignalForwarding {
 public:
  explicit SignalForwarding(pid_t pid);
  ~SignalForwarding();
  SignalForwarding(const SignalForwarding&) = delete;
  SignalForwarding& operator=(const SignalForwarding&) = delete;

 private:
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

}  // namespace stack::runtime
