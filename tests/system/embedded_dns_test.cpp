// System tests (root) of the embedded DNS resolver at 127.0.0.11: asked with
// busybox nslookup from inside a container, it gives peers, aliases and
// every replica, follows a recreated peer, and forwards the rest to a fake
// upstream server on the sandbox's loopback. Each runs in a private network
// and mount namespace with a private STACK_ROOT: no query leaves it.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

class EmbeddedDns : public Container {};

// An upstream server for the sandbox: outside.test has 192.0.2.99, every
// other name is NXDOMAIN; each name asked is logged.
const char kFakeUpstream[] = R"(import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
open("upstream-ready", "w").close()
log = open("upstream-asked", "a")
while True:
    q, client = s.recvfrom(4096)
    at, labels = 12, []
    while q[at]:
        labels.append(q[at + 1:at + 1 + q[at]].decode())
        at += 1 + q[at]
    qtype = struct.unpack(">H", q[at + 1:at + 3])[0]
    name = ".".join(labels).lower()
    log.write(name + "\n")
    log.flush()
    answers, rcode = [], 3
    if name == "outside.test":
        rcode = 0
        if qtype == 1:
            answers = [b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 99])]
    header = q[:2] + struct.pack(">HHHHH", 0x8180 | rcode, 1, len(answers), 0, 0)
    s.sendto(header + q[12:at + 5] + b"".join(answers), client)
)";

