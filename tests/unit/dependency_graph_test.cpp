#include "orchestrator/dependency_graph.h"

#include <gtest/gtest.h>

#include "tests/unit/stack_file_text.h"

namespace stack::orchestrator {
namespace {

schema::Project project(const std::string& text) { return test_support::project_from_text(text); }

std::vector<std::string> names(const std::vector<GraphNode>& nodes) {
  std::vector<std::string> out;
  for (const GraphNode& n : nodes) out.push_back(to_string(n));
  return out;
}

const char* kPipeline = R"(
services:
  serve: {image: x, depends_on: [train, db], volumes: ["models:/m"]}
  train: {image: x, depends_on: [prepare], volumes: ["data:/d", "models:/m"]}
  prepare: {image: x, volumes: ["data:/d"]}
  db: {image: x}
volumes: {data: {}, models: {}}
)";

TEST(DependencyGraph, StartOrderPutsDependenciesFirst) {
  DependencyGraph g(project(kPipeline));
  EXPECT_FALSE(g.find_cycle());
  std::vector<std::string> order = names(g.start_order());
  auto pos = [&](const std::string& n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
  EXPECT_LT(pos("network default"), pos("service db"));
  EXPECT_LT(pos("volume data"), pos("service prepare"));
  EXPECT_LT(pos("service prepare"), pos("service train"));
  EXPECT_LT(pos("service train"), pos("service serve"));
  EXPECT_LT(pos("service db"), pos("service serve"));
  EXPECT_EQ(order.size(), 7u);
}

TEST(DependencyGraph, StopOrderIsTheReverse) {
  DependencyGraph g(project(kPipeline));
  auto start = names(g.start_order());
  auto stop = names(g.stop_order());
  std::reverse(stop.begin(), stop.end());
  EXPECT_EQ(start, stop);
}

TEST(DependencyGraph, NeededByFollowsDependencies) {
  DependencyGraph g(project(kPipeline));
  EXPECT_EQ(names(g.needed_by({"train"})),
            (std::vector<std::string>{"network default", "volume data", "volume models", "service prepare", "service train"}));
  EXPECT_EQ(names(g.needed_by({"db"})), (std::vector<std::string>{"network default", "service db"}));
}

TEST(DependencyGraph, DependentsOf) {
  DependencyGraph g(project(kPipeline));
  EXPECT_EQ(g.dependents_of("prepare"), (std::vector<std::string>{"serve", "train"}));
  EXPECT_TRUE(g.dependents_of("serve").empty());
}

TEST(DependencyGraph, NamesTheWholeCycle) {
  DependencyGraph g(project("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n"
                            "  c: {image: x, depends_on: [a]}\n  d: {image: x, depends_on: [a]}\n"));
  auto cycle = g.find_cycle();
  ASSERT_TRUE(cycle);
  EXPECT_EQ(cycle->describe(), "a -> b -> c -> a");
  EXPECT_EQ(cycle->mark.line, 2);
}

}  // namespace
}  // namespace stack::orchestrator
