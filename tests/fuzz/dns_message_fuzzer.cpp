// libFuzzer target: any bytes as a DNS query to the embedded resolver, answered when read, and any bytes as the /etc/hosts it answers from.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "netbridge/dns_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  using namespace stack::netbridge;
  HostsTable hosts = HostsTable::parse(bytes);
  DnsQuery query;
  switch (parse_dns_query(bytes, &query)) {
    case DnsParse::Query: {
      const std::vector<Ipv4Address>* found = hosts.find(query.name);
      (void)dns_answer(query, found ? *found : std::vector<Ipv4Address>{{0x0a000001}}, 600);
      break;
    }
    case DnsParse::FormatError:
    case DnsParse::NotImplemented:
      (void)dns_error(bytes, kDnsFormatError);
      break;
    case DnsParse::Drop:
      break;
  }
  return 0;
}
