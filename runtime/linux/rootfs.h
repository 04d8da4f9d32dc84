// Rootfs: the child's side of the filesystem: overlay root, Docker's default mounts, pivot_root, masked paths.
#pragma once

#include <string>
#include <vector>

#include "runtime/container_spec.h"
#include "runtime/status.h"

namespace stack::runtime::linux_ {

struct RootfsPaths {
  std::string upper, work, merged;  // overlay directories
  std::string etc_dir;              // hostname, hosts, resolv.conf to bind over /etc
  std::string mount_points;         // a layer over the image's (see make_mount_point_layer); empty: none
};

// The read-only layer every container's overlay has on top of its image's,
// as Docker's init layer: the mount points of the default mounts and /etc
// files (empty directories and files), so that mounting them creates
// nothing in the writable layer (each file made there costs a container's
// start a new inode, and its removal a deleted one). Made once, atomically.
Status make_mount_point_layer(const std::string& dir);

// Mounts an overlay at `target` of `lower_dirs` (top first), writable into
// `upper` (with `work`) or, with `upper` empty, read-only (then it needs at
// least two lower directories).
Status mount_overlay(const std::vector<std::string>& lower_dirs, const std::string& upper, const std::string& work,
                     const std::string& target);

// Runs in the container's new mount namespace, before pivot_root: makes
// propagation slave (nothing leaks to the host), mounts the overlay and
// every spec mount under `merged`, the device nodes and /etc files.
Status prepare_rootfs(const ContainerSpec& spec, const RootfsPaths& paths);

// pivot_root into `merged` and detach the old root.
Status enter_rootfs(const std::string& merged);

// After pivot_root: masked and read-only paths, a read-only root.
Status finish_rootfs(const ContainerSpec& spec);

}  // namespace stack::runtime::linux_
