#include "netbridge/ipv4.h"

#include <arpa/inet.h>

namespace stack::netbridge {

std::optional<Ipv4Address> Ipv4Address::parse(const std::string& text) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return Ipv4Address{ntohl(a.s_addr)};
}

std::string Ipv4Address::to_string() const {
  in_addr a{htonl(value)};
  char buf[INET_ADDRSTRLEN];
  return ::inet_ntop(AF_INET, &a, buf, sizeof buf);
}

std::optional<Ipv4Subnet> Ipv4Subnet::parse(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  std::optional<Ipv4Address> address = Ipv4Address::parse(text.substr(0, slash));
  std::string bits = text.substr(slash + 1);
  if (!address || bits.empty() || bits.size() > 2 || bits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  Ipv4Subnet s;
  s.prefix = std::stoi(bits);
  if (s.prefix > 32) return std::nullopt;
  s.network = *address;
  if ((s.network.value & ~s.mask()) != 0) return std::nullopt;
  return s;
}

std::string Ipv4Subnet::to_string() const { return network.to_string() + "/" + std::to_string(prefix); }

}  // namespace stack::netbridge
