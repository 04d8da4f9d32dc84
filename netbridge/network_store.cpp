#include "netbridge/network_store.h"

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "netbridge/ipam.h"
#include "runtime/object_names.h"
#include "runtime/on_disk.h"

namespace fs = std::filesystem;

namespace stack::netbridge {
namespace {

nlohmann::json to_json(const NetworkRecord& r) {
  nlohmann::json leases = nlohmann::json::object();
  for (const auto& [endpoint, lease] : r.leases)
    leases[endpoint] = {{"Address", lease.address.to_string()}, {"Names", lease.names}};
  nlohmann::json j = {{"Name", r.name},         {"Id", r.id},           {"Bridge", r.bridge},
                      {"Subnet", r.subnet.to_string()}, {"Gateway", r.gateway.to_string()},
                      {"Internal", r.internal}, {"MTU", r.mtu},         {"Labels", r.labels},
                      {"Created", r.created},   {"Leases", leases}};
  if (r.ip_range) j["IPRange"] = r.ip_range->to_string();
  return j;
}

std::optional<NetworkRecord> from_json(const nlohmann::json& j) {
  NetworkRecord r;
  r.name = j.value("Name", "");
  r.id = j.value("Id", "");
  r.bridge = j.value("Bridge", "");
  auto subnet = Ipv4Subnet::parse(j.value("Subnet", ""));
  auto gateway = Ipv4Address::parse(j.value("Gateway", ""));
  if (r.name.empty() || !subnet || !gateway) return std::nullopt;
  r.subnet = *subnet;
  r.gateway = *gateway;
  if (j.contains("IPRange")) r.ip_range = Ipv4Subnet::parse(j.value("IPRange", ""));
  r.internal = j.value("Internal", false);
  r.mtu = j.value("MTU", 0);
  r.labels = j.value("Labels", std::map<std::string, std::string>{});
  r.created = j.value("Created", "");
  if (auto leases = j.find("Leases"); leases != j.end() && leases->is_object())
    for (const auto& [endpoint, lease] : leases->items()) {
      if (!lease.is_object()) continue;
      if (auto a = Ipv4Address::parse(lease.value("Address", "")))
        r.leases[endpoint] = {*a, lease.value("Names", std::vector<std::string>{})};
    }
  return r;
}

}  // namespace

Status NetworkStore::save(const NetworkRecord& record) const {
  return runtime::write_file_atomically(path(record.name), to_json(record).dump(2) + "\n", 0644, /*durable=*/true);
}

Status NetworkStore::find(const std::string& name, NetworkRecord* out) const {
  // A name is a file name here: one that is not (from a command line) finds nothing, never a file elsewhere.
  if (!runtime::valid_object_name(name)) return Status::error("no such network: " + name.substr(0, 80));
  std::optional<std::string> text = runtime::read_whole_file(path(name));
  if (!text) return Status::error("no such network: " + name);
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  std::optional<NetworkRecord> r = j.is_object() ? from_json(j) : std::nullopt;
  if (!r) return Status::error("network " + name + ": " + path(name) + " is damaged");
  *out = *r;
  return Status::ok();
}

Status NetworkStore::list(std::vector<NetworkRecord>* out) const {
  out->clear();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    if (entry.path().extension() != ".json") continue;
    NetworkRecord r;
    if (find(entry.path().stem().string(), &r)) out->push_back(r);
  }
  std::sort(out->begin(), out->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return Status::ok();
}

Status NetworkStore::create(const NetworkOptions& o, NetworkRecord* out, bool* created) {
  if (created) *created = false;
  if (o.name.size() > 64 || !runtime::valid_object_name(o.name)) return Status::error("invalid network name \"" + o.name + "\" (letters, digits, '_', '.', '-')");
  if (Status s = runtime::make_private_directory(root_, 0700); !s) return s;
  runtime::FileLock lock;
  if (Status s = runtime::FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  if (find(o.name, out)) return Status::ok();
  std::vector<NetworkRecord> others;
  list(&others);
  std::vector<Ipv4Subnet> taken = routed_subnets(routes_);
  for (const NetworkRecord& n : others) taken.push_back(n.subnet);
  NetworkRecord r;
  r.name = o.name;
  r.id = runtime::new_object_id();
  r.bridge = "stk-" + r.id.substr(0, 11);
  if (o.subnet) {
    for (const NetworkRecord& n : others)
      if (n.subnet.overlaps(*o.subnet))
        return Status::error("network " + o.name + ": subnet " + o.subnet->to_string() + " overlaps network " + n.name +
                             " (" + n.subnet.to_string() + ")");
    for (const Ipv4Subnet& route : routed_subnets(routes_))
      if (route.overlaps(*o.subnet))
        return Status::error("network " + o.name + ": subnet " + o.subnet->to_string() +
                             " overlaps a route of the host (" + route.to_string() + ")");
    if (o.subnet->prefix > 30) return Status::error("network " + o.name + ": subnet " + o.subnet->to_string() + " is too small");
    r.subnet = *o.subnet;
  } else {
    std::optional<Ipv4Subnet> chosen = choose_subnet(default_pool(), kDefaultPrefix, taken);
    if (!chosen) return Status::error("network " + o.name + ": no free /24 left in " + default_pool().to_string());
    r.subnet = *chosen;
  }
  r.gateway = o.gateway.value_or(default_gateway(r.subnet));
  if (!r.subnet.contains(r.gateway) || r.gateway == r.subnet.network || r.gateway == r.subnet.broadcast())
    return Status::error("network " + o.name + ": gateway " + r.gateway.to_string() + " is not a host of " + r.subnet.to_string());
  if (o.ip_range && !r.subnet.contains(*o.ip_range))
    return Status::error("network " + o.name + ": ip_range " + o.ip_range->to_string() + " is not inside " + r.subnet.to_string());
  r.ip_range = o.ip_range;
  r.internal = o.internal;
  r.mtu = o.mtu;
  r.labels = o.labels;
  r.created = runtime::timestamp_now();
  if (Status s = save(r); !s) return s;
  *out = r;
  if (created) *created = true;
  return Status::ok();
}

Status NetworkStore::remove(const std::string& name) {
  runtime::FileLock lock;
  if (Status s = runtime::FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  NetworkRecord r;
  if (Status s = find(name, &r); !s) return s;
  if (!r.leases.empty())
    return Status::error("network " + name + " has " + std::to_string(r.leases.size()) + " endpoint(s) attached (" +
                         r.leases.begin()->first + "...)");
  if (::unlink(path(name).c_str()) != 0) return Status::from_errno("removing " + path(name));
  return Status::ok();
}

Status NetworkStore::lease(const std::string& network, const std::string& endpoint,
                           const std::optional<Ipv4Address>& wanted, const std::vector<std::string>& names,
                           Ipv4Address* out) {
  runtime::FileLock lock;
  if (Status s = runtime::FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  NetworkRecord r;
  if (Status s = find(network, &r); !s) return s;
  if (auto it = r.leases.find(endpoint); it != r.leases.end() && (!wanted || *wanted == it->second.address)) {
    *out = it->second.address;
    if (it->second.names == names) return Status::ok();
    it->second.names = names;
    return save(r);
  }
  r.leases.erase(endpoint);
  std::set<Ipv4Address> used;
  for (const auto& [_, lease] : r.leases) used.insert(lease.address);
  if (wanted) {
    if (Status s = check_static_address(*wanted, r.subnet, r.gateway, used); !s) return s.with_context("network " + network);
    *out = *wanted;
  } else {
    std::optional<Ipv4Address> chosen = choose_address(r.subnet, r.ip_range, r.gateway, used);
    if (!chosen) return Status::error("network " + network + ": no free address left in " + r.subnet.to_string());
    *out = *chosen;
  }
  r.leases[endpoint] = {*out, names};
  return save(r);
}

Status NetworkStore::lock_links(runtime::FileLock* out) const {
  if (Status s = runtime::make_private_directory(root_, 0700); !s) return s;
  return runtime::FileLock::acquire(root_ + "/links.lock", out);
}

Status NetworkStore::release(const std::string& network, const std::vector<std::string>& endpoints) {
  runtime::FileLock lock;
  if (Status s = runtime::FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  NetworkRecord r;
  if (Status s = find(network, &r); !s) return s;
  size_t released = 0;
  for (const std::string& e : endpoints) released += r.leases.erase(e);
  return released == 0 ? Status::ok() : save(r);
}

}  // namespace stack::netbridge
