// Endpoints over fake Links and Firewall: what is asked of the kernel, in what order, and what a failure undoes; published ports' addresses.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "netbridge/endpoints.h"
#include "netbridge/port_proxy.h"

namespace stack::netbridge {
namespace {

namespace fs = std::filesystem;

struct FakeLinks : Links {
  std::set<std::string> links;
  std::vector<EndpointLink> endpoints;
  std::string fail_endpoint;  // add_endpoint fails for this host name
  int bridges_made = 0;
  Status ensure_bridge(const std::string& name, Ipv4Address, int, int) override {
    ++bridges_made;
    links.insert(name);
    return Status::ok();
  }
  Status remove_link(const std::string& name) override {
    links.erase(name);
    return Status::ok();
  }
  bool link_exists(const std::string& name) override { return links.count(name) > 0; }
  bool wait_until_gone(const std::string& name, int) override { return !link_exists(name); }
  Status add_endpoint(const EndpointLink& e) override {
    if (e.host_name == fail_endpoint) return Status::error("no more veths");
    if (!links.count(e.bridge)) return Status::error("no bridge " + e.bridge);
    links.insert(e.host_name);
    endpoints.push_back(e);
    return Status::ok();
  }
};

struct FakeFirewall : Firewall {
  std::set<std::string> networks;
  Status add_network(const NetworkRecord& n) override {
    networks.insert(n.name);
    return Status::ok();
  }
  Status remove_network(const NetworkRecord& n) override {
    networks.erase(n.name);
    return Status::ok();
  }
};

class EndpointsTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("stack-endpoints-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    NetworkRecord r;
    for (const char* name : {"front", "back"}) {
      NetworkOptions o;
      o.name = name;
      ASSERT_TRUE(store_.create(o, &r));
    }
    NetworkOptions sealed;
    sealed.name = "sealed";
    sealed.internal = true;
    ASSERT_TRUE(store_.create(sealed, &r));
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_ = fs::temp_directory_path() / ("stack-endpoints-" + std::to_string(::getpid()));
  NetworkStore store_{root_.string(), ""};
  FakeLinks links_;
  FakeFirewall firewall_;
  Endpoints endpoints_{store_, links_, firewall_};
};

TEST_F(EndpointsTest, JoinsNetworksInOrderWithTheDefaultRouteOnTheFirst) {
  std::vector<Ipv4Address> addresses;
  ASSERT_TRUE(endpoints_.attach("c0ffee0123456789", "web", 7, {{"front", {"www"}, {}}, {"back", {}, {}}}, &addresses));
  ASSERT_EQ(links_.endpoints.size(), 2u);
  EXPECT_EQ(links_.endpoints[0].container_name, "eth0");
  EXPECT_EQ(links_.endpoints[1].container_name, "eth1");
  EXPECT_EQ(links_.endpoints[0].host_name, "vstkc0ffee0120");
  EXPECT_EQ(links_.endpoints[0].netns_fd, 7);
  EXPECT_EQ(links_.endpoints[0].gateway->to_string(), "10.89.0.1");
  EXPECT_FALSE(links_.endpoints[1].gateway);
  EXPECT_EQ(addresses[0].to_string(), "10.89.0.2");
  EXPECT_EQ(addresses[1].to_string(), "10.89.1.2");
  EXPECT_EQ(firewall_.networks, (std::set<std::string>{"back", "front"}));
  EXPECT_EQ(peer_hosts(store_, {"front"}), "10.89.0.2\tweb\twww\n");
}

TEST_F(EndpointsTest, AnInternalNetworkGivesNoDefaultRoute) {
  std::vector<Ipv4Address> addresses;
  ASSERT_TRUE(endpoints_.attach("abcdef0123456789", "db", 3, {{"sealed", {}, {}}}, &addresses));
  EXPECT_FALSE(links_.endpoints[0].gateway);
}

TEST_F(EndpointsTest, AFailureUndoesEverything) {
  links_.fail_endpoint = Endpoints::host_link_name("c0ffee0123456789", 1);
  std::vector<Ipv4Address> addresses;
  Status s = endpoints_.attach("c0ffee0123456789", "web", 7, {{"front", {}, {}}, {"back", {}, {}}}, &addresses);
  EXPECT_EQ(s.message(), "network back: no more veths");
  EXPECT_TRUE(links_.links.empty());
  EXPECT_TRUE(firewall_.networks.empty());
  NetworkRecord front;
  ASSERT_TRUE(store_.find("front", &front));
  EXPECT_TRUE(front.leases.empty());
}

TEST_F(EndpointsTest, TheLastEndpointTakesTheBridgeAndItsRules) {
  std::vector<Ipv4Address> addresses;
  ASSERT_TRUE(endpoints_.attach("aaaaaaaaaaaa", "a", 3, {{"front", {}, {}}}, &addresses));
  ASSERT_TRUE(endpoints_.attach("bbbbbbbbbbbb", "b", 4, {{"front", {}, {}}}, &addresses));
  NetworkRecord front;
  ASSERT_TRUE(store_.find("front", &front));
  ASSERT_TRUE(endpoints_.detach({{"aaaaaaaaaaaa", {"front"}}}));
  EXPECT_TRUE(links_.link_exists(front.bridge));
  EXPECT_TRUE(firewall_.networks.count("front"));
  ASSERT_TRUE(endpoints_.detach({{"bbbbbbbbbbbb", {"front"}}}));
  EXPECT_TRUE(links_.links.empty());
  EXPECT_TRUE(firewall_.networks.empty());
}

TEST_F(EndpointsTest, ANetworkIsRemovedOnlyOnceNobodyIsOnIt) {
  std::vector<Ipv4Address> addresses;
  ASSERT_TRUE(endpoints_.attach("aaaaaaaaaaaa", "a", 3, {{"front", {}, {}}}, &addresses));
  EXPECT_FALSE(endpoints_.remove_network("front"));
  ASSERT_TRUE(endpoints_.detach({{"aaaaaaaaaaaa", {"front"}}}));
  ASSERT_TRUE(endpoints_.remove_network("front"));
  NetworkRecord gone;
  EXPECT_FALSE(store_.find("front", &gone));
  EXPECT_TRUE(links_.links.empty());
}

TEST_F(EndpointsTest, TheFirstUserMakesTheBridgeAndAVanishedOneIsMadeAgain) {
  std::vector<Ipv4Address> addresses;
  ASSERT_TRUE(endpoints_.attach("1111111111111111", "a", 3, {{"front", {}, {}}}, &addresses));
  ASSERT_TRUE(endpoints_.attach("2222222222222222", "b", 3, {{"front", {}, {}}}, &addresses));
  EXPECT_EQ(links_.bridges_made, 1) << "the second join trusts the bridge the first one made";
  NetworkRecord front;
  ASSERT_TRUE(store_.find("front", &front));
  links_.links.erase(front.bridge);  // deleted by hand
  ASSERT_TRUE(endpoints_.attach("3333333333333333", "c", 3, {{"front", {}, {}}}, &addresses));
  EXPECT_EQ(links_.bridges_made, 2);
  EXPECT_TRUE(links_.links.count(front.bridge));
  for (const char* id : {"1111111111111111", "2222222222222222", "3333333333333333"})
    ASSERT_TRUE(endpoints_.detach({{id, {"front"}}}));
  EXPECT_FALSE(links_.links.count(front.bridge));
  EXPECT_FALSE(firewall_.networks.count("front"));
}

}  // namespace
}  // namespace stack::netbridge

