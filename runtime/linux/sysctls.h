// Sysctls: the kernel parameters a container may set for itself, those of the namespaces it has of its own, written as it starts.
#pragma once

#include <map>
#include <string>

#include "runtime/status.h"

namespace stack::runtime::linux_ {

// Whether `name` (net.core.somaxconn, or net/core/somaxconn) belongs to a
// namespace a container has of its own, as Docker allows them: net.* (its
// network namespace), kernel.shm*, kernel.msg*, kernel.sem and
// fs.mqueue.* (its IPC namespace). Any other would change the host.
bool namespaced_sysctl(const std::string& name);

// Writes each value under /proc/sys, as seen from inside the container
// (its /proc, before /proc/sys turns read-only). Errors name the sysctl.
Status write_sysctls(const std::map<std::string, std::string>& sysctls);

}  // namespace stack::runtime::linux_
