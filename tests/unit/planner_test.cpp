#include "orchestrator/planner.h"

#include <gtest/gtest.h>

namespace stack::orchestrator {
namespace {

using Action = ContainerStep::Action;
using Condition = schema::DependsOnSpec::Condition;

DesiredService web(int replicas, const std::string& hash = "h1") {
  DesiredService d{"web", replicas, hash, {}};
  for (int i = 1; i <= replicas; ++i) d.container_names.push_back("p-web-" + std::to_string(i));
  return d;
}

ExistingContainer container(const std::string& service, int number, const std::string& hash, bool running) {
  return {"p-" + service + "-" + std::to_string(number), service, number, hash, false, running};
}

TEST(PlannerTest, NothingThereCreatesEveryReplica) {
  EXPECT_EQ(plan_service(web(2), {}, {}),
            (std::vector<ContainerStep>{{Action::Create, "p-web-1", 1}, {Action::Create, "p-web-2", 2}}));
}

TEST(PlannerTest, UnchangedAndRunningIsKept) {
  EXPECT_EQ(plan_service(web(1), {container("web", 1, "h1", true)}, {}),
            (std::vector<ContainerStep>{{Action::Keep, "p-web-1", 1}}));
}

TEST(PlannerTest, UnchangedButStoppedIsStartedAgainNotRecreated) {
  EXPECT_EQ(plan_service(web(1), {container("web", 1, "h1", false)}, {}),
            (std::vector<ContainerStep>{{Action::Start, "p-web-1", 1}}));
}

TEST(PlannerTest, AChangedConfigRecreatesRunningOrNot) {
  EXPECT_EQ(plan_service(web(2), {container("web", 1, "old", true), container("web", 2, "old", false)}, {}),
            (std::vector<ContainerStep>{{Action::Recreate, "p-web-1", 1}, {Action::Recreate, "p-web-2", 2}}));
}

TEST(PlannerTest, ForceRecreateAndNoRecreateOverrideTheHash) {
  EXPECT_EQ(plan_service(web(1), {container("web", 1, "h1", true)}, {.force_recreate = true}),
            (std::vector<ContainerStep>{{Action::Recreate, "p-web-1", 1}}));
  EXPECT_EQ(plan_service(web(1), {container("web", 1, "old", true)}, {.no_recreate = true}),
            (std::vector<ContainerStep>{{Action::Keep, "p-web-1", 1}}));
  EXPECT_EQ(plan_service(web(1), {container("web", 1, "old", false)}, {.no_recreate = true}),
            (std::vector<ContainerStep>{{Action::Start, "p-web-1", 1}}));
}

TEST(PlannerTest, ScalingDownRemovesTheHighestNumbersFirst) {
  std::vector<ExistingContainer> there{container("web", 1, "h1", true), container("web", 3, "h1", true),
                                       container("web", 2, "h1", true)};
  EXPECT_EQ(plan_service(web(1), there, {}),
            (std::vector<ContainerStep>{{Action::Remove, "p-web-3", 3}, {Action::Remove, "p-web-2", 2}, {Action::Keep, "p-web-1", 1}}));
  EXPECT_EQ(plan_service(web(0), there, {}).size(), 3u);
}

TEST(PlannerTest, ScalingUpAddsOnlyTheMissingReplicas) {
  EXPECT_EQ(plan_service(web(3), {container("web", 1, "h1", true)}, {}),
            (std::vector<ContainerStep>{{Action::Keep, "p-web-1", 1}, {Action::Create, "p-web-2", 2}, {Action::Create, "p-web-3", 3}}));
}

TEST(PlannerTest, OtherServicesAndOneOffsAreLeftAlone) {
  ExistingContainer run = container("web", 7, "h1", true);
  run.name = "p-web-run-0123456789ab";
  run.one_off = true;
  EXPECT_EQ(plan_service(web(1), {container("db", 1, "x", true), run}, {}),
            (std::vector<ContainerStep>{{Action::Create, "p-web-1", 1}}));
}

TEST(PlannerTest, AFixedContainerNameIsMatchedByName) {
  DesiredService d{"db", 1, "h1", {"database"}};
  ExistingContainer c = container("db", 1, "h1", true);
  c.name = "database";
  EXPECT_EQ(plan_service(d, {c}, {}), (std::vector<ContainerStep>{{Action::Keep, "database", 1}}));
}

TEST(PlannerTest, OrphansAreContainersOfServicesNoLongerThereButNeverOneOffs) {
  ExistingContainer run = container("gone", 1, "h", false);
  run.one_off = true;
  run.name = "p-gone-run-1";
  EXPECT_EQ(find_orphans({"web"}, {container("web", 1, "h", true), container("gone", 1, "h", true), run}),
            (std::vector<std::string>{"p-gone-1"}));
}

TEST(ReadinessTest, StartedIsReadyWhileItRunsAndFailsOnceItEnded) {
  std::string why;
  ObservedContainer c{"p-db-1", "db", false, 0, false, std::nullopt};
  EXPECT_EQ(readiness(c, Condition::Started, &why), Readiness::Ready);
  c.ended = true;
  c.exit_code = 3;
  EXPECT_EQ(readiness(c, Condition::Started, &why), Readiness::Failed);
  EXPECT_EQ(why, "container p-db-1 exited (3)");
}

TEST(ReadinessTest, HealthyWaitsThroughStartingAndFailsWhenUnhealthyOrUnchecked) {
  std::string why;
  ObservedContainer c{"p-db-1", "db", false, 0, true, "starting"};
  EXPECT_EQ(readiness(c, Condition::Healthy, &why), Readiness::Waiting);
  c.health = std::nullopt;  // restarting: no health yet
  EXPECT_EQ(readiness(c, Condition::Healthy, &why), Readiness::Waiting);
  c.health = "healthy";
  EXPECT_EQ(readiness(c, Condition::Healthy, &why), Readiness::Ready);
  c.health = "unhealthy";
  EXPECT_EQ(readiness(c, Condition::Healthy, &why), Readiness::Failed);
  EXPECT_EQ(why, "container p-db-1 is unhealthy");
  c.has_healthcheck = false;
  c.health = std::nullopt;
  EXPECT_EQ(readiness(c, Condition::Healthy, &why), Readiness::Failed);
  EXPECT_EQ(why, "container p-db-1 has no healthcheck configured");
}

TEST(ReadinessTest, CompletedSuccessfullyWaitsForTheEndAndNamesAFailingCode) {
  std::string why;
  ObservedContainer c{"p-prep-1", "prep", false, 0, false, std::nullopt};
  EXPECT_EQ(readiness(c, Condition::CompletedSuccessfully, &why), Readiness::Waiting);
  c.ended = true;
  EXPECT_EQ(readiness(c, Condition::CompletedSuccessfully, &why), Readiness::Ready);
  c.exit_code = 2;
  EXPECT_EQ(readiness(c, Condition::CompletedSuccessfully, &why), Readiness::Failed);
  EXPECT_EQ(why, "service \"prep\" didn't complete successfully: exit 2");
}

}  // namespace
}  // namespace stack::orchestrator
