// Unit tests of GPU allocation: CDI specs read (YAML and JSON), GPUs folded from their names, the host-wide ledger.
#include <unistd.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include <gtest/gtest.h>

#include "devices/cdi_registry.h"
#include "devices/gpu_inventory.h"
#include "devices/gpu_ledger.h"
#include "devices/nvidia_driver.h"

namespace stack::devices {
namespace {

namespace fs = std::filesystem;

// Two GPUs, each under its index and its UUID, as nvidia-ctk writes them.
const char* kTwoGpus = R"(cdiVersion: "0.5.0"
kind: nvidia.com/gpu
devices:
- name: "0"
  containerEdits:
    deviceNodes: [{path: /dev/nvidia0}]
- name: GPU-aaaa
  containerEdits:
    deviceNodes: [{path: /dev/nvidia0}]
- name: "1"
  containerEdits:
    deviceNodes: [{path: /dev/nvidia1, hostPath: /dev/nvidia1}]
- name: GPU-bbbb
  containerEdits:
    deviceNodes: [{path: /dev/nvidia1}]
- name: all
  containerEdits:
    deviceNodes: [{path: /dev/nvidia0}, {path: /dev/nvidia1}]
containerEdits:
  env: [NVIDIA_VISIBLE_DEVICES=void]
  deviceNodes: [{path: /dev/nvidiactl}]
  mounts: [{hostPath: /usr/lib/libcuda.so.1, containerPath: /usr/lib/libcuda.so.1, options: [ro, nosuid, bind]}]
  hooks: [{hookName: createContainer, path: /usr/bin/nvidia-ctk, args: [nvidia-ctk, hook, update-ldcache]}]
)";

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/stack-gpu-test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    fs::create_directories(fs::path(path_ + "/" + name).parent_path());
    std::ofstream(path_ + "/" + name) << text;
  }

 private:
  std::string path_;
};

std::vector<std::string> errors(const schema::Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& e : d.all()) out.push_back(e.format());
  return out;
}

TEST(CdiSpec, ReadsDevicesAndTheirEditsFromYaml) {
  schema::Diagnostics diags;
  std::vector<CdiDevice> devices = parse_cdi_spec(kTwoGpus, "nvidia.yaml", diags);
  ASSERT_FALSE(diags.has_errors()) << errors(diags)[0];
  ASSERT_EQ(devices.size(), 5u);
  EXPECT_EQ(devices[0].qualified_name(), "nvidia.com/gpu=0");
  EXPECT_EQ(devices[2].edits.device_nodes[0].host_path, "/dev/nvidia1");
  EXPECT_EQ(devices[0].spec_edits.env, std::vector<std::string>{"NVIDIA_VISIBLE_DEVICES=void"});
  ASSERT_EQ(devices[0].spec_edits.mounts.size(), 1u);
  EXPECT_EQ(devices[0].spec_edits.mounts[0].options, (std::vector<std::string>{"ro", "nosuid", "bind"}));
  ASSERT_EQ(devices[0].spec_edits.hooks.size(), 1u);
  EXPECT_EQ(devices[0].spec_edits.hooks[0].hook_name, "createContainer");
}

TEST(CdiSpec, ReadsJson) {
  schema::Diagnostics diags;
  std::vector<CdiDevice> devices = parse_cdi_spec(
      R"({"cdiVersion": "1.1.0", "kind": "vendor.example/fpga",
          "devices": [{"name": "a", "containerEdits": {"deviceNodes": [{"path": "/dev/fpga0", "type": "c", "major": 240, "minor": 0, "permissions": "rw"}]}}]})",
      "fpga.json", diags);
  ASSERT_FALSE(diags.has_errors()) << errors(diags)[0];
  ASSERT_EQ(devices.size(), 1u);
  const CdiDeviceNode& n = devices[0].edits.device_nodes[0];
  EXPECT_EQ(n.type, "c");
  EXPECT_EQ(n.major, 240);
  EXPECT_EQ(n.minor, 0);
  EXPECT_EQ(n.permissions, "rw");
}

