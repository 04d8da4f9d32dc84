// Unit tests of what the shim decides on its own: restart policies, their
// back-off, and health states from probe results.
#include <gtest/gtest.h>

#include "runtime/health_check.h"
#include "runtime/restart_policy.h"

namespace stack::runtime {
namespace {

using namespace std::chrono_literals;

TEST(RestartPolicy, ParsesDockersForms) {
  EXPECT_EQ(RestartPolicy::parse("no")->mode, RestartPolicy::Mode::No);
  EXPECT_EQ(RestartPolicy::parse("always")->mode, RestartPolicy::Mode::Always);
  EXPECT_EQ(RestartPolicy::parse("unless-stopped")->mode, RestartPolicy::Mode::UnlessStopped);
  auto on_failure = RestartPolicy::parse("on-failure:5");
  ASSERT_TRUE(on_failure);
  EXPECT_EQ(on_failure->max_retries, 5);
  EXPECT_EQ(on_failure->to_string(), "on-failure:5");
  EXPECT_FALSE(RestartPolicy::parse("sometimes"));
  EXPECT_FALSE(RestartPolicy::parse("on-failure:"));
  EXPECT_FALSE(RestartPolicy::parse("on-failure:x"));
}

TEST(RestartPolicy, DecidesAsDockerDoes) {
  RestartPolicy always = *RestartPolicy::parse("always");
  EXPECT_TRUE(always.restarts(0, 100, false));
  EXPECT_FALSE(always.restarts(1, 0, true)) << "a stop asked for is never undone";
  RestartPolicy on_failure = *RestartPolicy::parse("on-failure:2");
  EXPECT_FALSE(on_failure.restarts(0, 0, false));
  EXPECT_TRUE(on_failure.restarts(1, 1, false));
  EXPECT_FALSE(on_failure.restarts(1, 2, false));
  EXPECT_TRUE(RestartPolicy::parse("on-failure")->restarts(3, 1000, false));
  EXPECT_FALSE(RestartPolicy::parse("no")->restarts(1, 0, false));
}

TEST(RestartBackOff, DoublesFromATenthOfASecondUpToAMinuteAndResetsAfterTenSeconds) {
  RestartBackOff b;
  EXPECT_EQ(b.next(10ms), 100ms);
  EXPECT_EQ(b.next(10ms), 200ms);
  EXPECT_EQ(b.next(10ms), 400ms);
  for (int i = 0; i < 20; ++i) b.next(10ms);
  EXPECT_EQ(b.next(10ms), 1min);
  EXPECT_EQ(b.next(10s), 100ms);
}

TEST(HealthState, RetriesFailuresMakeItUnhealthyAndASuccessHealsIt) {
  HealthCheck check;
  check.retries = 2;
  HealthState s;
  HealthProbe fail{"", "", 1, "no"}, pass{"", "", 0, "ok"};
  s.record(fail, check, false);
  EXPECT_EQ(s.status, "starting");
  s.record(fail, check, false);
  EXPECT_EQ(s.status, "unhealthy");
  s.record(pass, check, false);
  EXPECT_EQ(s.status, "healthy");
  EXPECT_EQ(s.failing_streak, 0);
  for (int i = 0; i < 10; ++i) s.record(pass, check, false);
  EXPECT_EQ(s.log.size(), 5u);
}

TEST(HealthState, FailuresInTheStartPeriodDoNotCountUntilAProbePasses) {
  HealthCheck check;
  check.retries = 1;
  HealthState s;
  HealthProbe fail{"", "", 1, ""}, pass{"", "", 0, ""};
  s.record(fail, check, true);
  s.record(fail, check, true);
  EXPECT_EQ(s.status, "starting");
  s.record(pass, check, true);
  s.record(fail, check, true);
  EXPECT_EQ(s.status, "unhealthy");
}

TEST(HealthCheck, CommandsAndDockersJsonForm) {
  HealthCheck shell;
  shell.test = {"CMD-SHELL", "curl -f localhost"};
  EXPECT_EQ(shell.command(), (std::vector<std::string>{"/bin/sh", "-c", "curl -f localhost"}));
  HealthCheck none;
  none.test = {"NONE"};
  EXPECT_TRUE(none.command().empty());
  HealthCheck parsed = HealthCheck::from_json(nlohmann::json::parse(
      R"({"Test": ["CMD", "true"], "Interval": 2000000000, "Retries": 7, "Timeout": 0})"));
  EXPECT_EQ(parsed.command(), (std::vector<std::string>{"true"}));
  EXPECT_EQ(parsed.interval, 2s);
  EXPECT_EQ(parsed.timeout, 30s) << "zero keeps the default";
  EXPECT_EQ(parsed.retries, 7);
  EXPECT_EQ(HealthCheck::from_json(parsed.to_json()).to_json(), parsed.to_json());
}

}  // namespace
}  // namespace stack::runtime
