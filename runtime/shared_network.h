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

// When it is needed: at a create, X need only exist (`create` makes both
// before either runs); at a start, X must be running, as Docker requires:
// its kept namespace outlives its stops, but nothing serves its resolver
// or its ports while it is stopped.
enum class SharedNetworkUse { Create, Start };

// Finds it for container `name_or_id` of `store`, following X's own
// sharing. One made with X's init (X has no networks) is there only while
// X runs. An error names X and why it cannot be joined.
Status find_shared_network(const ContainerStore& store, const std::string& name_or_id, SharedNetworkUse use,
                           SharedNetwork* out);

}  // namespace stack::runtime
