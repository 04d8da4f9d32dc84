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

}  // namespace
}  // namespace stack_system_test
