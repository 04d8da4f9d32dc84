// ContainerProcess: clones the container's init into new namespaces and runs the create sequence in it.
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/container_spec.h"
#include "runtime/linux/cgroups.h"
#include "runtime/linux/rootfs.h"
#include "runtime/status.h"

namespace stack::runtime::linux_ {

// Exit statuses Docker uses when the container's command never ran.
constexpr int kExitRuntimeError = 125;
constexpr int kExitNotExecutable = 126;
constexpr int kExitNotFound = 127;

struct StartResult {
  pid_t pid = -1;
  int failure_exit = 0;  // 125/126/127 when the command could not start
};

// The create sequence, top to bottom:
//   parent: pipes; clone(new pid, mount, uts, ipc, net, cgroup namespaces)
//   sync 1  parent puts the child in its cgroup, then releases it
//   child:  unshare the cgroup namespace (so it sees its own cgroup as /),
//           loopback up, rootfs (overlay, mounts, devices, /etc files),
//           pivot_root, masked/read-only paths, hostname, user and groups,
//           capabilities, no_new_privs, seccomp, execve
//   sync 2  the error pipe closes on execve (success) or carries the
//           error and the exit status (125/126/127) from the child.
// stdio is inherited. On failure the child has exited; the caller reaps it.
// `seccomp_bpf` is the compiled filter (see seccomp_filter.h); empty: none.
Status start_container(const ContainerSpec& spec, const RootfsPaths& paths, const ContainerCgroup& cgroup,
                       const std::string& seccomp_bpf, StartResult* out);

}  // namespace stack::runtime::linux_
