// Compose::up and down against a fake machine: the engine's decisions (order, orphans, GPUs first, attached mode, what down removes) without root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <set>

#include "compose/compose.h"
#include "compose/machine.h"
#include "runtime/on_disk.h"
#include "tests/unit/stack_file_text.h"

namespace stack::compose {
namespace {

using runtime::ContainerRecord;
using runtime::ContainerState;
using runtime::Status;

ProjectRef project_ref(const std::string& text) {
  test_support::OneStackFile files(text);
  schema::LoadOptions o;
  o.working_dir = "/p";
  ProjectRef ref;
  ref.loaded = schema::load_project(o, files);
  EXPECT_TRUE(ref.loaded->ok()) << (ref.loaded->diags.all().empty() ? "" : ref.loaded->diags.all()[0].format());
  ref.project = schema::build_project(ref.loaded->tree, ref.loaded->project_dir);
  ref.name = ref.project->name;
  return ref;
}

// A record that reads as running: this test process stands in for its init
// and its shim (running() checks the pid's start time).
ContainerRecord running_record(const std::string& name, const std::string& service, const std::string& hash) {
  ContainerRecord r;
  r.id = name + "-id";
  r.name = name;
  r.state = ContainerState::Running;
  r.pid = r.runner = ::getpid();
  r.pid_start_time = r.runner_start_time = runtime::process_start_time(r.pid);
  r.labels = {{kProjectLabel, "p"}, {kServiceLabel, service}, {kNumberLabel, "1"}, {kConfigHashLabel, hash}};
  return r;
}

// Records every call, in order, and keeps containers as records: launched
// ones run until `end` says they exited with a code.
class FakeMachine : public Machine {
 public:
  std::vector<std::string> calls;
  std::map<std::string, ContainerRecord> records;
  std::string gpus_refused, networks_refused;  // the error of that step, when set
  bool grant_gpus = false;                      // each container gets a GPU
  std::map<std::string, int> ends_after_pauses;  // container -> exit code once a pause has passed

  void end(const std::string& name, int code) {
    ContainerRecord& r = records.at(name);
    r.state = ContainerState::Exited;
    r.exit_code = code;
    r.pid = r.runner = 0;
  }

