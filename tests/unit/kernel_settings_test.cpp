// The pure parts of the resource keys: shares as v2 weight, device cgroup
// rules, cpuset lists, group_add, and how make_spec combines the options.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/default_spec.h"
#include "runtime/kernel_settings.h"
#include "runtime/user_lookup.h"

namespace stack::runtime {
namespace {

TEST(KernelSettings, SharesBecomeTheWeightRuncAndCrunGive) {
  EXPECT_EQ(cpu_weight_from_shares(2), 1);
  EXPECT_EQ(cpu_weight_from_shares(512), 59);
  EXPECT_EQ(cpu_weight_from_shares(1024), 100);  // the defaults meet
  EXPECT_EQ(cpu_weight_from_shares(2048), 174);
  EXPECT_EQ(cpu_weight_from_shares(262144), 10000);
}

TEST(KernelSettings, DeviceCgroupRulesAsDockerWritesThem) {
  auto rule = parse_device_cgroup_rule("c 1:3 mr");
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->to_string(), "c 1:3 mr");
  EXPECT_EQ(parse_device_cgroup_rule("a *:* rwm")->to_string(), "a *:* rwm");
  EXPECT_EQ(parse_device_cgroup_rule("b 8:* r")->minor, -1);
  for (const char* bad : {"", "c 1:3", "x 1:3 r", "c 1:3 rwx", "c 1 r", "c -1:3 r", "c 1:3  r", "cc 1:3 r", "c 1:3 rwmr"})
    EXPECT_FALSE(parse_device_cgroup_rule(bad)) << bad;
}

TEST(KernelSettings, CpusetLists) {
  for (const char* good : {"0", "0-3", "0,2", "0-1,4-7,9"}) EXPECT_FALSE(cpuset_list_problem(good)) << good;
  for (const char* bad : {"", "3-1", "a", "0,", "-1", "0-"}) EXPECT_TRUE(cpuset_list_problem(bad)) << bad;
}

TEST(KernelSettings, GroupAddNamesAreTheImagesAndNumbersAreAsGiven) {
  std::vector<uint32_t> gids;
  ASSERT_TRUE(resolve_groups({"staff", "4242"}, "root:x:0:\nstaff:x:50:app\n", &gids));
  EXPECT_EQ(gids, (std::vector<uint32_t>{50, 4242}));
  Status s = resolve_groups({"video"}, "root:x:0:\n", &gids);
  EXPECT_EQ(s.message(), "group_add: unable to find group video: no matching entries in group file");
}

Status spec_with(const RunOptions& o, ContainerSpec* spec) {
  Image image;
  image.config.cmd = std::vector<std::string>{"sh"};
  return make_spec(image, {}, o, "0123456789abcdef", spec, [](const std::string&) { return std::nullopt; });
}

TEST(KernelSettings, MakeSpecKeepsDockersRulesBetweenTheOptions) {
  ContainerSpec spec;
  RunOptions o;
  o.cpu_period_us = 50000;
  ASSERT_TRUE(spec_with(o, &spec));
  EXPECT_EQ(spec.resources.cpu_period_us, 50000);
  EXPECT_EQ(spec.resources.cpu_quota_us, -1);  // a period alone: no quota
  o.cpus = 0.5;
  EXPECT_FALSE(spec_with(o, &spec));
  RunOptions swap;
  swap.memory_swap = 1 << 30;
  EXPECT_EQ(spec_with(swap, &spec).message(), "--memory-swap needs --memory");
  swap.memory_bytes = int64_t{2} << 30;
  EXPECT_FALSE(spec_with(swap, &spec));
  swap.memory_swap = -1;
  EXPECT_TRUE(spec_with(swap, &spec));
}

TEST(KernelSettings, TheSpecKeepsTheLimitsForExecAndStart) {
  ContainerSpec spec;
  spec.resources.cpu_shares = 512;
  spec.resources.cpuset_cpus = "0-1";
  spec.resources.memory_reservation = 1 << 25;
  spec.resources.memory_swap = -1;
  spec.resources.memory_swappiness = 10;
  spec.resources.oom_kill_disable = true;
  spec.process.oom_score_adj = -500;
  ContainerSpec back = spec_from_json(spec_to_json(spec));
  EXPECT_EQ(back.resources.cpu_shares, 512);
  EXPECT_EQ(back.resources.cpuset_cpus, "0-1");
  EXPECT_EQ(back.resources.memory_reservation, 1 << 25);
  EXPECT_EQ(back.resources.memory_swap, -1);
  EXPECT_EQ(back.resources.memory_swappiness, 10);
  EXPECT_TRUE(back.resources.oom_kill_disable);
  EXPECT_EQ(back.process.oom_score_adj, -500);
}

}  // namespace
}  // namespace stack::runtime
