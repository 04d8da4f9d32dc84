// System tests (root) of network_mode: a service sharing another's network
// namespace (service:, container:), one in the host's (here the sandbox's),
// each checked from inside the container, and the refusals that make
// nothing. Each runs in a private network and mount namespace with a
// private STACK_ROOT.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

class NetworkMode : public Container {};

TEST_F(NetworkMode, ASidecarReachesItsServiceOnLoopbackAndIsMadeAgainWhenItIs) {
  // db listens on 127.0.0.1 only: only a container in its namespace reaches it.
  Outcome r = in_project("sidecar", R"(services:
  db:
    image: busybox
    environment: {GENERATION: "${GENERATION:-1}"}
    command: ["sh", "-c", "echo db $$GENERATION > /tmp/index.html; exec httpd -f -p 127.0.0.1:5432 -h /tmp"]
  sidecar:
    image: busybox
    network_mode: "service:db"
    command: ["sleep", "30"]
)",
                         "$S up -d >/dev/null; echo up=$?; "
                         "wait_for '$S exec -T sidecar wget -qO- http://127.0.0.1:5432/index.html'; "
                         "$S exec -T sidecar wget -qO- http://127.0.0.1:5432/index.html; "
                         // The same interfaces, addresses, /etc/hosts and name as db's.
                         "a=$($S exec -T db sh -c 'ip -o -4 addr; cat /etc/hosts; hostname'); "
                         "b=$($S exec -T sidecar sh -c 'ip -o -4 addr; cat /etc/hosts; hostname'); "
                         "[ \"$a\" = \"$b\" ] && echo same-network; echo \"$b\" | grep -c 'eth0.*inet '; "
                         // db recreated: the sidecar is made again in the new one's namespace.
                         "GENERATION=2 $S up -d 2>&1 | grep -c Recreated; "
                         "wait_for '$S exec -T sidecar wget -qO- http://127.0.0.1:5432/index.html'; "
                         "$S exec -T sidecar wget -qO- http://127.0.0.1:5432/index.html; "
                         // db alone made again: the next up makes the sidecar again, whose db is gone.
                         "GENERATION=3 $S up -d db >/dev/null; GENERATION=3 $S up -d 2>&1 | grep -c Recreated; "
                         "wait_for '$S exec -T sidecar wget -qO- http://127.0.0.1:5432/index.html'; "
                         "$S exec -T sidecar wget -qO- http://127.0.0.1:5432/index.html; "
                         "GENERATION=3 $S up -d 2>&1 | grep -c Recreated; "
                         // db stopped: its namespace is kept, but the sidecar does not start in it (as Docker).
                         "GENERATION=3 $S stop -t 0 >/dev/null; GENERATION=3 $S start sidecar; echo start=$?; "
                         "GENERATION=3 $S down -t 0 >/dev/null; echo down=$?");
  EXPECT_NE(r.out.find("up=0\ndb 1\nsame-network\n1\n2\ndb 2\n1\ndb 3\n0\nstart=1\ndown=0\n"), std::string::npos)
      << r.out << r.err;
  EXPECT_NE(r.err.find("whose network it shares, is not running"), std::string::npos) << r.err;
}

TEST_F(NetworkMode, AContainerModeServiceJoinsTheNamedContainerAndAMissingOneMakesNothing) {
  Outcome r = in_project("joined", R"(services:
  db:
    image: busybox
    container_name: netmode-db
    command: ["sh", "-c", "echo joined > /tmp/index.html; exec httpd -f -p 127.0.0.1:5432 -h /tmp"]
  app:
    image: busybox
    network_mode: "container:netmode-db"
    depends_on: [db]
    command: ["sleep", "30"]
  lost:
    image: busybox
    network_mode: "container:no-such-container"
    command: ["sleep", "30"]
    profiles: [lost]
)",
                         "$S up -d >/dev/null; echo up=$?; "
                         "wait_for '$S exec -T app wget -qO- http://127.0.0.1:5432/index.html'; "
                         "$S exec -T app wget -qO- http://127.0.0.1:5432/index.html; "
                         "n=$(ls $STACK_ROOT/containers | wc -l); "
                         "$S --profile lost up -d lost >/dev/null; echo lost=$?; "
                         "echo made $(( $(ls $STACK_ROOT/containers | wc -l) - n )); "
                         "$S --profile lost down -t 0 >/dev/null; echo down=$?");
  EXPECT_NE(r.out.find("up=0\njoined\nlost=1\nmade 0\ndown=0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("container joined-lost-1 did not start (network_mode container:no-such-container: "
                       "no such container: no-such-container)"),
            std::string::npos)
      << r.err;
}

