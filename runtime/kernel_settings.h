// KernelSettings: the names of the kernel settings a container may be given (resource limits, namespaced sysctls), as Docker and Compose spell them; checked where a stack file is read, applied by runtime/linux.
#pragma once

#include <string>
#include <vector>

namespace stack::runtime {

// The resource limits of Docker's --ulimit and Compose's ulimits: RLIMIT_*
// without its prefix, lower case ("nofile", "memlock", "stack", ...).
const std::vector<std::string>& rlimit_names();
bool known_rlimit(const std::string& name);

// Whether sysctl `name` (net.core.somaxconn, or net/core/somaxconn)
// belongs to a namespace a container has of its own, as Docker allows
// them: net.* (its network namespace), kernel.shm*, kernel.msg*,
// kernel.sem and fs.mqueue.* (its IPC namespace). Any other would change
// the host.
bool namespaced_sysctl(const std::string& name);

}  // namespace stack::runtime
