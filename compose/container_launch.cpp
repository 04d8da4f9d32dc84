#include "compose/container_launch.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <system_error>
#include <thread>
#include <cstdlib>
#include <iostream>

#include <spdlog/spdlog.h>

#include "compose/host.h"
#include "compose/container_networks.h"
#include "compose/crash_points.h"
#include "compose/heap_reserve.h"
#include "runtime/container_session.h"
#include "runtime/container_store.h"
#include "runtime/linux/container_process.h"
#include "runtime/linux/network_namespace.h"
#include "runtime/object_names.h"
#include "runtime/on_disk.h"
#include "runtime/signal_names.h"
#include "runtime/user_lookup.h"

namespace stack::compose {
namespace {

// Debian's tini, linked statically so that it runs in any image.
constexpr const char* kInitBinary = "/usr/bin/tini-static";

}  // namespace

int launch_container(const LaunchRequest& r, std::string* id, const BatchedLaunch* batched) {
  auto began = std::chrono::steady_clock::now();
  auto since = [&began] {
    auto now = std::chrono::steady_clock::now();
    double ms = std::chrono::duration<double, std::milli>(now - began).count();
    began = now;
    return ms;
  };
  // What a start allocates, faulted in at once rather than page by page;
  // not in a forked launch, whose heap pages are its parent's until written.
  if (!batched) reserve_heap(1u << 20);
  auto fail = [](const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return 125;
  };
  runtime::ImageStore store(images_root());
  runtime::Image looked_up;
  const runtime::Image* found = batched ? batched->image : nullptr;
  if (!found) {
    if (runtime::Status s = store.find(r.image, &looked_up); !s) return fail(s.message());
    found = &looked_up;
  }
  const runtime::Image& image = *found;
  std::vector<std::string> lower_dirs = store.lower_dirs(image.diff_ids);
  runtime::RunOptions o = r.options;
  if (r.init) {
    o.init_path = kInitBinary;
    if (::access(o.init_path.c_str(), X_OK) != 0) return fail(std::string("--init needs ") + kInitBinary + " (Debian package tini)");
  }
  std::string stop_signal = !r.stop_signal.empty() ? r.stop_signal : !image.config.stop_signal.empty() ? image.config.stop_signal : "SIGTERM";
  if (!runtime::signal_number(stop_signal)) return fail("stop signal " + stop_signal + ": not a signal");
  if (!r.ports.empty() && r.joins.empty()) return fail("publishing ports needs --network");
  if (r.remove && r.restart.mode != runtime::RestartPolicy::Mode::No)
    return fail("--rm and restart policy \"" + r.restart.to_string() + "\" conflict: a removed container cannot restart");
  std::optional<runtime::HealthCheck> healthcheck;
  if (!r.no_healthcheck) {
    if (image.config.healthcheck) healthcheck = runtime::HealthCheck::from_json(*image.config.healthcheck);
    if (r.healthcheck) {
      std::vector<std::string> image_test = healthcheck ? healthcheck->test : std::vector<std::string>{};
      healthcheck = *r.healthcheck;
      if (healthcheck->test.empty()) healthcheck->test = image_test;
    }
    if (healthcheck && healthcheck->command().empty()) healthcheck.reset();
  }

  runtime::ContainerSpec spec;
  auto lookup = [](const std::string& k) -> std::optional<std::string> {
    const char* v = std::getenv(k.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  if (runtime::Status s = runtime::make_spec(image, lower_dirs, o, runtime::new_object_id(), &spec, lookup); !s) return fail(s.message());
  if (runtime::Status s = runtime::run_as_user(!r.user.empty() ? r.user : image.config.user, lower_dirs, &spec.process); !s)
    return fail(s.message());
  spec.process.terminal = r.tty;
  for (uint32_t g : o.additional_gids)
    if (std::find(spec.process.additional_gids.begin(), spec.process.additional_gids.end(), g) == spec.process.additional_gids.end())
      spec.process.additional_gids.push_back(g);
  if (spec.seccomp == runtime::SeccompMode::Profile) {
    auto text = runtime::read_whole_file(spec.seccomp_profile_json);
    if (!text) return fail("seccomp profile " + spec.seccomp_profile_json + " cannot be read");
    spec.seccomp_profile_json = *text;
  }
  runtime::RuntimePaths paths = runtime_paths();
  runtime::ContainerStore containers(paths.containers);
  if (!batched) reclaim_containers(containers, false);
  double prepared_ms = since();
  runtime::ContainerRecord record;
  record.id = spec.id;
  record.name = r.name.empty() ? spec.id.substr(0, 12) : r.name;
  record.image = r.image;
  record.image_id = image.config_digest;
  record.command = spec.process.args;
  if (r.init) record.command.erase(record.command.begin(), record.command.begin() + 2);  // the init and its "--"
  record.remove_on_exit = r.remove;
  record.stop_signal = stop_signal;
  record.stop_timeout = r.stop_timeout;
  record.detached = r.detach;
  record.tty = r.tty;
  record.labels = r.labels;
  record.restart = r.restart;
  record.healthcheck = healthcheck;
  for (const auto& j : r.joins) record.networks.push_back(j.network);
  record.gpus = r.gpus;
  if (runtime::Status s = containers.create(&record); !s) return fail(s.message());
  crash_point("record-written");
  if (!r.joins.empty()) spec.network_namespace = containers.network_namespace_path(spec.id);
  // For `exec` and `start`, which run its processes the way the init was run.
  if (runtime::Status s = containers.save_spec(spec); !s) {
    containers.discard(record);
    return fail(s.message());
  }
  crash_point("spec-written");
  std::unique_ptr<netbridge::PortProxy> bound;
  if (!r.ports.empty()) {
    if (netbridge::Status s = netbridge::PortProxy::bind(r.ports, &bound); !s) {
      containers.discard(record);
      return fail("container " + record.name + ": " + s.message());
    }
    // Ports the kernel chose (host port 0) are known once bound.
    for (const auto& m : bound->mappings()) record.ports.push_back(m.to_string());
    containers.save(record);
    crash_point("ports-bound");
  }
  double created_ms = since();
  if (!r.joins.empty()) {
    if (runtime::Status s = join_networks(record, r.joins, r.tell_peers); !s) {
      containers.discard(record);
      return fail("container " + record.name + ": " + s.message());
    }
  }
  // From here on it is a container a command may start: until now, one
  // whose creator was killed is removed, networks joined or not.
  if (runtime::Status s = containers.complete(&record); !s) {
    release_networks(record);
    containers.discard(record);
    return fail(s.message());
  }
  crash_point("record-complete");
  double joined_ms = since();
  runtime::ContainerHooks hooks = network_hooks(record, std::move(bound));
  if (batched) {
    spdlog::debug("container {}: spec {:.1f} ms, record {:.1f} ms, networks {:.1f} ms", record.name, prepared_ms,
                  created_ms, joined_ms);
    runtime::become_detached_shim(spec, paths, containers, &record, r.tty, hooks, batched->report_fd);
  }
  runtime::RunResult result;
  runtime::Status ran = r.detach ? runtime::run_detached(spec, paths, containers, &record, r.tty, hooks, &result)
                                 : runtime::run_attached(spec, paths, containers, &record, {r.interactive, r.tty}, hooks, &result);
  if (!ran) return fail(ran.message());
  if (r.detach)
    spdlog::debug("container {}: spec {:.1f} ms, record {:.1f} ms, networks {:.1f} ms, started {:.1f} ms", record.name,
                  prepared_ms, created_ms, joined_ms, since());
  if (id) *id = spec.id;
  if (r.detach && result.error.empty()) return 0;
  if (!result.error.empty()) std::cerr << "error: container " << record.name << ": " << result.error << "\n";
  if (result.oom_killed) std::cerr << "container " << record.name << " was OOM-killed\n";
  return result.exit_code;
}

namespace {

// The shims launch_containers left running, until reaped.
std::vector<pid_t> g_running_shims;

}  // namespace

void reap_ended_shims() {
  std::erase_if(g_running_shims, [](pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) != 0; });
}

std::vector<int> launch_containers(const std::vector<LaunchRequest>& requests) {
  reap_ended_shims();
  std::vector<int> results(requests.size(), 125);
  if (requests.size() == 1) {
    results[0] = launch_container(requests[0], nullptr);
    if (results[0] == 0) crash_point("container-started");
    return results;
  }
  // Once here rather than in every launch: looking an image up reads and
  // parses the whole index, and the stale check every container's record.
  {
    runtime::ContainerStore containers(runtime_paths().containers);
    reclaim_containers(containers, false);
  }
  runtime::ImageStore images(images_root());
  std::map<std::string, runtime::Image> found;
  for (const LaunchRequest& r : requests) {
    runtime::Image image;
    if (!found.count(r.image) && images.find(r.image, &image)) found.emplace(r.image, std::move(image));
  }
  struct Launch {
    size_t index;
    pid_t pid;
    int report_fd;
    std::string report;
  };
  // A launch that ends without a report failed before its shim began:
  // its exit status says how. A shim that reported is left running; one
  // that reported a failure exits at once, and is reaped here.
  auto finish = [&](const Launch& l) {
    ::close(l.report_fd);
    runtime::linux_::StartResult started;
    runtime::Status reported = runtime::linux_::parse_start_report(l.report, &started);
    bool has_report = !reported;  // "0:running" parses as a report with exit 0
    if (has_report) results[l.index] = started.failure_exit;
    if (has_report && started.failure_exit == 0) {
      g_running_shims.push_back(l.pid);
      crash_point("container-started");
      return;
    }
    if (has_report) std::cerr << "error: container " << requests[l.index].name << ": " << reported.message() << "\n";
    int status = 0;
    while (::waitpid(l.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!has_report) results[l.index] = WIFEXITED(status) ? WEXITSTATUS(status) : 125;
  };
  // A start is about half waiting (forks, the shim's report): two at a
  // time per core keeps the cores busy.
  size_t parallel = std::clamp<size_t>(2 * std::thread::hardware_concurrency(), 2, 8);
  std::vector<Launch> running;
  auto read_reports = [&] {
    std::vector<pollfd> fds;
    for (const Launch& l : running) fds.push_back({l.report_fd, POLLIN, 0});
    while (::poll(fds.data(), fds.size(), -1) < 0 && errno == EINTR) {
    }
    for (size_t i = fds.size(); i-- > 0;) {
      if (!fds[i].revents) continue;
      Launch& l = running[i];
      char buf[512];
      ssize_t n = ::read(l.report_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) l.report.append(buf, static_cast<size_t>(n));
      if (n > 0 && l.report.find('\0') == std::string::npos) continue;
      finish(l);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    }
  };
  // Forked from a thread of their own: a forked launch allocates from the
  // malloc arena of the thread that forked it, which holds little. From
  // the main arena it would reuse chunks strewn over pages the parent
  // freed, and copy each such page on its first write: a fault, a copy
  // and a TLB flush per page, a sixth of all the CPU `up` spent on 50.
  auto launch_all = [&] {
    for (size_t i = 0; i < requests.size(); ++i) {
      while (running.size() >= parallel) read_reports();
      int report[2];
      if (::pipe2(report, O_CLOEXEC) != 0) {
        std::cerr << "error: container " << requests[i].name << ": pipe: " << std::strerror(errno) << "\n";
        continue;
      }
      std::cout.flush();
      std::fflush(nullptr);
      pid_t pid = ::fork();
      if (pid == 0) {
        ::close(report[0]);
        for (const Launch& l : running) ::close(l.report_fd);
        BatchedLaunch batched{nullptr, report[1]};
        if (auto it = found.find(requests[i].image); it != found.end()) batched.image = &it->second;
        int rc = launch_container(requests[i], nullptr, &batched);
        // Only stderr: a detached launch prints nothing on stdout, and what
        // stdout's buffer held at the fork (a progress row being drawn by the
        // parent's display thread) is the parent's to print, not ours again.
        std::cerr.flush();
        ::_exit(rc);
      }
      ::close(report[1]);
      if (pid < 0) {
        std::cerr << "error: container " << requests[i].name << ": fork: " << std::strerror(errno) << "\n";
        ::close(report[0]);
        continue;
      }
      running.push_back({i, pid, report[0], {}});
    }
    while (!running.empty()) read_reports();
  };
  try {
    std::thread(launch_all).join();
  } catch (const std::system_error&) {  // no thread to be had (a pids limit): from this one, slower
    launch_all();
  }
  return results;
}

int start_container(const std::string& name, bool attach, bool interactive) {
  auto fail = [&](const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return attach ? 125 : 1;
  };
  runtime::RuntimePaths paths = runtime_paths();
  runtime::ContainerStore containers(paths.containers);
  runtime::ContainerRecord record;
  if (runtime::Status s = containers.find(name, &record); !s) return fail(s.message());
  // Just stopped: its shim recorded the end and is finishing up.
  for (int i = 0; i < 400 && record.state == runtime::ContainerState::Exited && record.runner_alive(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (record.running() || record.runner_alive()) return fail("container " + record.name + " is already running");
  // A start asked for by a user lifts the stop a user asked for.
  ::unlink(containers.stopped_marker_path(record.id).c_str());
  runtime::ContainerSpec spec;
  if (runtime::Status s = containers.load_spec(record, &spec); !s) return fail(s.message());
  if (!spec.network_namespace.empty() && !runtime::linux_::is_network_namespace(spec.network_namespace)) {
    spdlog::debug("container {}: its network namespace is gone (a host restart?): joining its networks again", record.name);
    if (runtime::Status s = rejoin_networks(record); !s) return fail("container " + record.name + ": " + s.message());
  }
  std::vector<netbridge::PortMapping> mappings;
  for (std::string published : record.ports) {
    // As recorded, "0.0.0.0:8080->80/tcp": back to the -p form.
    if (size_t arrow = published.find("->"); arrow != std::string::npos) published.replace(arrow, 2, ":");
    if (netbridge::Status s = netbridge::parse_port_mappings(published, &mappings); !s) return fail(s.message());
  }
  std::unique_ptr<netbridge::PortProxy> bound;
  if (!mappings.empty())
    if (netbridge::Status s = netbridge::PortProxy::bind(mappings, &bound); !s)
      return fail("container " + record.name + ": " + s.message());
  record.move_to(runtime::ContainerState::Created);
  record.exit_code = 0;
  record.oom_killed = false;
  record.finished.clear();
  record.runner = ::getpid();
  record.runner_start_time = runtime::process_start_time(record.runner);
  if (runtime::Status s = containers.save(record); !s) return fail(s.message());
  runtime::ContainerHooks hooks = network_hooks(record, std::move(bound));
  runtime::RunResult result;
  runtime::Status ran = attach ? runtime::run_attached(spec, paths, containers, &record, {interactive, record.tty}, hooks, &result)
                                 : runtime::run_detached(spec, paths, containers, &record, record.tty, hooks, &result);
  if (!ran) return fail(ran.message());
  if (!result.error.empty()) {
    std::cerr << "error: container " << record.name << ": " << result.error << "\n";
    return attach ? result.exit_code : 1;
  }
  return attach ? result.exit_code : 0;
}

int resume_shim(const std::string& text) {
  runtime::ShimResume resumed;
  if (runtime::Status s = runtime::parse_shim_resume(text, &resumed); !s) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  runtime::RuntimePaths paths = runtime_paths();
  runtime::ContainerStore containers(paths.containers);
  runtime::ContainerRecord record;
  runtime::ContainerSpec spec;
  runtime::Status found = containers.find(resumed.id, &record);
  if (found) found = containers.load_spec(record, &spec);
  if (!found) {
    // Removed meanwhile: only what the kernel holds is left to clean up.
    runtime::linux_::ContainerCgroup cgroup = runtime::linux_::ContainerCgroup::open_existing(paths.cgroup_root, resumed.id);
    cgroup.kill_all();
    (void)cgroup.remove();
    return 0;
  }
  std::shared_ptr<netbridge::PortProxy> ports;
  if (!resumed.ports.empty()) ports = netbridge::PortProxy::adopt(resumed.ports, nullptr);
  runtime::resume_detached_shim(spec, paths, containers, &record, resumed, network_hooks(record, std::move(ports)));
}

}  // namespace stack::compose
