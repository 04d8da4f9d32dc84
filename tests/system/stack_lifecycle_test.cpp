// System tests (root) of the stack lifecycle: up -d, ps, port, down, in a
// private network and mount namespace, with a stack file written per test.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

const char* kPipeline = R"(services:
  prepare:
    image: busybox
    command: ["sh", "-c", "echo dataset > /data/set.txt"]
    volumes: [data:/data]
  web:
    image: busybox
    command: ["sh", "-c", "cp /data/set.txt /tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    volumes: [data:/data]
    ports: ["8080:80"]
    depends_on:
      prepare: {condition: service_completed_successfully}
  client:
    image: busybox
    command: ["sleep", "30"]
    networks:
      default:
        aliases: [tester]
    depends_on: [web]
volumes:
  data:
)";

TEST_F(Container, UpStartsInOrderPeersResolveServicesAndDownCleansUp) {
  fs::path dir = root_ / "pipeline";
  fs::create_directories(dir);
  std::ofstream(dir / "compose.yaml") << kPipeline;
  Outcome r = in_sandbox(
      "ip link set lo up; cd " + quote(dir.string()) + "; "
      "$S up -d; "
      "$S ps -a | tail -n +2 | awk '{print $1, $3, $4}'; "
      "$S port web 80; "
      "$S container exec pipeline-client-1 wget -qO- http://web/index.html; "
      "$S container exec pipeline-web-1 grep -c tester /etc/hosts; "
      "for i in $(seq 50); do wget -qO- http://127.0.0.1:8080/index.html 2>/dev/null && break; sleep 0.1; done; "
      "$S up -d | grep -c Running; "  // unchanged services are left alone
      "$S down -t 0; "
      "ip -br link | grep -vc '^lo'; ls $STACK_ROOT/volumes; "
      "$S -p pipeline down -v | grep -c Volume; ls $STACK_ROOT/volumes | wc -l");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            " Container pipeline-prepare-1  Started\n Container pipeline-prepare-1  Exited\n"
            " Container pipeline-web-1  Started\n"
            " Container pipeline-client-1  Started\n"
            "pipeline-client-1 client Up\npipeline-prepare-1 prepare Exited\npipeline-web-1 web Up\n"
            "0.0.0.0:8080\ndataset\n1\ndataset\n2\n"
            " Container pipeline-client-1  Removed\n Container pipeline-web-1  Removed\n"
            " Container pipeline-prepare-1  Removed\n Network pipeline_default  Removed\n"
            "0\npipeline_data\n1\n0\n")
      << r.err;
}

TEST_F(Container, UpFailsNamingAServiceThatDidNotComplete) {
  fs::path dir = root_ / "failing";
  fs::create_directories(dir);
  std::ofstream(dir / "compose.yaml") << R"(services:
  migrate:
    image: busybox
    command: ["sh", "-c", "exit 3"]
  app:
    image: busybox
    command: ["sleep", "30"]
    depends_on:
      migrate: {condition: service_completed_successfully}
)";
  // app never starts: nothing of it in ps.
  Outcome r = in_sandbox("ip link set lo up; cd " + quote(dir.string()) + "; $S up -d; echo up=$?; $S ps -a | grep -c failing-app-; $S down -t 0 >/dev/null");
  EXPECT_NE(r.out.find("up=1\n0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("dependency failed to start: service \"migrate\" didn't complete successfully: exit 3"), std::string::npos)
      << r.err;
}

TEST_F(Container, UpStartingSeveralAtOnceNamesTheOneThatCouldNotStartAndWhy) {
  fs::path dir = root_ / "batch";
  fs::create_directories(dir);
  // Independent services start together, each launch becoming its shim:
  // a failed start's message travels back to `up` from there.
  std::ofstream(dir / "compose.yaml") << R"(services:
  ok: {image: busybox, command: ["sleep", "30"]}
  missing: {image: busybox, command: ["no-such-program"]}
  also: {image: busybox, command: ["sleep", "30"]}
)";
  Outcome r = in_sandbox("ip link set lo up; cd " + quote(dir.string()) +
                         "; $S up -d >/dev/null; echo up=$?; $S ps -a | tail -n +2 | awk '{print $1, $4, $5}'; "
                         "$S down -t 0 >/dev/null; echo down=$?");
  EXPECT_EQ(r.out, "up=1\nbatch-also-1 Up \nbatch-missing-1 Exited (127)\nbatch-ok-1 Up \ndown=0\n") << r.err;
  EXPECT_NE(r.err.find("error: service missing: container batch-missing-1 did not start (exec: \"no-such-program\": "
                       "executable file not found in $PATH)"),
            std::string::npos)
      << r.err;
}

TEST_F(Container, ReplicasShareTheServiceNameAndExternalNetworksStay) {
  fs::path dir = root_ / "scaled";
  fs::create_directories(dir);
  std::ofstream(dir / "compose.yaml") << R"(services:
  api:
    image: busybox
    command: ["sleep", "30"]
    deploy: {replicas: 2}
    networks: [shared]
  probe:
    image: busybox
    command: ["sleep", "30"]
    networks: [shared]
networks:
  shared:
    external: true
    name: outside
)";
  Outcome r = in_sandbox(
      "ip link set lo up; cd " + quote(dir.string()) + "; "
      "$S up -d >/dev/null; echo missing=$?; "
      "$S network create outside >/dev/null; $S up -d >/dev/null; echo up=$?; "
      "$S container exec scaled-probe-1 grep -cw api /etc/hosts; "
      "$S container exec scaled-probe-1 ping -c1 -W2 scaled-api-2 | grep -c '1 packets received'; "
      "$S down -t 0 | grep -c Network; $S network ls | grep -c outside; $S network rm outside >/dev/null");
  EXPECT_EQ(r.out, "missing=1\nup=0\n2\n1\n0\n1\n") << r.err;
  EXPECT_NE(r.err.find("external network outside does not exist"), std::string::npos) << r.err;
}

