#include "orchestrator/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include "tests/unit/stack_file_text.h"

namespace stack::orchestrator {
namespace {

ObservedContainer running(const std::string& name, const std::string& service, std::optional<std::string> health = {}) {
  return {name, service, false, 0, health.has_value(), health};
}

ObservedContainer exited(const std::string& name, const std::string& service, int code) {
  return {name, service, true, code, false, std::nullopt};
}

// A machine that records what it is asked, in order. Containers it creates
// run; a script of observations per container says how they go on.
class FakeMachine : public ServiceRuntime {
 public:
  std::vector<std::string> calls;
  std::map<std::string, std::deque<ObservedContainer>> script;
  std::set<std::string> failing;      // containers whose start fails
  std::string undescribable;          // a service none of whose batch can be made
  int pauses = 0;

  runtime::Status remove(const std::string& name) override {
    calls.push_back("remove " + name);
    state_.erase(name);
    return runtime::Status::ok();
  }
  runtime::Status start(const std::string& name) override {
    calls.push_back("start " + name);
    state_[name] = running(name, "?");
    return runtime::Status::ok();
  }
  runtime::Status create(const std::vector<CreateRequest>& batch, std::vector<runtime::Status>* results) override {
    std::string call = "create";
    for (const CreateRequest& r : batch) {
      if (r.service == undescribable) return runtime::Status::error("service " + r.service + ": build without an image");
      call += " " + r.name;
    }
    calls.push_back(call);
    for (const CreateRequest& r : batch) {
      if (failing.count(r.name)) {
        results->push_back(runtime::Status::error("exit 125"));
        continue;
      }
      state_[r.name] = running(r.name, r.service);
      results->push_back(runtime::Status::ok());
    }
    return runtime::Status::ok();
  }
  runtime::Status observe(const std::string& name, ObservedContainer* out) override {
    if (auto it = script.find(name); it != script.end() && !it->second.empty() && state_.count(name)) {
      state_[name] = it->second.front();
      it->second.pop_front();
    }
    auto it = state_.find(name);
    if (it == state_.end()) return runtime::Status::error("no such container: " + name);
    *out = it->second;
    return runtime::Status::ok();
  }
  void pause() override { ++pauses; }

