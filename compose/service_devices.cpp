#include "compose/service_devices.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "compose/host.h"
#include "devices/host_device_node.h"
#include "devices/nvidia_driver.h"

namespace stack::compose {
namespace {

// One CDI device node as the runtime makes it: numbers and mode from the
// spec, or else from the host's node. Not inlined: GCC 12, inlining it
// into apply_edits, takes `n` for part of `node` (a false -Warray-bounds).
[[gnu::noinline]] runtime::Status device_node(const devices::CdiDeviceNode& n, runtime::DeviceNode* node, runtime::DeviceRule* rule) {
  std::string host = n.host_path.empty() ? n.path : n.host_path;
  std::optional<devices::HostDeviceNode> on_host = devices::find_host_device_node(host);
  if (!on_host && (!n.major || !n.minor))
    return runtime::Status::error("device node " + host + " is not on this host and its spec gives no major and minor");
  node->path = n.path;
  node->type = !n.type.empty() ? n.type[0] : on_host ? on_host->type : 'c';
  node->major = n.major ? *n.major : on_host->major;
  node->minor = n.minor ? *n.minor : on_host->minor;
  node->file_mode = n.file_mode ? *n.file_mode : on_host ? on_host->file_mode : 0666;
  node->uid = n.uid ? *n.uid : on_host ? on_host->uid : 0;
  node->gid = n.gid ? *n.gid : on_host ? on_host->gid : 0;
  *rule = {node->type, node->major, node->minor, n.permissions.empty() ? "rwm" : n.permissions};
  return runtime::Status::ok();
}

// Several GPUs of one spec bring its spec-wide edits each: a node, mount
// or variable is applied once.
runtime::Status apply_edits(const devices::CdiEdits& edits, runtime::RunOptions* o, std::vector<std::string>* cdi_env) {
  for (const devices::CdiDeviceNode& n : edits.device_nodes) {
    if (std::any_of(o->device_nodes.begin(), o->device_nodes.end(), [&](const runtime::DeviceNode& d) { return d.path == n.path; }))
      continue;
    runtime::DeviceNode node;
    runtime::DeviceRule rule;
    if (runtime::Status s = device_node(n, &node, &rule); !s) return s;
    o->device_nodes.push_back(node);
    o->device_rules.push_back(rule);
  }
  for (const devices::CdiMount& m : edits.mounts) {
    bool read_only = std::find(m.options.begin(), m.options.end(), "ro") != m.options.end();
    std::string volume = m.host_path + ":" + m.container_path + (read_only ? ":ro" : "");
    if (std::find(o->volumes.begin(), o->volumes.end(), volume) == o->volumes.end()) o->volumes.push_back(volume);
  }
  for (const std::string& e : edits.env)
    if (std::find(cdi_env->begin(), cdi_env->end(), e) == cdi_env->end()) cdi_env->push_back(e);
  for (const devices::CdiHook& h : edits.hooks) {
    runtime::HookSpec hook{h.hook_name, h.path, h.args, h.env, h.timeout_s.value_or(0)};
    bool known = std::any_of(o->hooks.begin(), o->hooks.end(), [&](const runtime::HookSpec& k) {
      return k.stage == hook.stage && k.path == hook.path && k.args == hook.args;
    });
    if (!known) o->hooks.push_back(hook);
  }
  for (uint32_t g : edits.additional_gids)
    if (std::find(o->additional_gids.begin(), o->additional_gids.end(), g) == o->additional_gids.end())
      o->additional_gids.push_back(g);
  return runtime::Status::ok();
}

// `ldconfig -p`: the libraries the ld cache knows and where they are.
std::string ld_cache_listing() {
  std::string out;
  if (FILE* p = ::popen("/sbin/ldconfig -p 2>/dev/null", "r")) {
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, p)) > 0;) out.append(buffer, n);
    ::pclose(p);
  }
  return out;
}

}  // namespace

const DeviceInventory& DeviceInventory::host() {
  static const DeviceInventory inventory = [] {
    DeviceInventory i;
    const std::vector<std::string>& dirs = compose::host().cdi_dirs;
    i.registry = devices::CdiRegistry::load(dirs);
    for (const auto& problem : i.registry.problems().all()) std::cerr << "warning: " << problem.format() << "\n";
    i.gpus = devices::gpus_from_cdi(i.registry);
    for (const std::string& d : dirs) i.searched += (i.searched.empty() ? "" : ", ") + d;
    // No CDI spec: the driver's own view, as nvidia-container-toolkit's
    // legacy mode finds it (unless the CDI specs alone are asked for).
    devices::NvidiaDriverPaths driver;
    if (i.gpus.empty() && !compose::host().cdi_only && devices::nvidia_driver_loaded(driver)) {
      driver.ld_cache = ld_cache_listing();
      i.gpus = devices::gpus_from_nvidia_driver(driver);
    }
    i.searched += " or the NVIDIA driver's /proc/driver/nvidia";
    return i;
  }();
  return inventory;
}

std::string gpu_ledger_dir() { return stack_root() + "/gpus"; }

