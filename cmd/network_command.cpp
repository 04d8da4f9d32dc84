// `stack network create|ls|inspect|rm`: bridge networks for single containers.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cmd/commands.h"
#include "compose/container_networks.h"
#include "compose/host.h"

namespace stack::cmd {

using namespace stack::compose;
namespace {

nlohmann::json network_json(const netbridge::NetworkRecord& n) {
  nlohmann::json containers = nlohmann::json::object();
  for (const auto& [endpoint, lease] : n.leases)
    containers[endpoint] = {{"IPv4Address", lease.address.to_string() + "/" + std::to_string(n.subnet.prefix)},
                            {"Names", lease.names}};
  nlohmann::json j = {{"Name", n.name},         {"Id", n.id},         {"Bridge", n.bridge},
                      {"Subnet", n.subnet.to_string()}, {"Gateway", n.gateway.to_string()},
                      {"Internal", n.internal}, {"MTU", n.mtu},       {"Labels", n.labels},
                      {"Created", n.created},   {"Containers", containers}};
  if (n.ip_range) j["IPRange"] = n.ip_range->to_string();
  return j;
}

struct CreateFlags {
  std::string name, subnet, gateway, ip_range;
  bool internal = false;
  int mtu = 0;
  std::vector<std::string> labels;
};

int create(const CreateFlags& f) {
  auto fail = [](const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return 1;
  };
  netbridge::NetworkOptions o;
  o.name = f.name;
  if (!f.subnet.empty() && !(o.subnet = netbridge::Ipv4Subnet::parse(f.subnet)))
    return fail("--subnet " + f.subnet + ": expected an IPv4 subnet such as 10.89.7.0/24");
  if (!f.gateway.empty() && !(o.gateway = netbridge::Ipv4Address::parse(f.gateway)))
    return fail("--gateway " + f.gateway + ": expected an IPv4 address");
  if (!f.ip_range.empty() && !(o.ip_range = netbridge::Ipv4Subnet::parse(f.ip_range)))
    return fail("--ip-range " + f.ip_range + ": expected an IPv4 subnet");
  if (o.gateway && !o.subnet) return fail("--gateway needs --subnet");
  o.internal = f.internal;
  if (f.mtu < 0 || f.mtu > 65535) return fail("--mtu " + std::to_string(f.mtu) + ": out of range");
  o.mtu = f.mtu;
  for (const std::string& l : f.labels) {
    size_t eq = l.find('=');
    o.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  netbridge::NetworkStore store = network_store();
  netbridge::NetworkRecord record;
  bool created = false;
  if (netbridge::Status s = store.create(o, &record, &created); !s) return fail(s.message());
  if (!created) return fail("network with name " + f.name + " already exists");
  std::cout << record.id << "\n";
  return 0;
}

}  // namespace

void add_network_command(CLI::App& app, int& exit_code) {
  CLI::App* network = app.add_subcommand("network", "Bridge networks that containers join");
  network->require_subcommand(1);

  auto cf = std::make_shared<CreateFlags>();
  CLI::App* create_cmd = network->add_subcommand("create", "Create a network (its bridge is made when a container joins)");
  create_cmd->add_option("--subnet", cf->subnet, "IPv4 subnet (default: a free /24 of 10.89.0.0/16)");
  create_cmd->add_option("--gateway", cf->gateway, "Gateway address (default: the subnet's first)");
  create_cmd->add_option("--ip-range", cf->ip_range, "Allocate container addresses from this sub-range");
  create_cmd->add_flag("--internal", cf->internal, "No route out of the network");
  create_cmd->add_option("--mtu", cf->mtu, "MTU of the bridge and its veth pairs");
  create_cmd->add_option("--label", cf->labels, "KEY=VALUE")->allow_extra_args(false);
  create_cmd->add_option("name", cf->name, "Network name")->required();
  create_cmd->callback([cf, &exit_code] { exit_code = create(*cf); });

  auto format = std::make_shared<std::string>("table");
  CLI::App* ls = network->add_subcommand("ls", "List networks");
  ls->alias("list");
  ls->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  ls->callback([format, &exit_code] {
    std::vector<netbridge::NetworkRecord> all;
    network_store().list(&all);
    nlohmann::json out = nlohmann::json::array();
    if (*format == "table") std::printf("%-14s %-24s %-18s %-16s %s\n", "NETWORK ID", "NAME", "SUBNET", "BRIDGE", "CONTAINERS");
    for (const auto& n : all) {
      if (*format == "json") out.push_back(network_json(n));
      else
        std::printf("%-14s %-24s %-18s %-16s %zu\n", n.id.substr(0, 12).c_str(), n.name.c_str(),
                    n.subnet.to_string().c_str(), n.bridge.c_str(), n.leases.size());
    }
    if (*format == "json") std::cout << out.dump(2) << "\n";
    exit_code = 0;
  });

  auto inspect_names = std::make_shared<std::vector<std::string>>();
  CLI::App* inspect = network->add_subcommand("inspect", "Show networks as JSON");
  inspect->add_option("networks", *inspect_names, "NAME")->required();
  inspect->callback([inspect_names, &exit_code] {
    netbridge::NetworkStore store = network_store();
    nlohmann::json out = nlohmann::json::array();
    exit_code = 0;
    for (const std::string& name : *inspect_names) {
      netbridge::NetworkRecord n;
      if (netbridge::Status s = store.find(name, &n); !s) {
        std::cerr << "error: " << s.message() << "\n";
        exit_code = 1;
        continue;
      }
      out.push_back(network_json(n));
    }
    std::cout << out.dump(2) << "\n";
  });

  auto rm_names = std::make_shared<std::vector<std::string>>();
  CLI::App* rm = network->add_subcommand("rm", "Remove networks no container is on");
  rm->alias("remove");
  rm->add_option("networks", *rm_names, "NAME")->required();
  rm->callback([rm_names, &exit_code] {
    runtime::ContainerStore containers(runtime_paths().containers);
    reclaim_containers(containers, false);
    exit_code = 0;
    for (const std::string& name : *rm_names) {
      if (netbridge::Status s = remove_network(name); !s) {
        std::cerr << "error: " << s.message() << "\n";
        exit_code = 1;
        continue;
      }
      std::cout << name << "\n";
    }
  });
}

}  // namespace stack::cmd
