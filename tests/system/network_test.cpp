// System tests (root) of networks: bridges and veth pairs made and removed,
// peers by name and alias, isolation, internal networks, static addresses.
// Each runs in its own network namespace: the links and rules it makes are
// the sandbox's, never the host's.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

// The address of a running container's eth0, as it sees it.
std::string address_of(const std::string& container) {
  return "$($S container exec " + container + " ip -o -4 addr show eth0 | grep -o 'inet [0-9.]*' | cut -d' ' -f2)";
}

TEST_F(Container, NetworksMakeAndRemoveBridgesAndVethPairs) {
  Outcome r = in_sandbox(
      "ip link set lo up; $S network create front >/dev/null; "
      "ip -br link | grep -c '^stk-'; "  // none until a container joins
      "$S container run -d --name one --network front busybox sleep 30 >/dev/null; "
      "$S container run -d --name two --network front busybox sleep 30 >/dev/null; "
      "ip -br link | grep -c '^stk-'; ip -br link | grep -c '^vstk'; "
      "$S container exec one ip -o -4 addr show eth0 | grep -o 'inet [0-9./]*'; "
      "$S container exec one ip route | grep default; "
      "$S container rm -f one two >/dev/null; "
      "ip -br link | grep -vc '^lo'; iptables-save | grep -c stk-; "
      "$S network rm front; ls $STACK_ROOT/networks");
  EXPECT_EQ(r.out, "0\n1\n2\ninet 10.89.0.2/24\ndefault via 10.89.0.1 dev eth0 \n0\n0\nfront\nlinks.lock\nlock\n") << r.err;
}

TEST_F(Container, PeersReachEachOtherByNameAndAlias) {
  Outcome r = in_sandbox(
      "ip link set lo up; $S network create app >/dev/null; "
      "$S container run -d --name db --network app --network-alias database busybox sh -c "
      "'echo stored > /tmp/index.html; httpd -f -p 8080 -h /tmp' >/dev/null; "
      "$S container run -d --name web --network app busybox sleep 30 >/dev/null; "
      "$S container exec web ping -c1 -W2 db | grep -c '1 packets received'; "
      "$S container exec web wget -qO- http://database:8080/index.html; "
      "$S container exec db grep -c web /etc/hosts; "
      // A peer recreated gets a new address: the hosts files follow.
      "$S container rm -f web >/dev/null; $S container exec db grep -c web /etc/hosts; "
      "$S container run -d --name web --network app --ip 10.89.0.77 busybox sleep 30 >/dev/null; "
      "$S container exec db grep web /etc/hosts; "
      "$S container exec web wget -qO- http://db:8080/index.html; "
      "$S container rm -f web db >/dev/null; $S network rm app >/dev/null");
  EXPECT_EQ(r.out, "1\nstored\n1\n0\n10.89.0.77\tweb\nstored\n") << r.err;
}

TEST_F(Container, NetworksAreIsolatedFromEachOtherEvenWhenForwarding) {
  Outcome r = in_sandbox(
      "ip link set lo up; $S network create one >/dev/null; $S network create two >/dev/null; "
      "$S container run -d --name a --network one busybox sleep 30 >/dev/null; "
      "$S container run -d --name b --network two busybox sleep 30 >/dev/null; "
      "cat /proc/sys/net/ipv4/ip_forward; "
      "b=" + address_of("b") + "; echo b=$b; "
      "$S container exec a ping -c1 -W1 $b >/dev/null && echo reachable || echo isolated; "
      // Without our rules the host would route between the bridges: the rules are what isolates.
      "iptables -F STACK-FORWARD; $S container exec a ping -c1 -W1 $b >/dev/null && echo reachable || echo isolated; "
      "iptables-save -t nat | grep -c MASQUERADE; "
      "$S container rm -f a b >/dev/null; $S network rm one two >/dev/null; "
      "iptables-save | grep -c 'stk-'");
  EXPECT_EQ(r.out, "1\nb=10.89.1.2\nisolated\nreachable\n2\n0\n") << r.err;
}

TEST_F(Container, InternalNetworksHaveNoWayOut) {
  Outcome r = in_sandbox(
      "ip link set lo up; $S network create --internal sealed >/dev/null; "
      "$S container run -d --name in --network sealed busybox sleep 30 >/dev/null; "
      "$S container exec in ip route | grep -c default; "
      "iptables-save -t nat | grep -c MASQUERADE; "
      "iptables -S STACK-FORWARD | grep -c -- '-j DROP'; "
      "$S container rm -f in >/dev/null; $S network rm sealed >/dev/null");
  EXPECT_EQ(r.out, "0\n0\n3\n") << r.err;
}

