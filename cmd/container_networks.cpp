#include "cmd/container_networks.h"

#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <set>

#include "cmd/commands.h"
#include "runtime/on_disk.h"

namespace stack::cmd {
namespace {

// Writes `content` over a file that exists, never creating it: a container
// being removed meanwhile must not get its files back (its directory would
// then not be removable).
void rewrite_existing(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return;
  for (size_t done = 0; done < content.size();) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

// Every container on any of `networks` gets its /etc/hosts written again
// (in place: it is bind-mounted, and a rename would not be seen).
void refresh_hosts(netbridge::NetworkStore& store, const std::vector<std::string>& networks) {
  std::set<std::string> endpoints;
  for (const std::string& name : networks) {
    netbridge::NetworkRecord n;
    if (store.find(name, &n))
      for (const auto& [endpoint, lease] : n.leases) endpoints.insert(endpoint);
  }
  std::vector<netbridge::NetworkRecord> all;
  store.list(&all);
  for (const std::string& endpoint : endpoints) {
    std::vector<std::string> joined;
    for (const auto& n : all)
      if (n.leases.count(endpoint)) joined.push_back(n.name);
    std::string etc = runtime_paths().containers + "/" + endpoint + "/etc";
    std::string hostname = runtime::read_whole_file(etc + "/hostname").value_or("");
    while (!hostname.empty() && hostname.back() == '\n') hostname.pop_back();
    if (hostname.empty()) continue;  // not a container of ours, or being removed
    rewrite_existing(etc + "/hosts", runtime::hosts_file(hostname) + netbridge::peer_hosts(store, joined));
  }
}

// Takes container `id` off `networks` and tells the peers.
void leave_networks(const std::string& id, const std::vector<std::string>& networks) {
  netbridge::NetworkStore store = network_store();
  std::unique_ptr<netbridge::Links> links = netbridge::netlink_links();
  std::unique_ptr<netbridge::Firewall> firewall = netbridge::iptables_firewall();
  netbridge::Endpoints(store, *links, *firewall).detach(id, networks);
  refresh_hosts(store, networks);
}

}  // namespace

netbridge::NetworkStore network_store() {
  return netbridge::NetworkStore(stack_root() + "/networks", runtime::read_whole_file("/proc/net/route").value_or(""));
}

runtime::ContainerHooks network_hooks(const runtime::ContainerRecord& record,
                                      const std::vector<netbridge::NetworkJoin>& joins,
                                      std::shared_ptr<netbridge::PortProxy> ports) {
  if (joins.empty()) return {};
  std::string id = record.id, name = record.name;
  std::vector<std::string> names;
  for (const auto& j : joins) names.push_back(j.network);
  runtime::ContainerHooks hooks;
  hooks.prestart = [id, name, joins, names, ports](pid_t pid) -> runtime::Status {
    std::string ns = "/proc/" + std::to_string(pid) + "/ns/net";
    int fd = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return runtime::Status::from_errno("opening " + ns);
    netbridge::NetworkStore store = network_store();
    std::unique_ptr<netbridge::Links> links = netbridge::netlink_links();
    std::unique_ptr<netbridge::Firewall> firewall = netbridge::iptables_firewall();
    netbridge::Endpoints endpoints(store, *links, *firewall);
    std::vector<netbridge::Ipv4Address> addresses;
    runtime::Status s = endpoints.attach(id, name, fd, joins, &addresses);
    ::close(fd);
    if (s) refresh_hosts(store, names);
    if (s && ports) ports->start(addresses[0]);
    return s;
  };
  hooks.poststop = [id, names, ports] {
    if (ports) ports->stop();
    leave_networks(id, names);
  };
  return hooks;
}

void release_networks(const runtime::ContainerRecord& record) {
  if (!record.networks.empty()) leave_networks(record.id, record.networks);
}

void reclaim_containers(runtime::ContainerStore& store, bool report) {
  for (const runtime::ContainerRecord& r : store.reclaim_stale(runtime_paths().cgroup_root)) {
    release_networks(r);
    if (report) std::cerr << "cleaned up container " << r.name << ", whose stack process was killed\n";
  }
}

}  // namespace stack::cmd
