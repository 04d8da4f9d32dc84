#include "runtime/linux/container_process.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime/linux/capabilities.h"
#include "runtime/linux/rlimits.h"
#include "runtime/linux/sysctls.h"
#include "runtime/linux/seccomp_filter.h"
#include "runtime/on_disk.h"

namespace stack::runtime::linux_ {
namespace {

struct ChildArgs {
  const ContainerSpec* spec;
  const RootfsPaths* paths;
  int release_fd;  // read end: the parent writes once the cgroup is joined
  int release_write_fd;  // the parent's end, closed at once so that its death reads as EOF
  int error_fd;    // write end, O_CLOEXEC: closes on a successful execve
  const std::string* seccomp_bpf;  // empty: unconfined
  const ContainerStdio* stdio;
  int mounted_fd;  // write end, or -1: told once the rootfs is mounted, then wait for a second byte
};

// The child never returns into the parent's code: it reports and exits.
[[noreturn]] void fail(int error_fd, int exit_code, const std::string& message) {
  std::string record = std::to_string(exit_code) + ":" + message;
  (void)!::write(error_fd, record.data(), record.size());
  ::_exit(exit_code);
}

Status loopback_up() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::from_errno("socket for loopback");
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  Status s;
  if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) s = Status::from_errno("reading lo flags");
  request.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (s && ::ioctl(fd, SIOCSIFFLAGS, &request) != 0) s = Status::from_errno("bringing lo up");
  ::close(fd);
  return s;
}

// execvp with the container's PATH rather than ours.
std::string find_program(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const std::string& e : env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), F_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return {};
}

int child_main(void* raw) {
  const ChildArgs& a = *static_cast<const ChildArgs*>(raw);
  const ContainerSpec& spec = *a.spec;
  pid_t parent = ::getppid();

  // sync 1: wait until the parent has placed us in the cgroup.
  ::close(a.release_write_fd);
  char go = 0;
  if (::read(a.release_fd, &go, 1) != 1) ::_exit(kExitRuntimeError);
  if (a.mounted_fd < 0) ::close(a.release_fd);
  if (::unshare(CLONE_NEWCGROUP) != 0) fail(a.error_fd, kExitRuntimeError, Status::from_errno("cgroup namespace").message());

  auto check = [&](const Status& s) {
    if (!s) fail(a.error_fd, kExitRuntimeError, s.message());
  };
  if (!spec.network_namespace.empty()) {
    int ns = ::open(spec.network_namespace.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0)
      check(Status::from_errno("joining the network namespace " + spec.network_namespace));
    ::close(ns);
  } else if (!spec.host_network) {
    check(loopback_up());
  }
  check(prepare_rootfs(spec, *a.paths));
  if (a.mounted_fd >= 0) {
    // Hooks run in our mount namespace now: nothing more until they have.
    (void)!::write(a.mounted_fd, "1", 1);
    ::close(a.mounted_fd);
    if (::read(a.release_fd, &go, 1) != 1) ::_exit(kExitRuntimeError);
    ::close(a.release_fd);
  }
  check(enter_rootfs(a.paths->merged));
  // Docker creates a missing working directory, before the root turns read-only.
  const std::string& cwd = spec.process.cwd;
  for (size_t i = 1; i <= cwd.size(); ++i)
    if (i == cwd.size() || cwd[i] == '/') ::mkdir(cwd.substr(0, i).c_str(), 0755);
  // Its own /proc now, in its own network and IPC namespaces; before
  // finish_rootfs makes /proc/sys read-only.
  check(write_sysctls(spec.sysctls));
  check(finish_rootfs(spec));
  if (::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
    check(Status::from_errno("setting the hostname"));
  if (::chdir(cwd.c_str()) != 0) check(Status::from_errno("working directory " + cwd));

  exec_container_process(spec.process, *a.seccomp_bpf, *a.stdio, a.error_fd, parent);
}

// The spec's resource limits, while this process may still raise a hard
// limit (CAP_SYS_RESOURCE is dropped with the other capabilities below).
Status set_rlimits(const std::vector<Rlimit>& rlimits) {
  for (const Rlimit& r : rlimits) {
    std::optional<int> resource = rlimit_resource(r.name);
    if (!resource) return Status::error("ulimit " + r.name + ": no such limit");
    auto value = [](int64_t v) { return v < 0 ? RLIM_INFINITY : static_cast<rlim_t>(v); };
    struct rlimit limit {value(r.soft), value(r.hard)};
    if (::setrlimit(*resource, &limit) != 0) {
      int err = errno;
      struct rlimit now {};
      ::getrlimit(*resource, &now);
      // Raising a hard limit takes CAP_SYS_RESOURCE over the whole machine.
      std::string hard = now.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(now.rlim_max);
      return Status::from_errno("ulimit " + r.name + " (this host's hard limit is " + hard + ")", err);
    }
  }
  return Status::ok();
}

// Written for every process, 0 included, as Docker does: a container does
// not inherit the score of whatever started it. Lowering it takes
// CAP_SYS_RESOURCE, still held here.
Status set_oom_score_adj(int value) {
  int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Status::from_errno("opening /proc/self/oom_score_adj");
  std::string text = std::to_string(value);
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) return Status::from_errno("oom_score_adj " + text, err);
  return Status::ok();
}

