// `stack container run|ls|inspect|rm`: single containers from local images.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <tuple>

#include "cmd/commands.h"
#include "cmd/environment.h"
#include "compose/container_launch.h"
#include "compose/container_networks.h"
#include "compose/container_status.h"
#include "compose/service_devices.h"
#include "runtime/container_session.h"
#include "runtime/container_store.h"
#include "runtime/default_spec.h"
#include "runtime/on_disk.h"
#include "runtime/signal_names.h"
#include "runtime/user_lookup.h"
#include "schema/units.h"
#include "compose/host.h"
#include "compose/container_removal.h"

namespace stack::cmd {

using namespace stack::compose;
namespace {

struct RunFlags {
  bool rm = false, privileged = false, read_only = false, tty = false, interactive = false, detach = false,
       init = false;
  std::string name, user, workdir, hostname, memory, entrypoint, shm_size, stop_signal, restart = "no";
  std::string health_cmd, health_interval, health_timeout, health_start_period;
  int health_retries = 0;
  bool no_healthcheck = false;
  int stop_timeout = 10;
  std::vector<std::string> env, volumes, tmpfs, cap_add, cap_drop, security_opt, networks, network_aliases, publish,
      devices;
  std::string ip;
  std::string log_driver = "json-file";
  std::vector<std::string> log_opts;  // KEY=VALUE
  double cpus = 0;
  int64_t pids_limit = 0;
  std::string image;
  std::vector<std::string> command;
};

// A launch's (or start's) exit status, its error and an OOM kill printed
// as `container run` and `container start` say them.
int exit_status_of(const LaunchResult& launched) {
  if (!launched.error.empty()) std::cerr << "error: " << launched.error << "\n";
  if (launched.oom_killed) std::cerr << "container " << launched.name << " was OOM-killed\n";
  return launched.exit_code;
}

int run(const RunFlags& f) {
  auto fail = [](const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return 125;
  };
  LaunchRequest r;
  r.image = f.image;
  r.name = f.name;
  runtime::RunOptions& o = r.options;
  o.command = f.command;
  if (!f.entrypoint.empty()) o.entrypoint = std::vector<std::string>{f.entrypoint};
  o.env = with_values_from_environment(f.env);
  o.working_dir = f.workdir;
  o.hostname = f.hostname;
  o.volumes = f.volumes;
  o.tmpfs = f.tmpfs;
  o.cap_add = f.cap_add;
  o.cap_drop = f.cap_drop;
  o.privileged = f.privileged;
  o.read_only = f.read_only;
  o.security_opt = f.security_opt;
  for (const std::string& d : f.devices)
    if (runtime::Status s = runtime::host_devices(d, &o.device_nodes, &o.device_rules); !s) return fail(s.message());
  if (!f.memory.empty()) {
    o.memory_bytes = schema::parse_bytes(f.memory);
    if (!o.memory_bytes) return fail("--memory " + f.memory + ": expected a size such as 256m");
  }
  if (!f.shm_size.empty()) {
    auto shm = schema::parse_bytes(f.shm_size);
    if (!shm) return fail("--shm-size " + f.shm_size + ": expected a size such as 64m");
    o.shm_size = static_cast<uint64_t>(*shm);
  }
  if (f.cpus > 0) o.cpus = f.cpus;
  if (f.pids_limit != 0) o.pids_limit = f.pids_limit;
  r.user = f.user;
  r.init = f.init;
  r.remove = f.rm;
  r.detach = f.detach;
  r.tty = f.tty;
  r.interactive = f.interactive;
  r.stop_signal = f.stop_signal;
  r.stop_timeout = f.stop_timeout;
  auto restart = runtime::RestartPolicy::parse(f.restart);
  if (!restart) return fail("--restart " + f.restart + ": expected no, always, on-failure[:N] or unless-stopped");
  r.restart = *restart;
  // Checked as a stack file's `logging` is: another driver or option is refused.
  if (!runtime::known_log_driver(f.log_driver))
    return fail("--log-driver " + f.log_driver +
                ": not supported: stack keeps a container's log in files (json-file, local) or not at all (none)");
  std::map<std::string, std::string> log_options;
  for (const std::string& opt : f.log_opts) {
    size_t eq = opt.find('=');
    if (eq == std::string::npos) return fail("--log-opt " + opt + ": expected KEY=VALUE");
    std::string key = opt.substr(0, eq), value = opt.substr(eq + 1);
    runtime::LogOptionCheck check = runtime::check_log_option(f.log_driver, key, value);
    if (check.kind == runtime::LogOptionCheck::Kind::Refused) return fail("--log-opt " + key + ": " + check.why);
    if (check.kind == runtime::LogOptionCheck::Kind::Ignored)
      std::cerr << "warning: --log-opt " << key << ": " << check.why << "; ignored\n";
    log_options[key] = value;
  }
  if (std::optional<std::string> refused = runtime::log_config(f.log_driver, log_options, &r.log))
    return fail("--log-opt: " + *refused);
  r.no_healthcheck = f.no_healthcheck;
  if (!f.health_cmd.empty() || !f.health_interval.empty() || !f.health_timeout.empty() ||
      !f.health_start_period.empty() || f.health_retries > 0) {
    runtime::HealthCheck hc;
    if (!f.health_cmd.empty()) hc.test = {"CMD-SHELL", f.health_cmd};
    for (auto [flag, text, field] : {std::tuple{"--health-interval", &f.health_interval, &hc.interval},
                                     std::tuple{"--health-timeout", &f.health_timeout, &hc.timeout},
                                     std::tuple{"--health-start-period", &f.health_start_period, &hc.start_period}}) {
      if (text->empty()) continue;
      auto ns = schema::parse_duration(*text);
      if (!ns || *ns <= 0) return fail(std::string(flag) + " " + *text + ": expected a duration such as 5s");
      *field = runtime::Nanoseconds(*ns);
    }
    if (f.health_retries > 0) hc.retries = f.health_retries;
    r.healthcheck = hc;
  }
  for (const std::string& n : f.networks) {
    if (n == "none") continue;
    // As docker run's: the host's namespace, or another container's.
    if (n == "container:") return fail("--network container: names no container");
    bool shared = n == "host" || n.rfind("container:", 0) == 0;
    if (shared && f.networks.size() > 1) return fail("--network " + n + " cannot be combined with other networks");
    if (shared && !f.publish.empty()) return fail("--network " + n + ": ports cannot be published");
    if (n == "host") r.options.host_network = true;
    if (n.rfind("container:", 0) == 0) r.options.network_container = n.substr(10);
    if (shared) continue;
    netbridge::NetworkRecord network;
    if (netbridge::Status s = network_store().find(n, &network); !s) return fail(s.message());
    r.joins.push_back({n, f.network_aliases, std::nullopt});
  }
  for (const std::string& p : f.publish)
    if (netbridge::Status s = netbridge::parse_port_mappings(p, &r.ports); !s) return fail(s.message());
  if (!f.ip.empty()) {
    if (r.joins.empty()) return fail("--ip needs --network");
    if (!(r.joins[0].ipv4_address = netbridge::Ipv4Address::parse(f.ip))) return fail("--ip " + f.ip + ": expected an IPv4 address");
  }
  LaunchResult launched = launch_container(r);
  if (f.detach && launched.exit_code == 0) std::cout << launched.id << "\n";
  return exit_status_of(launched);
}

struct StartFlags {
  bool attach = false, interactive = false;
  std::vector<std::string> names;
};

}  // namespace

void add_container_command(CLI::App& app, int& exit_code) {
  CLI::App* container = app.add_subcommand("container", "Run single containers");
  container->require_subcommand(1);
  add_container_process_commands(*container, exit_code);

  struct ListFlags {
    bool all = false;
    std::string format = "table";
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* ls = container->add_subcommand("ls", "List containers");
  ls->alias("list")->alias("ps");
  ls->add_flag("-a,--all", lf->all, "Also exited containers");
  ls->add_option("--format", lf->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  ls->callback([lf, &exit_code] {
    runtime::ContainerStore store(stack_root() + "/containers");
    reclaim_containers(store, true);
    std::vector<runtime::ContainerRecord> records;
    if (runtime::Status s = store.list(&records); !s) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 1;
      return;
    }
    nlohmann::json out = nlohmann::json::array();
    if (lf->format == "table")
      std::printf("%-14s %-20s %-30s %-22s %s\n", "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS / NAME");
    for (const auto& r : records) {
      ContainerStatus st = container_status(store, r);
      if (!lf->all && !st.up()) continue;
      std::string status = st.text();
      std::string command;
      for (const auto& a : r.command) command += (command.empty() ? "" : " ") + a;
      if (command.size() > 28) command = command.substr(0, 27) + "…";
      std::string ports;
      for (const auto& p : r.ports) ports += (ports.empty() ? "" : ", ") + p;
      if (lf->format == "json")
        out.push_back({{"ID", r.id}, {"Names", r.name}, {"Image", r.image}, {"Command", command},
                       {"CreatedAt", r.created}, {"State", runtime::to_string(st.state)}, {"Status", status},
                       {"Health", st.health.value_or("")}, {"ExitCode", r.exit_code}, {"RestartCount", r.restart_count}, {"Ports", ports}, {"Networks", r.networks}});
      else
        std::printf("%-14s %-20s %-30s %-22s %s   %s%s\n", r.id.substr(0, 12).c_str(), r.image.c_str(),
                    ("\"" + command + "\"").c_str(), r.created.substr(0, 19).c_str(), status.c_str(), r.name.c_str(),
                    ports.empty() ? "" : ("   " + ports).c_str());
    }
    if (lf->format == "json") std::cout << out.dump(2) << "\n";
    exit_code = 0;
  });

  auto inspect_names = std::make_shared<std::vector<std::string>>();
  CLI::App* inspect = container->add_subcommand("inspect", "Show containers' records as JSON");
  inspect->add_option("containers", *inspect_names, "NAME or ID")->required();
  inspect->callback([inspect_names, &exit_code] {
    runtime::ContainerStore store(stack_root() + "/containers");
    nlohmann::json out = nlohmann::json::array();
    exit_code = 0;
    for (const std::string& name : *inspect_names) {
      runtime::ContainerRecord r;
      if (runtime::Status s = store.find(name, &r); !s) {
        std::cerr << "error: " << s.message() << "\n";
        exit_code = 1;
        continue;
      }
      nlohmann::json j = r.to_json();
      j["Running"] = r.running();
      if (auto health = store.health(r)) j["Health"] = health->to_json();
      out.push_back(j);
    }
    std::cout << out.dump(2) << "\n";
  });

  auto sf = std::make_shared<StartFlags>();
  CLI::App* start_cmd = container->add_subcommand("start", "Start stopped containers again (same layer, addresses, ports)");
  start_cmd->add_flag("-a,--attach", sf->attach, "Stay attached to its output; exit with its code");
  start_cmd->add_flag("-i,--interactive", sf->interactive, "With -a: it reads our stdin");
  start_cmd->add_option("containers", sf->names, "NAME or ID")->required();
  start_cmd->callback([sf, &exit_code] {
    runtime::ContainerStore store(runtime_paths().containers);
    reclaim_containers(store, false);
    exit_code = 0;
    for (const std::string& name : sf->names)
      if (int rc = exit_status_of(start_container(name, sf->attach, sf->interactive)); rc != 0) exit_code = rc;
      else if (!sf->attach) std::cout << name << "\n";
  });

  struct PortFlags {
    std::string name, port;
  };
  auto pf = std::make_shared<PortFlags>();
  CLI::App* port = container->add_subcommand("port", "Show a container's published ports");
  port->add_option("container", pf->name, "NAME or ID")->required();
  port->add_option("port", pf->port, "PRIVATE_PORT[/PROTO]: only this one");
  port->callback([pf, &exit_code] {
    runtime::ContainerStore store(stack_root() + "/containers");
    runtime::ContainerRecord r;
    if (runtime::Status s = store.find(pf->name, &r); !s) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 1;
      return;
    }
    std::string wanted = pf->port.empty() ? "" : "->" + pf->port + (pf->port.find('/') == std::string::npos ? "/tcp" : "");
    exit_code = 0;
    bool any = false;
    for (const std::string& p : r.ports) {
      if (!wanted.empty() && p.size() >= wanted.size() && p.compare(p.size() - wanted.size(), wanted.size(), wanted) != 0)
        continue;
      // As `docker port`: "80/tcp -> 0.0.0.0:8080", or just the host side when one port was asked for.
      size_t arrow = p.find("->");
      std::cout << (wanted.empty() ? p.substr(arrow + 2) + " -> " : "") << p.substr(0, arrow) << "\n";
      any = true;
    }
    if (!any && !wanted.empty()) {
      std::cerr << "error: no public port " << pf->port << " published for " << r.name << "\n";
      exit_code = 1;
    }
  });

  struct RmFlags {
    bool force = false;
    std::vector<std::string> names;
  };
  auto rf = std::make_shared<RmFlags>();
  CLI::App* rm = container->add_subcommand("rm", "Remove containers");
  rm->alias("remove");
  rm->add_flag("-f,--force", rf->force, "Kill a running container first");
  rm->add_option("containers", rf->names, "NAME or ID")->required();
  rm->callback([rf, &exit_code] {
    runtime::ContainerStore store(stack_root() + "/containers");
    reclaim_containers(store, false);
    exit_code = 0;
    for (const std::string& name : rf->names) {
      runtime::ContainerRecord removed;
      if (runtime::Status s = remove_container(name, rf->force, &removed); !s) {
        std::cerr << "error: " << s.message() << "\n";
        exit_code = 1;
        continue;
      }
      std::cout << removed.name << "\n";
    }
  });
  auto f = std::make_shared<RunFlags>();
  CLI::App* run_cmd = container->add_subcommand("run", "Create and run a container from a local image");
  run_cmd->add_flag("--rm", f->rm, "Remove the container when it exits");
  run_cmd->add_flag("-d,--detach", f->detach, "Run in the background, output to its log; print its ID");
  run_cmd->add_flag("-i,--interactive", f->interactive, "Keep stdin open (the container reads ours)");
  run_cmd->add_flag("-t,--tty", f->tty, "Give the container a terminal of its own");
  run_cmd->add_flag("--init", f->init, "Run an init as PID 1 that passes signals on and reaps orphans");
  run_cmd->add_option("--stop-signal", f->stop_signal, "Signal `stop` sends first (default: the image's, or SIGTERM)");
  run_cmd->add_option("--stop-timeout", f->stop_timeout, "Seconds `stop` waits before killing (default 10)");
  run_cmd->add_option("--restart", f->restart, "no, always, on-failure[:N], unless-stopped (applied by the shim)");
  run_cmd->add_option("--log-driver", f->log_driver, "json-file (default), local, or none");
  run_cmd->add_option("--log-opt", f->log_opts, "max-size=SIZE, max-file=N: rotate the log")->allow_extra_args(false);
  run_cmd->add_option("--health-cmd", f->health_cmd, "Command run in the container to check its health");
  run_cmd->add_option("--health-interval", f->health_interval, "Between checks (default 30s)");
  run_cmd->add_option("--health-timeout", f->health_timeout, "Longest a check may run (default 30s)");
  run_cmd->add_option("--health-start-period", f->health_start_period, "Failures in it do not count (default 0s)");
  run_cmd->add_option("--health-retries", f->health_retries, "Failures in a row that make it unhealthy (default 3)");
  run_cmd->add_flag("--no-healthcheck", f->no_healthcheck, "Ignore the image's HEALTHCHECK");
  run_cmd->add_option("--network", f->networks, "Join a network (repeatable: eth0, eth1...; host, container:NAME: share that one; default: loopback only)")
      ->allow_extra_args(false);
  run_cmd->add_option("--network-alias", f->network_aliases, "Another name peers find it by")->allow_extra_args(false);
  run_cmd->add_option("--ip", f->ip, "IPv4 address on the first network");
  run_cmd->add_option("-p,--publish", f->publish, "[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/udp], ranges too")
      ->allow_extra_args(false);
  run_cmd->add_option("--name", f->name, "Container name");
  run_cmd->add_option("-e,--env", f->env, "KEY=VALUE, or KEY to pass this shell's value")->allow_extra_args(false);
  run_cmd->add_option("-v,--volume", f->volumes, "/HOST:/CONTAINER[:ro]")->allow_extra_args(false);
  run_cmd->add_option("--tmpfs", f->tmpfs, "/CONTAINER/PATH[:options]")->allow_extra_args(false);
  run_cmd->add_option("-w,--workdir", f->workdir, "Working directory");
  run_cmd->add_option("-u,--user", f->user, "USER[:GROUP], by name or id");
  run_cmd->add_option("--hostname", f->hostname, "Host name");
  run_cmd->add_option("--entrypoint", f->entrypoint, "Replace the image's entrypoint");
  run_cmd->add_option("-m,--memory", f->memory, "Memory limit, such as 256m");
  run_cmd->add_option("--cpus", f->cpus, "CPU quota, such as 0.5");
  run_cmd->add_option("--pids-limit", f->pids_limit, "Most processes (-1: unlimited)");
  run_cmd->add_option("--shm-size", f->shm_size, "Size of /dev/shm (default 64m)");
  run_cmd->add_option("--cap-add", f->cap_add, "Add a capability (or ALL)")->allow_extra_args(false);
  run_cmd->add_option("--cap-drop", f->cap_drop, "Drop a capability (or ALL)")->allow_extra_args(false);
  run_cmd->add_flag("--privileged", f->privileged, "All capabilities, no seccomp, no masked paths");
  run_cmd->add_flag("--read-only", f->read_only, "Read-only root filesystem");
  run_cmd->add_option("--device", f->devices, "/HOST/DEV[:/CONTAINER/DEV[:rwm]]: a host device in the container")
      ->allow_extra_args(false);
  run_cmd->add_option("--security-opt", f->security_opt, "seccomp=unconfined|PROFILE.json, no-new-privileges[:false]")->allow_extra_args(false);
  run_cmd->add_option("image", f->image, "Image name or ID")->required();
  // Everything after IMAGE belongs to the container, options included.
  run_cmd->prefix_command();
  run_cmd->fallthrough(false);
  run_cmd->footer("Arguments after IMAGE are the container's command.");
  run_cmd->callback([f, run_cmd, &exit_code] {
    f->command = run_cmd->remaining();
    exit_code = run(*f);
  });
}

}  // namespace stack::cmd
