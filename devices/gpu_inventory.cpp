#include "devices/gpu_inventory.h"

#include <algorithm>
#include <map>

namespace stack::devices {
namespace {

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

bool is_uuid(const std::string& s) { return s.rfind("GPU-", 0) == 0 || s.rfind("MIG-", 0) == 0; }

// What makes two CDI names one GPU: the host device nodes they hand over.
std::string node_key(const CdiDevice& d) {
  std::vector<std::string> paths;
  for (const CdiDeviceNode& n : d.edits.device_nodes) paths.push_back(n.host_path.empty() ? n.path : n.host_path);
  std::sort(paths.begin(), paths.end());
  std::string key;
  for (const std::string& p : paths) key += p + "\n";
  return key.empty() ? "name:" + d.name : key;
}

}  // namespace

bool Gpu::answers_to(const std::string& wanted) const {
  if (wanted == id || wanted == uuid) return true;
  if (index && all_digits(wanted) && std::stoi(wanted) == *index) return true;
  for (const std::string& name : cdi_names)
    if (wanted == name || wanted == name.substr(name.find('=') + 1)) return true;
  return false;
}

std::string Gpu::describe() const {
  std::string text = index ? "GPU " + std::to_string(*index) : "GPU " + id;
  if (index && !uuid.empty()) text += " (" + uuid + ")";
  return text;
}

std::vector<Gpu> gpus_from_cdi(const CdiRegistry& registry, const std::string& kind) {
  std::map<std::string, Gpu> by_nodes;
  std::vector<std::string> order;
  for (const CdiDevice* d : registry.of_kind(kind)) {
    if (d->name == "all") continue;
    std::string key = node_key(*d);
    auto [it, fresh] = by_nodes.try_emplace(key);
    Gpu& gpu = it->second;
    if (fresh) {
      order.push_back(key);
      gpu.edits = d->edits;
      gpu.edits.append(d->spec_edits);
    }
    gpu.cdi_names.push_back(d->qualified_name());
    if (all_digits(d->name) && !gpu.index) gpu.index = std::stoi(d->name);
    if (is_uuid(d->name) && gpu.uuid.empty()) gpu.uuid = d->name;
  }
  std::vector<Gpu> gpus;
  for (const std::string& key : order) {
    Gpu gpu = std::move(by_nodes[key]);
    gpu.id = !gpu.uuid.empty() ? gpu.uuid : gpu.cdi_names.front();
    gpus.push_back(std::move(gpu));
  }
  std::stable_sort(gpus.begin(), gpus.end(), [](const Gpu& a, const Gpu& b) {
    if (a.index && b.index) return *a.index < *b.index;
    return a.index.has_value() && !b.index.has_value();
  });
  return gpus;
}

}  // namespace stack::devices