TEST(CdiSpec, UnknownKeysAndANewerVersionAreErrorsAtTheirLine) {
  schema::Diagnostics diags;
  std::vector<CdiDevice> devices = parse_cdi_spec(R"(cdiVersion: "1.2.0"
kind: nvidia.com/gpu
devices:
- name: "0"
  containerEdits:
    deviceNode: [{path: /dev/nvidia0}]
)",
                                                  "bad.yaml", diags);
  EXPECT_TRUE(devices.empty());
  std::vector<std::string> e = errors(diags);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0], "bad.yaml:1:13: cdiVersion: version 1.2.0 is newer than the newest this stack understands (1.1.0)");
  EXPECT_EQ(e[1], "bad.yaml:6:5: devices[0].containerEdits.deviceNode: unknown key (did you mean \"deviceNodes\"?)");
}

TEST(CdiSpec, ABadKindOrNameOrRelativeNodeIsAnError) {
  schema::Diagnostics diags;
  parse_cdi_spec("cdiVersion: 0.6.0\nkind: gpu\ndevices:\n- name: -x\n  containerEdits: {deviceNodes: [{path: dev/x}]}\n",
                 "k.yaml", diags);
  std::vector<std::string> e = errors(diags);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_NE(e[0].find("kind: \"gpu\" is not vendor.com/class"), std::string::npos) << e[0];
  EXPECT_NE(e[1].find("devices[0].name: \"-x\" is not a valid device name"), std::string::npos) << e[1];
  EXPECT_NE(e[2].find("deviceNodes[0].path: must be an absolute path"), std::string::npos) << e[2];
}

TEST(CdiRegistry, LaterDirectoriesWinAndBrokenSpecsAreLeftOutWithTheirErrors) {
  TempDir etc, run;
  etc.write("nvidia.yaml", kTwoGpus);
  etc.write("broken.json", "{\"kind\": \"x.com/y\"}");
  etc.write("notes.txt", "not a spec");
  run.write("override.yaml",
            "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n- name: \"1\"\n  containerEdits: {env: [FROM=run]}\n");
  CdiRegistry registry = CdiRegistry::load({etc.path(), run.path(), "/nonexistent/cdi"});
  ASSERT_NE(registry.find("nvidia.com/gpu=1"), nullptr);
  EXPECT_EQ(registry.find("nvidia.com/gpu=1")->edits.env, std::vector<std::string>{"FROM=run"});
  EXPECT_NE(registry.find("nvidia.com/gpu=GPU-aaaa"), nullptr);
  EXPECT_EQ(registry.of_kind("nvidia.com/gpu").size(), 5u);
  ASSERT_TRUE(registry.problems().has_errors());
  EXPECT_NE(errors(registry.problems())[0].find("broken.json"), std::string::npos);
}

TEST(GpuInventory, FoldsTheNamesOfOneGpuAndLeavesOutAll) {
  TempDir dir;
  dir.write("nvidia.yaml", kTwoGpus);
  std::vector<Gpu> gpus = gpus_from_cdi(CdiRegistry::load({dir.path()}));
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].id, "GPU-aaaa");
  EXPECT_EQ(gpus[0].index, 0);
  EXPECT_EQ(gpus[0].cdi_names, (std::vector<std::string>{"nvidia.com/gpu=0", "nvidia.com/gpu=GPU-aaaa"}));
  EXPECT_EQ(gpus[1].uuid, "GPU-bbbb");
  // The device's node, then the spec-wide control node, env, mounts, hooks.
  ASSERT_EQ(gpus[1].edits.device_nodes.size(), 2u);
  EXPECT_EQ(gpus[1].edits.device_nodes[1].path, "/dev/nvidiactl");
  EXPECT_EQ(gpus[1].edits.env.size(), 1u);
  EXPECT_TRUE(gpus[1].answers_to("1"));
  EXPECT_TRUE(gpus[1].answers_to("GPU-bbbb"));
  EXPECT_TRUE(gpus[1].answers_to("nvidia.com/gpu=1"));
  EXPECT_FALSE(gpus[1].answers_to("0"));
  EXPECT_EQ(gpus[1].describe(), "GPU 1 (GPU-bbbb)");
}

