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
  EXPECT_NE(r.err.find("error: container batch-missing-1: exec: \"no-such-program\": executable file not found in $PATH"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("service missing: container batch-missing-1 did not start"), std::string::npos) << r.err;
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

}  // namespace
}  // namespace stack_system_test