devices::GpuLedger::Exists container_exists() {
  return [store = runtime::ContainerStore(runtime_paths().containers)](const devices::GpuHolder& h) {
    runtime::ContainerRecord record;
    return static_cast<bool>(store.find(h.container, &record));
  };
}

runtime::Status reserve_gpus(const std::string& project, const std::vector<PlannedContainer>& containers,
                             std::map<std::string, std::vector<devices::Gpu>>* granted) {
  std::vector<devices::GpuWant> wants;
  for (const PlannedContainer& c : containers) {
    std::optional<devices::GpuRequest> request;
    if (runtime::Status s = devices::gpu_request_of(*c.service, &request); !s) return s;
    if (request) wants.push_back({{c.name, project, c.service->name}, *request});
  }
  if (wants.empty()) return runtime::Status::ok();
  const DeviceInventory& inventory = DeviceInventory::host();
  if (inventory.gpus.empty())
    return runtime::Status::error("service " + wants.front().holder.service + " asks for " +
                                  wants.front().request.describe() + ": this host has no GPU (none declared by a CDI spec in " +
                                  inventory.searched + ")");
  std::map<std::string, std::vector<std::string>> ids;
  devices::GpuLedger ledger(gpu_ledger_dir());
  if (runtime::Status s = ledger.reserve(wants, inventory.gpus, container_exists(), &ids); !s) return s;
  for (const auto& [container, gpu_ids] : ids)
    for (const std::string& id : gpu_ids)
      for (const devices::Gpu& gpu : inventory.gpus)
        if (gpu.id == id) (*granted)[container].push_back(gpu);
  return runtime::Status::ok();
}

void release_gpus_of_missing(const std::vector<PlannedContainer>& containers) {
  std::vector<std::string> missing;
  devices::GpuLedger::Exists exists = container_exists();
  for (const PlannedContainer& c : containers) {
    std::optional<devices::GpuRequest> request;
    if (devices::gpu_request_of(*c.service, &request) && request && !exists({c.name, "", ""})) missing.push_back(c.name);
  }
  if (!missing.empty()) devices::GpuLedger(gpu_ledger_dir()).release(missing);
}

void release_gpus(const std::vector<runtime::ContainerRecord>& removed) {
  std::vector<std::string> names;
  for (const runtime::ContainerRecord& r : removed)
    if (!r.gpus.empty()) names.push_back(r.name);
  if (names.empty()) return;
  if (runtime::Status s = devices::GpuLedger(gpu_ledger_dir()).release(names); !s)
    std::cerr << "warning: " << s.message() << " (the next command drops the holds of removed containers)\n";
}

runtime::Status apply_devices(const schema::ServiceSpec& service, const std::vector<devices::Gpu>& gpus,
                              runtime::RunOptions* o) {
  auto fail = [&](const std::string& device, const runtime::Status& s) {
    return runtime::Status::error("service " + service.name + ": device " + device + ": " + s.message());
  };
  std::vector<std::string> cdi_env;
  for (const schema::DeviceMapping& m : service.devices) {
    if (!m.cdi()) {
      std::string mapping = m.source + ":" + m.target + (m.permissions.empty() ? "" : ":" + m.permissions);
      if (runtime::Status s = runtime::host_devices(mapping, &o->device_nodes, &o->device_rules); !s)
        return runtime::Status::error("service " + service.name + ": " + s.message());
      continue;
    }
    std::string kind, name;
    if (devices::split_cdi_name(m.source, &kind, &name) && kind == devices::kNvidiaGpuKind) continue;  // reserved
    const DeviceInventory& inventory = DeviceInventory::host();
    const devices::CdiDevice* device = inventory.registry.find(m.source);
    if (!device) return fail(m.source, runtime::Status::error("no CDI spec in " + inventory.searched + " declares it"));
    for (const devices::CdiEdits* edits : {&device->edits, &device->spec_edits})
      if (runtime::Status s = apply_edits(*edits, o, &cdi_env); !s) return fail(m.source, s);
  }
  std::string visible;
  for (const devices::Gpu& gpu : gpus) {
    if (runtime::Status s = apply_edits(gpu.edits, o, &cdi_env); !s) return fail(gpu.describe(), s);
    visible += (visible.empty() ? "" : ",") + (!gpu.uuid.empty() ? gpu.uuid : gpu.index ? std::to_string(*gpu.index) : gpu.id);
  }
  // NVML lists the GPUs the driver shows in /proc: the others' are hidden.
  if (!gpus.empty()) {
    std::vector<int64_t> held;
    for (const runtime::DeviceNode& n : o->device_nodes)
      if (n.type == 'c' && n.major == devices::kNvidiaMajor && n.minor < 254) held.push_back(n.minor);
    for (const std::string& dir : devices::other_gpus_proc_dirs({}, held)) o->masked_paths.push_back(dir);
  }
  // The service's own environment wins over the specs'; the GPUs it holds
  // are named whatever either says.
  o->env.insert(o->env.begin(), cdi_env.begin(), cdi_env.end());
  if (!gpus.empty()) o->env.push_back("NVIDIA_VISIBLE_DEVICES=" + visible);
  return runtime::Status::ok();
}

}  // namespace stack::compose
