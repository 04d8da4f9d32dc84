// System tests (root) of GPU reservations on a fake two-GPU host: device
// nodes made with mknod (NVIDIA's numbers, 195:N, no driver needed) and a
// CDI spec pointing at them, in a private STACK_CDI_DIRS.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

class Gpus : public Container {
 protected:
  void SetUp() override {
    Container::SetUp();
    if (IsSkipped()) return;
    host_ = root_ / "fake-gpus";
    fs::remove_all(host_);
    fs::create_directories(host_ / "dev");
    fs::create_directories(host_ / "cdi");
    fs::create_directories(host_ / "lib");
    for (auto [name, minor] : {std::pair{"nvidia0", 0}, {"nvidia1", 1}, {"nvidiactl", 255}})
      ASSERT_EQ(shell("mknod -m 666 " + quote((host_ / "dev" / name).string()) + " c 195 " + std::to_string(minor)).rc, 0);
    std::ofstream(host_ / "lib/libcuda.so.1") << "fake libcuda\n";
    std::string d = host_.string();
    std::ofstream(host_ / "cdi/nvidia.yaml") << "cdiVersion: \"0.6.0\"\nkind: nvidia.com/gpu\ndevices:\n"
        "- name: \"0\"\n  containerEdits: {deviceNodes: [{path: /dev/nvidia0, hostPath: " << d << "/dev/nvidia0}]}\n"
        "- name: GPU-aaaa-0000\n  containerEdits: {deviceNodes: [{path: /dev/nvidia0, hostPath: " << d << "/dev/nvidia0}]}\n"
        "- name: \"1\"\n  containerEdits: {deviceNodes: [{path: /dev/nvidia1, hostPath: " << d << "/dev/nvidia1}]}\n"
        "- name: GPU-bbbb-1111\n  containerEdits: {deviceNodes: [{path: /dev/nvidia1, hostPath: " << d << "/dev/nvidia1}]}\n"
        "containerEdits:\n"
        "  env: [NVIDIA_DRIVER_CAPABILITIES=compute]\n"
        "  deviceNodes: [{path: /dev/nvidiactl, hostPath: " << d << "/dev/nvidiactl}]\n"
        "  mounts: [{hostPath: " << d << "/lib/libcuda.so.1, containerPath: /usr/lib/libcuda.so.1, options: [ro, bind]}]\n";
  }

  void TearDown() override {
    if (!IsSkipped()) {
      // Every test ends with its stacks down: no GPU may stay held.
      Outcome left = gpus_sandbox("$S gpus --format json | grep -c '\"container\"'");
      EXPECT_EQ(left.out, "0\n") << "a GPU hold leaked";
      fs::remove_all(host_);
    }
    Container::TearDown();
  }

  // A project `name` in its own directory, with a service asking as `request` says.
  fs::path project(const std::string& name, const std::string& service_yaml) {
    fs::path dir = root_ / name;
    fs::create_directories(dir);
    std::ofstream(dir / "compose.yaml") << "name: " << name << "\nservices:\n" << service_yaml;
    return dir;
  }

  Outcome gpus_sandbox(const std::string& script) {
    return in_sandbox("export STACK_CDI_DIRS=" + quote((host_ / "cdi").string()) + "; ip link set lo up; " + script);
  }

  static std::string up(const fs::path& dir) { return "$S -f " + quote((dir / "compose.yaml").string()) + " up -d"; }
  static std::string down(const fs::path& dir) { return "$S -f " + quote((dir / "compose.yaml").string()) + " down -t 0"; }

  fs::path host_;
};

constexpr const char* kOneGpu = R"(  train:
    image: busybox
    command: ["sleep", "30"]
    deploy:
      resources:
        reservations:
          devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]
)";

constexpr const char* kAllGpus = R"(  sweep:
    image: busybox
    command: ["sleep", "30"]
    gpus: all
)";

