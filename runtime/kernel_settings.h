// KernelSettings: the names of the kernel settings a container may be given (resource limits, namespaced sysctls), as Docker and Compose spell them; checked where a stack file is read, applied by runtime/linux.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/container_spec.h"

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

// Docker's cpu_shares (cgroup v1's cpu.shares, 2..262144, 1024 the
// default) as cgroup v2's cpu.weight (1..10000, 100 the default), by the
// conversion runc and crun use now: a curve through both ends and the
// defaults (1024 -> 100), rather than the earlier straight line that
// gave 1024 only 39.
int64_t cpu_weight_from_shares(int64_t shares);

// One rule of Docker's --device-cgroup-rule ("c 1:3 mr", "a *:* rwm",
// "b 8:* r"): type a, b or c; major and minor a number or *; access one
// to three of r, w, m. nullopt when it is not one.
std::optional<DeviceRule> parse_device_cgroup_rule(const std::string& text);

// What is wrong with a cpuset list ("0-3,5", as cpuset.cpus reads it);
// nullopt when nothing is.
std::optional<std::string> cpuset_list_problem(const std::string& text);

}  // namespace stack::runtime
