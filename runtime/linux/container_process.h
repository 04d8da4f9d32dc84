// ContainerProcess: clones the container's init into new namespaces and runs the create sequence in it.
#pragma once

#include <sys/types.h>

#include <functional>
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

// What the container's init gets as stdin, stdout and stderr. With
// `console_socket` (a connected unix socket) and `terminal` in the process
// spec, it gets a new pseudo-terminal of its own /dev/pts instead and the
// master end is sent over the socket (SCM_RIGHTS), as runc does.
struct ContainerStdio {
  int in = 0, out = 1, err = 2;
  int console_socket = -1;
};

struct StartResult {
  pid_t pid = -1;
  int failure_exit = 0;  // 125/126/127 when the command could not start
};

// The create sequence, top to bottom:
//   parent: pipes; clone(new pid, mount, uts, ipc, net, cgroup namespaces)
//   sync 1  parent puts the child in its cgroup, runs `prestart` (which
//           may join the child's network namespace to networks), then
//           releases it
//   child:  unshare the cgroup namespace (so it sees its own cgroup as /),
//           loopback up, rootfs (overlay, mounts, devices, /etc files),
//   (sync)  when `mounted` is given: the child says its rootfs is mounted
//           and waits while the parent runs `mounted` (the OCI hooks)
//   child:  pivot_root, masked/read-only paths, hostname, user and groups,
//           capabilities, no_new_privs, seccomp, execve
//   sync 2  the error pipe closes on execve (success) or carries the
//           error and the exit status (125/126/127) from the child.
// On failure the child has exited; the caller reaps it.
// `seccomp_bpf` is the compiled filter (see seccomp_filter.h); empty: none.
Status start_container(const ContainerSpec& spec, const RootfsPaths& paths, const ContainerCgroup& cgroup,
                       const std::string& seccomp_bpf, const ContainerStdio& stdio,
                       const std::function<Status(pid_t)>& prestart, const std::function<Status(pid_t)>& mounted,
                       StartResult* out);

// The end of every create or exec sequence, in a child already inside the
// container's namespaces, root and working directory: a session of its own
// with its stdio (or with a new terminal), groups, user, capabilities,
// no_new_privs, seccomp, then execve.
// Failures are written to `error_fd` as "EXIT:message" before exiting with
// EXIT. `parent` is the pid expected to stay our parent: the parent-death
// signal is armed last, and if the parent already died we exit.
[[noreturn]] void exec_container_process(const ProcessSpec& process, const std::string& seccomp_bpf,
                                         const ContainerStdio& stdio, int error_fd, pid_t parent);

// Sync 2 on the parent's side: reads `error_fd` until it closes. Nothing
// read: the command runs. "EXIT:message": the error, with
// out->failure_exit set to EXIT. With `nul_terminated`, a report ends at
// its NUL instead, and the writer need not have closed its end yet.
Status read_start_report(int error_fd, StartResult* out, bool nul_terminated = false);

// A report read by other means (up to its NUL, if any), as read_start_report reads it.
Status parse_start_report(std::string report, StartResult* out);

// Receives the terminal master a child sent over `socket`; -1 on failure.
int receive_console(int socket);

}  // namespace stack::runtime::linux_
