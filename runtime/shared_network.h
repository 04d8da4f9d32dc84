// SharedNetwork: the network namespace a container shares with another (network_mode container:/service:), found from that one's state.
#pragma once

#include <string>

#include "runtime/container_store.h"
#include "runtime/status.h"

namespace stack::runtime {

// What a container that shares container X's network is given at a start:
// X's namespace and X's /etc files (hosts, resolv.conf, hostname), which
// X's networks keep current, as Docker gives them.
struct SharedNetwork {
  std::string namespace_path;  // X's kept namespace, or its running init's; empty with `host`
  bool host = false;           // X is in the host's namespace
  std::string etc_dir;         // X's directory of /etc files
  std::string hostname;        // X's
};

// Finds it for container `name_or_id` of `store`, following X's own
// sharing. X's kept namespace outlives its stops (as X's addresses do);
// one made with X's init (X has no networks) is there only while X runs.
// An error names X and why it cannot be joined.
Status find_shared_network(const ContainerStore& store, const std::string& name_or_id, SharedNetwork* out);

}  // namespace stack::runtime
