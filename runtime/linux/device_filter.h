// DeviceFilter: a cgroup v2 device allow list, as the eBPF program the kernel runs on every device access.
#pragma once

#include <string>
#include <vector>

#include "runtime/container_spec.h"
#include "runtime/status.h"

namespace stack::runtime::linux_ {

// Compiles `rules` into a BPF_PROG_TYPE_CGROUP_DEVICE program (an access
// is allowed when some rule matches its type, numbers and every access
// bit asked; else denied) and attaches it to the cgroup directory
// `cgroup_dir`, alongside what its ancestors have (BPF_F_ALLOW_MULTI: all
// must allow). The program lives as long as the cgroup.
Status attach_device_filter(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules);

}  // namespace stack::runtime::linux_