// Two services on two networks, one publishing a port: every step of a
// container's creation happens at least once.
const char* kTwoNetworks = R"(services:
  a:
    image: busybox
    command: ["sleep", "300"]
    networks: [front, back]
    ports: ["8080:80"]
  b:
    image: busybox
    command: ["sleep", "300"]
    networks: [front, back]
networks:
  front: {}
  back: {}
)";

// The steps of creation STACK_TEST_CRASH_AT can stop `stack` at (see
// compose/crash_points.h), in order.
const char* const kCreationSteps[] = {
    "networks-created", "record-written",   "spec-written",     "ports-bound",
    "network-namespace-made", "network-leased-1", "network-joined-1", "network-leased-2",
    "network-joined-2", "record-complete",  "container-started", "containers-launched",
    "hosts-written",
};

// `up -d` killed (SIGKILL to it and its forked launches, as `kill -9
// -PGID`) right after each step of creation; the next `up -d` must give
// every container all of its networks, seen from inside it, and each
// container once.
TEST_F(Container, AnUpKilledAtAnyStepOfCreationIsCompletedWithEveryNetworkByTheNextUp) {
  fs::path dir = root_ / "crash";
  fs::create_directories(dir);
  std::ofstream(dir / "compose.yaml") << kTwoNetworks;
  std::string steps, expected;
  for (const char* step : kCreationSteps) {
    steps += std::string(" ") + step;
    expected += std::string(step) + " killed=137 up=0\n" + step + " a: eth0 eth1 lo reaches b\n" + step +
                " b: eth0 eth1 lo reaches a\n" + step + " ps: crash-a-1 Up crash-b-1 Up\n";
  }
  // Inside a container: the interfaces with an IPv4 address, and whether
  // the peer answers by its service name on its first network.
  auto inside = [](const std::string& service, const std::string& peer) {
    return "echo \"$step " + service + ": $($S exec -T " + service + " sh -c '" +
           "ip -4 -o addr show | awk \"{print \\$2}\" | sort | tr \"\\n\" \" \"; "
           "ping -c1 -W2 " + peer + " >/dev/null && echo reaches " + peer + "')\"; ";
  };
  std::string script =
      "export STACK_ROOT=" + quote((root_ / "state").string()) + "; S=" STACK_BINARY "; ip link set lo up; cd " +
      quote(dir.string()) + "; for step in" + steps + "; do "
      "STACK_TEST_CRASH_AT=$step $S up -d >/dev/null 2>&1; killed=$?; "
      "$S up -d >/dev/null 2>>up.err; echo \"$step killed=$killed up=$?\"; " +
      inside("a", "b") + inside("b", "a") +
      "echo \"$step ps: $($S ps -a | tail -n +2 | awk '{print $1, $4}' | tr '\\n' ' ' | sed 's/ $//')\"; "
      "$S down -t 0 >/dev/null 2>>down.err; done; "
      "ip -br link | grep -vc '^lo'; $S network ls | grep -c crash; cat up.err down.err";
  Outcome r = shell("timeout -k 5 300 unshare --mount --net --fork -- sh -c " + quote(script));
  EXPECT_EQ(r.out, expected + "0\n0\n") << r.err;
}

// A temporary file a killed writer left in a container's directory, and a
// directory holding nothing but one, are removed by the next command; the
// temporary file of a writer that still runs is not.
TEST_F(Container, TemporaryFilesOfKilledWritersAndHalfMadeDirectoriesAreRemovedByTheNextCommand) {
  fs::path dir = root_ / "leftovers";
  fs::create_directories(dir);
  std::ofstream(dir / "compose.yaml") << "services:\n  a: {image: busybox, command: [\"sleep\", \"300\"]}\n";
  Outcome r = in_sandbox(
      "cd " + quote(dir.string()) + "; $S up -d >/dev/null; "
      "c=$STACK_ROOT/containers/$($S ps -q); half=$STACK_ROOT/containers/$(printf '%064d' 7); "
      "sh -c 'exit 0' & dead=$!; wait $dead; sleep 300 & live=$!; "
      "echo '{' > $c/state.json.tmp-$dead-1; echo '{' > $c/state.json.tmp-$live-2; "
      "mkdir $half; echo '{' > $half/state.json.tmp-$dead-3; "
      "$S ps | tail -n +2 | awk '{print $1, $4}'; "
      "ls $c | grep -c tmp-$dead; ls $c | grep -c tmp-$live; ls -d $half 2>/dev/null | wc -l; "
      "kill $live; wait $live; $S ps >/dev/null; ls $c | grep -c tmp-; "
      "$S down -t 0 >/dev/null; echo down=$?");
  EXPECT_EQ(r.out, "leftovers-a-1 Up\n0\n1\n0\n0\ndown=0\n") << r.err;
}

}  // namespace
}  // namespace stack_system_test