  Status lock_project(const std::string& project, runtime::FileLock*) override {
    calls.push_back("lock " + project);
    return Status::ok();
  }
  void reclaim() override { calls.push_back("reclaim"); }
  std::vector<ContainerRecord> containers(const std::string&) override {
    std::vector<ContainerRecord> out;
    for (const auto& [name, r] : records) out.push_back(r);
    return out;
  }
  std::optional<ContainerRecord> find(const std::string& name) override {
    auto it = records.find(name);
    if (it == records.end()) return std::nullopt;
    return it->second;
  }
  Status observe(const std::string& name, orchestrator::ObservedContainer* out) override {
    auto it = records.find(name);
    if (it == records.end()) return Status::error("no such container: " + name);
    bool ended = it->second.state == ContainerState::Exited;
    *out = {name, it->second.labels[kServiceLabel], ended, it->second.exit_code, false, std::nullopt};
    return Status::ok();
  }
  Status resolve_images(const schema::Project&, const std::vector<const schema::ServiceSpec*>& services,
                        const ImagePolicy&, ImageProgress&) override {
    std::string call = "images";
    for (const auto* s : services) call += " " + s->name;
    calls.push_back(call);
    return Status::ok();
  }
  Status pull(const std::vector<const schema::ServiceSpec*>& services, const PullOptions& o, ImageProgress&) override {
    std::string call = "pull";
    for (const auto* s : services) call += " " + s->name;
    calls.push_back(call + (o.ignore_failures ? " (going on past failures)" : ""));
    return Status::ok();
  }
  Status build(const schema::Project&, const std::vector<const schema::ServiceSpec*>& services, const BuildOptions& o,
               ImageProgress&) override {
    std::string call = "build";
    for (const auto* s : services) call += " " + s->name;
    calls.push_back(call + (o.no_cache ? " --no-cache" : ""));
    return Status::ok();
  }
  std::optional<std::string> built_image_id(const schema::Project&, const schema::ServiceSpec&) override { return std::nullopt; }
  Status reserve_gpus(const std::string&, const std::vector<PlannedContainer>& planned,
                      std::map<std::string, std::vector<devices::Gpu>>* granted) override {
    calls.push_back("reserve gpus for " + std::to_string(planned.size()));
    if (grant_gpus)
      for (const PlannedContainer& c : planned) (*granted)[c.name] = {devices::Gpu{}};
    return gpus_refused.empty() ? Status::ok() : Status::error(gpus_refused);
  }
  void release_gpus_of_missing(const std::vector<PlannedContainer>&) override { calls.push_back("release gpus"); }
  Status create_networks(const schema::Project&) override {
    calls.push_back("networks");
    return networks_refused.empty() ? Status::ok() : Status::error(networks_refused);
  }
  void refresh_hosts(const std::vector<std::string>&) override { calls.push_back("hosts"); }
  Status launch(const schema::Project&, const std::vector<Launch>& batch, std::vector<Status>* results) override {
    std::string call = "launch";
    for (const Launch& l : batch) {
      call += " " + l.name;
      records[l.name] = running_record(l.name, l.service->name, l.config_hash);
      results->push_back(Status::ok());
    }
    calls.push_back(call);
    return Status::ok();
  }
  Status start(const std::string& name) override {
    calls.push_back("start " + name);
    ContainerRecord& r = records.at(name);
    r = running_record(name, r.labels[kServiceLabel], r.labels[kConfigHashLabel]);
    return Status::ok();
  }
  Status remove(const ContainerRecord& record, std::optional<int>, bool keep_gpus) override {
    calls.push_back("remove " + record.name + (keep_gpus ? " (gpus kept)" : ""));
    records.erase(record.name);
    return Status::ok();
  }
  void stop(const ProjectRef&, std::vector<ContainerRecord>* stopping, std::optional<int>, const std::function<bool()>&) override {
    std::string call = "stop";
    for (ContainerRecord& r : *stopping) {
      call += " " + r.name;
      end(r.name, 137);
      r = records.at(r.name);  // as a real stop leaves them: their processes gone
    }
    calls.push_back(call);
  }
  Status kill(const ContainerRecord& record, int signal) override {
    calls.push_back("kill " + record.name + " " + std::to_string(signal));
    return Status::ok();
  }
  void reap_shims() override {}

  // What down asks besides.
  std::vector<std::string> networks, volumes;
  std::set<std::string> stuck_networks;                    // removing them fails
  std::map<std::string, std::string> images;               // name -> a container using it, or ""
  std::atomic<bool> purged{false};
  Status take_out(const ContainerRecord& record, ContainerRecord* removed) override {
    calls.push_back("take out " + record.name);
    *removed = records.at(record.name);
    records.erase(record.name);
    return Status::ok();
  }
  void purge_removed() override { purged = true; }  // on down's thread: touches nothing else
  void release_removed(const std::vector<ContainerRecord>& removed) override {
    calls.push_back("release " + std::to_string(removed.size()));
  }
  std::vector<std::string> project_networks(const std::string&) override { return networks; }
  Status remove_network(const std::string& name) override {
    calls.push_back("remove network " + name);
    if (stuck_networks.count(name)) return Status::error("network " + name + " has active endpoints");
    return Status::ok();
  }
  Status remove_unused_image(const std::string& name, bool* existed, std::string* reference) override {
    auto it = images.find(name);
    *existed = it != images.end();
    if (!*existed) return Status::ok();
    if (!it->second.empty()) return Status::error("image " + name + " is used by container " + it->second);
    *reference = name;
    images.erase(it);
    return Status::ok();
  }
  std::vector<std::string> project_volumes(const ProjectRef&) override { return volumes; }
  Status remove_volume(const std::string& name) override {
    calls.push_back("remove volume " + name);
    return Status::ok();
  }
  Status remove_stopped(const ContainerRecord& record) override {
    if (record.running()) return Status::error("container " + record.name + " is running: stop it first, or use rm -f");
    calls.push_back("remove " + record.name);
    records.erase(record.name);
    return Status::ok();
  }
  std::vector<std::string> anonymous_volumes(const std::string& name) override { return {name + "-cache"}; }
  std::vector<std::function<void()>> at_pauses;  // what happens at each pause, in turn
  int pauses = 0;
  void pause(std::chrono::milliseconds) override {
    ++pauses;
    for (auto it = ends_after_pauses.begin(); it != ends_after_pauses.end();) {
      if (records.count(it->first)) end(it->first, it->second);
      it = ends_after_pauses.erase(it);
    }
    if (!at_pauses.empty()) {
      std::function<void()> next = at_pauses.front();
      at_pauses.erase(at_pauses.begin());
      next();
    }
  }