TEST_F(Gpus, TwoProjectsGetDifferentGpusAndAllWaitsUntilDownReleasesThem) {
  fs::path a = project("proja", kOneGpu), b = project("projb", kOneGpu), c = project("projc", kAllGpus);
  Outcome r = gpus_sandbox(
      up(a) + " >/dev/null; " + up(b) + " >/dev/null; echo ups=$?; " + up(c) + " >/dev/null; echo all=$?; "
      "ls $STACK_ROOT/containers | grep -c projc; $S network ls | grep -c projc; "
      "$S gpus | tail -n +2 | awk '{print $1, $3}'; $S -p proja ps | awk '{print $1, $5}'; " +
      down(a) + " >/dev/null; " + up(c) + " 2>&1 >/dev/null | grep -o 'GPU 1 (GPU-bbbb-1111) is held by projb-train-1'; " +
      down(b) + " >/dev/null; " + up(c) + " >/dev/null; echo all-after-down=$?; $S gpus | tail -n +2 | awk '{print $1, $3}'; " +
      down(c) + " >/dev/null");
  EXPECT_EQ(r.out,
            "ups=0\nall=1\n0\n0\n"  // the failed up made nothing: no container, no network
            "0 proja-train-1\n1 projb-train-1\n"
            "NAME GPUS\nproja-train-1 0\n"
            "GPU 1 (GPU-bbbb-1111) is held by projb-train-1\n"
            "all-after-down=0\n0 projc-sweep-1\n1 projc-sweep-1\n")
      << r.err;
  EXPECT_NE(r.err.find("error: service sweep (container projc-sweep-1) asks for all GPUs: not every GPU is free: "
                       "GPU 0 (GPU-aaaa-0000) is held by proja-train-1, GPU 1 (GPU-bbbb-1111) is held by projb-train-1"),
            std::string::npos)
      << r.err;
}

