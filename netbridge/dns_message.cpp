#include "netbridge/dns_message.h"

#include <algorithm>
#include <cctype>

namespace stack::netbridge {
namespace {

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxName = 255;     // octets on the wire, RFC 1035 2.3.4
constexpr size_t kMaxLabel = 63;
constexpr uint16_t kResponse = 0x8000;
constexpr uint16_t kOpcodeMask = 0x7800;
constexpr uint16_t kAuthoritative = 0x0400;
constexpr uint16_t kRecursionDesired = 0x0100;
constexpr uint16_t kRecursionAvailable = 0x0080;
constexpr uint16_t kCheckingDisabled = 0x0010;

uint16_t read16(std::string_view p, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[at]) << 8 | static_cast<uint8_t>(p[at + 1]));
}

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}

// The flags of an answer to a query with `flags`: its opcode, RD and CD kept.
uint16_t answer_flags(uint16_t flags, uint8_t rcode, bool authoritative) {
  uint16_t out = kResponse | kRecursionAvailable | (flags & (kOpcodeMask | kRecursionDesired | kCheckingDisabled));
  if (authoritative) out |= kAuthoritative;
  return static_cast<uint16_t>(out | (rcode & 0x0f));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view without_final_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

}  // namespace

DnsParse parse_dns_query(std::string_view packet, DnsQuery* out) {
  if (packet.size() < kHeaderSize) return DnsParse::Drop;
  uint16_t flags = read16(packet, 2);
  if (flags & kResponse) return DnsParse::Drop;  // never answer an answer: two resolvers would loop
  if (flags & kOpcodeMask) return DnsParse::NotImplemented;
  if (read16(packet, 4) != 1) return DnsParse::FormatError;
  // Answer and authority records make no sense in a query; additional ones
  // (an EDNS OPT) are allowed and not read.
  if (read16(packet, 6) != 0 || read16(packet, 8) != 0) return DnsParse::FormatError;
  DnsQuery q;
  q.id = read16(packet, 0);
  q.flags = flags;
  size_t at = kHeaderSize;
  for (;;) {
    if (at >= packet.size()) return DnsParse::FormatError;
    size_t length = static_cast<uint8_t>(packet[at]);
    if (length == 0) {
      ++at;
      break;
    }
    // A compression pointer (0xC0) has nothing before it to point at in a
    // question; 0x40 and 0x80 are reserved label types.
    if (length > kMaxLabel) return DnsParse::FormatError;
    if (at + 1 + length > packet.size() || at + 1 + length - kHeaderSize >= kMaxName) return DnsParse::FormatError;
    if (!q.name.empty()) q.name += '.';
    q.name += lower(packet.substr(at + 1, length));
    at += 1 + length;
  }
  if (at + 4 > packet.size()) return DnsParse::FormatError;
  q.type = read16(packet, at);
  q.klass = read16(packet, at + 2);
  at += 4;
  q.question = std::string(packet.substr(kHeaderSize, at - kHeaderSize));
  *out = std::move(q);
  return DnsParse::Query;
}

std::string dns_answer(const DnsQuery& query, const std::vector<Ipv4Address>& addresses, uint32_t ttl, uint8_t rcode) {
  std::string out;
  out.reserve(kHeaderSize + query.question.size() + addresses.size() * 16);
  put16(out, query.id);
  put16(out, answer_flags(query.flags, rcode, rcode == kDnsNoError));
  put16(out, 1);
  put16(out, static_cast<uint16_t>(std::min<size_t>(addresses.size(), 0xffff)));
  put16(out, 0);
  put16(out, 0);
  out += query.question;
  for (size_t i = 0; i < addresses.size() && i < 0xffff; ++i) {
    put16(out, 0xc000 | kHeaderSize);  // a pointer to the question's name
    put16(out, kDnsTypeA);
    put16(out, kDnsClassIn);
    put32(out, ttl);
    put16(out, 4);
    put32(out, addresses[i].value);
  }
  return out;
}

std::string dns_error(std::string_view packet, uint8_t rcode) {
  if (packet.size() < 2) return {};
  std::string out(packet.substr(0, 2));
  uint16_t flags = packet.size() >= 4 ? read16(packet, 2) : 0;
  put16(out, answer_flags(flags, rcode, false));
  for (int i = 0; i < 4; ++i) put16(out, 0);
  return out;
}

HostsTable HostsTable::parse(std::string_view text) {
  HostsTable table;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string_view> words;
    for (size_t at = 0; at < line.size();) {
      at = line.find_first_not_of(" \t\r", at);
      if (at == std::string_view::npos) break;
      size_t stop = line.find_first_of(" \t\r", at);
      if (stop == std::string_view::npos) stop = line.size();
      words.push_back(line.substr(at, stop - at));
      at = stop;
    }
    if (words.size() < 2) continue;
    std::optional<Ipv4Address> address = Ipv4Address::parse(std::string(words[0]));
    bool ipv6 = !address && words[0].find(':') != std::string_view::npos;
    if (!address && !ipv6) continue;
    for (size_t i = 1; i < words.size(); ++i) {
      std::vector<Ipv4Address>& addresses = table.names_[lower(without_final_dot(words[i]))];
      if (address && std::find(addresses.begin(), addresses.end(), *address) == addresses.end())
        addresses.push_back(*address);
    }
  }
  return table;
}

const std::vector<Ipv4Address>* HostsTable::find(std::string_view name) const {
  auto found = names_.find(lower(without_final_dot(name)));
  return found == names_.end() ? nullptr : &found->second;
}

}  // namespace stack::netbridge
