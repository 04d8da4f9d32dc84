// ServiceDevices: a service's devices in its containers: GPUs reserved in the host-wide ledger, CDI edits and host device nodes as run options.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "devices/cdi_registry.h"
#include "devices/gpu_inventory.h"
#include "devices/gpu_ledger.h"
#include "runtime/container_store.h"
#include "runtime/default_spec.h"
#include "schema/project.h"

namespace stack::compose {

// The host's CDI devices and GPUs, read once per command, when first needed.
struct DeviceInventory {
  devices::CdiRegistry registry;
  std::vector<devices::Gpu> gpus;
  std::string searched;  // where they were looked for, for messages

  // Loads it, printing the specs' problems as warnings, once.
  static const DeviceInventory& host();
};

std::string gpu_ledger_dir();

// Whether a holder's container exists, for the ledger's stale holds.
devices::GpuLedger::Exists container_exists();

// A container to be, and the service it runs.
struct PlannedContainer {
  std::string name;
  const schema::ServiceSpec* service;
};

// Reserves the GPUs of every container that asks for some, all or none,
// before anything is made: a container that exists keeps its GPUs. The
// error names the service, what it asks and who holds the GPUs.
runtime::Status reserve_gpus(const std::string& project, const std::vector<PlannedContainer>& containers,
                             std::map<std::string, std::vector<devices::Gpu>>* granted);

// Drops the holds of the containers asking for GPUs that do not exist
// (after a failed `up`); the ledger is not touched for the others.
void release_gpus_of_missing(const std::vector<PlannedContainer>& containers);

// Drops the GPU holds of removed containers.
void release_gpus(const std::vector<runtime::ContainerRecord>& removed);

// What the service's devices and `gpus` put in a container: host nodes,
// the CDI edits of the devices it names and of its GPUs (nodes, cgroup
// rules, mounts, env, groups) and NVIDIA_VISIBLE_DEVICES naming the GPUs.
// Errors name the service and the device.
runtime::Status apply_devices(const schema::ServiceSpec& service, const std::vector<devices::Gpu>& gpus,
                              runtime::RunOptions* out);

}  // namespace stack::compose
