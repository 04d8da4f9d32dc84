// Endpoints: a container joined to its networks and taken off them: leases, bridges, veth pairs, host names.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "netbridge/firewall.h"
#include "netbridge/links.h"
#include "netbridge/network_store.h"

namespace stack::netbridge {

// One network a container joins, as `--network` / a service's `networks:` asks.
struct NetworkJoin {
  std::string network;
  std::vector<std::string> aliases;
  std::optional<Ipv4Address> ipv4_address;
};

class Endpoints {
 public:
  Endpoints(NetworkStore& store, Links& links, Firewall& firewall)
      : store_(store), links_(links), firewall_(firewall) {}

  // Joins container `id` (peers find it as `name` and the aliases) to
  // `joins` in order, as eth0, eth1...; the first network's gateway is its
  // default route. Bridges, and their firewall rules, are made on first
  // use. On failure what was done is undone. `reached` is told each step
  // done ("network-leased-N", "network-joined-N", N from 1), for tests that
  // kill the process there.
  Status attach(const std::string& id, const std::string& name, int netns_fd, const std::vector<NetworkJoin>& joins,
                std::vector<Ipv4Address>* addresses, const std::function<void(const std::string&)>& reached = {});

  // A container leaving: its ID and its networks, in the order joined.
  struct Departure {
    std::string id;
    std::vector<std::string> networks;
  };
  // Releases the containers' leases (one write per network) and removes
  // their host ends (the peers die with the namespaces), then every bridge
  // no endpoint uses any more, with its firewall rules.
  Status detach(const std::vector<Departure>& leaving);

  // Removes a network no endpoint is on: its record, then its bridge and
  // firewall rules if they are still there.
  Status remove_network(const std::string& name);

  // The host end of a container's veth pair on its `index`th network.
  static std::string host_link_name(const std::string& id, size_t index);

 private:
  // detach, with the links lock held.
  Status leave(const std::vector<Departure>& leaving);

  NetworkStore& store_;
  Links& links_;
  Firewall& firewall_;
};

// Every endpoint on `networks` by each of its names: /etc/hosts lines.
std::string peer_hosts(const NetworkStore& store, const std::vector<std::string>& networks);
// The same from records already read: `networks` are the ones joined.
std::string peer_hosts(const std::vector<const NetworkRecord*>& networks);

// A container's links (`links`: lines "ALIAS\tSERVICE") as /etc/hosts
// lines: each address on `networks` known by SERVICE under ALIAS.
std::string link_hosts(const std::vector<const NetworkRecord*>& networks, const std::string& links);

}  // namespace stack::netbridge
