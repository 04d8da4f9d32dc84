#include "compose/container_removal.h"

#include "compose/container_networks.h"
#include "compose/host.h"
#include "compose/service_devices.h"

namespace stack::compose {

void release_removed(const std::vector<runtime::ContainerRecord>& removed, bool keep_gpus) {
  if (removed.empty()) return;
  release_networks(removed);
  if (!keep_gpus) release_gpus(removed);
}

runtime::Status remove_container(const std::string& name_or_id, bool force, runtime::ContainerRecord* removed,
                                 bool keep_gpus) {
  runtime::ContainerStore store(runtime_paths().containers);
  if (runtime::Status s = store.remove(name_or_id, force, removed); !s) return s;
  release_removed({*removed}, keep_gpus);
  return runtime::Status::ok();
}

runtime::Status stop_and_remove_container(const runtime::ContainerRecord& record, std::optional<int> timeout,
                                          bool keep_gpus) {
  runtime::RuntimePaths paths = runtime_paths();
  runtime::ContainerStore(paths.containers).stop(record, timeout.value_or(record.stop_timeout), paths.cgroup_root);
  runtime::ContainerRecord removed;
  return remove_container(record.id, true, &removed, keep_gpus);
}

}  // namespace stack::compose
