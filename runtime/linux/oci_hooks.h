// OciHooks: a container's OCI hooks run at one stage, with its state on their standard input.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "runtime/container_spec.h"
#include "runtime/status.h"

namespace stack::runtime::linux_ {

// Whether `spec` has hooks that run once its filesystem is mounted, and
// those stages, in the order they run.
bool has_mounted_hooks(const ContainerSpec& spec);
std::vector<std::string> mounted_stages();

// Runs the hooks of `stages`, in order, each with the OCI state
// ({ociVersion, id, status, pid, bundle}) on its standard input and, when
// `mount_namespace_of` is a pid, in that process's mount namespace. The
// first hook that fails, or outlives its timeout (then killed), stops the
// rest; the error names it.
Status run_hooks(const std::string& id, const std::vector<HookSpec>& hooks, const std::vector<std::string>& stages,
                 const std::string& status, pid_t pid, const std::string& bundle, pid_t mount_namespace_of);

}  // namespace stack::runtime::linux_