namespace stack::netbridge {
namespace {

TEST(PortMappings, TakeIpv6HostAddressesInBracketsAndLeaveTheDefaultToBothFamilies) {
  std::vector<PortMapping> m;
  ASSERT_TRUE(parse_port_mappings("[::1]:9100:8000", &m));
  ASSERT_TRUE(parse_port_mappings("8080:80", &m));
  ASSERT_TRUE(parse_port_mappings("0.0.0.0:81:81/udp", &m));
  ASSERT_TRUE(parse_port_mappings("[::]::82", &m));
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].host_ip, "::1");
  EXPECT_EQ(m[0].to_string(), "[::1]:9100->8000/tcp");
  EXPECT_EQ(m[1].host_ip, "");  // both families, as Docker publishes it
  EXPECT_EQ(m[1].to_string(), "0.0.0.0:8080->80/tcp");
  EXPECT_EQ(m[2].host_ip, "0.0.0.0");
  EXPECT_EQ(m[3].host_ip, "::");
  EXPECT_EQ(m[3].host_port, 0);
  Status bad = parse_port_mappings("[::g]:1:1", &m);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.message(), "port \"[::g]:1:1\": host address [::g] is not an IP address");
}

// A port published without an address is bound on 0.0.0.0 and, where the
// host has IPv6, on [::] at the same port: each a mapping of its own.
TEST(PortMappings, ADefaultAddressIsBoundOnBothFamiliesAtOnePort) {
  std::vector<PortMapping> asked;
  ASSERT_TRUE(parse_port_mappings("80", &asked));
  std::unique_ptr<PortProxy> proxy;
  ASSERT_TRUE(PortProxy::bind(asked, &proxy));
  const std::vector<PortMapping>& bound = proxy->mappings();
  ASSERT_GE(bound.size(), 1u);
  EXPECT_EQ(bound[0].host_ip, "0.0.0.0");
  EXPECT_NE(bound[0].host_port, 0);
  int probe = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe >= 0) {
    ::close(probe);
    ASSERT_EQ(bound.size(), 2u);
    EXPECT_EQ(bound[1].host_ip, "::");
    EXPECT_EQ(bound[1].host_port, bound[0].host_port);
    EXPECT_EQ(bound[1].to_string(), "[::]:" + std::to_string(bound[0].host_port) + "->80/tcp");
  }
}

}  // namespace
}  // namespace stack::netbridge
