// Links: the kernel side of networks and endpoints (bridges, veth pairs, addresses, routes), an interface tests fake.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "netbridge/ipv4.h"
#include "runtime/status.h"

namespace stack::netbridge {

using runtime::Status;

// One end of a network inside a container: a veth pair, `host_name` on the
// bridge, its peer `container_name` in the container's network namespace.
struct EndpointLink {
  std::string host_name;       // under IFNAMSIZ
  std::string bridge;
  int netns_fd = -1;           // the container's network namespace
  std::string container_name;  // "eth0", "eth1", ...
  Ipv4Address address;
  int prefix = 24;
  std::optional<Ipv4Address> gateway;  // the default route: the first network's only
  int mtu = 0;                         // 0: the kernel's default
};

class Links {
 public:
  virtual ~Links() = default;
  // The bridge with `gateway`/`prefix` as its address, up. Already there: left as it is.
  virtual Status ensure_bridge(const std::string& name, Ipv4Address gateway, int prefix, int mtu) = 0;
  // Removes a link (both ends of a veth pair); absent already is fine.
  virtual Status remove_link(const std::string& name) = 0;
  virtual bool link_exists(const std::string& name) = 0;
  // Waits up to `timeout_ms` for a link the kernel removes by itself (a
  // veth whose peer's namespace is being torn down); whether it went.
  virtual bool wait_until_gone(const std::string& name, int timeout_ms) = 0;
  // Creates the pair, attaches and raises the host end, and configures the
  // peer inside the namespace: address, up, default route.
  virtual Status add_endpoint(const EndpointLink& endpoint) = 0;
};

// Links through netlink (libnl-route), in our network namespace.
std::unique_ptr<Links> netlink_links();

}  // namespace stack::netbridge
