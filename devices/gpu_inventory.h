// GpuInventory: the host's GPUs as CDI declares them, one entry per GPU with all of its CDI names.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "devices/cdi_registry.h"

namespace stack::devices {

inline constexpr const char* kNvidiaGpuKind = "nvidia.com/gpu";

struct Gpu {
  std::string id;  // what the ledger records: the UUID when a name gives it, else the first CDI name
  std::optional<int> index;
  std::string uuid;
  std::vector<std::string> cdi_names;  // qualified: nvidia.com/gpu=0, nvidia.com/gpu=GPU-...
  CdiEdits edits;                      // the device's own, then the spec-wide ones

  // Whether `id` (an index, a UUID, a CDI name or its short name) names this GPU.
  bool answers_to(const std::string& id) const;
  // "GPU 0 (GPU-1a2b...)", for messages.
  std::string describe() const;
};

// The GPUs among the devices of `kind`: the names a spec gives one GPU
// (its index, its UUID) share its device nodes and are folded into one
// entry; "all" is the union of the others and is left out. In index order.
std::vector<Gpu> gpus_from_cdi(const CdiRegistry& registry, const std::string& kind = kNvidiaGpuKind);

}  // namespace stack::devices