  // What run, exec, ps, top and ls ask besides.
  int command_exit = 0;  // what a one-off's or exec'd command exits with
  std::string command_error;  // set: the one-off or exec'd command could not run, with 127
  LaunchResult run_one_off(const schema::Project&, const Launch& l, const RunOptions& o) override {
    calls.push_back("run " + l.name + (o.service_ports ? " with ports" : "") + (o.remove ? " --rm" : ""));
    if (!command_error.empty()) return LaunchResult::failure(127, command_error);
    records[l.name] = running_record(l.name, l.service->name, l.config_hash);
    records[l.name].labels[kOneOffLabel] = "True";
    if (o.detach) return {};
    end(l.name, command_exit);
    if (o.remove) records.erase(l.name);
    return LaunchResult::failure(command_exit, "");
  }
  LaunchResult exec(const std::string& name, const ExecOptions& o) override {
    std::string call = "exec in " + name + ":";
    for (const std::string& word : o.command) call += " " + word;
    calls.push_back(call);
    if (!command_error.empty()) return LaunchResult::failure(127, command_error);
    return LaunchResult::failure(command_exit, "");
  }
  ContainerStatus status(const ContainerRecord& r) override {
    ContainerStatus s;
    s.state = r.state;
    s.exit_code = r.exit_code;
    return s;
  }
  std::vector<ContainerRecord> all_containers() override {
    std::vector<ContainerRecord> all = containers("p");
    ContainerRecord other = running_record("q-x-1", "x", "");
    other.labels[kProjectLabel] = "q";
    other.state = ContainerState::Exited;
    all.push_back(other);
    return all;
  }
  std::vector<runtime::linux_::ProcessRow> processes(const ContainerRecord& r) override {
    return {{0, r.pid, 1, "sleep 60"}};
  }
};

class Recorded : public Listener {
 public:
  std::vector<std::string> rows, warnings, lines;
  std::vector<std::pair<std::string, std::string>> attached;
  void step(const std::string& object, const std::string& status, bool done) override {
    if (done) rows.push_back(object + " " + status);
  }
  void step_since(const std::string& object, const std::string& status, bool done,
                  std::chrono::steady_clock::time_point) override {
    step(object, status, done);
  }
  void warning(const std::string& message) override { warnings.push_back(message); }
  void steps_done() override {}
  void say(const std::string& line) override { lines.push_back(line); }
  void error(const std::string& message) override { lines.push_back("error: " + message); }
  int prints = 0;
  void attach(const std::vector<std::pair<std::string, std::string>>& containers) override {
    attached.insert(attached.end(), containers.begin(), containers.end());
  }
  void print_attached() override { ++prints; }
  std::unique_ptr<builder::BuildObserver> build(const std::string&, bool) override { return nullptr; }
  std::unique_ptr<PullView> pull(bool) override { return nullptr; }
  void note(const std::string& line) override { lines.push_back(line); }
};

// Each test: a fake machine, what the engine told, and the exit status it gave.
class EngineTest : public ::testing::Test {
 protected:
  // The last `n` calls the machine got, in order.
  std::vector<std::string> last_calls(size_t n) const { return {machine.calls.end() - static_cast<long>(n), machine.calls.end()}; }
  bool called(const std::string& call) const {
    return std::find(machine.calls.begin(), machine.calls.end(), call) != machine.calls.end();
  }