TEST_F(Container, StaticAddressesAreCheckedAndFailuresLeaveNothing) {
  Outcome r = in_sandbox(
      "ip link set lo up; $S network create --subnet 192.168.9.0/24 fixed >/dev/null; "
      "$S container run -d --name a --network fixed --ip 192.168.9.9 busybox sleep 30 >/dev/null; "
      "$S container exec a ip -o -4 addr show eth0 | grep -o 'inet [0-9./]*'; "
      "$S container run --rm --network fixed --ip 192.168.9.9 busybox true; echo taken=$?; "
      "$S container run --rm --network fixed --ip 10.1.1.1 busybox true; echo outside=$?; "
      "$S container run --rm --network nowhere busybox true; echo missing=$?; "
      "ip -br link | grep -c '^vstk'; "
      "$S container rm -f a >/dev/null; $S network rm fixed >/dev/null");
  EXPECT_EQ(r.out, "inet 192.168.9.9/24\ntaken=125\noutside=125\nmissing=125\n1\n") << r.err;
  EXPECT_NE(r.err.find("network fixed: address 192.168.9.9 is already in use"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("network fixed: address 10.1.1.1 is not in subnet 192.168.9.0/24"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no such network: nowhere"), std::string::npos) << r.err;
}

TEST_F(Container, AStartedAgainContainerKeepsItsAddressLayerAndPorts) {
  Outcome r = in_sandbox(
      "ip link set lo up; $S network create keep >/dev/null; "
      "$S container run -d --name r --network keep -p 8080:80 busybox sh -c "
      "'echo run >> /count; echo up > /tmp/i.html; httpd -p 80 -h /tmp; exec sleep 30' >/dev/null; "
      "$S container run -d --name peer --network keep busybox sleep 30 >/dev/null; "
      "$S container exec r ip -o -4 addr show eth0 | grep -o 'inet [0-9.]*'; "
      "$S container stop -t 0 r >/dev/null; $S container exec peer grep -cw r /etc/hosts; "
      "$S container start r; "
      "$S container exec r sh -c 'ip -o -4 addr show eth0 | grep -o \"inet [0-9.]*\"; cat /count'; "
      "for i in $(seq 50); do wget -qO- http://127.0.0.1:8080/i.html 2>/dev/null && break; sleep 0.1; done; "
      "$S container start r; echo again=$?; "
      "$S container rm -f r peer >/dev/null; ip -br link | grep -vc '^lo'; $S network rm keep >/dev/null");
  EXPECT_EQ(r.out, "inet 10.89.0.2\n1\nr\ninet 10.89.0.2\nrun\nrun\nup\nagain=1\n0\n") << r.err;
  EXPECT_NE(r.err.find("container r is already running"), std::string::npos) << r.err;
}

TEST_F(Container, TwentyConcurrentRunsGetTwentyAddresses) {
  Outcome r = in_sandbox(
      "ip link set lo up; $S network create --mtu 1400 crowd >/dev/null; "
      "for i in $(seq 20); do $S container run -d --name c$i --network crowd busybox sleep 30 >/dev/null & done; wait; "
      "$S network inspect crowd | grep -o '\"IPv4Address\": \"[0-9.]*' | sort -u | wc -l; "
      "ip -br link | grep -c '^vstk'; "
      "$S container exec c7 cat /sys/class/net/eth0/mtu; "
      "$S container exec c1 ping -c1 -W2 c20 | grep -c '1 packets received'; "
      "for i in $(seq 20); do $S container rm -f c$i >/dev/null & done; wait; "
      "ip -br link | grep -vc '^lo'; $S network rm crowd >/dev/null");
  EXPECT_EQ(r.out, "20\n20\n1400\n1\n0\n") << r.err;
}

TEST_F(Container, PublishedTcpAndUdpPortsAreReachedFromLoopback) {
  Outcome r = in_sandbox(
      "ip link set lo up; $S network create pub >/dev/null; "
      "$S container run -d --name srv --network pub -p 8080:80 -p 127.0.0.1:9000:9000/udp busybox sh -c "
      "'echo published > /tmp/index.html; httpd -p 80 -h /tmp; exec checker udp-echo 9000' >/dev/null; "
      "for i in $(seq 50); do wget -qO- http://127.0.0.1:8080/index.html 2>/dev/null && break; sleep 0.1; done; "
      "python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); "
      "s.sendto(b\"echoed\", (\"127.0.0.1\", 9000)); print(s.recvfrom(64)[0].decode())'; "
      "ss -Hlun | grep -c '127.0.0.1:9000 '; "
      "$S container port srv; "
      // The port is taken: the second container fails cleanly and leaves nothing.
      "$S container run -d --name clash --network pub -p 8080:80 busybox sleep 30; echo clash=$?; "
      "$S container ls -a | grep -c clash; ip -br link | grep -c '^vstk'; "
      "$S container rm -f srv >/dev/null; ss -Hltun | grep -cE ':(8080|9000) '; "
      "$S network rm pub >/dev/null");
  // Without an address the port is on [::] too, where the sandbox has IPv6.
  bool ipv6 = shell("unshare --net sh -c 'ip link set lo up && ip -6 addr show lo | grep -q ::1'").rc == 0;
  EXPECT_EQ(r.out, std::string("published\nechoed\n1\n80/tcp -> 0.0.0.0:8080\n") + (ipv6 ? "80/tcp -> [::]:8080\n" : "") +
                       "9000/udp -> 127.0.0.1:9000\nclash=125\n0\n1\n0\n")
      << r.err;
  EXPECT_NE(r.err.find("container clash: publishing port 8080/tcp on 0.0.0.0: Address already in use"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace stack_system_test
