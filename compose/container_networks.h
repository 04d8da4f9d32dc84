// ContainerNetworks: what `container run|start|rm` do with netbridge: a kept network namespace joined to networks, ports, /etc/hosts kept current.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "netbridge/endpoints.h"
#include "netbridge/network_store.h"
#include "netbridge/port_proxy.h"
#include "runtime/container_runner.h"
#include "runtime/container_store.h"
#include "schema/project.h"

namespace stack::compose {

netbridge::NetworkStore network_store();

// Makes the container's network namespace and joins it to `joins` (in
// order: eth0, eth1...), then rewrites the /etc/hosts of everyone on them.
// It stays joined across stops and starts until the container is removed,
// so its addresses stay too. On failure nothing is left.
// Its peers' /etc/hosts are rewritten to name it, unless `tell_peers` is
// false (`up` starting many at once does that once, with refresh_hosts_on).
runtime::Status join_networks(const runtime::ContainerRecord& record, const std::vector<netbridge::NetworkJoin>& joins,
                              bool tell_peers = true);

// A stopped container whose kept namespace is gone (the host restarted)
// joins its networks again, with the names and, where still free, the
// addresses its leases had.
runtime::Status rejoin_networks(const runtime::ContainerRecord& record);

// Rewrites the /etc/hosts of every container on `networks`.
void refresh_hosts_on(const std::vector<std::string>& networks);

// For each start: prestart rewrites its own hosts file (the start wrote it
// anew) and starts `ports` (bound already) forwarding to its address on
// the first network; once it is done for good, `released` stops them and,
// for a --rm container, leaves its networks. No networks: no hooks.
runtime::ContainerHooks network_hooks(const runtime::ContainerRecord& record,
                                      std::shared_ptr<netbridge::PortProxy> ports);

// Leaves the container's networks and removes its network namespace (when
// it is removed, or a --rm one was left behind by a killed runner).
void release_networks(const runtime::ContainerRecord& record);
// The same for several at once (`down`): one lease write per network, the
// namespaces torn down together, peers' /etc/hosts rewritten once.
void release_networks(const std::vector<runtime::ContainerRecord>& records);

// Removes a network no container is on, kernel side included.
runtime::Status remove_network(const std::string& name);

// The project's networks, made where missing (labelled with the project);
// external ones must exist.
runtime::Status create_project_networks(const schema::Project& project);

// ContainerStore::reclaim_stale, then the networks of the --rm containers
// it removed; with `report`, says on stderr what was cleaned up.
void reclaim_containers(runtime::ContainerStore& store, bool report);

}  // namespace stack::compose