  FakeMachine machine;
  Recorded shown;
  int code = -1;
  Compose engine{machine, shown};
};

class ComposeUp : public EngineTest {
 protected:
  static UpOptions detached() {
    UpOptions o;
    o.detach = true;
    return o;
  }
};
class ComposeDown : public EngineTest {};
class ComposeLifecycle : public EngineTest {};
class ComposeRun : public EngineTest {};
class ComposeLook : public EngineTest {};

const char* kChain = R"(services:
  db: {image: busybox}
  web: {image: busybox, depends_on: [db]}
  cache: {image: busybox}
)";

TEST_F(ComposeUp, ImagesAndGpusBeforeNetworksThenEachServiceOnceItsDependenciesRun) {
  UpOptions o = detached();
  ASSERT_TRUE(engine.up(project_ref(kChain), o, &code));
  EXPECT_EQ(code, 0);
  std::vector<std::string> expected{"lock p", "reclaim", "images cache db web", "reserve gpus for 3", "networks",
                                    "launch p-cache-1 p-db-1", "hosts", "launch p-web-1", "hosts"};
  EXPECT_EQ(machine.calls, expected);
}

TEST_F(ComposeUp, AnUnchangedContainerIsKeptAndTheHostsAreStillRefreshed) {
  UpOptions o = detached();
  ProjectRef ref = project_ref("services:\n  db: {image: busybox}\n");
  ASSERT_TRUE(engine.up(ref, o, &code));
  machine.calls.clear();
  ASSERT_TRUE(engine.up(ref, o, &code));
  std::vector<std::string> expected{"lock p", "reclaim", "images db", "reserve gpus for 1", "networks", "hosts"};
  EXPECT_EQ(machine.calls, expected);
  EXPECT_EQ(shown.rows.back(), "Container p-db-1 Running");
}

TEST_F(ComposeUp, OrphansAreNamedOrRemoved) {
  machine.records["p-old-1"] = running_record("p-old-1", "old", "x");
  UpOptions o = detached();
  ProjectRef ref = project_ref("services:\n  db: {image: busybox}\n");
  ASSERT_TRUE(engine.up(ref, o, &code));
  ASSERT_EQ(shown.warnings.size(), 1u);
  EXPECT_NE(shown.warnings[0].find("found orphan containers (p-old-1)"), std::string::npos);
  EXPECT_TRUE(machine.records.count("p-old-1"));
  o.remove_orphans = true;
  ASSERT_TRUE(engine.up(ref, o, &code));
  EXPECT_FALSE(machine.records.count("p-old-1"));
  EXPECT_TRUE(called("remove p-old-1"));
}

TEST_F(ComposeUp, GpusThatCannotBeHadMakeNothing) {
  machine.gpus_refused = "service train asks for 2 GPUs; 1 is free";
  UpOptions o = detached();
  Status s = engine.up(project_ref(kChain), o, &code);
  EXPECT_EQ(s.message(), "service train asks for 2 GPUs; 1 is free");
  EXPECT_EQ(code, 1);
  EXPECT_EQ(machine.calls.back(), "reserve gpus for 3");  // no network, no launch
  EXPECT_TRUE(machine.records.empty());
}

TEST_F(ComposeUp, ANetworkThatCannotBeMadeGivesTheGpusBack) {
  machine.networks_refused = "network p_default: address pool exhausted";
  UpOptions o = detached();
  EXPECT_FALSE(engine.up(project_ref(kChain), o, &code));
  EXPECT_EQ(last_calls(2), (std::vector<std::string>{"networks", "release gpus"}));
  EXPECT_TRUE(machine.records.empty());
}

TEST_F(ComposeUp, OptionsThatContradictEachOtherAreRefusedBeforeTheLock) {
  UpOptions o = detached();
  o.abort_on_exit = true;
  EXPECT_EQ(engine.up(project_ref(kChain), o, &code).message(),
            "--abort-on-container-exit and --exit-code-from need attached mode (without -d)");
  o = {};
  o.scale["nope"] = 2;
  EXPECT_EQ(engine.up(project_ref(kChain), o, &code).message(), "--scale nope=2: no such service: nope");
  o = {};
  o.services = {"web", "api"};
  EXPECT_EQ(engine.up(project_ref(kChain), o, &code).message(), "no such service: api");
  EXPECT_TRUE(machine.calls.empty());
}

TEST_F(ComposeUp, AttachedWithExitCodeFromStopsTheRestOnceThatServiceEndsAndExitsWithItsCode) {
  machine.ends_after_pauses["p-web-1"] = 3;
  UpOptions o;
  o.exit_code_from = "web";
  int interrupts_caught = 0;
  o.catch_interrupts = [&] { ++interrupts_caught; };
  ASSERT_TRUE(engine.up(project_ref(kChain), o, &code));
  EXPECT_EQ(code, 3);
  EXPECT_EQ(interrupts_caught, 1);
  EXPECT_EQ(shown.attached.size(), 3u);
  EXPECT_EQ(shown.lines, (std::vector<std::string>{"Aborting on container exit..."}));
  ASSERT_FALSE(machine.calls.empty());
  EXPECT_EQ(machine.calls.back().rfind("stop ", 0), 0u);
  EXPECT_EQ(machine.calls.back().find("p-web-1"), std::string::npos);  // ended already
}

TEST_F(ComposeUp, AnInterruptStopsAnAttachedStackWith130) {
  UpOptions o;
  o.interrupts = [] { return 1; };
  ASSERT_TRUE(engine.up(project_ref(kChain), o, &code));
  EXPECT_EQ(code, 130);
  EXPECT_EQ(shown.lines, (std::vector<std::string>{"Gracefully stopping... (press Ctrl+C again to force)"}));
  EXPECT_EQ(machine.calls.back(), "stop p-cache-1 p-db-1 p-web-1");
  EXPECT_EQ(std::count(shown.rows.begin(), shown.rows.end(), "Container p-db-1 Stopped"), 1);
}

TEST_F(ComposeUp, AChangedServiceIsRecreatedAndKeepsItsGpusReservedForTheNewContainer) {
  machine.records["p-db-1"] = running_record("p-db-1", "db", "an-older-hash");
  machine.grant_gpus = true;
  UpOptions o = detached();
  ASSERT_TRUE(engine.up(project_ref("services:\n  db: {image: busybox}\n"), o, &code));
  EXPECT_TRUE(called("remove p-db-1 (gpus kept)"));
  EXPECT_EQ(machine.calls.back(), "hosts");
  EXPECT_EQ(machine.records.at("p-db-1").labels.at(kConfigHashLabel).size(), 64u);  // the new one's
}

const char* kBuilt = R"(services:
  api: {build: ., depends_on: [db]}
  db: {image: postgres}
)";

