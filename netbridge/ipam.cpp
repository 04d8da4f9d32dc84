#include "netbridge/ipam.h"

#include <sstream>

namespace stack::netbridge {

Ipv4Subnet default_pool() { return *Ipv4Subnet::parse("10.89.0.0/16"); }

std::vector<Ipv4Subnet> routed_subnets(const std::string& proc_net_route) {
  // Iface Destination Gateway Flags RefCnt Use Metric Mask ...; hex, little-endian.
  std::vector<Ipv4Subnet> out;
  std::istringstream lines(proc_net_route);
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string iface, destination, gateway, flags, refcnt, use, metric, mask;
    if (!(fields >> iface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask)) continue;
    uint32_t dest = __builtin_bswap32(static_cast<uint32_t>(std::stoul(destination, nullptr, 16)));
    uint32_t m = __builtin_bswap32(static_cast<uint32_t>(std::stoul(mask, nullptr, 16)));
    if (m == 0) continue;  // the default route
    int prefix = __builtin_popcount(m);
    out.push_back({{dest & m}, prefix});
  }
  return out;
}

std::optional<Ipv4Subnet> choose_subnet(const Ipv4Subnet& pool, int prefix, const std::vector<Ipv4Subnet>& taken) {
  if (prefix < pool.prefix || prefix > 30) return std::nullopt;
  uint64_t step = uint64_t{1} << (32 - prefix);
  uint64_t end = uint64_t{pool.network.value} + (uint64_t{1} << (32 - pool.prefix));
  for (uint64_t start = pool.network.value; start < end; start += step) {
    Ipv4Subnet candidate{{static_cast<uint32_t>(start)}, prefix};
    bool free = true;
    for (const Ipv4Subnet& t : taken) free = free && !candidate.overlaps(t);
    if (free) return candidate;
  }
  return std::nullopt;
}

Ipv4Address default_gateway(const Ipv4Subnet& subnet) { return subnet.first_host(); }

std::optional<Ipv4Address> choose_address(const Ipv4Subnet& subnet, const std::optional<Ipv4Subnet>& range,
                                          Ipv4Address gateway, const std::set<Ipv4Address>& used) {
  const Ipv4Subnet& from = range ? *range : subnet;
  for (uint64_t a = from.network.value; a <= from.broadcast().value; ++a) {
    Ipv4Address candidate{static_cast<uint32_t>(a)};
    if (candidate == subnet.network || candidate == subnet.broadcast() || candidate == gateway) continue;
    if (!subnet.contains(candidate) || used.count(candidate)) continue;
    return candidate;
  }
  return std::nullopt;
}

Status check_static_address(Ipv4Address wanted, const Ipv4Subnet& subnet, Ipv4Address gateway,
                            const std::set<Ipv4Address>& used) {
  std::string a = wanted.to_string();
  if (!subnet.contains(wanted)) return Status::error("address " + a + " is not in subnet " + subnet.to_string());
  if (wanted == subnet.network || wanted == subnet.broadcast())
    return Status::error("address " + a + " is the network or broadcast address of " + subnet.to_string());
  if (wanted == gateway) return Status::error("address " + a + " is the gateway of " + subnet.to_string());
  if (used.count(wanted)) return Status::error("address " + a + " is already in use");
  return Status::ok();
}

}  // namespace stack::netbridge
