// Firewall: a network's packet-filter rules (egress NAT, isolation from other networks, internal networks cut off); an interface tests fake.
#pragma once

#include <memory>

#include "netbridge/network_store.h"

namespace stack::netbridge {

class Firewall {
 public:
  virtual ~Firewall() = default;
  // Idempotent. Every network: traffic between its bridge and any other
  // stack bridge is dropped. Non-internal: forwarding on, its subnet
  // masqueraded on the way out. Internal: nothing in or out of the bridge.
  virtual Status add_network(const NetworkRecord& network) = 0;
  // Removes what add_network added; what is already gone is fine.
  virtual Status remove_network(const NetworkRecord& network) = 0;
};

// Rules through iptables (nf_tables backend on Debian), in a chain of our
// own, STACK-FORWARD, that FORWARD jumps to first.
std::unique_ptr<Firewall> iptables_firewall();

// In a container's new network namespace, kept at `network_namespace`:
// UDP and TCP to 127.0.0.11:53 go to 127.0.0.11:`port`, where its embedded
// resolver listens, as Docker's do, so that port 53 stays free for a DNS
// server the container runs itself. Through iptables in that namespace;
// `first` for a new namespace, else the redirect is moved to `port`.
Status redirect_embedded_dns(const std::string& network_namespace, uint16_t port, bool first);

}  // namespace stack::netbridge
