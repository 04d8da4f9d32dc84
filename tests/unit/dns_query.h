// DNS queries for unit tests, made as a stub resolver sends them.
#pragma once

#include <cstdint>
#include <string>

namespace stack::test_support {

// id, RD, one question (and an EDNS OPT record when asked).
inline std::string dns_query(uint16_t id, const std::string& name, uint16_t type, bool edns = false) {
  std::string q = {static_cast<char>(id >> 8), static_cast<char>(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0,
                   static_cast<char>(edns ? 1 : 0)};
  size_t at = 0;
  while (at <= name.size()) {
    size_t dot = name.find('.', at);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<char>(dot - at));
    q += name.substr(at, dot - at);
    at = dot + 1;
  }
  q.push_back(0);
  q += {0, static_cast<char>(type), 0, 1};
  if (edns) q += std::string("\0\0\x29\x04\xd0\0\0\0\0\0\0", 11);
  return q;
}

}  // namespace stack::test_support
