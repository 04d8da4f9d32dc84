// The embedded DNS resolver over a real UDP socket: names of the hosts file it watches, every address, rewrites followed at once, the rest failed cleanly when no upstream is set.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "netbridge/dns_resolver.h"
#include "tests/unit/dns_query.h"

namespace stack::netbridge {
namespace {

namespace fs = std::filesystem;

using test_support::dns_query;

class DnsResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("stack-dns-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    hosts_ = (dir_ / "hosts").string();
    write_hosts("127.0.0.1\tlocalhost\n10.89.0.3\tweb app-web-1\n10.89.0.4\tweb app-web-2\n");
    int server = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
    socklen_t size = sizeof server_;
    ::getsockname(server, reinterpret_cast<sockaddr*>(&server_), &size);
    resolver_ = std::make_unique<DnsResolver>(server, hosts_, std::vector<Ipv4Address>{});
    resolver_->start();
    client_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(::connect(client_, reinterpret_cast<sockaddr*>(&server_), sizeof server_), 0);
  }
  void TearDown() override {
    resolver_.reset();
    ::close(client_);
    fs::remove_all(dir_);
  }
  // In place, as stack rewrites a container's /etc/hosts.
  void write_hosts(const std::string& text) {
    std::fstream f(hosts_, std::ios::in | std::ios::out | std::ios::binary);
    if (!f) f.open(hosts_, std::ios::out | std::ios::binary);
    f << text;
    f.close();
    fs::resize_file(hosts_, text.size());
  }
  // The answer to `q`; empty when none comes within 5 s.
  std::string ask(const std::string& q) {
    (void)!::send(client_, q.data(), q.size(), 0);
    pollfd p{client_, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return {};
    std::string buffer(4096, '\0');
    ssize_t n = ::recv(client_, buffer.data(), buffer.size(), 0);
    return n > 0 ? buffer.substr(0, static_cast<size_t>(n)) : std::string();
  }
  // The A records' addresses of `answer`.
  static std::vector<std::string> addresses(const std::string& answer, size_t question_size) {
    std::vector<std::string> out;
    for (size_t at = 12 + question_size; at + 16 <= answer.size(); at += 16) {
      char text[INET_ADDRSTRLEN];
      ::inet_ntop(AF_INET, answer.data() + at + 12, text, sizeof text);
      out.push_back(text);
    }
    return out;
  }

  fs::path dir_;
  std::string hosts_;
  sockaddr_in server_{};
  int client_ = -1;
  std::unique_ptr<DnsResolver> resolver_;
};

TEST_F(DnsResolverTest, ANameOfTheHostsFileGetsAllItsAddresses) {
  std::string q = dns_query(1, "web", kDnsTypeA);
  std::string a = ask(q);
  ASSERT_GE(a.size(), 12u);
  EXPECT_EQ(a[3] & 0x0f, kDnsNoError);
  EXPECT_EQ(addresses(a, q.size() - 12), (std::vector<std::string>{"10.89.0.3", "10.89.0.4"}));
  std::string one = ask(dns_query(2, "App-Web-2", kDnsTypeA));
  EXPECT_EQ(addresses(one, 1 + 9 + 1 + 4), std::vector<std::string>{"10.89.0.4"});
  std::string aaaa = ask(dns_query(3, "web", kDnsTypeAaaa));
  ASSERT_GE(aaaa.size(), 12u);
  EXPECT_EQ(aaaa[3] & 0x0f, kDnsNoError);
  EXPECT_EQ(aaaa[7], 0);
}

TEST_F(DnsResolverTest, ARewriteOfTheFileIsFollowedAtOnce) {
  ASSERT_EQ(addresses(ask(dns_query(1, "web", kDnsTypeA)), 9), (std::vector<std::string>{"10.89.0.3", "10.89.0.4"}));
  // The same size, within the same tick of the file's clock.
  write_hosts("127.0.0.1\tlocalhost\n10.89.0.7\tweb app-web-1\n10.89.0.4\tweb app-web-2\n");
  EXPECT_EQ(addresses(ask(dns_query(2, "web", kDnsTypeA)), 9), (std::vector<std::string>{"10.89.0.7", "10.89.0.4"}));
  write_hosts("127.0.0.1\tlocalhost\n10.89.0.4\tweb app-web-2\n");
  EXPECT_EQ(addresses(ask(dns_query(3, "web", kDnsTypeA)), 9), std::vector<std::string>{"10.89.0.4"});
}

TEST_F(DnsResolverTest, OtherNamesWithNoUpstreamFailAndMalformedQueriesGetFormatError) {
  std::string a = ask(dns_query(4, "example.org", kDnsTypeA));
  ASSERT_GE(a.size(), 12u);
  EXPECT_EQ(a[3] & 0x0f, kDnsServerFailure);
  std::string bad = dns_query(5, "web", kDnsTypeA).substr(0, 14);
  std::string e = ask(bad);
  ASSERT_EQ(e.size(), 12u);
  EXPECT_EQ(e[3] & 0x0f, kDnsFormatError);
  // Still serving after it.
  EXPECT_EQ(addresses(ask(dns_query(6, "web", kDnsTypeA)), 9).size(), 2u);
}

TEST(DnsUpstreams, TheDnsKeyElseTheHostsNameserversLoopbackIncluded) {
  std::string host = "search x\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nnameserver ::1\n";
  EXPECT_EQ(DnsResolver::upstreams(host, {}), (std::vector<Ipv4Address>{*Ipv4Address::parse("127.0.0.53"),
                                                                          *Ipv4Address::parse("10.1.1.1")}));
  EXPECT_EQ(DnsResolver::upstreams(host, {"192.0.2.1"}), std::vector<Ipv4Address>{*Ipv4Address::parse("192.0.2.1")});
}

}  // namespace
}  // namespace stack::netbridge
