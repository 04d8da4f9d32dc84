// DNS messages: queries read bounds-checked, answers built with every address, and the /etc/hosts table they come from.
#include <gtest/gtest.h>

#include <string>

#include "netbridge/dns_message.h"
#include "tests/unit/dns_query.h"

namespace stack::netbridge {
namespace {

using test_support::dns_query;

Ipv4Address address(const char* s) { return *Ipv4Address::parse(s); }

uint16_t u16(const std::string& m, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(m[at]) << 8 | static_cast<uint8_t>(m[at + 1]));
}

TEST(DnsMessage, AQueryIsReadWithItsNameInLowerCase) {
  DnsQuery q;
  ASSERT_EQ(parse_dns_query(dns_query(0x1234, "Web.Example", kDnsTypeA, true), &q), DnsParse::Query);
  EXPECT_EQ(q.id, 0x1234);
  EXPECT_EQ(q.name, "web.example");
  EXPECT_EQ(q.type, kDnsTypeA);
  EXPECT_EQ(q.klass, kDnsClassIn);
  EXPECT_EQ(q.question.size(), 1 + 3 + 1 + 7 + 1 + 4u);
}

TEST(DnsMessage, TheAnswerEchoesTheQuestionAndGivesEveryAddress) {
  DnsQuery q;
  ASSERT_EQ(parse_dns_query(dns_query(7, "web", kDnsTypeA), &q), DnsParse::Query);
  std::string a = dns_answer(q, {address("10.89.0.2"), address("10.89.0.3")}, 600);
  EXPECT_EQ(u16(a, 0), 7);
  EXPECT_EQ(u16(a, 2), 0x8580);  // response, authoritative, RD kept, RA, NOERROR
  EXPECT_EQ(u16(a, 4), 1);
  EXPECT_EQ(u16(a, 6), 2);
  EXPECT_EQ(a.substr(12, q.question.size()), q.question);
  size_t record = 12 + q.question.size();
  EXPECT_EQ(u16(a, record), 0xc00c);
  EXPECT_EQ(u16(a, record + 2), kDnsTypeA);
  EXPECT_EQ(u16(a, record + 8), 600);
  EXPECT_EQ(u16(a, record + 10), 4);
  EXPECT_EQ(a.substr(record + 12, 4), std::string("\x0a\x59\x00\x02", 4));
  EXPECT_EQ(a.substr(record + 16 + 12, 4), std::string("\x0a\x59\x00\x03", 4));
  EXPECT_EQ(a.size(), record + 32);
}

TEST(DnsMessage, AnEmptyAnswerOrAFailureHasNoRecords) {
  DnsQuery q;
  ASSERT_EQ(parse_dns_query(dns_query(9, "web", kDnsTypeAaaa), &q), DnsParse::Query);
  std::string empty = dns_answer(q, {}, 600);
  EXPECT_EQ(u16(empty, 6), 0);
  EXPECT_EQ(u16(empty, 2) & 0x0f, kDnsNoError);
  std::string failed = dns_answer(q, {}, 0, kDnsServerFailure);
  EXPECT_EQ(u16(failed, 2), 0x8182);
}

TEST(DnsMessage, MalformedQueriesAreDroppedOrAnsweredFormatError) {
  DnsQuery q;
  std::string good = dns_query(1, "web", kDnsTypeA);
  EXPECT_EQ(parse_dns_query(good.substr(0, 11), &q), DnsParse::Drop);
  for (size_t cut = 12; cut < good.size(); ++cut)
    EXPECT_EQ(parse_dns_query(good.substr(0, cut), &q), DnsParse::FormatError) << cut;
  std::string response = good;
  response[2] = static_cast<char>(0x81);
  EXPECT_EQ(parse_dns_query(response, &q), DnsParse::Drop);
  std::string two = good;
  two[5] = 2;
  EXPECT_EQ(parse_dns_query(two, &q), DnsParse::FormatError);
  std::string pointer = good;
  pointer[12] = static_cast<char>(0xc0);
  EXPECT_EQ(parse_dns_query(pointer, &q), DnsParse::FormatError);
  std::string status = good;
  status[2] = 0x10;  // opcode 2, STATUS
  EXPECT_EQ(parse_dns_query(status, &q), DnsParse::NotImplemented);
  // Past 255 octets of name.
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(60, 'a') + ".";
  long_name.pop_back();
  EXPECT_EQ(parse_dns_query(dns_query(1, long_name, kDnsTypeA), &q), DnsParse::FormatError);
  std::string error = dns_error(two, kDnsFormatError);
  ASSERT_EQ(error.size(), 12u);
  EXPECT_EQ(u16(error, 0), 1);
  EXPECT_EQ(u16(error, 2), 0x8181);
  EXPECT_EQ(dns_error(std::string(1, 'x'), kDnsFormatError), "");
}

TEST(DnsMessage, EveryPrefixAndEveryByteFlipOfAQueryIsReadWithoutCrashing) {
  std::string good = dns_query(0xabcd, "a.bb.ccc", kDnsTypeA, true);
  DnsQuery q;
  for (size_t cut = 0; cut <= good.size(); ++cut) parse_dns_query(good.substr(0, cut), &q);
  for (size_t i = 0; i < good.size(); ++i)
    for (int v : {0x00, 0x3f, 0x40, 0xc0, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(v);
      if (parse_dns_query(bad, &q) == DnsParse::Query) dns_answer(q, {address("10.0.0.1")}, 1);
    }
}

TEST(DnsMessage, HostsGiveEachNameAllItsAddressesInOrder) {
  HostsTable t = HostsTable::parse(
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n# comment 10.0.0.9 db\n"
      "10.89.0.3\tweb app-web-1 Alias\n10.89.0.4\tweb app-web-2\n10.89.0.3\tweb\nnot-an-address name\n");
  ASSERT_NE(t.find("web"), nullptr);
  EXPECT_EQ(*t.find("WEB."), (std::vector<Ipv4Address>{address("10.89.0.3"), address("10.89.0.4")}));
  EXPECT_EQ(*t.find("alias"), std::vector<Ipv4Address>{address("10.89.0.3")});
  EXPECT_EQ(*t.find("localhost"), std::vector<Ipv4Address>{address("127.0.0.1")});
  ASSERT_NE(t.find("ip6-localhost"), nullptr);
  EXPECT_TRUE(t.find("ip6-localhost")->empty());
  EXPECT_EQ(t.find("db"), nullptr);
  EXPECT_EQ(t.find("name"), nullptr);
}

}  // namespace
}  // namespace stack::netbridge
