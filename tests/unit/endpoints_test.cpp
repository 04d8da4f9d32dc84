// Endpoints over fake Links and Firewall: what is asked of the kernel, in what order, and what a failure undoes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "netbridge/endpoints.h"

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
