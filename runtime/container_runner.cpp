#include "runtime/container_runner.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "runtime/linux/oci_hooks.h"
#include "runtime/linux/seccomp_filter.h"
#include "runtime/on_disk.h"
#include "runtime/shared_network.h"

namespace fs = std::filesystem;

namespace stack::runtime {
namespace {

std::atomic<pid_t> g_forward_to{0};

void forward_signal(int sig) {
  pid_t pid = g_forward_to.load();
  if (pid > 0) ::kill(pid, sig);
}

const int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};


}  // namespace

std::string hosts_file(const std::string& hostname, const std::vector<std::string>& extra_hosts) {
  std::string text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname + "\n";
  for (const std::string& line : extra_hosts) text += line + "\n";
  return text;
}

std::string resolv_conf(const std::string& host, const DnsConfig& dns, ResolvConfFor where) {
  std::vector<std::string> servers, search, options;
  std::istringstream lines(host);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string kind, word;
    words >> kind;
    std::vector<std::string>* into = kind == "nameserver" ? &servers : kind == "search" ? &search : kind == "options" ? &options : nullptr;
    if (!into) continue;
    if (kind == "search") into->clear();  // the last search line wins, as the resolver reads it
    while (words >> word) into->push_back(word);
  }
  if (where != ResolvConfFor::HostNetwork) std::erase_if(servers, [](const std::string& s) { return s.rfind("127.", 0) == 0 || s == "::1"; });
  if (!dns.servers.empty()) servers = dns.servers;
  if (servers.empty()) servers = {"8.8.8.8"};
  if (where == ResolvConfFor::ProjectNetworks) servers = {"127.0.0.11"};
  if (!dns.search.empty()) search = dns.search;
  if (!dns.options.empty()) options = dns.options;
  std::string text;
  if (!search.empty()) {
    text += "search";
    for (const std::string& s : search) text += " " + s;
    text += "\n";
  }
  for (const std::string& s : servers) text += "nameserver " + s + "\n";
  if (!options.empty()) {
    text += "options";
    for (const std::string& o : options) text += " " + o;
    text += "\n";
  }
  return text;
}

struct SignalForwarding::Saved {
  struct sigaction actions[std::size(kForwarded)] {};
};

SignalForwarding::SignalForwarding(pid_t pid) : saved_(std::make_unique<Saved>()) {
  g_forward_to = pid;
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (size_t i = 0; i < std::size(kForwarded); ++i) ::sigaction(kForwarded[i], &sa, &saved_->actions[i]);
}

SignalForwarding::~SignalForwarding() {
  for (size_t i = 0; i < std::size(kForwarded); ++i) ::sigaction(kForwarded[i], &saved_->actions[i], nullptr);
  g_forward_to = 0;
}

