#include "runtime/shared_network.h"

#include "runtime/linux/network_namespace.h"

namespace stack::runtime {

Status find_shared_network(const ContainerStore& store, const std::string& name_or_id, SharedNetworkUse use,
                           SharedNetwork* out) {
  std::string wanted = name_or_id;
  // A chain of containers each sharing the next one's; a cycle cannot be
  // made (each joins one that exists), but a bound costs nothing.
  for (int depth = 0; depth < 16; ++depth) {
    ContainerRecord record;
    ContainerSpec spec;
    if (Status s = store.find(wanted, &record); !s)
      return Status::error("the container whose network it shares: " + s.message());
    if (Status s = store.load_spec(record, &spec); !s) return s.with_context("container " + record.name);
    if (use == SharedNetworkUse::Start && !record.running())
      return Status::error("container " + record.name + ", whose network it shares, is not running");
    if (!spec.network_container.empty()) {
      wanted = spec.network_container;
      continue;
    }
    SharedNetwork shared;
    shared.etc_dir = store.dir(record.id) + "/etc";
    shared.hostname = spec.hostname;
    shared.host = spec.host_network;
    if (!spec.host_network) {
      if (!spec.network_namespace.empty() && linux_::is_network_namespace(spec.network_namespace)) {
        shared.namespace_path = spec.network_namespace;
      } else if (record.running()) {
        shared.namespace_path = linux_::process_network_namespace(record.pid);
      } else {
        return Status::error("container " + record.name + ", whose network it shares, is not running");
      }
    }
    *out = std::move(shared);
    return Status::ok();
  }
  return Status::error("container " + name_or_id + " shares the network of containers 16 deep");
}

}  // namespace stack::runtime
