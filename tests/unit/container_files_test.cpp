// The /etc files stack writes for a container: hosts with the lines it was given, resolv.conf from the host's and the dns keys.
#include <gtest/gtest.h>

#include "runtime/container_runner.h"

namespace stack::runtime {
namespace {

TEST(ContainerFiles, HostsKeepLocalhostAndItsNameThenTheGivenLines) {
  EXPECT_EQ(hosts_file("web", {"10.0.0.5\tdb", "10.89.0.1\thost.docker.internal"}),
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tweb\n"
            "10.0.0.5\tdb\n10.89.0.1\thost.docker.internal\n");
}

TEST(ContainerFiles, ResolvConfIsTheHostsWithEachKindTheDnsKeysSetReplaced) {
  std::string host = "# generated\nnameserver 10.1.1.1\nnameserver 127.0.0.53\nsearch a.example b.example\noptions edns0\n";
  EXPECT_EQ(resolv_conf(host, {}), "search a.example b.example\nnameserver 10.1.1.1\noptions edns0\n");
  EXPECT_EQ(resolv_conf(host, {{"192.0.2.53"}, {}, {}}), "search a.example b.example\nnameserver 192.0.2.53\noptions edns0\n");
  EXPECT_EQ(resolv_conf(host, {{}, {"corp.internal"}, {"ndots:2"}}), "search corp.internal\nnameserver 10.1.1.1\noptions ndots:2\n");
}

TEST(ContainerFiles, AHostWithOnlyLoopbackResolversGivesWayToAPublicOne) {
  // systemd-resolved's stub cannot be reached from the container's network namespace.
  EXPECT_EQ(resolv_conf("nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n", {}),
            "search .\nnameserver 8.8.8.8\noptions edns0 trust-ad\n");
  EXPECT_EQ(resolv_conf("", {}), "nameserver 8.8.8.8\n");
}

TEST(ContainerFiles, OnProjectNetworksTheOneNameserverIsTheEmbeddedResolver) {
  std::string host = "nameserver 10.1.1.1\nnameserver 127.0.0.53\nsearch a.example\noptions edns0\n";
  EXPECT_EQ(resolv_conf(host, {}, ResolvConfFor::ProjectNetworks), "search a.example\nnameserver 127.0.0.11\noptions edns0\n");
  // The dns key names where 127.0.0.11 forwards to, not what the container asks.
  EXPECT_EQ(resolv_conf(host, {{"192.0.2.53"}, {"corp.internal"}, {"ndots:2"}}, ResolvConfFor::ProjectNetworks),
            "search corp.internal\nnameserver 127.0.0.11\noptions ndots:2\n");
}

}  // namespace
}  // namespace stack::runtime
