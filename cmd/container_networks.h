// ContainerNetworks: what `container run` does with netbridge: join networks at prestart, leave at poststop, keep /etc/hosts current.
#pragma once

#include <string>
#include <vector>

#include "netbridge/endpoints.h"
#include "netbridge/network_store.h"
#include "netbridge/port_proxy.h"
#include "runtime/container_runner.h"
#include "runtime/container_store.h"

namespace stack::cmd {

netbridge::NetworkStore network_store();

// prestart: joins the container's network namespace to `joins`, rewrites
// the /etc/hosts of everyone on them, and starts `ports` (bound already)
// forwarding to its address on the first network; poststop: stops them,
// leaves the networks and rewrites the peers' hosts again. No joins: no
// hooks (loopback only).
runtime::ContainerHooks network_hooks(const runtime::ContainerRecord& record,
                                      const std::vector<netbridge::NetworkJoin>& joins,
                                      std::shared_ptr<netbridge::PortProxy> ports);

// Leaves the networks of a container whose runner could not (it was killed).
void release_networks(const runtime::ContainerRecord& record);

// ContainerStore::reclaim_stale, then the networks of what it reclaimed;
// with `report`, says on stderr what was cleaned up.
void reclaim_containers(runtime::ContainerStore& store, bool report);

}  // namespace stack::cmd
