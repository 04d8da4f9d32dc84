// NetworkStore: the records of networks and their address leases under STACK_ROOT/networks, changed under one file lock.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "netbridge/ipv4.h"
#include "runtime/on_disk.h"
#include "runtime/status.h"

namespace stack::netbridge {

using runtime::Status;

// What a network is asked to be; unset fields are chosen by IPAM.
struct NetworkOptions {
  std::string name;
  std::optional<Ipv4Subnet> subnet, ip_range;
  std::optional<Ipv4Address> gateway;
  bool internal = false;  // no route out, no NAT
  int mtu = 0;            // 0: the kernel's default
  std::map<std::string, std::string> labels;
};

// An endpoint's address and the names peers find it by (container name, aliases).
struct Lease {
  Ipv4Address address;
  std::vector<std::string> names;
};

struct NetworkRecord {
  std::string name, id;
  std::string bridge;  // "stk-" + 11 characters of the ID: under IFNAMSIZ
  Ipv4Subnet subnet;
  std::optional<Ipv4Subnet> ip_range;
  Ipv4Address gateway;
  bool internal = false;
  int mtu = 0;
  std::map<std::string, std::string> labels;
  std::string created;
  std::map<std::string, Lease> leases;  // by endpoint: the container's ID
};

class NetworkStore {
 public:
  // `routes` gives the text of /proc/net/route when asked (a parameter so
  // that tests give their own).
  NetworkStore(std::string root, std::string routes) : root_(std::move(root)), routes_(std::move(routes)) {}

  // Creates the record, choosing what `options` leave unset. The subnet
  // must not overlap another network's or a route of the host. A network of
  // that name already there is returned as it is (`created` false).
  Status create(const NetworkOptions& options, NetworkRecord* out, bool* created = nullptr);
  Status find(const std::string& name, NetworkRecord* out) const;
  Status list(std::vector<NetworkRecord>* out) const;
  // Refused while endpoints hold leases.
  Status remove(const std::string& name);

  // The address of `endpoint` on `network`: the one it already has, the
  // static one asked for, or the lowest free one; `names` replace its names.
  Status lease(const std::string& network, const std::string& endpoint, const std::optional<Ipv4Address>& wanted,
               const std::vector<std::string>& names, Ipv4Address* out);
  // Lets go of the endpoints' leases, in one write.
  Status release(const std::string& network, const std::vector<std::string>& endpoints);

  // Serializes changes to the kernel side of networks (bridges, their
  // firewall rules, veth pairs) across processes: one process must not
  // remove a bridge another is attaching to, nor two add the same rules.
  Status lock_links(runtime::FileLock* out) const;

 private:
  std::string path(const std::string& name) const { return root_ + "/" + name + ".json"; }
  Status save(const NetworkRecord& record) const;
  std::string root_, routes_;
};

}  // namespace stack::netbridge
