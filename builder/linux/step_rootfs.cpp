#include "builder/linux/step_rootfs.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "runtime/linux/rootfs.h"

namespace stack::builder::linux_ {
namespace {

Status mount_roots(const std::string& scratch, const std::vector<std::string>& lower_dirs,
                   const std::vector<std::vector<std::string>>& sources, std::vector<std::string>* source_roots) {
  if (::unshare(CLONE_NEWNS) != 0) return Status::from_errno("creating a mount namespace");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return Status::from_errno("making mount propagation private");
  std::string empty = scratch + "/empty";
  std::vector<std::string> lower = lower_dirs.empty() ? std::vector<std::string>{empty} : lower_dirs;
  if (Status s = runtime::linux_::mount_overlay(lower, scratch + "/upper", scratch + "/work", scratch + "/merged"); !s)
    return s;
  for (size_t i = 0; i < sources.size(); ++i) {
    if (sources[i].empty()) {
      source_roots->push_back(empty);
      continue;
    }
    std::string dir = scratch + "/source" + std::to_string(i);
    if (::mkdir(dir.c_str(), 0700) != 0) return Status::from_errno("creating " + dir);
    // A read-only overlay needs two lower layers: the empty one is the second.
    std::vector<std::string> layers = sources[i];
    layers.push_back(empty);
    if (Status s = runtime::linux_::mount_overlay(layers, "", "", dir); !s) return s;
    source_roots->push_back(dir);
  }
  return Status::ok();
}

}  // namespace

Status in_step_rootfs(const std::string& scratch, const std::vector<std::string>& lower_dirs,
                      const std::vector<std::vector<std::string>>& sources,
                      const std::function<Status(const std::string& rootfs, const std::vector<std::string>& source_roots)>& body) {
  std::error_code ec;
  for (const char* d : {"/upper", "/work", "/merged", "/empty"}) {
    std::filesystem::create_directories(scratch + d, ec);
    if (ec) return Status::error("creating " + scratch + d + ": " + ec.message());
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return Status::from_errno("creating a pipe");
  pid_t child = ::fork();
  if (child < 0) {
    Status s = Status::from_errno("forking");
    ::close(report[0]);
    ::close(report[1]);
    return s;
  }
  if (child == 0) {
    ::close(report[0]);
    std::vector<std::string> roots;
    Status s = mount_roots(scratch, lower_dirs, sources, &roots);
    if (s) s = body(scratch + "/merged", roots);
    std::string message = s ? "" : s.message();
    if (!message.empty() && ::write(report[1], message.data(), message.size()) < 0) ::_exit(2);
    ::_exit(s ? 0 : 1);
  }
  ::close(report[1]);
  std::string message;
  char buf[4096];
  for (ssize_t n; (n = ::read(report[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    message.append(buf, static_cast<size_t>(n));
  }
  ::close(report[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
  if (!message.empty()) return Status::error(message);
  return Status::error("the step's file operations ended abnormally (status " + std::to_string(status) + ")");
}

}  // namespace stack::builder::linux_
