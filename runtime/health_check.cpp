#include "runtime/health_check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/linux/cgroups.h"
#include "runtime/linux/exec_process.h"
#include "runtime/on_disk.h"

namespace stack::runtime {
namespace {

constexpr size_t kMaxOutput = 4096;
constexpr size_t kKeptProbes = 5;

Nanoseconds duration_field(const nlohmann::json& j, const char* key, Nanoseconds fallback) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() <= 0) return fallback;
  return Nanoseconds(it->get<int64_t>());
}

}  // namespace

std::vector<std::string> HealthCheck::command() const {
  if (test.empty() || test[0] == "NONE") return {};
  if (test[0] == "CMD-SHELL") return test.size() > 1 ? std::vector<std::string>{"/bin/sh", "-c", test[1]} : std::vector<std::string>{};
  if (test[0] == "CMD") return {test.begin() + 1, test.end()};
  return test;  // a bare list, as some images store it
}

nlohmann::json HealthCheck::to_json() const {
  return {{"Test", test},
          {"Interval", interval.count()},
          {"Timeout", timeout.count()},
          {"StartPeriod", start_period.count()},
          {"StartInterval", start_interval.count()},
          {"Retries", retries}};
}

HealthCheck HealthCheck::from_json(const nlohmann::json& j) {
  HealthCheck c;
  if (!j.is_object()) return c;
  if (auto t = j.find("Test"); t != j.end() && t->is_array())
    for (const auto& a : *t)
      if (a.is_string()) c.test.push_back(a.get<std::string>());
  c.interval = duration_field(j, "Interval", c.interval);
  c.timeout = duration_field(j, "Timeout", c.timeout);
  c.start_period = duration_field(j, "StartPeriod", c.start_period);
  c.start_interval = duration_field(j, "StartInterval", c.start_interval);
  if (auto r = j.find("Retries"); r != j.end() && r->is_number_integer() && r->get<int>() > 0) c.retries = r->get<int>();
  return c;
}

nlohmann::json HealthState::to_json() const {
  nlohmann::json probes = nlohmann::json::array();
  for (const HealthProbe& p : log)
    probes.push_back({{"Start", p.start}, {"End", p.end}, {"ExitCode", p.exit_code}, {"Output", p.output}});
  return {{"Status", status}, {"FailingStreak", failing_streak}, {"Log", probes}};
}

HealthState HealthState::from_json(const nlohmann::json& j) {
  HealthState s;
  s.status = j.value("Status", "starting");
  s.failing_streak = j.value("FailingStreak", 0);
  if (auto l = j.find("Log"); l != j.end() && l->is_array())
    for (const auto& p : *l)
      s.log.push_back({p.value("Start", ""), p.value("End", ""), p.value("ExitCode", 0), p.value("Output", "")});
  return s;
}

void HealthState::record(const HealthProbe& probe, const HealthCheck& check, bool in_start_period) {
  log.push_back(probe);
  while (log.size() > kKeptProbes) log.pop_front();
  if (probe.exit_code == 0) {
    status = "healthy";
    failing_streak = 0;
    return;
  }
  if (in_start_period && status == "starting") return;
  if (++failing_streak >= check.retries) status = "unhealthy";
}

std::optional<HealthState> read_health_state(const std::string& path) {
  std::optional<std::string> text = read_whole_file(path);
  if (!text) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return HealthState::from_json(j);
}

void HealthMonitor::start(pid_t init_pid, const ProcessSpec& process, const std::string& seccomp_bpf,
                          const std::string& cgroup_root, const std::string& id) {
  stop();
  stopping_ = false;
  write_file_atomically(state_path_, HealthState().to_json().dump() + "\n", 0644, false);
  thread_ = std::thread(&HealthMonitor::run, this, init_pid, process, seccomp_bpf, cgroup_root, id);
}

void HealthMonitor::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::run(pid_t init_pid, ProcessSpec process, std::string seccomp_bpf, std::string cgroup_root,
                        std::string id) {
  process.args = check_.command();
  process.terminal = false;
  HealthState state;
  auto started = std::chrono::steady_clock::now();
  for (;;) {
    bool in_start_period = std::chrono::steady_clock::now() - started < check_.start_period;
    // During the start period, until a probe passes, probes come at the
    // start interval: a service that is up early is known healthy early.
    Nanoseconds wait = in_start_period && state.status == "starting" ? check_.start_interval : check_.interval;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_for(lock, wait, [this] { return stopping_; })) return;
    }
    in_start_period = std::chrono::steady_clock::now() - started < check_.start_period;
    HealthProbe p = probe(init_pid, process, seccomp_bpf, cgroup_root, id);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;  // cut short because the container is going: not the container's fault
    }
    state.record(p, check_, in_start_period);
    write_file_atomically(state_path_, state.to_json().dump() + "\n", 0644, false);
  }
}

HealthProbe HealthMonitor::probe(pid_t init_pid, const ProcessSpec& process, const std::string& seccomp_bpf,
                                 const std::string& cgroup_root, const std::string& id) const {
  HealthProbe result;
  result.start = timestamp_now();
  result.exit_code = -1;
  int out[2];
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    if (in >= 0) ::close(in);
    result.output = "cannot run the health check: out of file descriptors";
    result.end = timestamp_now();
    return result;
  }
  linux_::ContainerStdio stdio;
  stdio.in = in;
  stdio.out = stdio.err = out[1];
  linux_::StartResult started;
  Status s = linux_::exec_in_container(init_pid, linux_::ContainerCgroup::open_existing(cgroup_root, id), process,
                                       seccomp_bpf, stdio, &started);
  ::close(in);
  ::close(out[1]);
  auto deadline = std::chrono::steady_clock::now() + check_.timeout;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fd{out[0], POLLIN, 0};
    int ready = ::poll(&fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (ready < 0 && errno != EINTR) break;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        timed_out = true;
        break;
      }
    }
    if (ready <= 0) continue;
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(std::min(static_cast<size_t>(n), kMaxOutput - std::min(kMaxOutput, result.output.size()))));
  }
  ::close(out[0]);
  if (started.pid > 0) {
    if (timed_out) ::kill(started.pid, SIGKILL);
    int status = 0;
    while (::waitpid(started.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!timed_out && s) result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  if (!s) result.output = s.message();
  if (timed_out)
    result.output = "Health check exceeded timeout (" +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(check_.timeout).count()) + "ms)";
  result.end = timestamp_now();
  return result;
}

}  // namespace stack::runtime