TEST_F(ComposeDown, StopsAndRemovesTheContainersThenTheNetworksAndWithVolumesTheVolumes) {
  ProjectRef ref = project_ref(kBuilt);
  machine.records["p-api-1"] = running_record("p-api-1", "api", "h");
  machine.records["p-db-1"] = running_record("p-db-1", "db", "h");
  machine.networks = {"p_default"};
  machine.volumes = {"p_data"};
  DownOptions o;
  ASSERT_TRUE(engine.down(ref, o, &code));
  EXPECT_EQ(code, 0);
  std::vector<std::string> expected{"lock p", "reclaim", "stop p-api-1 p-db-1", "take out p-api-1", "take out p-db-1",
                                    "release 2", "remove network p_default"};
  EXPECT_EQ(machine.calls, expected);  // no volume without -v
  EXPECT_TRUE(machine.purged);
  EXPECT_EQ(shown.lines, (std::vector<std::string>{" Container p-api-1  Removed", " Container p-db-1  Removed",
                                                   " Network p_default  Removed"}));
  o.volumes = true;
  ASSERT_TRUE(engine.down(ref, o, &code));
  EXPECT_EQ(machine.calls.back(), "remove volume p_data");
}

TEST_F(ComposeDown, ANetworkThatCannotGoFailsDownButTheRestStillGoes) {
  machine.networks = {"p_back", "p_front"};
  machine.stuck_networks = {"p_back"};
  DownOptions o;
  ASSERT_TRUE(engine.down(project_ref(kBuilt), o, &code));
  EXPECT_EQ(code, 1);
  EXPECT_EQ(shown.lines, (std::vector<std::string>{"error: network p_back has active endpoints", " Network p_front  Removed"}));
}

TEST_F(ComposeDown, RmiLocalRemovesTheBuiltImageAndAnImageInUseStays) {
  machine.images = {{"p-api", ""}, {"postgres", "other-db-1"}};
  DownOptions o;
  o.rmi = "local";
  ASSERT_TRUE(engine.down(project_ref(kBuilt), o, &code));
  EXPECT_EQ(shown.lines, (std::vector<std::string>{" Image p-api  Removed"}));
  EXPECT_TRUE(machine.images.count("postgres"));
  o.rmi = "all";
  ASSERT_TRUE(engine.down(project_ref(kBuilt), o, &code));
  EXPECT_EQ(code, 0);  // an image another project uses is a warning, not a failure
  EXPECT_EQ(shown.warnings, (std::vector<std::string>{"image postgres is used by container other-db-1"}));
}

