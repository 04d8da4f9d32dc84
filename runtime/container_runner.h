// ContainerRunner: runs one container in the foreground: state directory, cgroup, create sequence, wait, clean up.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "runtime/container_spec.h"
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
};

// Creates the container, runs it with the caller's stdio until it exits
// (forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 to it),
// then removes its cgroup and, when `remove`, its writable layer. Whatever
// fails, nothing it made is left behind but the writable layer of a kept
// container.
// `on_started` is called with the container's init pid once it runs.
Status run_container(const ContainerSpec& spec, const RuntimePaths& paths, bool remove, RunResult* out,
                     const std::function<void(pid_t)>& on_started = {});

}  // namespace stack::runtime
