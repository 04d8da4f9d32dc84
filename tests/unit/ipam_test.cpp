// IPAM: subnets and addresses chosen around what is taken; leases kept under a lock across processes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "netbridge/ipam.h"
#include "netbridge/network_store.h"

namespace stack::netbridge {
namespace {

namespace fs = std::filesystem;

Ipv4Subnet subnet(const char* s) { return *Ipv4Subnet::parse(s); }
Ipv4Address address(const char* s) { return *Ipv4Address::parse(s); }

NetworkOptions named(const char* name, std::optional<Ipv4Subnet> subnet = std::nullopt) {
  NetworkOptions o;
  o.name = name;
  o.subnet = subnet;
  return o;
}

// /proc/net/route as a host with eth0 on 10.89.0.0/24 and docker0 on 172.17.0.0/16 shows it.
const char* kRoutes =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "eth0\t00000000\t0100590A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
    "eth0\t0000590A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
    "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";

TEST(Ipv4, ParsesAndPrints) {
  EXPECT_EQ(address("10.89.3.7").to_string(), "10.89.3.7");
  EXPECT_FALSE(Ipv4Address::parse("10.89.3"));
  EXPECT_EQ(subnet("10.89.3.0/24").to_string(), "10.89.3.0/24");
  EXPECT_FALSE(Ipv4Subnet::parse("10.89.3.7/24")) << "host bits set";
  EXPECT_FALSE(Ipv4Subnet::parse("10.89.3.0/33"));
  EXPECT_FALSE(Ipv4Subnet::parse("10.89.3.0"));
  EXPECT_TRUE(subnet("10.0.0.0/8").contains(subnet("10.89.3.0/24")));
  EXPECT_TRUE(subnet("10.89.3.0/24").overlaps(subnet("10.0.0.0/8")));
  EXPECT_FALSE(subnet("10.89.3.0/24").overlaps(subnet("10.89.4.0/24")));
  EXPECT_EQ(subnet("10.89.3.0/24").broadcast().to_string(), "10.89.3.255");
}

TEST(Ipam, ReadsTheHostsRoutesWithoutTheDefault) {
  std::vector<Ipv4Subnet> routes = routed_subnets(kRoutes);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].to_string(), "10.89.0.0/24");
  EXPECT_EQ(routes[1].to_string(), "172.17.0.0/16");
}

TEST(Ipam, ChoosesTheFirstSubnetOverlappingNothing) {
  std::vector<Ipv4Subnet> taken = routed_subnets(kRoutes);
  EXPECT_EQ(choose_subnet(default_pool(), 24, taken)->to_string(), "10.89.1.0/24");
  taken.push_back(subnet("10.89.1.0/24"));
  taken.push_back(subnet("10.89.2.0/23"));
  EXPECT_EQ(choose_subnet(default_pool(), 24, taken)->to_string(), "10.89.4.0/24");
  EXPECT_FALSE(choose_subnet(default_pool(), 24, {subnet("10.0.0.0/8")}));
}

TEST(Ipam, ChoosesAddressesAroundTheGatewayAndTheUsedOnes) {
  Ipv4Subnet s = subnet("10.89.5.0/24");
  Ipv4Address gw = default_gateway(s);
  EXPECT_EQ(gw.to_string(), "10.89.5.1");
  EXPECT_EQ(choose_address(s, std::nullopt, gw, {})->to_string(), "10.89.5.2");
  EXPECT_EQ(choose_address(s, std::nullopt, gw, {address("10.89.5.2")})->to_string(), "10.89.5.3");
  EXPECT_EQ(choose_address(s, subnet("10.89.5.128/25"), gw, {})->to_string(), "10.89.5.128");
  Ipv4Subnet tiny = subnet("10.89.6.0/30");  // .1 gateway, .2 the only host
  EXPECT_EQ(choose_address(tiny, std::nullopt, default_gateway(tiny), {})->to_string(), "10.89.6.2");
  EXPECT_FALSE(choose_address(tiny, std::nullopt, default_gateway(tiny), {address("10.89.6.2")}));
}