const char* kRestartChain = R"(services:
  db: {image: busybox}
  api: {image: busybox, depends_on: {db: {condition: service_started, restart: true}}}
  web: {image: busybox, depends_on: [api]}
  tool: {image: busybox}
)";

// One running container for each of `services`.
void run(FakeMachine& machine, const std::vector<std::string>& services) {
  for (const std::string& s : services) machine.records["p-" + s + "-1"] = running_record("p-" + s + "-1", s, "h");
}

TEST_F(ComposeLifecycle, StartStartsOnlyStoppedOnesDependenciesFirst) {
  run(machine, {"api", "db", "web"});
  machine.end("p-api-1", 0);
  machine.end("p-db-1", 0);
  ASSERT_TRUE(engine.start(project_ref(kRestartChain), {}, &code));
  EXPECT_EQ(code, 0);
  EXPECT_EQ(last_calls(2), (std::vector<std::string>{"start p-db-1", "start p-api-1"}));  // web runs: left alone
  EXPECT_EQ(shown.lines, (std::vector<std::string>{" Container p-db-1  Started", " Container p-api-1  Started"}));
}

TEST_F(ComposeLifecycle, RestartingADependencyRestartsWhatDependsOnItWithRestartTrue) {
  run(machine, {"api", "db", "tool", "web"});
  ASSERT_TRUE(engine.restart(project_ref(kRestartChain), {std::nullopt, {"db"}}, &code));
  EXPECT_EQ(code, 0);
  // api restarts with db (restart: true); web's plain depends_on does not.
  EXPECT_EQ(last_calls(3), (std::vector<std::string>{"stop p-api-1 p-db-1", "start p-db-1", "start p-api-1"}));
}

TEST_F(ComposeLifecycle, KillSignalsOnlyRunningContainersAndStopSaysWhatStopped) {
  run(machine, {"db", "tool"});
  machine.end("p-tool-1", 0);
  ASSERT_TRUE(engine.kill(project_ref(kRestartChain), {15, {}}, &code));
  EXPECT_EQ(machine.calls.back(), "kill p-db-1 15");
  EXPECT_EQ(shown.lines, (std::vector<std::string>{" Container p-db-1  Killed"}));
  shown.lines.clear();
  ASSERT_TRUE(engine.stop(project_ref(kRestartChain), {std::nullopt, {"tool"}}, &code));
  EXPECT_EQ(shown.lines, (std::vector<std::string>{" Container p-tool-1  Stopped"}));
}

TEST_F(ComposeLifecycle, AnUnknownServiceIsRefusedUnderTheLockBeforeAnythingIsTouched) {
  run(machine, {"db"});
  Status s = engine.stop(project_ref(kRestartChain), {std::nullopt, {"dbb"}}, &code);
  EXPECT_EQ(s.message(), "no such service: dbb");
  EXPECT_EQ(code, 1);
  EXPECT_EQ(machine.calls, (std::vector<std::string>{"lock p", "reclaim"}));
}

TEST_F(ComposeLifecycle, RmRemovesOnlyStoppedOnesAfterAskingAndWithVolumesTheirAnonymousOnes) {
  run(machine, {"db", "tool"});
  machine.end("p-tool-1", 0);
  std::vector<std::string> asked;
  RmOptions o;
  o.volumes = true;
  o.confirm = [&](const std::vector<std::string>& names) {
    asked = names;
    return false;
  };
  ASSERT_TRUE(engine.rm(project_ref(kRestartChain), o, &code));
  EXPECT_EQ(asked, (std::vector<std::string>{"p-tool-1"}));
  EXPECT_EQ(machine.records.size(), 2u);  // the answer was no
  o.confirm = {};
  ASSERT_TRUE(engine.rm(project_ref(kRestartChain), o, &code));
  EXPECT_EQ(code, 0);
  EXPECT_EQ(last_calls(2), (std::vector<std::string>{"remove p-tool-1", "remove volume p-tool-1-cache"}));
  EXPECT_TRUE(machine.records.count("p-db-1"));  // running: stays without --stop
  o.stop = true;
  ASSERT_TRUE(engine.rm(project_ref(kRestartChain), o, &code));
  EXPECT_TRUE(machine.records.empty());
  shown.lines.clear();
  ASSERT_TRUE(engine.rm(project_ref(kRestartChain), o, &code));
  EXPECT_EQ(shown.lines, (std::vector<std::string>{"No stopped containers"}));
}

