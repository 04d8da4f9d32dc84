// HostRoutes: the host's IPv4 routes, which a new network's subnet must not overlap.
#pragma once

#include <string>

namespace stack::netbridge {

// The host's routing table as /proc/net/route lists it (the text
// NetworkStore takes); empty when it cannot be read.
std::string read_host_routes();

}  // namespace stack::netbridge