TEST_F(EmbeddedDns, PeersAliasesAndReplicasResolveAndFollowARecreatedPeerTheRestIsForwarded) {
  fs::create_directories(root_ / "dns");
  std::ofstream(root_ / "dns" / "upstream.py") << kFakeUpstream;
  Outcome r = in_project("dns", R"(services:
  app:
    image: busybox
    command: ["sleep", "60"]
    dns: [127.0.0.1]
    dns_opt: ["ndots:1"]
  peer:
    image: busybox
    command: ["sleep", "60"]
    networks:
      default:
        aliases: [peer-alias]
        ipv4_address: 10.123.0.50
  web:
    image: busybox
    command: ["sleep", "60"]
    scale: 2
networks:
  default:
    ipam:
      config:
        - subnet: 10.123.0.0/24
)",
                         "python3 upstream.py & p=$!; wait_for '[ -e upstream-ready ]'; "
                         "$S up -d >/dev/null; echo up=$?; "
                         "$S exec -T app cat /etc/resolv.conf; "
                         "look() { echo \"== $1\"; $S exec -T app nslookup \"$1\" 127.0.0.11 2>&1 | grep -e Address: -e NXDOMAIN -e SERVFAIL -e 'find'; }; "
                         "look peer; look peer-alias; look web; look dns-web-2; look outside.test; look missing.test; "
                         "echo replica $($S exec -T web ip -4 -o addr show eth0); "
                         "echo replica $($S exec -T --index 2 web ip -4 -o addr show eth0); "
                         "sed -i s/10.123.0.50/10.123.0.60/ compose.yaml; "
                         "$S up -d --force-recreate peer >/dev/null; echo recreated=$?; "
                         "look peer; "
                         // The asking container restarted has its resolver again.
                         "$S restart -t 0 app >/dev/null; echo restarted=$?; look peer; "
                         // An attached one-off container: `stack` itself serves its resolver.
                         "echo '== run'; $S run --rm -T app nslookup peer 127.0.0.11 2>&1 | grep Address:; "
                         "$S down -t 0 >/dev/null; echo down=$?; kill $p; wait $p 2>/dev/null; "
                         "echo asked; sort -u upstream-asked");
  ASSERT_NE(r.out.find("up=0\n"), std::string::npos) << r.out << r.err;
  // The resolver is the one nameserver; the dns key is where it forwards to.
  EXPECT_NE(r.out.find("nameserver 127.0.0.11\noptions ndots:1\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("nameserver 127.0.0.1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== peer\nAddress:\t127.0.0.11:53\nAddress: 10.123.0.50\n== peer-alias\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== peer-alias\nAddress:\t127.0.0.11:53\nAddress: 10.123.0.50\n== web\n"), std::string::npos) << r.out;
  // Both replicas of web, each at the address its eth0 has.
  auto replica_address = [&](size_t from) -> std::pair<std::string, size_t> {
    size_t line = r.out.find("replica ", from);
    size_t inet = line == std::string::npos ? line : r.out.find(" inet ", line);
    if (inet == std::string::npos) return {"", std::string::npos};
    return {r.out.substr(inet + 6, r.out.find('/', inet) - inet - 6), inet};
  };
  auto [first, after_first] = replica_address(0);
  ASSERT_NE(after_first, std::string::npos) << r.out;
  std::string second = replica_address(after_first).first;
  ASSERT_FALSE(first.empty() || second.empty() || first == second) << r.out;
  size_t web = r.out.find("== web\n"), web_end = r.out.find("== dns-web-2\n");
  ASSERT_TRUE(web != std::string::npos && web_end != std::string::npos) << r.out;
  std::string web_answer = r.out.substr(web, web_end - web);
  EXPECT_NE(web_answer.find("Address: " + first + "\n"), std::string::npos) << r.out;
  EXPECT_NE(web_answer.find("Address: " + second + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== dns-web-2\nAddress:\t127.0.0.11:53\nAddress: " + second + "\n"), std::string::npos) << r.out;
  // Names that are no container's go to the upstream, and its answer comes back as it was.
  EXPECT_NE(r.out.find("== outside.test\nAddress:\t127.0.0.11:53\nAddress: 192.0.2.99\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== missing.test\nAddress:\t127.0.0.11:53\n** server can't find missing.test: NXDOMAIN\n"),
            std::string::npos)
      << r.out;
  // The recreated peer's new address, at once.
  EXPECT_NE(r.out.find("recreated=0\n== peer\nAddress:\t127.0.0.11:53\nAddress: 10.123.0.60\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("restarted=0\n== peer\nAddress:\t127.0.0.11:53\nAddress: 10.123.0.60\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== run\nAddress:\t127.0.0.11:53\nAddress: 10.123.0.60\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("down=0\n"), std::string::npos) << r.out;
  // The containers' own names never left the resolver.
  size_t at = r.out.find("asked\n");
  ASSERT_NE(at, std::string::npos) << r.out;
  std::string asked = r.out.substr(at);
  EXPECT_NE(asked.find("outside.test\n"), std::string::npos) << r.out;
  EXPECT_EQ(asked.find("peer"), std::string::npos) << r.out;
  EXPECT_EQ(asked.find("web"), std::string::npos) << r.out;
}

// A DNS server of the container's own, as on Docker: 127.0.0.11:53 is
// sent to the resolver (listening on a port of its own), so port 53 (UDP
// and TCP, every address) is free for the container. The UDP server runs
// from the sandbox in the container's network namespace: busybox has none.
TEST_F(EmbeddedDns, AContainersOwnServerHasPort53AndTheResolverStillAnswers) {
  fs::create_directories(root_ / "own53");
  std::ofstream(root_ / "own53" / "udp53.py") << R"(import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
open("udp53-ready", "w").close()
while True:
    q, client = s.recvfrom(4096)
    s.sendto(b"own server", client)
)";
  Outcome r = in_project("own53", R"(services:
  app:
    image: busybox
    command: ["nc", "-l", "-p", "53"]
  peer:
    image: busybox
    command: ["sleep", "60"]
)",
                         "$S up -d >/dev/null; echo up=$?; "
                         "ns=$STACK_ROOT/containers/$($S ps -q app)/netns; "
                         "nsenter --net=$ns python3 udp53.py & p=$!; wait_for '[ -e udp53-ready ]'; "
                         "echo == asked-own $(nsenter --net=$ns python3 -c 'import socket; s = socket.socket(socket.AF_INET, "
                         "socket.SOCK_DGRAM); s.settimeout(5); s.sendto(b\"q\", (\"127.0.0.1\", 53)); print(s.recv(99).decode())'); "
                         "echo '== peer'; $S exec -T app nslookup peer 127.0.0.11 2>&1 | grep -c Address:; "
                         "$S exec -T peer sh -c 'echo tcp-to-own | nc -w 5 app 53'; echo nc=$?; wait_for '$S logs app | grep -q tcp-to-own'; "
                         "echo == logs $($S logs --no-log-prefix app); "
                         // The resolver's port taken in the namespace while app is stopped:
                         // the next start moves the resolver and its redirect.
                         "port=$(cat $STACK_ROOT/containers/$($S ps -q app)/dns-port); $S stop -t 0 app >/dev/null; "
                         "nsenter --net=$ns python3 -c 'import socket, sys, time; s = socket.socket(socket.AF_INET, "
                         "socket.SOCK_DGRAM); s.bind((\"0.0.0.0\", int(sys.argv[1]))); open(\"taken\", \"w\").close(); "
                         "time.sleep(60)' $port & t=$!; wait_for '[ -e taken ]'; $S start app >/dev/null; echo start=$?; "
                         "[ \"$(cat $STACK_ROOT/containers/$($S ps -q app)/dns-port)\" != \"$port\" ] && echo moved; "
                         "echo '== after'; $S exec -T peer true; $S exec -T app nslookup peer 127.0.0.11 2>&1 | grep -c Address:; "
                         "kill $t $p; wait $p 2>/dev/null; $S down -t 0 >/dev/null; echo down=$?");
  ASSERT_NE(r.out.find("up=0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("== asked-own own server\n"), std::string::npos) << r.out << r.err;
  // The server's address and the peer's.
  EXPECT_NE(r.out.find("== peer\n2\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("== logs tcp-to-own\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("start=0\nmoved\n== after\n2\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("down=0\n"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace stack_system_test
