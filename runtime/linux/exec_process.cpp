#include "runtime/linux/exec_process.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace stack::runtime::linux_ {
namespace {

struct Namespace {
  const char* name;
  int type;
};

// The mount namespace last: entering it changes our root.
const Namespace kJoined[] = {{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
                             {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS}};

void close_all(int* fds, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (fds[i] >= 0) ::close(fds[i]);
}

}  // namespace

Status exec_in_container(pid_t init_pid, const ContainerCgroup& cgroup, const ProcessSpec& process,
                         const std::string& seccomp_bpf, const ContainerStdio& stdio, StartResult* out) {
  std::string proc = "/proc/" + std::to_string(init_pid) + "/ns/";
  int ns[std::size(kJoined)];
  std::fill(std::begin(ns), std::end(ns), -1);
  for (size_t i = 0; i < std::size(kJoined); ++i) {
    ns[i] = ::open((proc + kJoined[i].name).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns[i] < 0) {
      Status s = Status::from_errno("opening " + proc + kJoined[i].name);
      close_all(ns, std::size(ns));
      return s;
    }
  }
  int pid_ns = ::open((proc + "pid").c_str(), O_RDONLY | O_CLOEXEC);
  int own_pid_ns = ::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  int release[2] = {-1, -1}, errors[2] = {-1, -1};
  Status s;
  if (pid_ns < 0 || own_pid_ns < 0) s = Status::from_errno("opening the pid namespaces");
  if (s && (::pipe2(release, O_CLOEXEC) != 0 || ::pipe2(errors, O_CLOEXEC) != 0)) s = Status::from_errno("pipe");
  if (s && ::setns(pid_ns, CLONE_NEWPID) != 0) s = Status::from_errno("entering the pid namespace of " + std::to_string(init_pid));
  pid_t pid = -1;
  if (s) {
    pid = ::fork();
    if (pid == 0) {
      pid_t parent = ::getppid();  // 0: our parent is outside this pid namespace
      ::close(release[1]);  // so that a parent gone before releasing us reads as EOF
      char go = 0;
      if (::read(release[0], &go, 1) != 1) ::_exit(kExitRuntimeError);
      auto fail = [&](const std::string& message) {
        std::string record = std::to_string(kExitRuntimeError) + ":" + message;
        (void)!::write(errors[1], record.data(), record.size());
        ::_exit(kExitRuntimeError);
      };
      for (size_t i = 0; i < std::size(kJoined); ++i)
        if (::setns(ns[i], kJoined[i].type) != 0)
          fail(std::string("joining the ") + kJoined[i].name + " namespace: " + std::strerror(errno));
      if (::chdir(process.cwd.c_str()) != 0) fail("working directory " + process.cwd + ": " + std::strerror(errno));
      exec_container_process(process, seccomp_bpf, stdio, errors[1], parent);
    }
    if (pid < 0) s = Status::from_errno("fork");
    if (::setns(own_pid_ns, CLONE_NEWPID) != 0 && s) s = Status::from_errno("returning to our pid namespace");
  }
  close_all(ns, std::size(ns));
  for (int fd : {pid_ns, own_pid_ns, release[0], errors[1]})
    if (fd >= 0) ::close(fd);
  out->pid = pid;
  if (pid > 0) {
    Status joined = cgroup.add_process(pid);
    if (joined) (void)!::write(release[1], "1", 1);
    if (!joined && s) s = joined.with_context("joining the cgroup");
  }
  if (release[1] >= 0) ::close(release[1]);
  Status reported = pid > 0 ? read_start_report(errors[0], out) : Status::ok();  // sync 2
  if (errors[0] >= 0) ::close(errors[0]);
  if (!s) {
    out->failure_exit = kExitRuntimeError;
    return s;
  }
  return reported;
}

}  // namespace stack::runtime::linux_