TEST(GpuRequestOf, ReadsReservationsGpusAndCdiNames) {
  auto request_of = [](schema::ServiceSpec s) {
    s.name = "train";
    std::optional<GpuRequest> r;
    Status st = gpu_request_of(s, &r);
    return std::pair{st.message(), r ? r->describe() : std::string("none")};
  };
  schema::ServiceSpec s;
  EXPECT_EQ(request_of(s).second, "none");
  s.device_requests = {{{"gpu"}, "nvidia", 1, {}, {}}, {{"gpu"}, "", 2, {}, {}}};
  EXPECT_EQ(request_of(s).second, "3 GPUs");  // counts add up
  s.device_requests = {{{"gpu"}, "nvidia", std::nullopt, {}, {}}};
  EXPECT_EQ(request_of(s).second, "all GPUs");  // neither count nor ids: all, as Compose
  s.device_requests = {{{"gpu"}, "", std::nullopt, {"0", "GPU-bbbb"}, {}}};
  EXPECT_EQ(request_of(s).second, "GPUs 0, GPU-bbbb");
  s.device_requests = {};
  s.devices = {{"nvidia.com/gpu=1", "", ""}, {"/dev/fuse", "/dev/fuse", ""}, {"vendor.com/fpga=a", "", ""}};
  EXPECT_EQ(request_of(s).second, "GPU nvidia.com/gpu=1");
  s.devices = {{"nvidia.com/gpu=all", "", ""}};
  EXPECT_EQ(request_of(s).second, "all GPUs");

  s.devices = {};
  s.device_requests = {{{"tpu"}, "", 1, {}, {}}};
  EXPECT_EQ(request_of(s).first,
            "service train: a device reservation with capabilities [tpu]: only GPUs (capabilities: [gpu]) can be reserved");
  s.device_requests = {{{"gpu"}, "amd", 1, {}, {}}};
  EXPECT_EQ(request_of(s).first, "service train: a GPU reservation with driver \"amd\": the drivers known are nvidia and cdi");
  s.device_requests = {{{"gpu"}, "", 1, {}, {}}, {{"gpu"}, "", std::nullopt, {"0"}, {}}};
  EXPECT_EQ(request_of(s).first, "service train: GPUs are asked for both by count and by device_ids; ask for them one way");
}