// One byte that carries one file descriptor (SCM_RIGHTS), to send or receive.
struct FdMessage {
  char byte = 't';
  iovec data{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  msghdr message{};
  FdMessage() {
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

// A new pseudo-terminal from the container's own /dev/pts, its slave made
// our controlling terminal and stdio, its master sent to the parent.
Status attach_new_terminal(const ProcessSpec& p, int console_socket) {
  int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return Status::from_errno("opening /dev/ptmx");
  char name[64];
  int slave = -1;
  Status s;
  if (::unlockpt(master) != 0 || ::ptsname_r(master, name, sizeof name) != 0) s = Status::from_errno("unlocking the terminal");
  if (s && (slave = ::open(name, O_RDWR | O_NOCTTY)) < 0) s = Status::from_errno(std::string("opening ") + name);
  if (s && ::fchown(slave, p.uid, p.gid) != 0) s = Status::from_errno(std::string("chown ") + name);
  if (s) {
    FdMessage m;
    cmsghdr* header = CMSG_FIRSTHDR(&m.message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &master, sizeof(int));
    if (::sendmsg(console_socket, &m.message, MSG_NOSIGNAL) != 1) s = Status::from_errno("sending the terminal");
  }
  ::close(master);
  ::close(console_socket);
  if (s && ::setsid() < 0) s = Status::from_errno("setsid");
  if (s && ::ioctl(slave, TIOCSCTTY, 0) != 0) s = Status::from_errno("setting the controlling terminal");
  for (int fd = 0; s && fd <= 2; ++fd)
    if (::dup2(slave, fd) < 0) s = Status::from_errno("dup2");
  if (slave > 2) ::close(slave);
  return s;
}

// The given stdio, in a session of our own: one shared with the caller
// would make the caller's terminal ours too (TIOCSTI pushes keystrokes
// into its shell) and its process group ours (kill(0) reaches the
// caller, its shell and their parents). runc and crun do the same.
Status attach_stdio_in_new_session(const ContainerStdio& stdio) {
  if (::setsid() < 0) return Status::from_errno("setsid");
  const int fds[] = {stdio.in, stdio.out, stdio.err};
  for (int target = 0; target <= 2; ++target)
    if (fds[target] != target && ::dup2(fds[target], target) < 0) return Status::from_errno("dup2");
  return Status::ok();
}

}  // namespace

[[noreturn]] void exec_container_process(const ProcessSpec& p, const std::string& bpf, const ContainerStdio& stdio,
                                         int error_fd, pid_t parent) {
  auto check = [&](const Status& s) {
    if (!s) fail(error_fd, kExitRuntimeError, s.message());
  };
  check(p.terminal && stdio.console_socket >= 0 ? attach_new_terminal(p, stdio.console_socket)
                                                : attach_stdio_in_new_session(stdio));
  check(set_rlimits(p.rlimits));
  check(set_oom_score_adj(p.oom_score_adj));
  check(limit_bounding_set(p.capabilities));
  // Without no_new_privs only CAP_SYS_ADMIN may load a filter: now, before dropping it.
  if (!bpf.empty() && !p.no_new_privileges) check(load_seccomp_program(bpf));
  std::vector<gid_t> groups(p.additional_gids.begin(), p.additional_gids.end());
  if (::setgroups(groups.size(), groups.data()) != 0) check(Status::from_errno("setting supplementary groups"));
  ::prctl(PR_SET_KEEPCAPS, 1);
  if (::setresgid(p.gid, p.gid, p.gid) != 0) check(Status::from_errno("setting gid " + std::to_string(p.gid)));
  if (::setresuid(p.uid, p.uid, p.uid) != 0) check(Status::from_errno("setting uid " + std::to_string(p.uid)));
  check(set_process_capabilities(p.capabilities, p.uid == 0));
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    check(Status::from_errno("setting no_new_privs"));
  std::string program = find_program(p.args[0], p.env);
  if (program.empty())
    fail(error_fd, kExitNotFound, "exec: \"" + p.args[0] + "\": executable file not found in $PATH");
  // Changing credentials clears the parent-death signal: set it last, so
  // that a killed parent takes the container with it.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) check(Status::from_errno("setting the parent-death signal"));
  if (::getppid() != parent) ::_exit(kExitRuntimeError);  // the parent died before that
  if (!bpf.empty() && p.no_new_privileges) check(load_seccomp_program(bpf));

  std::vector<char*> argv, envp;
  for (const std::string& s : p.args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  for (const std::string& s : p.env) envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);
  ::execve(program.c_str(), argv.data(), envp.data());
  int err = errno;
  fail(error_fd, err == ENOENT ? kExitNotFound : kExitNotExecutable, "exec " + program + ": " + std::strerror(err));
}

int receive_console(int socket) {
  FdMessage m;
  ssize_t n;
  while ((n = ::recvmsg(socket, &m.message, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  cmsghdr* header = n == 1 ? CMSG_FIRSTHDR(&m.message) : nullptr;
  if (!header || header->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  std::memcpy(&fd, CMSG_DATA(header), sizeof(int));
  return fd;
}

Status start_container(const ContainerSpec& spec, const RootfsPaths& paths, const ContainerCgroup& cgroup,
                       const std::string& seccomp_bpf, const ContainerStdio& stdio,
                       const std::function<Status(pid_t)>& prestart, const std::function<Status(pid_t)>& mounted,
                       StartResult* out) {
  int release[2], errors[2] = {-1, -1}, mounted_pipe[2] = {-1, -1};
  if (::pipe2(release, O_CLOEXEC) != 0) return Status::from_errno("pipe");
  if (::pipe2(errors, O_CLOEXEC) != 0 || (mounted && ::pipe2(mounted_pipe, O_CLOEXEC) != 0)) {
    for (int fd : {release[0], release[1], errors[0], errors[1]}) ::close(fd);
    return Status::from_errno("pipe");
  }
  ChildArgs args{&spec, &paths, release[0], release[1], errors[1], &seccomp_bpf, &stdio, mounted_pipe[1]};
  constexpr size_t kStackSize = 1 << 20;
  void* stack = ::mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return Status::from_errno("allocating the child's stack");
  int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
  if (spec.network_namespace.empty() && !spec.host_network) flags |= CLONE_NEWNET;
  pid_t pid = ::clone(child_main, static_cast<char*>(stack) + kStackSize, flags, &args);
  int clone_errno = errno;
  ::close(release[0]);
  ::close(errors[1]);
  if (mounted) ::close(mounted_pipe[1]);
  if (pid < 0) {
    ::close(release[1]);
    ::close(errors[0]);
    if (mounted) ::close(mounted_pipe[0]);
    ::munmap(stack, kStackSize);
    return Status::from_errno("clone", clone_errno);
  }
  out->pid = pid;
  // sync 1
  Status joined = cgroup.add_process(pid);
  if (!joined) joined = joined.with_context("joining the cgroup");
  if (joined && prestart) joined = prestart(pid);
  if (joined) (void)!::write(release[1], "1", 1);
  if (joined && mounted) {
    // Nothing to read: the child failed before, and says why below.
    char byte = 0;
    if (::read(mounted_pipe[0], &byte, 1) == 1) {
      joined = mounted(pid);
      if (joined) (void)!::write(release[1], "1", 1);
    }
  }
  if (mounted) ::close(mounted_pipe[0]);
  ::close(release[1]);  // without the byte, the child exits
  Status reported = read_start_report(errors[0], out);  // sync 2
  ::close(errors[0]);
  ::munmap(stack, kStackSize);
  if (!joined) {
    out->failure_exit = kExitRuntimeError;
    return joined;
  }
  return reported;
}

Status read_start_report(int error_fd, StartResult* out, bool nul_terminated) {
  std::string report;
  char buf[512];
  while (!nul_terminated || report.find('\0') == std::string::npos) {
    ssize_t n = ::read(error_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buf, static_cast<size_t>(n));
  }
  return parse_start_report(std::move(report), out);
}

Status parse_start_report(std::string report, StartResult* out) {
  report = report.substr(0, report.find('\0'));
  if (report.empty()) return Status::ok();
  size_t colon = report.find(':');
  out->failure_exit = std::atoi(report.substr(0, colon).c_str());
  return Status::error(colon == std::string::npos ? report : report.substr(colon + 1));
}

}  // namespace stack::runtime::linux_
