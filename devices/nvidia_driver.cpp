#include "devices/nvidia_driver.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "runtime/on_disk.h"

namespace stack::devices {
namespace {

// The libraries a CUDA program and nvidia-smi load, as libnvidia-container
// lists its "utility" and "compute" ones.
constexpr const char* kLibraries[] = {"libcuda.so",           "libcudadebugger.so",  "libnvidia-ml.so",
                                      "libnvidia-cfg.so",     "libnvidia-nvvm.so",   "libnvidia-ptxjitcompiler.so",
                                      "libnvidia-opencl.so",  "libnvidia-gpucomp.so", "libnvidia-allocator.so"};
constexpr const char* kBinaries[] = {"nvidia-smi", "nvidia-debugdump", "nvidia-persistenced", "nvidia-cuda-mps-control",
                                     "nvidia-cuda-mps-server"};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "Key:  value" lines.
std::map<std::string, std::string> fields(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (size_t colon = line.find(':'); colon != std::string::npos) out[trim(line.substr(0, colon))] = trim(line.substr(colon + 1));
  return out;
}

// A character device's major from /proc/devices, -1 when absent.
int char_major(const std::string& proc_devices, const std::string& name) {
  std::istringstream in(proc_devices);
  std::string line;
  while (std::getline(in, line) && line != "Character devices:") {
  }
  while (std::getline(in, line) && !line.empty()) {
    std::istringstream words(line);
    int major = -1;
    std::string driver;
    if (words >> major >> driver && driver == name) return major;
  }
  return -1;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

CdiDeviceNode node(const std::string& dev, const std::string& name, int major, int minor) {
  CdiDeviceNode n;
  n.path = "/dev/" + name;
  n.host_path = dev + "/" + name;
  n.type = "c";
  n.major = major;
  n.minor = minor;
  return n;
}

// The first 64-bit x86 entry of each library in `ldconfig -p`'s listing:
// "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1".
std::vector<std::string> driver_libraries(const std::string& ld_cache) {
  std::vector<std::string> out;
  std::istringstream in(ld_cache);
  for (std::string line; std::getline(in, line);) {
    std::string name = trim(line.substr(0, line.find(' ')));
    size_t arrow = line.find(" => ");
    if (arrow == std::string::npos || line.find("x86-64") == std::string::npos) continue;
    std::string path = trim(line.substr(arrow + 4));
    bool wanted = std::any_of(std::begin(kLibraries), std::end(kLibraries),
                              [&](const char* lib) { return name.rfind(std::string(lib) + ".", 0) == 0; });
    if (wanted && std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
  }
  return out;
}

// Each GPU directory of the driver, with the information it gives.
std::vector<std::pair<std::string, std::map<std::string, std::string>>> driver_gpus(const NvidiaDriverPaths& paths) {
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(paths.proc + "/driver/nvidia/gpus", ec))
    out.emplace_back(entry.path().filename().string(),
                     fields(runtime::read_whole_file(entry.path().string() + "/information").value_or("")));
  return out;
}

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

}  // namespace

bool nvidia_driver_loaded(const NvidiaDriverPaths& paths) { return exists(paths.proc + "/driver/nvidia/gpus"); }

std::vector<Gpu> gpus_from_nvidia_driver(const NvidiaDriverPaths& paths) {
  std::vector<Gpu> gpus;
  for (auto& [bus, info] : driver_gpus(paths)) {
    std::string minor = info["Device Minor"];
    if (!all_digits(minor)) continue;
    Gpu gpu;
    gpu.index = std::stoi(minor);
    gpu.uuid = info["GPU UUID"];
    gpu.id = !gpu.uuid.empty() ? gpu.uuid : std::string(kNvidiaGpuKind) + "=" + minor;
    gpu.cdi_names.push_back(std::string(kNvidiaGpuKind) + "=" + minor);
    if (!gpu.uuid.empty()) gpu.cdi_names.push_back(std::string(kNvidiaGpuKind) + "=" + gpu.uuid);
    gpu.edits.device_nodes.push_back(node(paths.dev, "nvidia" + minor, kNvidiaMajor, *gpu.index));
    gpus.push_back(std::move(gpu));
  }
  if (gpus.empty()) return gpus;
  std::sort(gpus.begin(), gpus.end(), [](const Gpu& a, const Gpu& b) { return *a.index < *b.index; });

  CdiEdits shared;
  std::string devices = runtime::read_whole_file(paths.proc + "/devices").value_or("");
  int uvm = char_major(devices, "nvidia-uvm");
  struct Control {
    const char* name;
    int major, minor;
  };
  for (const Control& c : {Control{"nvidiactl", kNvidiaMajor, 255}, Control{"nvidia-modeset", kNvidiaMajor, 254},
                           Control{"nvidia-uvm", uvm, 0}, Control{"nvidia-uvm-tools", uvm, 1}})
    if (c.major >= 0 && exists(paths.dev + "/" + c.name)) shared.device_nodes.push_back(node(paths.dev, c.name, c.major, c.minor));
  for (const std::string& lib : driver_libraries(paths.ld_cache))
    shared.mounts.push_back({lib, lib, "bind", {"ro", "nosuid", "nodev", "bind"}});
  for (const char* binary : kBinaries)
    for (const std::string& dir : paths.bin_dirs)
      if (std::string path = dir + "/" + binary; exists(path)) {
        shared.mounts.push_back({path, "/usr/bin/" + std::string(binary), "bind", {"ro", "nosuid", "nodev", "bind"}});
        break;
      }
  for (Gpu& gpu : gpus) gpu.edits.append(shared);
  return gpus;
}

std::vector<std::string> other_gpus_proc_dirs(const NvidiaDriverPaths& paths, const std::vector<int64_t>& minors) {
  std::vector<std::string> out;
  for (auto& [bus, info] : driver_gpus(paths)) {
    std::string minor = info["Device Minor"];
    if (all_digits(minor) && std::find(minors.begin(), minors.end(), std::stoll(minor)) == minors.end())
      out.push_back("/proc/driver/nvidia/gpus/" + bus);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace stack::devices