TEST_F(ComposeRun, ItsImageFirstThenWhatItDependsOnThenItWithoutPortsAndWithItsCommandsCode) {
  machine.command_exit = 4;
  RunOptions o;
  o.service = "web";
  o.command = {"false"};
  ASSERT_TRUE(engine.run(project_ref(kChain), o, &code));
  EXPECT_EQ(code, 4);
  ASSERT_GE(machine.calls.size(), 5u);
  EXPECT_EQ(machine.calls[0], "images web");
  EXPECT_TRUE(called("launch p-db-1"));
  EXPECT_FALSE(called("launch p-cache-1"));  // what web does not need stays down
  std::vector<std::string> tail = last_calls(4);
  EXPECT_EQ(tail[0], "reserve gpus for 1");
  EXPECT_EQ(tail[1], "networks");
  EXPECT_EQ(tail[2].rfind("run p-web-run-", 0), 0u) << tail[2];
  EXPECT_EQ(tail[2].size(), std::string("run p-web-run-").size() + 12);  // no " with ports"
  EXPECT_EQ(tail[3], "release gpus");
}

TEST_F(ComposeRun, NoDepsStartsNothingElseAndRmTakesItsAnonymousVolumesAlong) {
  RunOptions o;
  o.service = "web";
  o.name = "once";
  o.no_deps = true;
  o.remove = true;
  o.service_ports = true;
  ASSERT_TRUE(engine.run(project_ref(kChain), o, &code));
  EXPECT_EQ(code, 0);
  std::vector<std::string> expected{"images web",   "reserve gpus for 1", "networks", "run once with ports --rm",
                                    "release gpus", "remove volume once-cache"};
  EXPECT_EQ(machine.calls, expected);
  EXPECT_TRUE(machine.records.empty());
}

TEST_F(ComposeRun, DetachedItSaysItsNameAndANetworkThatCannotBeMadeRunsNothing) {
  RunOptions o;
  o.service = "cache";
  o.name = "bg";
  o.detach = true;
  ASSERT_TRUE(engine.run(project_ref(kChain), o, &code));
  EXPECT_EQ(shown.lines, (std::vector<std::string>{"bg"}));
  EXPECT_FALSE(called("remove volume bg-cache"));  // detached: it is still there
  machine.networks_refused = "no subnet left";
  o.name = "bg2";
  Status s = engine.run(project_ref(kChain), o, &code);
  EXPECT_EQ(s.message(), "no subnet left");
  EXPECT_EQ(last_calls(2), (std::vector<std::string>{"networks", "release gpus"}));
  // A command that cannot run: its error told, its exit status docker's.
  machine.networks_refused.clear();
  machine.command_error = "container bg3: exec: \"nope\": not found";
  o.name = "bg3";
  ASSERT_TRUE(engine.run(project_ref(kChain), o, &code));
  EXPECT_EQ(code, 127);
  EXPECT_EQ(shown.lines.back(), "error: container bg3: exec: \"nope\": not found");
  EXPECT_EQ(machine.calls.back(), "release gpus");
  o.service = "nope";
  EXPECT_EQ(engine.run(project_ref(kChain), o, &code).message(), "no such service: nope");
}

TEST_F(ComposeRun, ExecRunsInTheReplicaAskedOnlyWhileItRuns) {
  UpOptions up;
  up.detach = true;
  ASSERT_TRUE(engine.up(project_ref(kChain), up, &code));
  machine.command_exit = 3;
  ExecOptions o;
  o.service = "db";
  o.command = {"psql", "-c", "select 1"};
  ASSERT_TRUE(engine.exec(project_ref(kChain), o, &code));
  EXPECT_EQ(code, 3);
  EXPECT_EQ(machine.calls.back(), "exec in p-db-1: psql -c select 1");
  o.index = 2;
  EXPECT_EQ(engine.exec(project_ref(kChain), o, &code).message(), "service \"db\" is not running");
  o.index = 1;
  machine.end("p-db-1", 0);
  EXPECT_FALSE(engine.exec(project_ref(kChain), o, &code));
  o.command.clear();
  EXPECT_EQ(engine.exec(project_ref(kChain), o, &code).message(), "exec needs a command");
}