TEST_F(Gpus, OnlyTheReservedGpuIsVisibleAndUsableInside) {
  fs::path a = project("inside", std::string(kOneGpu) + "    environment: [NVIDIA_DRIVER_CAPABILITIES=utility]\n");
  // Allowed but driverless nodes fail to open with ENXIO; the device
  // cgroup's refusal is EPERM.
  Outcome r = gpus_sandbox(
      up(a) + " >/dev/null && $S -p inside exec train sh -c '"
              "ls /dev | grep nvidia; echo $NVIDIA_VISIBLE_DEVICES $NVIDIA_DRIVER_CAPABILITIES; cat /usr/lib/libcuda.so.1; "
              "cat /dev/nvidia0; cat /dev/nvidiactl; cat /dev/nvidia1; mknod /tmp/other c 195 1; cat /tmp/other; "
              "echo x > /usr/lib/libcuda.so.1'; " +
      down(a) + " >/dev/null");
  // The service's own environment wins over the spec's.
  EXPECT_EQ(r.out, "nvidia0\nnvidiactl\nGPU-aaaa-0000 utility\nfake libcuda\n") << r.err;
  EXPECT_NE(r.err.find("can't open '/dev/nvidia0': No such device or address"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("can't open '/dev/nvidiactl': No such device or address"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("can't open '/dev/nvidia1': No such file or directory"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("can't open '/tmp/other': Operation not permitted"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
}

TEST_F(Gpus, ReplicasGetTheirOwnAndRequestsThatCannotBeMetFailNamingWhy) {
  // Replicas through --scale (deploy: is already the reservation's).
  fs::path ids = project("ids", "  pinned:\n    image: busybox\n    command: [\"sleep\", \"30\"]\n"
                                "    gpus: [{device_ids: [\"GPU-aaaa-0000\"]}]\n");
  fs::path missing = project("missing", "  pinned:\n    image: busybox\n    gpus: [{device_ids: [\"7\"]}]\n");
  fs::path many = project("many", "  big:\n    image: busybox\n    gpus: [{count: 3}]\n");
  fs::path one = project("one", kOneGpu);
  Outcome r = gpus_sandbox(
      "$S -f " + quote((one / "compose.yaml").string()) + " up -d --scale train=2 >/dev/null; echo scaled=$?; "
      "$S gpus | tail -n +2 | awk '{print $1, $3}'; "
      "$S -f " + quote((one / "compose.yaml").string()) + " up -d --scale train=3 >/dev/null; echo three=$?; "
      "$S -p one ps -a | tail -n +2 | wc -l; " +
      "$S -f " + quote((one / "compose.yaml").string()) + " up -d --scale train=1 >/dev/null; "
      "$S gpus | tail -n +2 | awk '{print $1, $3}'; " +
      up(ids) + " >/dev/null; echo ids=$?; " + down(one) + " >/dev/null; " + up(ids) + " >/dev/null; echo ids-after=$?; "
      "$S gpus | tail -n +2 | awk '{print $1, $3}'; " + down(ids) + " >/dev/null; " +
      up(missing) + " >/dev/null; echo missing=$?; " + up(many) + " >/dev/null; echo many=$?");
  EXPECT_EQ(r.out,
            "scaled=0\n0 one-train-1\n1 one-train-2\n"
            "three=1\n2\n"                    // the third replica failed before anything was made
            "0 one-train-1\n1 -\n"            // scaled down: the removed replica's GPU is free
            "ids=1\nids-after=0\n0 ids-pinned-1\n1 -\n"
            "missing=1\nmany=1\n")
      << r.err;
  for (const char* message :
       {"service train (container one-train-3) asks for 1 GPU: only 0 of the 2 GPUs are free",
        "service pinned (container ids-pinned-1) asks for GPU GPU-aaaa-0000: GPU 0 (GPU-aaaa-0000) is not free: "
        "GPU 0 (GPU-aaaa-0000) is held by one-train-1",
        "service pinned (container missing-pinned-1) asks for GPU 7: there is no GPU 7 on this host",
        "service big (container many-big-1) asks for 3 GPUs: this host has only 2"})
    EXPECT_NE(r.err.find(message), std::string::npos) << message << "\nin:\n" << r.err;
}

TEST_F(Gpus, ARecreatedContainerKeepsItsGpuAndAStoppedOneHoldsIt) {
  fs::path a = project("again", kOneGpu), b = project("other", kAllGpus);
  std::string gpus = "$S gpus | tail -n +2 | awk '{print $1, $3}'; ";
  Outcome r = gpus_sandbox(
      "$S -f " + quote((a / "compose.yaml").string()) + " up -d --scale train=2 >/dev/null; " +
      "$S -f " + quote((a / "compose.yaml").string()) + " up -d --force-recreate --scale train=2 >/dev/null; " + gpus +
      "$S -p again stop -t 0 >/dev/null; " + up(b) + " >/dev/null 2>&1; echo all-while-stopped=$?; " + gpus +
      down(a) + " >/dev/null");
  // Recreated under the same names, on the same GPUs, still held; stopped, still held.
  EXPECT_EQ(r.out, "0 again-train-1\n1 again-train-2\nall-while-stopped=1\n0 again-train-1\n1 again-train-2\n") << r.err;
}

TEST_F(Gpus, AHoldLeftByACrashedCommandIsReclaimedByTheNext) {
  fs::path c = project("after", kAllGpus);
  // The ledger as a killed `up` leaves it: a hold for a container never
  // made, by a process that is gone.
  Outcome r = gpus_sandbox(
      "sh -c 'exit 0' & dead=$!; wait $dead; mkdir -p $STACK_ROOT/gpus; "
      "printf '{\"holds\":[{\"gpu\":\"GPU-aaaa-0000\",\"container\":\"ghost-1\",\"project\":\"ghost\",\"service\":\"x\","
      "\"reserver\":%s,\"reserver_start\":1}]}' $dead > $STACK_ROOT/gpus/ledger.json; "
      "$S gpus | tail -n +2 | awk '{print $1, $3}'; " + up(c) + " >/dev/null; echo up=$?; " + down(c) + " >/dev/null");
  EXPECT_EQ(r.out, "0 -\n1 -\nup=0\n") << r.err;
}

TEST_F(Gpus, AOneOffRunGetsItsOwnGpuAndGivesItBack) {
  fs::path a = project("oneoff", kOneGpu);
  Outcome r = gpus_sandbox("cd " + quote(a.string()) + "; $S run --rm train sh -c 'echo $NVIDIA_VISIBLE_DEVICES; ls /dev | grep nvidia'; "
                           "$S gpus | tail -n +2 | awk '{print $1, $3}'; $S down >/dev/null");
  EXPECT_EQ(r.out, "GPU-aaaa-0000\nnvidia0\nnvidiactl\n0 -\n1 -\n") << r.err;
}

TEST_F(Gpus, CdiHooksRunAtTheirStagesAndAFailingOneStopsTheStart) {
  // A hook that logs its stage and the state it is given, and, once the
  // container's filesystem is mounted, writes into its root (found, as
  // nvidia-cdi-hook finds it, through the bundle's config.json).
  fs::path hook = host_ / "hook.sh", log = host_ / "hook.log";
  std::ofstream(hook) << "#!/bin/sh\nstate=$(cat)\necho \"$1 $state\" >> " << log.string() << "\n"
                      << "[ \"$1\" = created ] || exit 0\n"
                      << "bundle=$(echo \"$state\" | sed 's/.*\"bundle\":\"\\([^\"]*\\)\".*/\\1/')\n"
                      << "root=$(sed -n 's/.*\"path\": \"\\(.*\\)\".*/\\1/p' \"$bundle/config.json\")\n"
                      << "echo made-by-the-hook > \"$root/etc/hooked\"\n";
  fs::permissions(hook, fs::perms::owner_all);
  std::ofstream(host_ / "cdi/nvidia.yaml", std::ios::app)
      << "  hooks:\n"
      << "  - {hookName: createContainer, path: " << hook.string() << ", args: [hook.sh, created]}\n"
      << "  - {hookName: poststop, path: " << hook.string() << ", args: [hook.sh, stopped]}\n";
  fs::path a = project("hooked", kOneGpu);
  Outcome r = gpus_sandbox(up(a) + " >/dev/null && $S -p hooked exec train cat /etc/hooked; " + down(a) + " >/dev/null; "
                           "cut -d' ' -f1 " + quote(log.string()) + "; grep -c '\"pid\":[1-9]' " + quote(log.string()));
  EXPECT_EQ(r.out, "made-by-the-hook\ncreated\nstopped\n1\n") << r.err;

  std::ofstream(hook) << "#!/bin/sh\nexit 3\n";
  Outcome failing = gpus_sandbox(up(a) + "; echo up=$?; " + down(a) + " >/dev/null");
  EXPECT_NE(failing.out.find("up=1"), std::string::npos) << failing.out << failing.err;
  EXPECT_NE(failing.err.find("hook " + hook.string() + " (createContainer): exited with 3"), std::string::npos) << failing.err;
}

TEST_F(Gpus, DevicesByHostPathAndByCdiNameAreMadeAndAllowed) {
  // A device of another kind, by CDI name, and a host node by its path:
  // no reservation, but the node, its cgroup rule and its edits.
  ASSERT_EQ(shell("mknod -m 660 " + quote((host_ / "dev/fpga0").string()) + " c 240 7").rc, 0);
  std::ofstream(host_ / "cdi/fpga.json") << R"({"cdiVersion": "0.6.0", "kind": "example.com/fpga", "devices": [
    {"name": "a", "containerEdits": {"env": ["FPGA=a"], "deviceNodes": [{"path": "/dev/fpga-a", "type": "c", "major": 240, "minor": 9}]}}]})";
  fs::path dir = project("devs", "  app:\n    image: busybox\n    command: [\"sleep\", \"30\"]\n    devices:\n"
                                 "      - " + (host_ / "dev/fpga0").string() + ":/dev/fpga0:rw\n"
                                 "      - example.com/fpga=a\n");
  Outcome r = gpus_sandbox(up(dir) + " >/dev/null && $S -p devs exec app sh -c '"
                           "ls -l /dev/fpga0 /dev/fpga-a | cut -c1-10; echo $FPGA; cat /dev/fpga0; cat /dev/fpga-a; "
                           "echo x > /dev/fpga0; mknod /tmp/other c 240 8; cat /tmp/other'; " + down(dir) + " >/dev/null");
  EXPECT_EQ(r.out, "crw-rw-rw-\ncrw-rw----\na\n") << r.err;  // the spec's mode; the host node's
  // Allowed, read and write (no driver: ENXIO); a node of the same driver not given is refused.
  EXPECT_NE(r.err.find("can't open '/dev/fpga0': No such device or address"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("can't open '/dev/fpga-a': No such device or address"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("can't create /dev/fpga0: No such device or address"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("can't open '/tmp/other': Operation not permitted"), std::string::npos) << r.err;
  fs::path unknown = project("unknown", "  app:\n    image: busybox\n    devices: [example.com/fpga=zz]\n");
  Outcome bad = gpus_sandbox(up(unknown) + "; echo up=$?");
  EXPECT_NE(bad.out.find("up=1"), std::string::npos) << bad.out;
  EXPECT_NE(bad.err.find("service app: device example.com/fpga=zz: no CDI spec in"), std::string::npos) << bad.err;
}

TEST_F(Gpus, WithoutAnyGpuUpFailsSayingWhereItLooked) {
  fs::path a = project("nogpu", kOneGpu);
  Outcome r = in_sandbox("export STACK_CDI_DIRS=/nonexistent; ip link set lo up; " + up(a) + "; echo up=$?; $S network ls | grep -c nogpu");
  EXPECT_EQ(r.out, "up=1\n0\n") << r.err;
  EXPECT_NE(r.err.find("error: service train asks for 1 GPU: this host has no GPU (none declared by a CDI spec in /nonexistent "
                       "or the NVIDIA driver's /proc/driver/nvidia)"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace stack_system_test
