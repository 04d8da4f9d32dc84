// Ipv4: addresses and subnets as numbers: parsing, printing, containment, overlap.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace stack::netbridge {

struct Ipv4Address {
  uint32_t value = 0;  // host byte order

  static std::optional<Ipv4Address> parse(const std::string& text);
  std::string to_string() const;
  auto operator<=>(const Ipv4Address&) const = default;
};

struct Ipv4Subnet {
  Ipv4Address network;  // with the host bits cleared
  int prefix = 0;

  // "10.89.3.0/24"; host bits set ("10.89.3.7/24") are an error, as in Compose.
  static std::optional<Ipv4Subnet> parse(const std::string& text);
  std::string to_string() const;
  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  Ipv4Address first_host() const { return {network.value + 1}; }
  Ipv4Address broadcast() const { return {network.value | ~mask()}; }
  bool contains(Ipv4Address a) const { return (a.value & mask()) == network.value; }
  bool contains(const Ipv4Subnet& s) const { return s.prefix >= prefix && contains(s.network); }
  bool overlaps(const Ipv4Subnet& s) const { return contains(s.network) || s.contains(network); }
  auto operator<=>(const Ipv4Subnet&) const = default;
};

}  // namespace stack::netbridge
