// ContainerSession: how a container's processes run and are connected: attached to our stdio, under a detached shim, or exec'd into it.
#pragma once

#include "runtime/container_runner.h"
#include "runtime/container_store.h"
#include "runtime/shim_handover.h"

namespace stack::runtime {

struct Attachment {
  bool interactive = false;  // -i: the container reads our stdin
  bool terminal = false;     // -t: it gets a terminal of its own, relayed to ours
};

// Runs a container whose record `store` holds, in the foreground, in a
// session of its own: its output goes to our stdout and stderr and to its
// log (straight to our stdio, with no log, for a --rm container when none
// of our stdio is a terminal: the fast path; a terminal of ours is never
// the container's, its data goes through pipes we copy). The record says
// running once the command runs, and exited with its exit code and OOM
// flag after (unless --rm).
Status run_attached(const ContainerSpec& spec, const RuntimePaths& paths, const ContainerStore& store,
                    ContainerRecord* record, const Attachment& attach, const ContainerHooks& hooks, RunResult* out);

// Starts a detached shim (its own session, reparented to init) that runs
// the container with its output going to the log, records its end and
// removes it if --rm. Returns once the command runs; when it cannot, `out`
// holds the failure (125/126/127) as run_attached would.
Status run_detached(const ContainerSpec& spec, const RuntimePaths& paths, const ContainerStore& store,
                    ContainerRecord* record, bool terminal, const ContainerHooks& hooks, RunResult* out);

// Turns the calling process, a child its caller does not wait for, into
// the container's detached shim, as run_detached's is, without forking one:
// writes "0:running" (or "EXIT:why") and a NUL to `report_fd` once the
// command runs or cannot, and never returns.
[[noreturn]] void become_detached_shim(const ContainerSpec& spec, const RuntimePaths& paths, const ContainerStore& store,
                                       ContainerRecord* record, bool terminal, const ContainerHooks& hooks,
                                       int report_fd);

// Goes on as the detached shim of `record` whose supervisor program
// (RuntimePaths::supervisor) saw its init exit, as `resumed` says: finishes
// that run, then restarts the container or records its end, as the shim
// would have. Runs in the process of that shim, which exec'd `stack` again.
[[noreturn]] void resume_detached_shim(const ContainerSpec& spec, const RuntimePaths& paths, const ContainerStore& store,
                                       ContainerRecord* record, const ShimResume& resumed, const ContainerHooks& hooks);

// Runs `process` in the running container of `record` (namespaces, cgroup,
// and the capabilities, seccomp filter and no_new_privs of `spec`), in a
// session of its own, attached to our stdio (through pipes where that is
// a terminal), and waits for it. Signals are forwarded to it.
Status exec_attached(const ContainerSpec& spec, const ProcessSpec& process, const RuntimePaths& paths,
                     const ContainerRecord& record, const Attachment& attach, RunResult* out);

}  // namespace stack::runtime
