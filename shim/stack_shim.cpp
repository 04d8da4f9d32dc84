// stack-shim: a container's supervisor while its init runs. A detached shim execs it once the container runs, so that an idle container costs this small static program's pages rather than those `stack` touched to start it.
//
// It relays the init's output to the log, runs the healthcheck, serves
// the published ports and the embedded DNS resolver until the init exits,
// reaps it, and execs `stack __shim-resume` in the same process to finish the run (cgroup, hooks,
// restart policy, the record of its end). See runtime/shim_handover.h.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "netbridge/dns_resolver.h"
#include "netbridge/port_proxy.h"
#include "runtime/container_log.h"
#include "runtime/container_spec.h"
#include "runtime/health_check.h"
#include "runtime/on_disk.h"
#include "runtime/shim_handover.h"

namespace {

using namespace stack;

std::unique_ptr<runtime::HealthMonitor> start_health(const runtime::SupervisorHandover& h) {
  if (!h.health || h.health_bpf_fd < 0) return nullptr;
  std::string bpf = runtime::read_handed_fd(h.health_bpf_fd);
  std::optional<std::string> spec_text = runtime::read_whole_file(h.spec_path);
  if (!spec_text || bpf.empty()) return nullptr;
  runtime::ContainerSpec spec;
  try {
    spec = runtime::spec_from_json(nlohmann::json::parse(*spec_text));
  } catch (const nlohmann::json::exception&) {
    return nullptr;
  }
  auto monitor = std::make_unique<runtime::HealthMonitor>(*h.health, h.health_state_path);
  monitor->start(h.pid, spec.process, bpf, h.cgroup_root, h.resume.id);
  return monitor;
}

}  // namespace

int main(int argc, char** argv) {
  runtime::SupervisorHandover h;
  std::optional<std::string> handover = argc == 2 ? runtime::read_handover(argv[1]) : std::nullopt;
  if (!handover || !runtime::parse_supervisor_handover(*handover, &h)) {
    const char usage[] = "stack-shim: run by stack's container shims only\n";
    (void)!::write(STDERR_FILENO, usage, sizeof usage - 1);
    return 2;
  }
  runtime::LogWriter log;
  runtime::LogConfig rotation;
  rotation.max_size = h.log_max_size;
  rotation.max_files = h.log_max_files;
  bool logged = !h.log_path.empty() && static_cast<bool>(log.open(h.log_path, rotation));
  std::unique_ptr<runtime::HealthMonitor> health = start_health(h);
  std::unique_ptr<netbridge::PortProxy> ports;
  if (!h.resume.ports.empty()) {
    netbridge::Ipv4Address container;
    ports = netbridge::PortProxy::adopt(h.resume.ports, &container);
    if (ports) ports->start(container);
  }
  // The container's 127.0.0.11 while its init runs; `stack` opens it again
  // for a restart.
  std::unique_ptr<netbridge::DnsResolver> resolver;
  if (!h.dns.empty() && (resolver = netbridge::DnsResolver::adopt(h.dns))) resolver->start();
  for (int fd : {h.out_fd, h.err_fd})
    if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  runtime::OutputRelay relay;
  relay.out = h.out_fd;
  relay.err = h.err_fd;
  relay.log = logged ? &log : nullptr;
  runtime::relay_output(relay);
  int status = 0;
  while (::waitpid(h.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (health) health->stop();
  if (resolver) resolver->stop();
  for (int fd : {h.out_fd, h.err_fd})
    if (fd >= 0) ::close(fd);
  h.resume.wait_status = status;
  // The sockets stay open across exec, for `stack` to serve after a restart.
  if (ports) h.resume.ports = ports->handover();
  std::string text = runtime::to_text(h.resume);
  char command[] = "__shim-resume";
  char* resume_argv[] = {h.stack_binary.data(), command, text.data(), nullptr};
  ::execv(h.stack_binary.c_str(), resume_argv);
  if (logged)
    log.write(runtime::LogStream::Stderr,
              "stack-shim: cannot run " + h.stack_binary + " to record the container's end: " + std::strerror(errno) + "\n");
  return 1;
}