 private:
  std::map<std::string, ObservedContainer> state_;
};

class Recorded : public ExecutorListener {
 public:
  std::vector<std::string> done, warnings;
  std::vector<std::string>* timeline = nullptr;  // also gets `done`, to interleave it with the machine's calls
  void step(const std::string& container, const std::string& status, bool finished) override {
    if (!finished) return;
    done.push_back(container + " " + status);
    if (timeline) timeline->push_back(container + " " + status);
  }
  void warning(const std::string& message) override { warnings.push_back(message); }
};

DesiredService desired(const std::string& service, int replicas = 1, const std::string& hash = "h") {
  DesiredService d{service, replicas, hash, {}};
  for (int i = 1; i <= replicas; ++i) d.container_names.push_back("p-" + service + "-" + std::to_string(i));
  return d;
}

struct Execution {
  FakeMachine machine;
  Recorded listener;
  Executor executor{machine, listener};
};

TEST(ExecutorTest, ServicesReadyTogetherAreCreatedTogetherAfterWhatTheyNeed) {
  schema::Project p = test_support::project_from_text(R"(services:
  a: {image: x}
  b: {image: x, depends_on: [a]}
  c: {image: x, depends_on: [a]}
  d: {image: x, depends_on: [b, c]}
)");
  Execution run;
  ASSERT_TRUE(run.executor.up(p, {desired("a"), desired("b", 2), desired("c"), desired("d")}, {}, {}));
  EXPECT_EQ(run.machine.calls,
            (std::vector<std::string>{"create p-a-1", "create p-b-1 p-b-2 p-c-1", "create p-d-1"}));
  EXPECT_EQ(run.executor.started(), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(ExecutorTest, WhatIsThereIsKeptStartedRecreatedOrRemovedAsPlanned) {
  schema::Project p = test_support::project_from_text("services:\n  a: {image: x}\n  b: {image: x}\n  c: {image: x}\n");
  std::vector<ExistingContainer> there{{"p-a-1", "a", 1, "h", false, true},
                                       {"p-b-1", "b", 1, "h", false, false},
                                       {"p-c-1", "c", 1, "old", false, true},
                                       {"p-c-2", "c", 2, "old", false, true}};
  Execution run;
  ASSERT_TRUE(run.executor.up(p, {desired("a"), desired("b"), desired("c")}, there, {}));
  EXPECT_EQ(run.machine.calls, (std::vector<std::string>{"start p-b-1", "remove p-c-2", "remove p-c-1", "create p-c-1"}));
  EXPECT_EQ(run.listener.done, (std::vector<std::string>{"Container p-a-1 Running", "Container p-b-1 Started",
                                                         "Container p-c-2 Removed", "Container p-c-1 Recreated",
                                                         "Container p-c-1 Started"}));
}

TEST(ExecutorTest, AServiceInTheNetworkOfOneWhoseContainersWereMadeAgainIsMadeAgainToo) {
  schema::Project p = test_support::project_from_text(R"(services:
  db: {image: x}
  sidecar: {image: x, network_mode: "service:db"}
  other: {image: x, depends_on: [db]}
)");
  std::vector<ExistingContainer> there{{"p-db-1", "db", 1, "old", false, true},
                                       {"p-sidecar-1", "sidecar", 1, "h", false, true},
                                       {"p-other-1", "other", 1, "h", false, true}};
  Execution run;
  ASSERT_TRUE(run.executor.up(p, {desired("db"), desired("sidecar"), desired("other")}, there, {}));
  // other only depends on db: kept. sidecar was in the old db's namespace.
  EXPECT_EQ(run.machine.calls, (std::vector<std::string>{"remove p-db-1", "create p-db-1", "remove p-sidecar-1",
                                                         "create p-sidecar-1"}));
}

const char* kHealthGated = R"(services:
  db: {image: x, healthcheck: {test: ["CMD", "true"]}}
  web: {image: x, depends_on: {db: {condition: service_healthy}}}
)";

TEST(ExecutorTest, AServiceWaitsUntilWhatItNeedsIsHealthy) {
  schema::Project p = test_support::project_from_text(kHealthGated);
  Execution run;
  run.machine.script["p-db-1"] = {running("p-db-1", "db", "starting"), running("p-db-1", "db", "starting"),
                                  running("p-db-1", "db", "healthy")};
  ASSERT_TRUE(run.executor.up(p, {desired("db"), desired("web")}, {}, {}));
  EXPECT_EQ(run.machine.pauses, 2);
  EXPECT_EQ(run.machine.calls, (std::vector<std::string>{"create p-db-1", "create p-web-1"}));
  EXPECT_EQ(run.listener.done[1], "Container p-db-1 Healthy");
}

TEST(ExecutorTest, ASlowHealthcheckHoldsBackOnlyWhatWaitsForIt) {
  schema::Project p = test_support::project_from_text(R"(services:
  a: {image: x, healthcheck: {test: ["CMD", "true"]}}
  b: {image: x}
  c: {image: x, depends_on: [b]}
  d: {image: x, depends_on: {a: {condition: service_healthy}}}
)");
  Execution run;
  run.listener.timeline = &run.machine.calls;
  run.machine.script["p-a-1"] = {running("p-a-1", "a", "starting"), running("p-a-1", "a", "starting"),
                                 running("p-a-1", "a", "starting"), running("p-a-1", "a", "healthy")};
  ASSERT_TRUE(run.executor.up(p, {desired("a"), desired("b"), desired("c"), desired("d")}, {}, {}));
  EXPECT_EQ(run.machine.calls, (std::vector<std::string>{"create p-a-1 p-b-1", "Container p-a-1 Started",
                                                         "Container p-b-1 Started", "create p-c-1",
                                                         "Container p-c-1 Started", "Container p-a-1 Healthy",
                                                         "create p-d-1", "Container p-d-1 Started"}));
  EXPECT_EQ(run.executor.started(), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(run.machine.pauses, 2);  // only while nothing could be created
}

// As Compose checks a dependent's conditions when it starts it: a
// dependency that was running when one dependent started and exited before
// the next could start fails that one.
TEST(ExecutorTest, ADependencyThatExitedSinceFailsTheDependentsCreatedAfter) {
  schema::Project p = test_support::project_from_text(R"(services:
  a: {image: x}
  slow: {image: x, healthcheck: {test: ["CMD", "true"]}}
  b: {image: x, depends_on: [a]}
  c: {image: x, depends_on: {a: {condition: service_started}, slow: {condition: service_healthy}}}
)");
  Execution run;
  run.machine.script["p-slow-1"] = {running("p-slow-1", "slow", "starting"), running("p-slow-1", "slow", "healthy")};
  run.machine.script["p-a-1"] = {running("p-a-1", "a"), exited("p-a-1", "a", 2)};
  runtime::Status s = run.executor.up(p, {desired("a"), desired("slow"), desired("b"), desired("c")}, {}, {});
  EXPECT_EQ(s.message(), "dependency failed to start: container p-a-1 exited (2)");
  EXPECT_EQ(run.machine.calls, (std::vector<std::string>{"create p-a-1 p-slow-1", "create p-b-1"}));
}

TEST(ExecutorTest, WhatBecomesReadyAtOneMomentIsOneBatchWhateverItsDepth) {
  // admin is two steps from conf, web one from db: both wait on db's health.
  schema::Project p = test_support::project_from_text(R"(services:
  conf: {image: x}
  cache: {image: x, depends_on: [conf]}
  db: {image: x, healthcheck: {test: ["CMD", "true"]}}
  web: {image: x, depends_on: {db: {condition: service_healthy}}}
  admin: {image: x, depends_on: {cache: {condition: service_started}, db: {condition: service_healthy}}}
)");
  Execution run;
  run.machine.script["p-db-1"] = {running("p-db-1", "db", "starting"), running("p-db-1", "db", "starting"),
                                  running("p-db-1", "db", "healthy")};
  ASSERT_TRUE(run.executor.up(p, {desired("conf"), desired("cache"), desired("db"), desired("web", 2), desired("admin")},
                              {}, {}));
  EXPECT_EQ(run.machine.calls, (std::vector<std::string>{"create p-conf-1 p-db-1", "create p-cache-1",
                                                         "create p-admin-1 p-web-1 p-web-2"}));
  // Looked at once a round for both dependents: its row shows once.
  EXPECT_EQ(std::count(run.listener.done.begin(), run.listener.done.end(), "Container p-db-1 Healthy"), 1);
  EXPECT_EQ(run.executor.started(), (std::vector<std::string>{"conf", "db", "cache", "admin", "web"}));
}

TEST(ExecutorTest, AnUnhealthyDependencyFailsUpAndItsDependentIsNeverCreated) {
  schema::Project p = test_support::project_from_text(kHealthGated);
  Execution run;
  run.machine.script["p-db-1"] = {running("p-db-1", "db", "starting"), running("p-db-1", "db", "unhealthy")};
  runtime::Status s = run.executor.up(p, {desired("db"), desired("web")}, {}, {});
  EXPECT_EQ(s.message(), "dependency failed to start: container p-db-1 is unhealthy");
  EXPECT_EQ(run.machine.calls, (std::vector<std::string>{"create p-db-1"}));
}

TEST(ExecutorTest, AOneShotEndingBadlyFailsUpNamingItsCodeUnlessOptional) {
  const char* text = R"(services:
  migrate: {image: x}
  web: {image: x, depends_on: {migrate: {condition: service_completed_successfully, required: %s}}}
)";
  for (const char* required : {"true", "false"}) {
    char compose[256];
    std::snprintf(compose, sizeof compose, text, required);
    schema::Project p = test_support::project_from_text(compose);
    Execution run;
    run.machine.script["p-migrate-1"] = {running("p-migrate-1", "migrate"), exited("p-migrate-1", "migrate", 3)};
    runtime::Status s = run.executor.up(p, {desired("migrate"), desired("web")}, {}, {});
    if (std::string(required) == "true") {
      EXPECT_EQ(s.message(), "dependency failed to start: service \"migrate\" didn't complete successfully: exit 3");
      EXPECT_EQ(run.machine.calls.size(), 1u);
    } else {
      EXPECT_TRUE(s) << s.message();
      EXPECT_EQ(run.listener.warnings,
                (std::vector<std::string>{"service web: optional dependency migrate: service \"migrate\" didn't complete "
                                          "successfully: exit 3"}));
      EXPECT_EQ(run.machine.calls.back(), "create p-web-1");
    }
  }
}

TEST(ExecutorTest, AContainerThatDoesNotStartStopsUpBeforeItsDependents) {
  schema::Project p = test_support::project_from_text("services:\n  a: {image: x}\n  b: {image: x}\n  c: {image: x, depends_on: [a]}\n");
  Execution run;
  run.machine.failing = {"p-a-1"};
  runtime::Status s = run.executor.up(p, {desired("a"), desired("b"), desired("c")}, {}, {});
  EXPECT_EQ(s.message(), "service a: container p-a-1 did not start (exit 125)");
  EXPECT_EQ(run.machine.calls, (std::vector<std::string>{"create p-a-1 p-b-1"}));
  EXPECT_EQ(run.listener.done, (std::vector<std::string>{"Container p-a-1 Error", "Container p-b-1 Started"}));
}

TEST(ExecutorTest, AServiceThatCannotBeDescribedCreatesNothingOfItsBatch) {
  schema::Project p = test_support::project_from_text("services:\n  a: {image: x}\n  b: {build: .}\n");
  Execution run;
  run.machine.undescribable = "b";
  runtime::Status s = run.executor.up(p, {desired("a"), desired("b")}, {}, {});
  EXPECT_EQ(s.message(), "service b: build without an image");
  EXPECT_TRUE(run.machine.calls.empty());
}

TEST(ExecutorTest, WithoutItsDependenciesAServiceWaitsForNothing) {
  schema::Project p = test_support::project_from_text(kHealthGated);
  Execution run;
  ASSERT_TRUE(run.executor.up(p, {desired("web")}, {}, {}));  // up --no-deps web
  EXPECT_EQ(run.machine.calls, (std::vector<std::string>{"create p-web-1"}));
  EXPECT_EQ(run.machine.pauses, 0);
}

TEST(ExecutorTest, WaitUntilReadyWantsHealthyRunningOrCompletedAndHonoursTheDeadline) {
  schema::Project p = test_support::project_from_text(R"(services:
  prep: {image: x}
  db: {image: x, healthcheck: {test: ["CMD", "true"]}}
  web: {image: x, depends_on: {prep: {condition: service_completed_successfully}}}
)");
  Execution run;
  run.machine.script["p-prep-1"] = {exited("p-prep-1", "prep", 0)};
  run.machine.script["p-db-1"] = {running("p-db-1", "db", "starting"), running("p-db-1", "db", "healthy")};
  ASSERT_TRUE(run.executor.up(p, {desired("db"), desired("prep"), desired("web")}, {}, {}));
  ASSERT_TRUE(run.executor.wait_until_ready(p, {"prep"}, std::nullopt));
  EXPECT_EQ(std::vector<std::string>(run.listener.done.end() - 3, run.listener.done.end()),
            (std::vector<std::string>{"Container p-db-1 Healthy", "Container p-prep-1 Exited", "Container p-web-1 Running"}));

  Execution late;
  late.machine.script["p-db-1"] = {running("p-db-1", "db", "starting")};
  ASSERT_TRUE(late.executor.up(p, {desired("db")}, {}, {}));
  runtime::Status s = late.executor.wait_until_ready(p, {}, std::chrono::steady_clock::now());
  EXPECT_EQ(s.message(), "service db: container p-db-1 is not ready in time");
}

}  // namespace
}  // namespace stack::orchestrator
