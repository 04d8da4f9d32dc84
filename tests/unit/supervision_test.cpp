// Unit tests of what the shim decides on its own: restart policies, their
// back-off, and health states from probe results.
#include <gtest/gtest.h>

#include "runtime/health_check.h"
#include "runtime/restart_policy.h"
#include "runtime/shim_handover.h"

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

// The shim's supervisor hands the delay back across exec: the next one doubles it.
TEST(RestartBackOff, GoesOnFromTheDelayHandedBack) {
  RestartBackOff first;
  first.next(10ms);
  first.next(10ms);
  RestartBackOff resumed(first.last_delay());
  EXPECT_EQ(resumed.next(10ms), 400ms);
}

TEST(ShimHandover, SurvivesItsTextAndRefusesOtherText) {
  SupervisorHandover h;
  h.log_path = "/x/log";
  h.log_max_size = 20'000'000;
  h.log_max_files = 5;
  h.out_fd = 5;
  h.err_fd = -1;
  h.pid = 1234;
  h.health = HealthCheck{};
  h.health->test = {"CMD-SHELL", "test -e /ready"};
  h.health->interval = 2s;
  h.health->retries = 7;
  h.health_state_path = "/x/health.json";
  h.spec_path = "/x/spec.json";
  h.cgroup_root = "/sys/fs/cgroup";
  h.health_bpf_fd = 9;
  h.stack_binary = "/usr/bin/stack";
  h.resume = {"abc", true, 800, 123456789012345, -1, R"({"address":"10.0.0.2","ports":[]})"};
  SupervisorHandover back;
  ASSERT_TRUE(parse_supervisor_handover(to_text(h), &back));
  EXPECT_EQ(back.log_path, "/x/log");
  EXPECT_EQ(back.log_max_size, 20'000'000);
  EXPECT_EQ(back.log_max_files, 5);
  EXPECT_EQ(back.out_fd, 5);
  EXPECT_EQ(back.err_fd, -1);
  EXPECT_EQ(back.pid, 1234);
  ASSERT_TRUE(back.health);
  EXPECT_EQ(back.health->command(), h.health->command());
  EXPECT_EQ(back.health->interval, 2s);
  EXPECT_EQ(back.health->retries, 7);
  EXPECT_EQ(back.health_bpf_fd, 9);
  EXPECT_EQ(back.stack_binary, "/usr/bin/stack");
  EXPECT_EQ(back.resume.began_ns, 123456789012345);
  EXPECT_EQ(back.resume.ports, h.resume.ports);

  ShimResume r = h.resume;
  r.wait_status = 3 << 8;
  ShimResume r_back;
  ASSERT_TRUE(parse_shim_resume(to_text(r), &r_back));
  EXPECT_EQ(r_back.id, "abc");
  EXPECT_TRUE(r_back.terminal);
  EXPECT_EQ(r_back.back_off_ms, 800);
  EXPECT_EQ(r_back.wait_status, 3 << 8);

  EXPECT_FALSE(parse_shim_resume("{\"id\": 1}", &r_back));
  EXPECT_FALSE(parse_supervisor_handover("not json", &back));
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
