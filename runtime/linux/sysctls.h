// Sysctls: a container's own kernel parameters (those of the namespaces it has of its own), written as it starts.
#pragma once

#include <map>
#include <string>

#include "runtime/status.h"

namespace stack::runtime::linux_ {

// Writes each value under /proc/sys, as seen from inside the container
// (its /proc, before /proc/sys turns read-only). One that is not
// namespaced (runtime/kernel_settings.h) is refused. Errors name the sysctl.
Status write_sysctls(const std::map<std::string, std::string>& sysctls);

}  // namespace stack::runtime::linux_
