#include "compose/container_networks.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include <iostream>
#include <algorithm>
#include <set>

#include "compose/host.h"
#include "compose/container_launch.h"
#include "compose/crash_points.h"
#include "compose/project_containers.h"
#include "compose/service_devices.h"
#include "netbridge/dns_resolver.h"
#include "netbridge/host_routes.h"
#include "runtime/linux/network_namespace.h"
#include "runtime/on_disk.h"

#include <nlohmann/json.hpp>

namespace stack::compose {
namespace {

// Writes `content` over a file that exists, never creating it: a container
// being removed meanwhile must not get its files back (its directory would
// then not be removable).
// In place, keeping the inode: it is bind-mounted, and a rename would not
// be seen. Unchanged content is left alone; the file is cut only when it
// shrank (freeing blocks can be slow: a discard on some filesystems).
void rewrite_existing(const std::string& path, const std::string& content) {
  if (runtime::read_whole_file(path) == content) return;
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::pwrite(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  if (done == content.size()) (void)!::ftruncate(fd, static_cast<off_t>(done));
  ::close(fd);
}

// Every container on any of `networks` gets its /etc/hosts written again.
// The network records are read once: a stack's up joins every service in
// turn, and each join refreshes all of its peers.
void refresh_hosts(netbridge::NetworkStore& store, const std::vector<std::string>& networks) {
  std::vector<netbridge::NetworkRecord> all;
  store.list(&all);
  std::set<std::string> endpoints;
  for (const auto& n : all)
    if (std::find(networks.begin(), networks.end(), n.name) != networks.end())
      for (const auto& [endpoint, lease] : n.leases) endpoints.insert(endpoint);
  for (const std::string& endpoint : endpoints) {
    std::vector<const netbridge::NetworkRecord*> joined;
    for (const auto& n : all)
      if (n.leases.count(endpoint)) joined.push_back(&n);
    std::string etc = runtime_paths().containers + "/" + endpoint + "/etc";
    std::string hostname = runtime::read_whole_file(etc + "/hostname").value_or("");
    while (!hostname.empty() && hostname.back() == '\n') hostname.pop_back();
    if (hostname.empty()) continue;  // not a container of ours, or being removed
    // The lines it was given (extra_hosts) stay; its peers (and its links'
    // aliases for them) are those of now.
    std::string dir = runtime_paths().containers + "/" + endpoint;
    std::string extra = runtime::read_whole_file(dir + "/" + runtime::kExtraHostsFile).value_or("");
    std::string links = runtime::read_whole_file(dir + "/" + kLinksFile).value_or("");
    rewrite_existing(etc + "/hosts", runtime::hosts_file(hostname) + extra + netbridge::peer_hosts(joined) +
                                         netbridge::link_hosts(joined, links));
  }
}

// Takes container `id` off `networks` and tells the peers.
void leave_networks(const std::vector<netbridge::Endpoints::Departure>& leaving) {
  netbridge::NetworkStore store = network_store();
  std::unique_ptr<netbridge::Links> links = netbridge::netlink_links();
  std::unique_ptr<netbridge::Firewall> firewall = netbridge::iptables_firewall();
  netbridge::Endpoints(store, *links, *firewall).detach(leaving);
  std::vector<std::string> networks;
  for (const auto& d : leaving)
    for (const std::string& n : d.networks)
      if (std::find(networks.begin(), networks.end(), n) == networks.end()) networks.push_back(n);
  refresh_hosts(store, networks);
}

void crash_point_reached(const std::string& step) { crash_point(step); }

uint32_t embedded_dns_address() { return netbridge::Ipv4Address::parse(netbridge::kEmbeddedDnsAddress)->value; }

// Where a container's resolver listens in its namespace, once chosen.
std::string dns_port_file(const runtime::ContainerRecord& record) {
  return runtime_paths().containers + "/" + record.id + "/dns-port";
}

// Picks the port the embedded resolver listens on in a container's new
// namespace at `ns` and sends 127.0.0.11:53 there. A port the kernel
// picks, and not 53, leaves 53 to a DNS server the container runs
// itself. Chosen once per namespace, so that a restart's resolver binds the
// port the redirect already names.
// A UDP socket on 127.0.0.11 at a port the kernel picks, in namespace
// `ns` (its port in *port), or -errno.
int bind_any_dns_port(const std::string& ns, uint16_t* port) {
  int udp = runtime::linux_::bind_in_network_namespace(ns, SOCK_DGRAM, embedded_dns_address(), 0);
  if (udp < 0) return udp;
  sockaddr_in at{};
  socklen_t size = sizeof at;
  if (::getsockname(udp, reinterpret_cast<sockaddr*>(&at), &size) != 0) {
    int e = errno;
    ::close(udp);
    return -e;
  }
  *port = ntohs(at.sin_port);
  return udp;
}

// The port chosen for a container's resolver; 0 when none is (a
// container made before the resolver moved off 53).
uint16_t chosen_dns_port(const std::string& port_file) {
  std::optional<std::string> text = runtime::read_whole_file(port_file);
  if (!text) return 0;
  long port = std::strtol(text->c_str(), nullptr, 10);
  return port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
}

runtime::Status redirect_embedded_dns(const runtime::ContainerRecord& record, const std::string& ns) {
  uint16_t port = 0;
  int udp = bind_any_dns_port(ns, &port);
  if (udp < 0) return runtime::Status::error("container " + record.name + ": choosing a port for its DNS resolver: " + std::strerror(-udp));
  ::close(udp);
  if (runtime::Status s = netbridge::redirect_embedded_dns(ns, port, true); !s) return s.with_context("container " + record.name);
  return runtime::write_file_atomically(dns_port_file(record), std::to_string(port) + "\n");
}

// Where container `id`'s queries to 127.0.0.11 go on to: its `dns:`
// servers (in its spec), else the host's.
std::vector<netbridge::Ipv4Address> dns_upstreams(const runtime::ContainerRecord& record) {
  // Only on internal networks, nothing leaves: not even a name to look up
  // outside (answered SERVFAIL), as Docker's resolver does there.
  netbridge::NetworkStore networks = network_store();
  bool reaches_out = false;
  for (const std::string& name : record.networks) {
    netbridge::NetworkRecord network;
    if (!networks.find(name, &network) || !network.internal) reaches_out = true;
  }
  if (!reaches_out) return {};
  std::vector<std::string> servers;
  runtime::ContainerStore store(runtime_paths().containers);
  if (std::optional<std::string> text = runtime::read_whole_file(store.spec_path(record.id))) {
    nlohmann::json spec = nlohmann::json::parse(*text, nullptr, false);
    if (spec.is_object() && spec.contains("dns") && spec["dns"].is_object() && spec["dns"].contains("servers") &&
        spec["dns"]["servers"].is_array())
      for (const nlohmann::json& s : spec["dns"]["servers"])
        if (s.is_string()) servers.push_back(s.get<std::string>());
  }
  return netbridge::DnsResolver::upstreams(runtime::read_whole_file("/etc/resolv.conf").value_or(""), servers);
}

// The embedded resolver of a container on networks, while it runs: opened
// in its network namespace as a run starts, and served by a thread of the
// process that supervises the run: a detached one's supervisor program
// (handed over across exec), else this one. A namespace shared with a
// container that serves there already (EADDRINUSE) has that one's.
class EmbeddedDns {
 public:
  explicit EmbeddedDns(const runtime::ContainerRecord& record)
      : name_(record.name),
        namespace_(runtime::ContainerStore(runtime_paths().containers).network_namespace_path(record.id)),
        hosts_(runtime_paths().containers + "/" + record.id + "/etc/hosts"),
        port_file_(dns_port_file(record)),
        upstreams_(dns_upstreams(record)) {}

  // Opens it, not serving yet: a detached shim hands it to its supervisor
  // program, and a thread started here would only end at that exec (where
  // threads are slow to make, that costs as much as the rest of the
  // container's start).
  runtime::Status open() {
    if (!resolver_) {
      // A container made before the resolver moved off port 53 has no
      // port file, and no redirect: it is served on 53 itself.
      uint16_t chosen = chosen_dns_port(port_file_);
      uint16_t port = chosen ? chosen : netbridge::kDnsPort;
      int fd = runtime::linux_::bind_in_network_namespace(namespace_, SOCK_DGRAM, embedded_dns_address(), port);
      if (fd == -EADDRINUSE && !chosen) return runtime::Status::ok();
      if (fd == -EADDRINUSE) {
        // Taken while the resolver was down (a process of a container
        // sharing the namespace, say): another port, and the redirect moved.
        fd = bind_any_dns_port(namespace_, &port);
        if (fd >= 0) {
          if (runtime::Status s = netbridge::redirect_embedded_dns(namespace_, port, false); !s) {
            ::close(fd);
            return s.with_context("container " + name_);
          }
          runtime::write_file_atomically(port_file_, std::to_string(port) + "\n");
        }
      }
      if (fd < 0)
        return runtime::Status::error("container " + name_ + ": serving DNS at " + netbridge::kEmbeddedDnsAddress + ":" +
                                      std::to_string(port) + ": " + std::strerror(-fd));
      resolver_ = std::make_unique<netbridge::DnsResolver>(fd, hosts_, upstreams_);
    }
    return runtime::Status::ok();
  }
  void serve_here() {
    if (resolver_) resolver_->start();
  }
  std::string handover() const { return resolver_ ? resolver_->handover() : std::string(); }
  void stop() { resolver_.reset(); }

 private:
  std::string name_, namespace_, hosts_, port_file_;
  std::vector<netbridge::Ipv4Address> upstreams_;
  std::unique_ptr<netbridge::DnsResolver> resolver_;
};

}  // namespace

netbridge::NetworkStore network_store() {
  return netbridge::NetworkStore(stack_root() + "/networks", netbridge::read_host_routes());
}

void refresh_hosts_on(const std::vector<std::string>& networks) {
  netbridge::NetworkStore store = network_store();
  refresh_hosts(store, networks);
}

runtime::Status join_networks(const runtime::ContainerRecord& record, const std::vector<netbridge::NetworkJoin>& joins,
                              bool tell_peers) {
  std::string path = runtime::ContainerStore(runtime_paths().containers).network_namespace_path(record.id);
  if (runtime::Status s = runtime::linux_::create_network_namespace(path); !s) return s;
  crash_point("network-namespace-made");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    runtime::Status s = runtime::Status::from_errno("opening " + path);
    runtime::linux_::remove_network_namespace(path);
    return s;
  }
  netbridge::NetworkStore store = network_store();
  std::unique_ptr<netbridge::Links> links = netbridge::netlink_links();
  std::unique_ptr<netbridge::Firewall> firewall = netbridge::iptables_firewall();
  std::vector<netbridge::Ipv4Address> addresses;
  runtime::Status s = netbridge::Endpoints(store, *links, *firewall)
                          .attach(record.id, record.name, fd, joins, &addresses, crash_point_reached);
  ::close(fd);
  std::vector<std::string> names;
  for (const auto& j : joins) names.push_back(j.network);
  if (s) {
    s = redirect_embedded_dns(record, path);
    if (!s) leave_networks({{record.id, names}});
  }
  if (!s) {
    runtime::linux_::remove_network_namespace(path);
    return s;
  }
  if (tell_peers) refresh_hosts(store, names);
  return s;
}

runtime::Status rejoin_networks(const runtime::ContainerRecord& record) {
  netbridge::NetworkStore store = network_store();
  std::vector<netbridge::NetworkJoin> joins;
  for (const std::string& name : record.networks) {
    netbridge::NetworkRecord network;
    if (runtime::Status s = store.find(name, &network); !s) return s;
    netbridge::NetworkJoin join{name, {}, std::nullopt};
    if (auto lease = network.leases.find(record.id); lease != network.leases.end()) {
      join.ipv4_address = lease->second.address;
      for (const std::string& n : lease->second.names)
        if (n != record.name) join.aliases.push_back(n);
    }
    joins.push_back(std::move(join));
  }
  // The links went with the namespace; the leases are given back and
  // taken again, and a bridge that went too is made again.
  release_networks(record);
  return join_networks(record, joins);
}

runtime::ContainerHooks network_hooks(const runtime::ContainerRecord& record,
                                      std::shared_ptr<netbridge::PortProxy> ports) {
  if (record.networks.empty()) return {};
  runtime::ContainerHooks hooks;
  // Read before the init is cloned, not in prestart: from the clone on,
  // every heap page the shim writes is copied.
  hooks.hosts = [networks = record.networks, id = record.id] {
    netbridge::NetworkStore store = network_store();
    std::vector<netbridge::NetworkRecord> records(networks.size());
    std::vector<const netbridge::NetworkRecord*> joined;
    for (size_t i = 0; i < networks.size(); ++i)
      if (store.find(networks[i], &records[i])) joined.push_back(&records[i]);
    std::string links = runtime::read_whole_file(runtime_paths().containers + "/" + id + "/" + kLinksFile).value_or("");
    return netbridge::peer_hosts(joined) + netbridge::link_hosts(joined, links);
  };
  auto dns = std::make_shared<EmbeddedDns>(record);
  // Published ports are served once the init exists, on its address; the
  // resolver once its namespace has its addresses.
  hooks.prestart = [record, ports, dns](pid_t) -> runtime::Status {
    if (runtime::Status s = dns->open(); !s) return s;
    if (ports) {
      netbridge::NetworkRecord first;
      if (runtime::Status s = network_store().find(record.networks[0], &first); !s) return s;
      auto lease = first.leases.find(record.id);
      if (lease == first.leases.end())
        return runtime::Status::error("container " + record.name + " has no address on " + first.name);
      ports->start(lease->second.address);
    }
    return runtime::Status::ok();
  };
  if (ports) hooks.handover = [ports] { return ports->handover(); };
  hooks.resolver = [dns] { return dns->handover(); };
  hooks.supervising_here = [dns] { dns->serve_here(); };
  hooks.released = [record, ports, dns] {
    dns->stop();
    if (ports) ports->stop();
    if (record.remove_on_exit) release_networks(record);
  };
  return hooks;
}

runtime::Status remove_network(const std::string& name) {
  netbridge::NetworkStore store = network_store();
  std::unique_ptr<netbridge::Links> links = netbridge::netlink_links();
  std::unique_ptr<netbridge::Firewall> firewall = netbridge::iptables_firewall();
  return netbridge::Endpoints(store, *links, *firewall).remove_network(name);
}

void release_networks(const std::vector<runtime::ContainerRecord>& records) {
  runtime::ContainerStore store(runtime_paths().containers);
  std::vector<netbridge::Endpoints::Departure> leaving;
  for (const runtime::ContainerRecord& r : records) {
    if (r.networks.empty()) continue;
    runtime::linux_::remove_network_namespace(store.network_namespace_path(r.id));
    leaving.push_back({r.id, r.networks});
  }
  if (!leaving.empty()) leave_networks(leaving);
}

void release_networks(const runtime::ContainerRecord& record) { release_networks(std::vector<runtime::ContainerRecord>{record}); }

void reclaim_containers(runtime::ContainerStore& store, bool report) {
  std::vector<runtime::ContainerRecord> removed, incomplete;
  for (const runtime::ContainerRecord& r : store.reclaim_stale(runtime_paths().cgroup_root)) {
    // A kept one keeps its networks, as a stopped one does.
    if (r.remove_on_exit || r.incomplete()) removed.push_back(r);
    if (r.incomplete()) incomplete.push_back(r);
    if (report) std::cerr << "cleaned up container " << r.name << ", whose stack process was killed\n";
  }
  if (!removed.empty()) release_networks(removed);
  // The GPUs `up` reserved for an incomplete one, by its name: the next
  // `up` reserves them again for the container it creates instead.
  release_gpus(incomplete);
}

runtime::Status create_project_networks(const schema::Project& project) {
  netbridge::NetworkStore store = network_store();
  for (const schema::NetworkSpec& n : project.networks) {
    netbridge::NetworkRecord record;
    if (n.external) {
      if (runtime::Status s = store.find(n.name, &record); !s)
        return runtime::Status::error("external network " + n.name + " does not exist (stack network create " + n.name + ")");
      continue;
    }
    netbridge::NetworkOptions o;
    o.name = n.name;
    o.internal = n.internal;
    o.labels = n.labels;
    o.labels[kProjectLabel] = project.name;
    if (auto mtu = n.driver_opts.find("com.docker.network.driver.mtu"); mtu != n.driver_opts.end()) {
      o.mtu = std::atoi(mtu->second.c_str());
      if (o.mtu < 68 || o.mtu > 65535) return runtime::Status::error("network " + n.key + ": mtu " + mtu->second + " is out of range");
    }
    if (!n.pools.empty()) {
      const auto& pool = n.pools[0];
      if (!pool.subnet.empty() && !(o.subnet = netbridge::Ipv4Subnet::parse(pool.subnet)))
        return runtime::Status::error("network " + n.key + ": subnet " + pool.subnet + " is not an IPv4 subnet");
      if (!pool.gateway.empty() && !(o.gateway = netbridge::Ipv4Address::parse(pool.gateway)))
        return runtime::Status::error("network " + n.key + ": gateway " + pool.gateway + " is not an IPv4 address");
      if (!pool.ip_range.empty() && !(o.ip_range = netbridge::Ipv4Subnet::parse(pool.ip_range)))
        return runtime::Status::error("network " + n.key + ": ip_range " + pool.ip_range + " is not an IPv4 subnet");
    }
    if (runtime::Status s = store.create(o, &record); !s) return s;
  }
  return runtime::Status::ok();
}

}  // namespace stack::compose
