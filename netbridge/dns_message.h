// DnsMessage: the parts of DNS messages (RFC 1035) the embedded resolver reads and writes, and the /etc/hosts table it answers from.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "netbridge/ipv4.h"

namespace stack::netbridge {

inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypeAaaa = 28;
inline constexpr uint16_t kDnsClassIn = 1;

inline constexpr uint8_t kDnsNoError = 0;
inline constexpr uint8_t kDnsFormatError = 1;
inline constexpr uint8_t kDnsServerFailure = 2;
inline constexpr uint8_t kDnsNotImplemented = 4;

// A query's one question, as it came.
struct DnsQuery {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::string name;      // lower-case, labels joined by '.', no final dot
  uint16_t type = 0, klass = 0;
  std::string question;  // its bytes, echoed in the answer
};

enum class DnsParse {
  Query,           // one question, read into the DnsQuery
  Drop,            // not a query we may answer (too short for a header, or a response)
  FormatError,     // a query we cannot read: answered FORMERR
  NotImplemented,  // an opcode other than QUERY: answered NOTIMP
};

// Reads `packet`, bounds-checked: anything malformed is Drop or
// FormatError, never a read past its end.
DnsParse parse_dns_query(std::string_view packet, DnsQuery* out);

// The answer to `query`: its question echoed, one A record per address,
// `rcode`, recursion available, and authoritative when it has answers.
std::string dns_answer(const DnsQuery& query, const std::vector<Ipv4Address>& addresses, uint32_t ttl,
                       uint8_t rcode = kDnsNoError);

// A header-only answer with `rcode` to `packet`, for one that parse_dns_query
// could not read (FormatError, NotImplemented); empty when `packet` has no
// id to answer to.
std::string dns_error(std::string_view packet, uint8_t rcode);

// The names of an /etc/hosts file ("ADDRESS NAME ALIAS..." lines, '#'
// comments): each with its IPv4 addresses, in the order of the file.
class HostsTable {
 public:
  static HostsTable parse(std::string_view text);
  // Null when the file does not name it; empty for a name with only IPv6
  // addresses. Names match regardless of case, a final '.' ignored.
  const std::vector<Ipv4Address>* find(std::string_view name) const;

 private:
  std::map<std::string, std::vector<Ipv4Address>, std::less<>> names_;
};

}  // namespace stack::netbridge
