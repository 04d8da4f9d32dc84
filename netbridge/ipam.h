// Ipam: choosing a network's subnet and an endpoint's address; pure functions over what is already taken.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "netbridge/ipv4.h"
#include "runtime/status.h"

namespace stack::netbridge {

using runtime::Status;

// The default pool, as podman's 10.88.0.0/16 but beside it: /24s of 10.89.0.0/16.
Ipv4Subnet default_pool();
constexpr int kDefaultPrefix = 24;

// The subnets the host routes, from the text of /proc/net/route (the
// default route left out): a network must not shadow any of them.
std::vector<Ipv4Subnet> routed_subnets(const std::string& proc_net_route);

// The first subnet of `prefix` bits in `pool` that overlaps none of `taken`.
std::optional<Ipv4Subnet> choose_subnet(const Ipv4Subnet& pool, int prefix, const std::vector<Ipv4Subnet>& taken);

// The gateway by default: the subnet's first host (.1 of a /24).
Ipv4Address default_gateway(const Ipv4Subnet& subnet);

// The lowest free address of `range` (the whole subnet when unset) that is
// neither the network, the broadcast nor the gateway address.
std::optional<Ipv4Address> choose_address(const Ipv4Subnet& subnet, const std::optional<Ipv4Subnet>& range,
                                          Ipv4Address gateway, const std::set<Ipv4Address>& used);

// A static address asked for: inside the subnet, not reserved, not in use.
Status check_static_address(Ipv4Address wanted, const Ipv4Subnet& subnet, Ipv4Address gateway,
                            const std::set<Ipv4Address>& used);

}  // namespace stack::netbridge
