// Links through libnl-route: no `ip`, no shell.
#include <fcntl.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <chrono>
#include <thread>

#include "netbridge/links.h"

namespace stack::netbridge {
namespace {

Status nl_status(int err, const std::string& what) {
  if (err >= 0) return Status::ok();
  return Status::error(what + ": " + nl_geterror(err));
}

// Owners of libnl objects, freed on every path.
struct Socket {
  nl_sock* sk = nl_socket_alloc();
  ~Socket() { nl_socket_free(sk); }
};
struct Link {
  rtnl_link* l = nullptr;
  ~Link() {
    if (l) rtnl_link_put(l);
  }
};
struct Address {
  nl_addr* a = nullptr;
  ~Address() {
    if (a) nl_addr_put(a);
  }
};

Address ipv4(Ipv4Address address, int prefix) {
  uint32_t be = htonl(address.value);
  Address out;
  out.a = nl_addr_build(AF_INET, &be, sizeof be);
  nl_addr_set_prefixlen(out.a, prefix);
  return out;
}

Status connect(Socket& s) {
  if (!s.sk) return Status::error("netlink: out of memory");
  return nl_status(nl_connect(s.sk, NETLINK_ROUTE), "connecting to netlink");
}

// A netlink socket bound inside another network namespace: sockets keep
// the namespace they were made in, so we enter it only to connect.
Status connect_in(int netns_fd, Socket& s) {
  int own = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own < 0) return Status::from_errno("opening our network namespace");
  Status st;
  if (::setns(netns_fd, CLONE_NEWNET) != 0) st = Status::from_errno("entering the container's network namespace");
  if (st) st = connect(s);
  if (::setns(own, CLONE_NEWNET) != 0 && st) st = Status::from_errno("returning to our network namespace");
  ::close(own);
  return st;
}

Status find_link(Socket& s, const std::string& name, Link* out) {
  return nl_status(rtnl_link_get_kernel(s.sk, 0, name.c_str(), &out->l), "link " + name);
}

Status add_address(Socket& s, int ifindex, Ipv4Address address, int prefix, const std::string& on) {
  rtnl_addr* a = rtnl_addr_alloc();
  Address local = ipv4(address, prefix);
  rtnl_addr_set_ifindex(a, ifindex);
  rtnl_addr_set_local(a, local.a);
  int err = rtnl_addr_add(s.sk, a, 0);
  rtnl_addr_put(a);
  if (err == -NLE_EXIST) return Status::ok();
  return nl_status(err, "adding " + address.to_string() + "/" + std::to_string(prefix) + " to " + on);
}

Status set_up(Socket& s, rtnl_link* link, int master, const std::string& name) {
  rtnl_link* change = rtnl_link_alloc();
  rtnl_link_set_flags(change, IFF_UP);
  if (master > 0) rtnl_link_set_master(change, master);
  int err = rtnl_link_change(s.sk, link, change, 0);
  rtnl_link_put(change);
  return nl_status(err, "bringing " + name + " up");
}

class NetlinkLinks : public Links {
 public:
  Status ensure_bridge(const std::string& name, Ipv4Address gateway, int prefix, int mtu) override {
    Socket s;
    if (Status st = connect(s); !st) return st;
    Link bridge;
    if (rtnl_link_get_kernel(s.sk, 0, name.c_str(), &bridge.l) < 0) {
      Link fresh;
      fresh.l = rtnl_link_bridge_alloc();
      rtnl_link_set_name(fresh.l, name.c_str());
      if (mtu > 0) rtnl_link_set_mtu(fresh.l, static_cast<unsigned>(mtu));
      int err = rtnl_link_add(s.sk, fresh.l, NLM_F_CREATE | NLM_F_EXCL);
      if (err < 0 && err != -NLE_EXIST) return nl_status(err, "creating bridge " + name);
      if (Status st = find_link(s, name, &bridge); !st) return st;
    }
    if (Status st = add_address(s, rtnl_link_get_ifindex(bridge.l), gateway, prefix, name); !st) return st;
    return set_up(s, bridge.l, 0, name);
  }

  Status remove_link(const std::string& name) override {
    Socket s;
    if (Status st = connect(s); !st) return st;
    Link link;
    if (rtnl_link_get_kernel(s.sk, 0, name.c_str(), &link.l) < 0) return Status::ok();
    int err = rtnl_link_delete(s.sk, link.l);
    if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return Status::ok();
    return nl_status(err, "removing " + name);
  }

  bool link_exists(const std::string& name) override { return ::if_nametoindex(name.c_str()) != 0; }

  bool wait_until_gone(const std::string& name, int timeout_ms) override {
    for (int waited = 0; link_exists(name); waited += 2) {
      if (waited >= timeout_ms) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  Status add_endpoint(const EndpointLink& e) override {
    Socket s;
    if (Status st = connect(s); !st) return st;
    Link bridge;
    if (Status st = find_link(s, e.bridge, &bridge); !st) return st;
    Link veth;
    veth.l = rtnl_link_veth_alloc();
    rtnl_link_set_name(veth.l, e.host_name.c_str());
    rtnl_link* peer = rtnl_link_veth_get_peer(veth.l);
    rtnl_link_set_name(peer, e.container_name.c_str());
    rtnl_link_set_ns_fd(peer, e.netns_fd);
    if (e.mtu > 0) {
      rtnl_link_set_mtu(veth.l, static_cast<unsigned>(e.mtu));
      rtnl_link_set_mtu(peer, static_cast<unsigned>(e.mtu));
    }
    int err = rtnl_link_add(s.sk, veth.l, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_put(peer);
    if (err < 0) return nl_status(err, "creating veth pair " + e.host_name);
    Status st = configure(s, e, rtnl_link_get_ifindex(bridge.l));
    if (!st) remove_link(e.host_name);  // takes the peer with it
    return st;
  }

 private:
  Status configure(Socket& s, const EndpointLink& e, int bridge_index) {
    Link host;
    if (Status st = find_link(s, e.host_name, &host); !st) return st;
    if (Status st = set_up(s, host.l, bridge_index, e.host_name); !st) return st;
    Socket inside;
    if (Status st = connect_in(e.netns_fd, inside); !st) return st;
    Link peer;
    if (Status st = find_link(inside, e.container_name, &peer); !st) return st;
    int index = rtnl_link_get_ifindex(peer.l);
    if (Status st = add_address(inside, index, e.address, e.prefix, e.container_name); !st) return st;
    if (Status st = set_up(inside, peer.l, 0, e.container_name); !st) return st;
    if (!e.gateway) return Status::ok();
    rtnl_route* route = rtnl_route_alloc();
    Address any = ipv4({0}, 0), via = ipv4(*e.gateway, 32);
    rtnl_route_set_family(route, AF_INET);
    rtnl_route_set_dst(route, any.a);
    rtnl_nexthop* hop = rtnl_route_nh_alloc();
    rtnl_route_nh_set_ifindex(hop, index);
    rtnl_route_nh_set_gateway(hop, via.a);
    rtnl_route_add_nexthop(route, hop);  // the route owns it now
    int err = rtnl_route_add(inside.sk, route, NLM_F_CREATE);
    rtnl_route_put(route);
    return nl_status(err, "adding the default route via " + e.gateway->to_string());
  }
};

}  // namespace

std::unique_ptr<Links> netlink_links() { return std::make_unique<NetlinkLinks>(); }

}  // namespace stack::netbridge