TEST(Ipam, ChecksStaticAddresses) {
  Ipv4Subnet s = subnet("10.89.5.0/24");
  Ipv4Address gw = default_gateway(s);
  EXPECT_TRUE(check_static_address(address("10.89.5.9"), s, gw, {}));
  EXPECT_EQ(check_static_address(address("10.89.6.9"), s, gw, {}).message(), "address 10.89.6.9 is not in subnet 10.89.5.0/24");
  EXPECT_EQ(check_static_address(address("10.89.5.1"), s, gw, {}).message(), "address 10.89.5.1 is the gateway of 10.89.5.0/24");
  EXPECT_EQ(check_static_address(address("10.89.5.255"), s, gw, {}).message(),
            "address 10.89.5.255 is the network or broadcast address of 10.89.5.0/24");
  EXPECT_EQ(check_static_address(address("10.89.5.9"), s, gw, {address("10.89.5.9")}).message(),
            "address 10.89.5.9 is already in use");
}

class NetworkStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("stack-ipam-" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(NetworkStoreTest, CreatesNetworksOnFreeSubnetsIdempotently) {
  NetworkStore store(root_.string(), kRoutes);
  NetworkRecord a, b, again;
  bool created = false;
  ASSERT_TRUE(store.create(named("front"), &a, &created));
  EXPECT_TRUE(created);
  EXPECT_EQ(a.subnet.to_string(), "10.89.1.0/24");  // 10.89.0.0/24 is routed on the host
  EXPECT_EQ(a.gateway.to_string(), "10.89.1.1");
  EXPECT_EQ(a.bridge.size(), 15u);
  ASSERT_TRUE(store.create(named("back"), &b));
  EXPECT_EQ(b.subnet.to_string(), "10.89.2.0/24");
  ASSERT_TRUE(store.create(named("front"), &again, &created));
  EXPECT_FALSE(created);
  EXPECT_EQ(again.id, a.id);
  NetworkOptions clash = named("clash", subnet("10.89.2.0/23"));
  EXPECT_EQ(store.create(clash, &b).message(), "network clash: subnet 10.89.2.0/23 overlaps network back (10.89.2.0/24)");
  NetworkOptions host = named("host", subnet("172.17.3.0/24"));
  EXPECT_EQ(store.create(host, &b).message(),
            "network host: subnet 172.17.3.0/24 overlaps a route of the host (172.17.0.0/16)");
  EXPECT_FALSE(store.create(named("bad name"), &b));
}

TEST_F(NetworkStoreTest, LeasesAreStablePerEndpointAndReleased) {
  NetworkStore store(root_.string(), kRoutes);
  NetworkRecord n;
  ASSERT_TRUE(store.create(named("net", subnet("192.168.50.0/24")), &n));
  Ipv4Address a, b, again;
  ASSERT_TRUE(store.lease("net", "c1", std::nullopt, {}, &a));
  ASSERT_TRUE(store.lease("net", "c2", std::nullopt, {}, &b));
  ASSERT_TRUE(store.lease("net", "c1", std::nullopt, {}, &again));
  EXPECT_EQ(a.to_string(), "192.168.50.2");
  EXPECT_EQ(b.to_string(), "192.168.50.3");
  EXPECT_EQ(again, a);
  Ipv4Address fixed;
  ASSERT_TRUE(store.lease("net", "c3", address("192.168.50.77"), {}, &fixed));
  EXPECT_EQ(fixed.to_string(), "192.168.50.77");
  EXPECT_EQ(store.lease("net", "c4", address("192.168.50.77"), {}, &fixed).message(),
            "network net: address 192.168.50.77 is already in use");
  EXPECT_EQ(store.remove("net").message(), "network net has 3 endpoint(s) attached (c1...)");
  for (const char* c : {"c1", "c2", "c3"}) ASSERT_TRUE(store.release("net", {c}));
  EXPECT_TRUE(store.remove("net"));
  EXPECT_FALSE(store.find("net", &n));
}

TEST_F(NetworkStoreTest, TwentyConcurrentProcessesGetTwentyAddresses) {
  NetworkStore store(root_.string(), kRoutes);
  NetworkRecord n;
  ASSERT_TRUE(store.create(named("busy"), &n));
  std::vector<pid_t> children;
  for (int i = 0; i < 20; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      NetworkStore mine(root_.string(), kRoutes);
      Ipv4Address a;
      ::_exit(mine.lease("busy", "endpoint-" + std::to_string(i), std::nullopt, {}, &a) ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  ASSERT_TRUE(store.find("busy", &n));
  std::set<Ipv4Address> distinct;
  for (const auto& [endpoint, lease] : n.leases) distinct.insert(lease.address);
  EXPECT_EQ(n.leases.size(), 20u);
  EXPECT_EQ(distinct.size(), 20u);
}

}  // namespace
}  // namespace stack::netbridge