TEST_F(NetworkMode, AHostModeServiceHasTheHostsInterfacesNameAndFiles) {
  // The "host" is the sandbox's namespace: a link made there for the test
  // is seen from inside, as is a server on its loopback.
  Outcome r = in_project("host", R"(services:
  app:
    image: busybox
    network_mode: host
    command: ["sleep", "30"]
)",
                         "ip link add netmode0 type veth peer name netmode1; "
                         "mkdir -p www; echo from-host > www/index.html; "
                         "busybox httpd -f -p 127.0.0.1:18090 -h www & server=$!; "
                         "$S up -d >/dev/null; echo up=$?; "
                         "outside=$(cut -d: -f1 /proc/net/dev | sort); "
                         "inside=$($S exec -T app sh -c 'cut -d: -f1 /proc/net/dev' | sort); "
                         "[ \"$outside\" = \"$inside\" ] && echo same-interfaces; echo \"$inside\" | grep -c netmode; "
                         "$S exec -T app wget -qO- http://127.0.0.1:18090/index.html; "
                         "[ \"$($S exec -T app hostname)\" = \"$(hostname)\" ] && echo same-name; "
                         "[ \"$($S exec -T app cat /etc/hosts)\" = \"$(cat /etc/hosts)\" ] && echo same-hosts; "
                         "$S down -t 0 >/dev/null; echo down=$?; kill $server");
  EXPECT_NE(r.out.find("up=0\nsame-interfaces\n2\nfrom-host\nsame-name\nsame-hosts\ndown=0\n"), std::string::npos)
      << r.out << r.err;
}

TEST_F(NetworkMode, ContainerRunSharesTheHostsOrAnotherContainersNetworkAsDockerRunDoes) {
  Outcome r = in_sandbox(
      "ip link set lo up; ip link add netmode2 type veth peer name netmode3; "
      "$S container run -d --name netmode-target busybox sh -c "
      "'echo target > /tmp/index.html; exec httpd -f -p 127.0.0.1:5433 -h /tmp' >/dev/null; "
      "for i in $(seq 100); do $S container run --rm --network container:netmode-target busybox "
      "wget -qO- http://127.0.0.1:5433/index.html 2>/dev/null && break; sleep 0.05; done; "
      "$S container run --rm --network host busybox grep -c netmode2 /proc/net/dev; "
      "$S container run --rm --network container:nothing-here busybox true; echo missing=$?; "
      "$S container rm -f netmode-target >/dev/null; echo rm=$?");
  EXPECT_NE(r.out.find("target\n1\nmissing=125\nrm=0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("no such container: nothing-here"), std::string::npos) << r.err;
}

TEST_F(NetworkMode, PortsBesideHostModeAreRefusedByNameAndNothingIsMade) {
  Outcome r = in_project("refused", R"(services:
  app:
    image: busybox
    network_mode: host
    command: ["sleep", "30"]
    ports: ["8080:80"]
)",
                         "n=$(ls $STACK_ROOT/containers | wc -l); $S up -d; echo up=$?; "
                         "echo made $(( $(ls $STACK_ROOT/containers | wc -l) - n ))");
  EXPECT_EQ(r.out, "up=1\nmade 0\n") << r.err;
  EXPECT_NE(r.err.find("compose.yaml:6:5: services.app.ports: ports cannot be published with network_mode host"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace stack_system_test
