#include "netbridge/endpoints.h"

#include <thread>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace stack::netbridge {

std::string Endpoints::host_link_name(const std::string& id, size_t index) {
  return "vstk" + id.substr(0, 9) + std::to_string(index);  // 14 characters for up to 10 networks
}

Status Endpoints::attach(const std::string& id, const std::string& name, int netns_fd,
                         const std::vector<NetworkJoin>& joins, std::vector<Ipv4Address>* addresses,
                         const std::function<void(const std::string&)>& reached) {
  addresses->clear();
  runtime::FileLock lock;
  if (Status s = store_.lock_links(&lock); !s) return s;
  std::vector<std::string> joined;
  auto undo = [&](const Status& s) {
    leave({{id, joined}});
    return s;
  };
  if (joins.size() > 10) return Status::error("a container joins at most 10 networks");
  for (size_t i = 0; i < joins.size(); ++i) {
    const NetworkJoin& j = joins[i];
    NetworkRecord network;
    if (Status s = store_.find(j.network, &network); !s) return undo(s);
    std::vector<std::string> names = {name};
    names.insert(names.end(), j.aliases.begin(), j.aliases.end());
    Ipv4Address address;
    // The bridge and its rules are made by the network's first user and
    // removed with its last (see leave): checking them on every join
    // would cost an iptables run per rule.
    bool first_user = network.leases.empty();
    if (Status s = store_.lease(j.network, id, j.ipv4_address, names, &address); !s) return undo(s);
    joined.push_back(j.network);
    if (reached) reached("network-leased-" + std::to_string(i + 1));
    auto make_bridge = [&]() -> Status {
      if (Status s = links_.ensure_bridge(network.bridge, network.gateway, network.subnet.prefix, network.mtu); !s)
        return s.with_context("network " + j.network);
      return firewall_.add_network(network);
    };
    if (first_user)
      if (Status s = make_bridge(); !s) return undo(s);
    EndpointLink link;
    link.host_name = host_link_name(id, i);
    link.bridge = network.bridge;
    link.netns_fd = netns_fd;
    link.container_name = "eth" + std::to_string(i);
    link.address = address;
    link.prefix = network.subnet.prefix;
    if (i == 0 && !network.internal) link.gateway = network.gateway;
    link.mtu = network.mtu;
    Status added = links_.add_endpoint(link);
    if (!added && !first_user) {
      // The bridge went from under us (removed by hand, or a reboot): made again.
      if (Status s = make_bridge(); !s) return undo(s);
      added = links_.add_endpoint(link);
    }
    if (!added) return undo(added.with_context("network " + j.network));
    addresses->push_back(address);
    if (reached) reached("network-joined-" + std::to_string(i + 1));
  }
  return Status::ok();
}

Status Endpoints::detach(const std::vector<Departure>& leaving) {
  runtime::FileLock lock;
  if (Status s = store_.lock_links(&lock); !s) return s;
  return leave(leaving);
}

Status Endpoints::leave(const std::vector<Departure>& leaving) {
  Status first;
  auto keep_first = [&first](const Status& s) {
    if (!s && first) first = s;
  };
  // The host ends go with the containers' network namespaces, which the
  // kernel tears down in the background, several at once: waiting for
  // that is cheaper than a deletion, which waits for the network stack to
  // quiesce (25-40 ms each). Deleted when one stays (a namespace still held).
  std::map<std::string, std::vector<std::string>> by_network;  // network -> leaving endpoints
  for (const Departure& d : leaving)
    for (size_t i = 0; i < d.networks.size(); ++i) {
      std::string host = host_link_name(d.id, i);
      Status s = links_.wait_until_gone(host, 300) ? Status::ok() : links_.remove_link(host);
      keep_first(s);
      if (s) by_network[d.networks[i]].push_back(d.id);
    }
  for (const auto& [name, ids] : by_network) {
    Status s = store_.release(name, ids);
    NetworkRecord network;
    if (s && store_.find(name, &network) && network.leases.empty()) {
      // Deleting a bridge waits for the kernel's RCU grace periods (about
      // 50 ms here); the rules go meanwhile.
      Status rules;
      std::thread unfiltering([&] { rules = firewall_.remove_network(network); });
      s = links_.remove_link(network.bridge);
      unfiltering.join();
      if (s) s = rules;
    }
    keep_first(s);
  }
  return first;
}

Status Endpoints::remove_network(const std::string& name) {
  runtime::FileLock lock;
  if (Status s = store_.lock_links(&lock); !s) return s;
  NetworkRecord network;
  if (Status s = store_.find(name, &network); !s) return s;
  if (Status s = store_.remove(name); !s) return s;
  // Its last user took the bridge and its rules with it.
  if (!links_.link_exists(network.bridge)) return Status::ok();
  if (Status s = links_.remove_link(network.bridge); !s) return s;
  return firewall_.remove_network(network);
}

std::string peer_hosts(const NetworkStore& store, const std::vector<std::string>& networks) {
  std::vector<NetworkRecord> records(networks.size());
  std::vector<const NetworkRecord*> found;
  for (size_t i = 0; i < networks.size(); ++i)
    if (store.find(networks[i], &records[i])) found.push_back(&records[i]);
  return peer_hosts(found);
}

std::string link_hosts(const std::vector<const NetworkRecord*>& networks, const std::string& links) {
  std::string out;
  std::set<std::string> seen;
  std::istringstream lines(links);
  for (std::string line; std::getline(lines, line);) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::string alias = line.substr(0, tab), service = line.substr(tab + 1);
    for (const NetworkRecord* network : networks)
      for (const auto& [endpoint, lease] : network->leases)
        if (std::find(lease.names.begin(), lease.names.end(), service) != lease.names.end())
          if (std::string entry = lease.address.to_string() + "\t" + alias; seen.insert(entry).second) out += entry + "\n";
  }
  return out;
}

std::string peer_hosts(const std::vector<const NetworkRecord*>& networks) {
  std::string out;
  std::set<std::string> seen;
  for (const NetworkRecord* network : networks) {
    for (const auto& [endpoint, lease] : network->leases) {
      std::string line = lease.address.to_string();
      for (const std::string& n : lease.names) line += "\t" + n;
      if (seen.insert(line).second) out += line + "\n";
    }
  }
  return out;
}

}  // namespace stack::netbridge