TEST(NvidiaDriver, FindsGpusControlNodesLibrariesAndToolsWithoutCdi) {
  fs::path root = fs::temp_directory_path() / ("stack-nvidia-" + std::to_string(::getpid()));
  fs::remove_all(root);
  NvidiaDriverPaths paths;
  paths.proc = (root / "proc").string();
  paths.dev = (root / "dev").string();
  paths.bin_dirs = {(root / "bin").string()};
  EXPECT_FALSE(nvidia_driver_loaded(paths));
  EXPECT_TRUE(gpus_from_nvidia_driver(paths).empty());
  // Two GPUs, listed by bus location, their minors the other way round.
  for (auto [bus, minor, uuid] : {std::tuple{"0000:00:08.0", "1", "GPU-bbbb"}, {"0000:00:07.0", "0", "GPU-aaaa"}}) {
    fs::create_directories(root / "proc/driver/nvidia/gpus" / bus);
    std::ofstream(root / "proc/driver/nvidia/gpus" / bus / "information")
        << "Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 0\nGPU UUID: \t " << uuid
        << "\nBus Location: \t " << bus << "\nDevice Minor: \t " << minor << "\nGPU Excluded:\t No\n";
  }
  std::ofstream(root / "proc/devices") << "Character devices:\n  1 mem\n195 nvidia\n508 nvidia-uvm\n\nBlock devices:\n  7 loop\n";
  fs::create_directories(root / "dev");
  fs::create_directories(root / "bin");
  for (const char* n : {"nvidiactl", "nvidia-uvm", "nvidia0", "nvidia1"}) std::ofstream(root / "dev" / n) << "";
  std::ofstream(root / "bin/nvidia-smi") << "";
  paths.ld_cache =
      "3 libs found in cache `/etc/ld.so.cache'\n"
      "\tlibnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1\n"
      "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n"
      "\tlibcuda.so.1 (libc6) => /usr/lib/i386-linux-gnu/libcuda.so.1\n"
      "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6\n";
  ASSERT_TRUE(nvidia_driver_loaded(paths));
  std::vector<Gpu> gpus = gpus_from_nvidia_driver(paths);
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].describe(), "GPU 0 (GPU-aaaa)");
  EXPECT_EQ(gpus[1].id, "GPU-bbbb");
  EXPECT_TRUE(gpus[1].answers_to("nvidia.com/gpu=1"));
  std::vector<std::string> nodes;
  for (const CdiDeviceNode& n : gpus[1].edits.device_nodes)
    nodes.push_back(n.path + " " + std::to_string(*n.major) + ":" + std::to_string(*n.minor));
  // Its own node, then the control nodes that exist (no nvidia-modeset, no uvm-tools here).
  EXPECT_EQ(nodes, (std::vector<std::string>{"/dev/nvidia1 195:1", "/dev/nvidiactl 195:255", "/dev/nvidia-uvm 508:0"}));
  std::vector<std::string> mounts;
  for (const CdiMount& m : gpus[0].edits.mounts) mounts.push_back(m.container_path + (m.options[0] == "ro" ? " ro" : ""));
  EXPECT_EQ(mounts, (std::vector<std::string>{"/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1 ro",
                                              "/usr/lib/x86_64-linux-gnu/libcuda.so.1 ro", "/usr/bin/nvidia-smi ro"}));
  // A container holding GPU 1 has GPU 0's /proc entry masked.
  EXPECT_EQ(other_gpus_proc_dirs(paths, {1}), (std::vector<std::string>{"/proc/driver/nvidia/gpus/0000:00:07.0"}));
  fs::remove_all(root);
}

class Ledger : public ::testing::Test {
 protected:
  Ledger() : ledger_(dir_.path() + "/gpus") {
    dir_.write("cdi/nvidia.yaml", kTwoGpus);
    gpus_ = gpus_from_cdi(CdiRegistry::load({dir_.path() + "/cdi"}));
  }
  GpuWant want(const std::string& container, GpuRequest r) {
    return {{container, container.substr(0, container.find('-')), "train"}, std::move(r)};
  }
  Status reserve(std::vector<GpuWant> wants, std::map<std::string, std::vector<std::string>>* granted = nullptr) {
    return ledger_.reserve(wants, gpus_, exists_, granted);
  }
  std::vector<std::string> held_by(const std::string& container) {
    std::vector<std::string> out;
    for (const GpuHold& h : ledger_.holds(exists_))
      if (h.holder.container == container) out.push_back(h.gpu);
    return out;
  }

  TempDir dir_;
  GpuLedger ledger_;
  std::vector<Gpu> gpus_;
  std::set<std::string> existing_;
  GpuLedger::Exists exists_ = [this](const GpuHolder& h) { return existing_.count(h.container) > 0; };
};

TEST_F(Ledger, TwoProjectsAskingForOneGpuEachGetDifferentOnes) {
  std::map<std::string, std::vector<std::string>> a, b;
  ASSERT_TRUE(reserve({want("p1-train-1", GpuRequest::of_count(1))}, &a));
  ASSERT_TRUE(reserve({want("p2-train-1", GpuRequest::of_count(1))}, &b));
  EXPECT_EQ(a["p1-train-1"], std::vector<std::string>{"GPU-aaaa"});
  EXPECT_EQ(b["p2-train-1"], std::vector<std::string>{"GPU-bbbb"});
}

