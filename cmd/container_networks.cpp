#include "cmd/container_networks.h"

#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <set>

#include "cmd/commands.h"
#include "runtime/linux/network_namespace.h"
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

runtime::Status join_networks(const runtime::ContainerRecord& record, const std::vector<netbridge::NetworkJoin>& joins) {
  std::string path = runtime::ContainerStore(runtime_paths().containers).network_namespace_path(record.id);
  if (runtime::Status s = runtime::linux_::create_network_namespace(path); !s) return s;
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
  runtime::Status s = netbridge::Endpoints(store, *links, *firewall).attach(record.id, record.name, fd, joins, &addresses);
  ::close(fd);
  if (!s) {
    runtime::linux_::remove_network_namespace(path);
    return s;
  }
  std::vector<std::string> names;
  for (const auto& j : joins) names.push_back(j.network);
  refresh_hosts(store, names);
  return s;
}

runtime::ContainerHooks network_hooks(const runtime::ContainerRecord& record,
                                      std::shared_ptr<netbridge::PortProxy> ports) {
  if (record.networks.empty()) return {};
  runtime::ContainerHooks hooks;
  hooks.prestart = [record, ports](pid_t) -> runtime::Status {
    netbridge::NetworkStore store = network_store();
    refresh_hosts(store, record.networks);
    if (!ports) return runtime::Status::ok();
    netbridge::NetworkRecord first;
    if (runtime::Status s = store.find(record.networks[0], &first); !s) return s;
    auto lease = first.leases.find(record.id);
    if (lease == first.leases.end()) return runtime::Status::error("container " + record.name + " has no address on " + first.name);
    ports->start(lease->second.address);
    return runtime::Status::ok();
  };
  hooks.released = [record, ports] {
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

void release_networks(const runtime::ContainerRecord& record) {
  if (record.networks.empty()) return;
  runtime::linux_::remove_network_namespace(
      runtime::ContainerStore(runtime_paths().containers).network_namespace_path(record.id));
  leave_networks(record.id, record.networks);
}

void reclaim_containers(runtime::ContainerStore& store, bool report) {
  for (const runtime::ContainerRecord& r : store.reclaim_stale(runtime_paths().cgroup_root)) {
    if (r.remove_on_exit) release_networks(r);  // a kept one keeps its networks, as a stopped one does
    if (report) std::cerr << "cleaned up container " << r.name << ", whose stack process was killed\n";
  }
}

}  // namespace stack::cmd