TEST_F(ComposeLook, LogsFollowPicksUpContainersThatStartLaterUntilNoneRuns) {
  machine.records["p-db-1"] = running_record("p-db-1", "db", "");
  machine.at_pauses = {
      [&] { machine.records["p-web-1"] = running_record("p-web-1", "web", ""); },
      [&] { machine.end("p-db-1", 0); },
      [&] { machine.end("p-web-1", 0); },
  };
  ASSERT_TRUE(engine.logs(project_ref(kChain), {true, {}}));
  std::vector<std::pair<std::string, std::string>> expected{{"p-db-1", "db-1"}, {"p-web-1", "web-1"}};
  EXPECT_EQ(shown.attached, expected);
  // Once at first, after each of the three pauses, and once more for what the last wrote as it ended.
  EXPECT_EQ(machine.pauses, 4);
  EXPECT_EQ(shown.prints, 5);
  // Without following: what is there, once.
  shown = {};
  ASSERT_TRUE(engine.logs(project_ref(kChain), {false, {"web"}}));
  EXPECT_EQ(shown.attached, (std::vector<std::pair<std::string, std::string>>{{"p-web-1", "web-1"}}));
  EXPECT_EQ(shown.prints, 1);
  EXPECT_EQ(engine.logs(project_ref(kChain), {false, {"nope"}}).message(), "no such service: nope");
}

TEST_F(ComposeLook, PsListsRunningOnesUnlessAllTopTheirProcessesLsTheProjects) {
  machine.records["p-db-1"] = running_record("p-db-1", "db", "");
  machine.records["p-web-1"] = running_record("p-web-1", "web", "");
  machine.end("p-web-1", 2);
  std::vector<ContainerSummary> listed;
  ASSERT_TRUE(engine.ps(project_ref(kChain), {false, {}}, &listed));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].record.name, "p-db-1");
  listed.clear();
  ASSERT_TRUE(engine.ps(project_ref(kChain), {true, {}}, &listed));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[1].status.text(), "Exited (2)");
  std::vector<ContainerProcesses> processes;
  ASSERT_TRUE(engine.top(project_ref(kChain), {{}}, &processes));
  ASSERT_EQ(processes.size(), 1u);  // the running one
  EXPECT_EQ(processes[0].name, "p-db-1");
  EXPECT_EQ(processes[0].processes[0].command, "sleep 60");
  std::vector<ProjectSummary> projects;
  ASSERT_TRUE(engine.ls({false}, &projects));
  ASSERT_EQ(projects.size(), 1u);  // q has nothing running
  EXPECT_EQ(projects[0].name, "p");
  EXPECT_EQ(projects[0].states, (std::map<std::string, int>{{"exited", 1}, {"running", 1}}));
  projects.clear();
  ASSERT_TRUE(engine.ls({true}, &projects));
  EXPECT_EQ(projects.size(), 2u);
}

TEST_F(ComposeLook, PullAndBuildTakeTheServicesNamedOrAllAndRefuseAnUnknownOne) {
  ASSERT_TRUE(engine.pull(project_ref(kChain), {{}, false, true}));
  ServiceBuildOptions build{{"web"}, {}};
  build.build.no_cache = true;
  ASSERT_TRUE(engine.build(project_ref(kChain), build));
  EXPECT_EQ(machine.calls, (std::vector<std::string>{"pull cache db web (going on past failures)", "build web --no-cache"}));
  EXPECT_EQ(engine.pull(project_ref(kChain), {{"nope"}, false, false}).message(), "no such service: nope");
  build.services = {"nope"};
  EXPECT_FALSE(engine.build(project_ref(kChain), build));
  EXPECT_EQ(machine.calls.size(), 2u);
}

}  // namespace
}  // namespace stack::compose