TEST_F(Ledger, ExhaustionFailsNamingWhatWasAskedAndWhoHoldsTheGpus) {
  ASSERT_TRUE(reserve({want("p1-train-1", GpuRequest::of_count(1)), want("p2-train-1", GpuRequest::of_count(1))}));
  Status s = reserve({want("p3-train-1", GpuRequest::of_count(1))});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(),
            "service train (container p3-train-1) asks for 1 GPU: only 0 of the 2 GPUs are free: "
            "GPU 0 (GPU-aaaa) is held by p1-train-1, GPU 1 (GPU-bbbb) is held by p2-train-1");
  Status all = reserve({want("p4-train-1", GpuRequest::all())});
  ASSERT_FALSE(all);
  EXPECT_NE(all.message().find("asks for all GPUs: not every GPU is free"), std::string::npos) << all.message();
}

TEST_F(Ledger, AllOrNothing) {
  ASSERT_TRUE(reserve({want("p1-train-1", GpuRequest::ids({"1"}))}));
  // The first want fits, the second does not: neither is recorded.
  ASSERT_FALSE(reserve({want("p2-a-1", GpuRequest::of_count(1)), want("p2-b-1", GpuRequest::ids({"GPU-bbbb"}))}));
  EXPECT_TRUE(held_by("p2-a-1").empty());
  EXPECT_EQ(held_by("p1-train-1"), std::vector<std::string>{"GPU-bbbb"});
}

TEST_F(Ledger, DeviceIdsTakeExactlyThoseOrFail) {
  std::map<std::string, std::vector<std::string>> got;
  ASSERT_TRUE(reserve({want("p1-train-1", GpuRequest::ids({"GPU-bbbb", "0"}))}, &got));
  EXPECT_EQ(got["p1-train-1"], (std::vector<std::string>{"GPU-bbbb", "GPU-aaaa"}));
  Status unknown = reserve({want("p2-train-1", GpuRequest::ids({"7"}))});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.message().find("asks for GPU 7: there is no GPU 7 on this host"), std::string::npos) << unknown.message();
  Status too_many = reserve({want("p3-train-1", GpuRequest::of_count(3))});
  EXPECT_NE(too_many.message().find("this host has only 2"), std::string::npos) << too_many.message();
}

TEST_F(Ledger, AllIsExclusiveAndReplicasGetTheirOwn) {
  ASSERT_TRUE(reserve({want("p1-train-1", GpuRequest::all())}));
  EXPECT_EQ(held_by("p1-train-1").size(), 2u);
  ASSERT_FALSE(reserve({want("p2-train-1", GpuRequest::of_count(1))}));
  ASSERT_TRUE(ledger_.release({"p1-train-1"}));
  std::map<std::string, std::vector<std::string>> got;
  ASSERT_TRUE(reserve({want("p2-train-1", GpuRequest::of_count(1)), want("p2-train-2", GpuRequest::of_count(1))}, &got));
  EXPECT_NE(got["p2-train-1"], got["p2-train-2"]);
}

TEST_F(Ledger, ReservingAgainKeepsAHoldersGpus) {
  ASSERT_TRUE(reserve({want("p1-a-1", GpuRequest::ids({"1"}))}));
  ASSERT_TRUE(ledger_.release({"p1-a-1"}));
  ASSERT_TRUE(reserve({want("p2-b-1", GpuRequest::ids({"1"}))}));
  ASSERT_TRUE(reserve({want("p2-b-1", GpuRequest::of_count(1))}));
  EXPECT_EQ(held_by("p2-b-1"), std::vector<std::string>{"GPU-bbbb"});
}

TEST_F(Ledger, AHoldWhoseContainerAndReserverAreGoneIsReclaimed) {
  // Reserved by a process that then died without making its container.
  pid_t child = ::fork();
  if (child == 0) _exit(reserve({want("p1-train-1", GpuRequest::all())}) ? 0 : 1);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(held_by("p1-train-1").empty());
  ASSERT_TRUE(reserve({want("p2-train-1", GpuRequest::all())}));
  // Ours, while this process lives, is kept though no container exists yet.
  EXPECT_FALSE(reserve({want("p3-train-1", GpuRequest::of_count(1))}));
  // A holder whose container exists keeps its GPUs.
  existing_.insert("p2-train-1");
  EXPECT_EQ(held_by("p2-train-1").size(), 2u);
}

}  // namespace
}  // namespace stack::devices
