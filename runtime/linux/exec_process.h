// ExecProcess: starts a further process inside a running container, in its namespaces and cgroup.
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/container_spec.h"
#include "runtime/linux/cgroups.h"
#include "runtime/linux/container_process.h"
#include "runtime/status.h"

namespace stack::runtime::linux_ {

// The exec sequence:
//   parent: open the init's namespaces; enter its pid namespace for our
//           next child only; fork; back to our own pid namespace
//   sync 1  parent puts the child in the container's cgroup, releases it
//   child:  join the ipc, uts, net, cgroup and mount namespaces (which
//           puts it at the container's root), working directory, then
//           exec_container_process (stdio, user, capabilities, seccomp)
//   sync 2  as start_container.
// `init_pid` must be the container's running init.
Status exec_in_container(pid_t init_pid, const ContainerCgroup& cgroup, const ProcessSpec& process,
                         const std::string& seccomp_bpf, const ContainerStdio& stdio, StartResult* out);

}  // namespace stack::runtime::linux_
