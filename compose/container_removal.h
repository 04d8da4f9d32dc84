// ContainerRemoval: the one way a container goes: out of the store, then its networks and GPUs let go.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/container_store.h"
#include "runtime/status.h"

namespace stack::compose {

// Lets go of what removed containers held: their network endpoints and
// namespaces (one lease write per network) and, unless `keep_gpus` (a
// container recreated under its name, its GPUs reserved for the new one),
// their GPUs.
void release_removed(const std::vector<runtime::ContainerRecord>& removed, bool keep_gpus = false);

// Removes the container `name_or_id` (refused while it runs, unless
// `force`, which kills it) and releases what it held; *removed is its last
// record.
runtime::Status remove_container(const std::string& name_or_id, bool force, runtime::ContainerRecord* removed,
                                 bool keep_gpus = false);

// Stops it as `stop` does (its grace period, or `timeout`), then removes it.
runtime::Status stop_and_remove_container(const runtime::ContainerRecord& record, std::optional<int> timeout,
                                          bool keep_gpus = false);

}  // namespace stack::compose
