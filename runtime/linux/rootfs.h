// Rootfs: the child's side of the filesystem: overlay root, Docker's default mounts, pivot_root, masked paths.
#pragma once

#include <string>

#include "runtime/container_spec.h"
#include "runtime/status.h"

namespace stack::runtime::linux_ {

struct RootfsPaths {
  std::string upper, work, merged;  // overlay directories
  std::string etc_dir;              // hostname, hosts, resolv.conf to bind over /etc
};

// Runs in the container's new mount namespace, before pivot_root: makes
// propagation slave (nothing leaks to the host), mounts the overlay and
// every spec mount under `merged`, the device nodes and /etc files.
Status prepare_rootfs(const ContainerSpec& spec, const RootfsPaths& paths);

// pivot_root into `merged` and detach the old root.
Status enter_rootfs(const std::string& merged);

// After pivot_root: masked and read-only paths, a read-only root.
Status finish_rootfs(const ContainerSpec& spec);

}  // namespace stack::runtime::linux_
