#include "compose/container_launch.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include <spdlog/spdlog.h>

#include "compose/host.h"
#include "compose/container_networks.h"
#include "compose/crash_points.h"
#include "runtime/container_session.h"
#include "runtime/container_store.h"
#include "runtime/linux/cgroups.h"
#include "runtime/linux/container_process.h"
#include "runtime/linux/forked_tasks.h"
#include "runtime/linux/heap_reserve.h"
#include "runtime/linux/network_namespace.h"
#include "runtime/object_names.h"
#include "runtime/on_disk.h"
#include "runtime/shared_network.h"
#include "runtime/signal_names.h"
#include "runtime/user_lookup.h"

namespace stack::compose {
namespace {

// Debian's tini, linked statically so that it runs in any image.
constexpr const char* kInitBinary = "/usr/bin/tini-static";

}  // namespace

LaunchResult launch_container(const LaunchRequest& r, const BatchedLaunch* batched) {
  auto began = std::chrono::steady_clock::now();
  auto since = [&began] {
    auto now = std::chrono::steady_clock::now();
    double ms = std::chrono::duration<double, std::milli>(now - began).count();
    began = now;
    return ms;
  };
  // What a start allocates, faulted in at once rather than page by page;
  // not in a forked launch, whose heap pages are its parent's until written.
  if (!batched) runtime::linux_::reserve_heap(1u << 20);
  auto fail = [](const std::string& message) { return LaunchResult::failure(125, message); };
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

  if (!o.network_container.empty()) {
    // Checked before anything is made: the container exists and has a
    // namespace to join now; its ID is kept, which a rename cannot change.
    runtime::ContainerStore containers(runtime_paths().containers);
    runtime::ContainerRecord shared_with;
    runtime::SharedNetwork shared;
    runtime::Status s = containers.find(o.network_container, &shared_with);
    if (s) s = runtime::find_shared_network(containers, shared_with.id, runtime::SharedNetworkUse::Create, &shared);
    if (!s) return fail("container " + r.name + ": network_mode container:" + o.network_container + ": " + s.message());
    o.network_container = shared_with.id;
    o.hostname = shared.hostname;
  }
  runtime::ContainerSpec spec;
  // -e KEY took its value where the command began (cmd/environment).
  auto lookup = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  if (runtime::Status s = runtime::make_spec(image, lower_dirs, o, runtime::new_object_id(), &spec, lookup); !s) return fail(s.message());
  if (runtime::Status s = runtime::run_as_user(!r.user.empty() ? r.user : image.config.user, lower_dirs, &spec.process); !s)
    return fail(s.message());
  spec.process.terminal = r.tty;
  if (runtime::Status s = runtime::resolve_groups(o.group_add, runtime::image_file(lower_dirs, "/etc/group"), &o.additional_gids); !s)
    return fail(s.message());
  if (runtime::Status s = runtime::linux_::ContainerCgroup::check_supported(runtime_paths().cgroup_root, spec.resources); !s)
    return fail(s.message());
  for (uint32_t g : o.additional_gids)
    if (std::find(spec.process.additional_gids.begin(), spec.process.additional_gids.end(), g) == spec.process.additional_gids.end())
      spec.process.additional_gids.push_back(g);
  spec.process.added_gids = o.additional_gids;
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
  record.log = r.log;
  record.healthcheck = healthcheck;
  for (const auto& j : r.joins) record.networks.push_back(j.network);
  record.gpus = r.gpus;
  if (runtime::Status s = containers.create(&record); !s) return fail(s.message());
  crash_point("record-written");
  if (!r.joins.empty()) spec.network_namespace = containers.network_namespace_path(spec.id);
  if (!r.links.empty()) {
    std::string lines;
    for (const auto& [alias, service] : r.links) lines += alias + "\t" + service + "\n";
    if (runtime::Status s = runtime::write_file(paths.containers + "/" + record.id + "/" + kLinksFile, lines); !s) {
      containers.discard(record);
      return fail("container " + record.name + ": " + s.message());
    }
  }
  if (runtime::Status s = containers.give_files(o.files, &spec); !s) {
    containers.discard(record);
    return fail("container " + record.name + ": " + s.message());
  }
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
  LaunchResult launched{0, "", spec.id, false, record.name};
  if (r.detach && result.error.empty()) return launched;
  launched.exit_code = result.exit_code;
  if (!result.error.empty()) launched.error = "container " + record.name + ": " + result.error;
  launched.oom_killed = result.oom_killed;
  return launched;
}

namespace {

// The shims launch_containers left running, until reaped.
std::vector<pid_t> g_running_shims;

}  // namespace

void reap_ended_shims() { runtime::linux_::reap_ended_children(&g_running_shims); }

std::vector<LaunchResult> launch_containers(const std::vector<LaunchRequest>& requests) {
  reap_ended_shims();
  if (requests.size() == 1) {
    LaunchResult launched = launch_container(requests[0]);
    if (launched.exit_code == 0) crash_point("container-started");
    return {launched};
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
  // A launch's process sends one of two things back on its report pipe:
  // once it became the shim, the shim's start report ("0:running" or
  // "EXIT:why", then a NUL); having failed before that, its error (no NUL)
  // before it exits with its status.
  auto launch = [&](size_t i, int report_fd) {
    BatchedLaunch batched{nullptr, report_fd};
    if (auto it = found.find(requests[i].image); it != found.end()) batched.image = &it->second;
    LaunchResult launched = launch_container(requests[i], &batched);
    (void)!::write(report_fd, launched.error.data(), launched.error.size());
    return launched.exit_code;
  };
  // A shim that reported its container running is left to run; one that
  // reported a failure exits at once, and is reaped.
  auto runs_on = [](size_t, const std::string& report) {
    runtime::linux_::StartResult started;
    if (runtime::linux_::parse_start_report(report, &started) || started.failure_exit != 0) return false;
    crash_point("container-started");
    return true;
  };
  // A start is about half waiting (forks, the shim's report): two at a
  // time per core keeps the cores busy.
  size_t parallel = std::clamp<size_t>(2 * std::thread::hardware_concurrency(), 2, 8);
  std::vector<runtime::linux_::ForkedTaskEnd> ends = runtime::linux_::run_forked_tasks(requests.size(), parallel, launch, runs_on);
  std::vector<LaunchResult> results;
  for (size_t i = 0; i < ends.size(); ++i) {
    const runtime::linux_::ForkedTaskEnd& end = ends[i];
    const std::string container = "container " + requests[i].name + ": ";
    LaunchResult& launched = results.emplace_back();
    launched.name = requests[i].name;
    if (!end.error.empty()) {
      launched.exit_code = 125;
      launched.error = container + end.error;
    } else if (end.reported && !end.report.empty()) {
      runtime::linux_::StartResult started;
      runtime::Status s = runtime::linux_::parse_start_report(end.report, &started);
      launched.exit_code = started.failure_exit;
      if (started.failure_exit != 0) launched.error = container + s.message();
      if (end.running > 0) g_running_shims.push_back(end.running);
    } else {
      launched.exit_code = end.signal ? 125 : end.exit_code;
      launched.error = end.report;
      if (launched.error.empty() && end.signal)
        launched.error = container + "its launch was killed by signal " + std::to_string(end.signal);
      else if (launched.error.empty() && end.exit_code != 0)
        launched.error = container + "its launch ended with status " + std::to_string(end.exit_code);
    }
  }
  return results;
}

LaunchResult start_container(const std::string& name, bool attach, bool interactive) {
  auto fail = [&](const std::string& message) { return LaunchResult::failure(attach ? 125 : 1, message); };
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
  LaunchResult started{attach ? result.exit_code : 0, "", record.id, false, record.name};
  if (!result.error.empty()) {
    started.error = "container " + record.name + ": " + result.error;
    if (!attach) started.exit_code = 1;
  }
  return started;
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