Status ContainerRun::start(const ContainerSpec& spec, const RuntimePaths& paths, bool remove,
                           const linux_::ContainerStdio& stdio, const ContainerHooks& hooks,
                           std::unique_ptr<ContainerRun>* out) {
  std::unique_ptr<ContainerRun> run(new ContainerRun);
  run->hooks_ = hooks;
  run->dir_ = paths.containers + "/" + spec.id;
  run->remove_ = remove;
  const std::string& dir = run->dir_;
  linux_::RootfsPaths rootfs{dir + "/upper", dir + "/work", dir + "/merged", dir + "/etc", paths.mount_points};
  // Sharing another container's network: its namespace as it is now (it
  // may have restarted), and its /etc files, which its networks keep
  // current, in place of ours.
  ContainerSpec shared_spec;
  if (!spec.network_container.empty()) {
    SharedNetwork shared;
    if (Status s = find_shared_network(ContainerStore(paths.containers), spec.network_container, SharedNetworkUse::Start, &shared); !s) return s;
    shared_spec = spec;
    shared_spec.network_namespace = shared.namespace_path;
    shared_spec.host_network = shared.host;
    shared_spec.hostname = shared.hostname;
    rootfs.etc_dir = shared.etc_dir;
  }
  const ContainerSpec& started_spec = spec.network_container.empty() ? spec : shared_spec;
  if (!rootfs.mount_points.empty())
    if (Status s = linux_::make_mount_point_layer(rootfs.mount_points); !s) return s;
  std::error_code ec;
  for (const std::string& d : {rootfs.upper, rootfs.work, rootfs.merged, rootfs.etc_dir}) {
    fs::create_directories(d, ec);
    if (ec) return Status::error("creating " + d + ": " + ec.message());
  }
  auto discard = [&] {
    if (remove) fs::remove_all(dir, ec);
  };
  Status s;
  if (spec.network_container.empty()) s = write_file(rootfs.etc_dir + "/hostname", spec.hostname + "\n");
  if (s && !spec.extra_hosts.empty()) {
    std::string lines;
    for (const std::string& line : spec.extra_hosts) lines += line + "\n";
    s = write_file(dir + "/" + kExtraHostsFile, lines);
  }
  // In the host's namespace, the host's files (copies), as Docker gives
  // them: its resolvers on loopback are reachable there.
  std::string hosts = spec.host_network ? read_whole_file("/etc/hosts").value_or("") : hosts_file(spec.hostname);
  if (!hosts.empty() && hosts.back() != '\n') hosts += "\n";
  for (const std::string& line : spec.extra_hosts) hosts += line + "\n";
  if (s && spec.network_container.empty()) s = write_file(rootfs.etc_dir + "/hosts", hosts + (hooks.hosts ? hooks.hosts() : ""));
  // A namespace kept under our containers' directory is one made for
  // project networks: the embedded resolver serves there
  // (compose/container_networks.cpp).
  ResolvConfFor where = spec.host_network ? ResolvConfFor::HostNetwork
                        : spec.network_namespace.rfind(paths.containers + "/", 0) == 0 ? ResolvConfFor::ProjectNetworks
                                                                                        : ResolvConfFor::OwnNamespace;
  if (s && spec.network_container.empty())
    s = write_file(rootfs.etc_dir + "/resolv.conf", resolv_conf(read_whole_file("/etc/resolv.conf").value_or(""), spec.dns, where));
  if (!s) {
    discard();
    return s;
  }

  std::string bpf;
  Status filter = linux_::seccomp_program_for(spec, spec.process.capabilities, paths.seccomp_cache, &bpf);
  if (!filter) {
    discard();
    return filter;
  }
  if (Status c = linux_::ContainerCgroup::create(paths.cgroup_root, spec.id, spec.resources, &run->cgroup_); !c) {
    discard();
    return c.with_context("container " + spec.id.substr(0, 12));
  }
  linux_::StartResult started;
  std::function<Status(pid_t)> mounted;
  if (linux_::has_mounted_hooks(spec)) {
    // For hooks that read the bundle's config.json to find the root, as
    // nvidia-cdi-hook does: the overlay, as their mount namespace sees it.
    nlohmann::json config = {{"ociVersion", "1.2.0"}, {"root", {{"path", rootfs.merged}}}, {"hostname", spec.hostname},
                             {"process", {{"env", spec.process.env}, {"args", spec.process.args}}}};
    if (Status w = write_file(dir + "/config.json", config.dump(2) + "\n"); !w) {
      run->cgroup_.remove();
      discard();
      return w;
    }
    mounted = [&spec, dir](pid_t pid) {
      return linux_::run_hooks(spec.id, spec.hooks, linux_::mounted_stages(), "created", pid, dir, pid);
    };
  }
  Status start = linux_::start_container(started_spec, rootfs, run->cgroup_, bpf, stdio, hooks.prestart, mounted, &started);
  run->pid_ = started.pid;
  if (!start) {
    run->start_error_ = start.message();
    run->failure_exit_ = started.failure_exit ? started.failure_exit : linux_::kExitRuntimeError;
  } else if (Status s = linux_::run_hooks(spec.id, spec.hooks, {"poststart"}, "running", started.pid, dir, 0); !s) {
    // As the OCI spec has it: a poststart failure is reported, not fatal.
    spdlog::warn("container {}: {}", spec.id.substr(0, 12), s.message());
  }
  run->id_ = spec.id;
  run->oci_hooks_ = spec.hooks;
  *out = std::move(run);
  return Status::ok();
}

std::unique_ptr<ContainerRun> ContainerRun::adopt(const ContainerSpec& spec, const RuntimePaths& paths, bool remove,
                                                  const ContainerHooks& hooks, pid_t pid, int wait_status) {
  std::unique_ptr<ContainerRun> run(new ContainerRun);
  run->hooks_ = hooks;
  run->dir_ = paths.containers + "/" + spec.id;
  run->id_ = spec.id;
  run->remove_ = remove;
  run->oci_hooks_ = spec.hooks;
  run->cgroup_ = linux_::ContainerCgroup::open_existing(paths.cgroup_root, spec.id);
  run->pid_ = pid;
  run->reaped_status_ = wait_status;
  return run;
}

Status ContainerRun::wait(RunResult* out) {
  int status = reaped_status_ >= 0 ? reaped_status_ : 0;
  if (pid_ > 0 && reaped_status_ < 0)
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  // The pid namespace dies with its init; anything left in the cgroup goes too.
  cgroup_.kill_all();
  out->oom_killed = cgroup_.oom_killed();
  Status removed = cgroup_.remove();
  if (hooks_.poststop) hooks_.poststop();
  if (Status s = linux_::run_hooks(id_, oci_hooks_, {"poststop"}, "stopped", 0, dir_, 0); !s)
    spdlog::warn("container {}: {}", id_.substr(0, 12), s.message());
  std::error_code ec;
  if (remove_) fs::remove_all(dir_, ec);
  if (!start_error_.empty()) {
    out->exit_code = failure_exit_;
    out->error = start_error_;
    return Status::ok();
  }
  if (WIFEXITED(status)) out->exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) out->exit_code = 128 + WTERMSIG(status);
  if (out->oom_killed) out->exit_code = 137;
  return removed;
}

}  // namespace stack::runtime
