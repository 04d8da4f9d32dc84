// Unit tests of build plans: stages and their names, global ARGs in FROM, the stages a target needs and their order.
#include <gtest/gtest.h>

#include "builder/build_plan.h"

namespace stack::builder {
namespace {

BuildPlan plan_of(const std::string& text, const std::map<std::string, std::string>& args = {},
                  const std::string& target = "") {
  Dockerfile df;
  runtime::Status s = parse_dockerfile(text, "Dockerfile", &df);
  EXPECT_TRUE(s) << s.message();
  BuildPlan plan;
  s = plan_build(df, args, target, &plan);
  EXPECT_TRUE(s) << s.message();
  return plan;
}

runtime::Status plan_error(const std::string& text, const std::string& target = "") {
  Dockerfile df;
  runtime::Status s = parse_dockerfile(text, "Dockerfile", &df);
  if (!s) return s;
  BuildPlan plan;
  return plan_build(df, {}, target, &plan);
}

constexpr const char* kThreeStages =
    "ARG BASE=busybox\n"
    "FROM ${BASE} AS Deps\n"
    "RUN fetch\n"
    "FROM deps AS test\n"
    "RUN run-tests\n"
    "FROM scratch\n"
    "COPY --from=deps /out /out\n";

TEST(BuildPlan, TheTargetNeedsOnlyTheStagesItUsesEachBeforeIt) {
  BuildPlan plan = plan_of(kThreeStages);
  ASSERT_EQ(plan.stages.size(), 3u);
  EXPECT_EQ(plan.stages[0].name, "deps");  // names are case-insensitive
  EXPECT_EQ(plan.stages[0].base, "busybox");
  EXPECT_EQ(plan.stages[2].label(), "stage-2");
  EXPECT_EQ(plan.order, (std::vector<int>{0, 2})) << "the test stage is not needed by the last one";
  EXPECT_EQ(plan_of(kThreeStages, {}, "test").order, (std::vector<int>{0, 1}));
  EXPECT_EQ(plan_of(kThreeStages, {}, "DEPS").order, (std::vector<int>{0}));
  EXPECT_EQ(plan_of(kThreeStages, {{"BASE", "alpine:3"}}).stages[0].base, "alpine:3");
  EXPECT_EQ(plan_of(kThreeStages).global_args.at("BASE"), "busybox");
}

TEST(BuildPlan, StagesAreUsedByIndexAndThroughRunMountsToo) {
  BuildPlan plan = plan_of(
      "FROM busybox\nRUN a\n"
      "FROM busybox AS tools\nRUN b\n"
      "FROM busybox\nCOPY --from=0 /a /a\nRUN --mount=type=bind,from=tools,target=/t ls /t\n");
  EXPECT_EQ(plan.order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(find_stage(plan, "tools", 3), 1);
  EXPECT_EQ(find_stage(plan, "tools", 1), -1) << "only earlier stages are seen";
  EXPECT_EQ(find_stage(plan, "busybox", 3), -1) << "an image, not a stage";
}

TEST(BuildPlan, ANameNoEarlierStageHasIsAnImage) {
  // FROM naming a later stage's name means the image of that name, as with Docker.
  BuildPlan plan = plan_of("FROM later\nRUN x\nFROM busybox AS later\n", {}, "0");
  EXPECT_EQ(plan.order, (std::vector<int>{0}));
}

TEST(BuildPlan, ErrorsNameTheFileAndLine) {
  EXPECT_EQ(plan_error(kThreeStages, "nope").message(), "Dockerfile: no stage named \"nope\" (stages: deps, test)");
  EXPECT_EQ(plan_error("FROM a AS x\nFROM b AS X\n").message(), "Dockerfile:2: a stage named \"x\" already exists");
  EXPECT_EQ(plan_error("FROM a AS\n").message(), "Dockerfile:1: FROM takes an image and an optional \"AS name\"");
  EXPECT_EQ(plan_error("ARG EMPTY\nFROM ${EMPTY}\n").message(), "Dockerfile:2: FROM names no image (\"${EMPTY}\" expands to nothing)");
}

TEST(BuildPlan, MountOptionsAreReadByKey) {
  EXPECT_EQ(mount_option("type=cache,target=/root/.cache,id=pip", "id"), "pip");
  EXPECT_EQ(mount_option("type=cache,target=/root/.cache", "target"), "/root/.cache");
  EXPECT_EQ(mount_option("type=cache,target=/x", "from"), "");
}

}  // namespace
}  // namespace stack::builder
