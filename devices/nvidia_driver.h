// NvidiaDriver: the host's NVIDIA GPUs found without CDI or toolkit: /proc/driver/nvidia, the /dev/nvidia* nodes, the driver's libraries and tools.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "devices/gpu_inventory.h"

namespace stack::devices {

// The character major of the GPUs' nodes (/dev/nvidia<minor>) and of
// nvidiactl (minor 255) and nvidia-modeset (254).
inline constexpr int kNvidiaMajor = 195;

// Where the driver shows itself; tests point these at a fake tree.
struct NvidiaDriverPaths {
  std::string proc = "/proc";  // driver/nvidia/gpus/*/information, devices
  std::string dev = "/dev";
  // The ld cache as `ldconfig -p` lists it: where the driver's user-space
  // libraries (libcuda, libnvidia-ml, ...) are.
  std::string ld_cache;
  std::vector<std::string> bin_dirs = {"/usr/bin", "/usr/local/bin", "/usr/sbin", "/bin", "/sbin"};
};

// Whether the NVIDIA kernel driver is loaded (it lists its GPUs in /proc).
bool nvidia_driver_loaded(const NvidiaDriverPaths& paths);

// The GPUs the driver lists, each as CDI would declare it: its own node
// (/dev/nvidia<minor>) and, shared by all, the control nodes that exist
// (nvidiactl, nvidia-uvm, nvidia-uvm-tools, nvidia-modeset; the uvm major
// from /proc/devices) and the driver's libraries and binaries bound
// read-only where the host has them. Named nvidia.com/gpu=<minor> and
// =<UUID>; in minor order.
std::vector<Gpu> gpus_from_nvidia_driver(const NvidiaDriverPaths& paths);

// The /proc/driver/nvidia/gpus/<bus> directories (as a container sees
// them) of the GPUs whose device minor is not in `minors`: masked in a
// container, as libnvidia-container does, so that NVML lists only the
// GPUs the container holds.
std::vector<std::string> other_gpus_proc_dirs(const NvidiaDriverPaths& paths, const std::vector<int64_t>& minors);

}  // namespace stack::devices
