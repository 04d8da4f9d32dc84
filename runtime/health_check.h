// HealthCheck: a container's healthcheck, the state its probes leave, and the monitor that runs them from the shim.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/container_spec.h"
#include "runtime/status.h"

namespace stack::runtime {

using Nanoseconds = std::chrono::nanoseconds;

struct HealthCheck {
  std::vector<std::string> test;  // Docker's form: ["CMD", args...] or ["CMD-SHELL", line]
  Nanoseconds interval = std::chrono::seconds(30);
  Nanoseconds timeout = std::chrono::seconds(30);
  Nanoseconds start_period{0};
  Nanoseconds start_interval = std::chrono::seconds(5);
  int retries = 3;

  // The command a probe runs; empty for ["NONE"] or an empty test.
  std::vector<std::string> command() const;

  // Docker's Healthcheck object (image config, inspect): Test, Interval,
  // Timeout, StartPeriod, StartInterval (nanoseconds), Retries; zero or
  // absent fields keep their defaults.
  nlohmann::json to_json() const;
  static HealthCheck from_json(const nlohmann::json& j);
};

// One probe's result, as `inspect` shows it.
struct HealthProbe {
  std::string start, end;  // RFC 3339
  int exit_code = 0;       // -1: it did not finish in time or could not run
  std::string output;      // stdout and stderr, at most 4 KiB
};

struct HealthState {
  std::string status = "starting";  // starting, healthy, unhealthy
  int failing_streak = 0;
  std::deque<HealthProbe> log;  // the last five, oldest first

  nlohmann::json to_json() const;
  static HealthState from_json(const nlohmann::json& j);
  // Applies a probe's result, as Docker does: a failure during the start
  // period, before any success, does not count toward `retries`.
  void record(const HealthProbe& probe, const HealthCheck& check, bool in_start_period);
};

// Reads the state a monitor wrote; nullopt when there is none.
std::optional<HealthState> read_health_state(const std::string& path);

// Runs a container's probes in a thread of the shim while its init runs:
// each probe is a process exec'd into the container's namespaces and
// cgroup, as `exec` makes one. The state goes to `state_path` after each.
class HealthMonitor {
 public:
  HealthMonitor(HealthCheck check, std::string state_path) : check_(std::move(check)), state_path_(std::move(state_path)) {}
  ~HealthMonitor() { stop(); }

  // `process` is the init's (user, capabilities, env, working directory);
  // `seccomp_bpf` its filter; `cgroup_root` and `id` find its cgroup.
  void start(pid_t init_pid, const ProcessSpec& process, const std::string& seccomp_bpf, const std::string& cgroup_root,
             const std::string& id);
  void stop();

 private:
  void run(pid_t init_pid, ProcessSpec process, std::string seccomp_bpf, std::string cgroup_root, std::string id);
  HealthProbe probe(pid_t init_pid, const ProcessSpec& process, const std::string& seccomp_bpf,
                    const std::string& cgroup_root, const std::string& id) const;

  HealthCheck check_;
  std::string state_path_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace stack::runtime
